"""Images that go to the model: plots, PIL images, PNG and JPEG bytes, image outputs.

Pure logic (no amplifier_core, no widgets): find an image in a value or a MIME
bundle, bound it to the Messages API's limits (``limits.py``), number it for
the prompt's text (``[image 1: fig]``) and make the image block that is sent.
Pillow (the ``images`` extra) downscales; matplotlib and Pillow are used only
where a value of theirs is already in the kernel.
"""

from __future__ import annotations

from amplifier_jupyter.images.blocks import (
    image_blocks,
    is_image_block,
    omit_image_data,
    with_images,
)
from amplifier_jupyter.images.collect import ImageSet
from amplifier_jupyter.images.convert import image_of_bundle, image_of_value, is_image_value
from amplifier_jupyter.images.limits import MAX_BYTES, MAX_IMAGES, MAX_SIDE, WORKING_SIDE
from amplifier_jupyter.images.prompt_image import PromptImage

__all__ = [
    "MAX_BYTES",
    "MAX_IMAGES",
    "MAX_SIDE",
    "WORKING_SIDE",
    "ImageSet",
    "PromptImage",
    "image_blocks",
    "image_of_bundle",
    "image_of_value",
    "is_image_block",
    "is_image_value",
    "omit_image_data",
    "with_images",
]
