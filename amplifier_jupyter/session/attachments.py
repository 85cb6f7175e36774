"""Images in the conversation beside the text an orchestrator writes, under any orchestrator.

``session.execute()`` takes a prompt string, and orchestrators (the built-in
loop, upstream's ``loop-basic``) write it as ``{"role": "user", "content":
prompt}``; a tool's ``ToolResult.content`` images (amplifier-core 2.0.2's
rich tool-result content) are dropped by a loop that keeps only the
``output`` text. For one turn the context's ``add_message`` is wrapped: the
user message whose content is the prompt gets the prompt's image blocks after
its text, and a tool message whose content is text gets the image blocks its
tool returned (seen in the ``tool:post`` event, by ``tool_call_id``). Content
that is already a list is left as the orchestrator wrote it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from amplifier_jupyter.images import image_blocks, with_images


class Attachments:
    """The images waiting for the messages of the turn going on."""

    def __init__(self) -> None:
        self._prompt: str | None = None
        self._prompt_images: list[dict[str, Any]] = []
        self._tool_images: dict[str, list[dict[str, Any]]] = {}
        self._active = False

    def observe(self, event: str, data: dict[str, Any]) -> None:
        """A tool's result with images (``tool:post``): kept for its tool message."""
        if event != "tool:post" or not self._active:
            return
        result = data.get("result")
        content = result.get("content") if isinstance(result, dict) else None
        found = image_blocks(content)
        call_id = data.get("tool_call_id")
        if found and isinstance(call_id, str):
            self._tool_images[call_id] = found

    def _with_images(self, message: Any) -> Any:
        if not self._active or not isinstance(message, dict):
            return message
        content = message.get("content")
        if not isinstance(content, str):
            return message
        role = message.get("role")
        if role == "user" and self._prompt_images and content == self._prompt:
            images, self._prompt_images = self._prompt_images, []
            return {**message, "content": with_images(content, images)}
        if role == "tool":
            images = self._tool_images.pop(str(message.get("tool_call_id")), [])
            if images:
                return {**message, "content": with_images(content, images)}
        return message

    @contextlib.contextmanager
    def turn(self, context: Any, prompt: str, images: list[dict[str, Any]]) -> Iterator[None]:
        """For one turn: the prompt's images go with its user message, tools' with theirs."""
        self._prompt, self._prompt_images, self._tool_images = prompt, list(images), {}
        self._active = True
        original = getattr(context, "add_message", None)
        own = getattr(context, "__dict__", {}).get("add_message")
        patched = False
        if original is not None:

            async def add_message(message: Any, *args: Any, **kwargs: Any) -> Any:
                return await original(self._with_images(message), *args, **kwargs)

            try:
                context.add_message = add_message
                patched = True
            except (AttributeError, TypeError):  # a context that takes no attributes
                pass
        try:
            yield
        finally:
            self._active = False
            self._prompt_images, self._tool_images = [], {}
            # Put back only our own wrapper: one laid over it (the stop's fence, which drops an
            # abandoned run's writes) must stay; ours is inert once the turn is over.
            if patched and getattr(context, "__dict__", {}).get("add_message") is add_message:
                with contextlib.suppress(AttributeError, TypeError):
                    if own is None:
                        del context.add_message
                    else:
                        context.add_message = own
