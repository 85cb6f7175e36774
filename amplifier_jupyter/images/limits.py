"""The Messages API's limits on images, and the size images are sent at.

The API takes at most 20 images in a request here (the claude.ai limit, kept
for every request so a long conversation stays well inside the API's own),
each at most 5 MB of data (base64-decoded) and 8,000 px on its longest side,
as ``image/jpeg``, ``image/png``, ``image/gif`` or ``image/webp``. The API
scales anything over about 1.15 megapixels down before the model sees it, so
an image larger than ``WORKING_SIDE`` on its longest side is downscaled to it
here (with Pillow): the same picture for the model, fewer bytes and tokens.
"""

from __future__ import annotations

MAX_IMAGES = 20
MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 8_000
WORKING_SIDE = 1_568
MEDIA_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
# A thumbnail for the panel's timeline (longest side, px).
THUMBNAIL_SIDE = 64
