"""From a ``%%amplifier`` cell's text and flags to the prompt that is sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from amplifier_jupyter.images import ImageSet, PromptImage, with_images
from amplifier_jupyter.notebook_context.cellspec import CellSpec
from amplifier_jupyter.notebook_context.gather import compose, gather
from amplifier_jupyter.notebook_context.interpolation import interpolate as interpolate_text
from amplifier_jupyter.notebook_context.live import LiveNotebook


@dataclass
class PreparedPrompt:
    """The text to send, what it carries from the notebook, and notes for the user.

    ``images``: sent as image blocks after the text, which names each where it was
    (``[image 1: fig]``).
    """

    text: str
    sent: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    images: list[PromptImage] = field(default_factory=list)
    images_sent: str = ""  # "2 images (1200×800, 640×480)"

    def sent_line(self) -> str:
        """``{n} (int) · cells 3–5 · df (DataFrame 1000×4) · 2 images (1200×800, 640×480)``."""
        return " · ".join([*self.sent, *([self.images_sent] if self.images_sent else [])])

    def image_blocks(self) -> list[dict[str, Any]]:
        """The image blocks that follow the text, in marker order."""
        return [image.block() for image in self.images]

    def content(self) -> str | list[dict[str, Any]]:
        """The user message's content: the text, or a text block and the image blocks."""
        return with_images(self.text, self.image_blocks())


def prepare_prompt(
    shell: Any,
    body: str,
    *,
    interpolate: bool = True,
    cells: CellSpec | None = None,
    error: bool = False,
    error_cell: int | None = None,
    variables: list[str] | None = None,
    notebook: bool = False,
    live: LiveNotebook | None = None,
) -> PreparedPrompt:
    """Interpolate ``body`` (unless told not to) and add the context sections asked for
    (``live``: the notebook the bridge read, used by ``--cells`` and ``--notebook``)."""
    namespace = getattr(shell, "user_ns", None) or {}
    prepared = PreparedPrompt(text=body)
    images = ImageSet()
    if interpolate:
        result = interpolate_text(body, namespace, images=images)
        prepared.text = result.text
        prepared.notices += result.notices()
        prepared.sent += [f"{{{ref}}} ({kind})" for ref, kind in result.used]
    context = gather(
        shell,
        cells=cells,
        error=error,
        error_cell=error_cell,
        variables=variables,
        notebook=notebook,
        images=images,
        live=live,
    )
    prepared.text = compose(prepared.text, context.sections)
    prepared.sent += context.sent
    prepared.notices += context.notices + images.notices
    prepared.images = list(images.images)
    prepared.images_sent = images.sent_part()
    return prepared
