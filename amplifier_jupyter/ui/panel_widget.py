"""The panel's one widget: an anywidget whose browser side (``assets/panel.js``) draws it.

One comm per panel. Its state is what changes seldom (the status line, the
timeline, the open questions, the Stop button's label); the answer is not
state but appended chunks sent as custom messages, each sent once, so a long
answer costs about its own size on the wire (state would be re-sent whole on
every update). The browser asks for the whole text when it starts drawing
(``ready``) or finds a gap.

Messages from the browser (``stop``, ``choose``, ``ready``, and ``rendered``, sent
each time a view is drawn: the kernel learns that someone sees the panel,
``approval_headless.py``) may arrive on a
subshell thread (:func:`~amplifier_jupyter._ipython.blocking.route_to_frontend_subshell`):
the handlers given to :class:`PanelWidget` must be thread-safe.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import traitlets
from ipywidgets import Layout

ASSETS = Path(__file__).with_name("assets")
PLAIN_TEXT = "amplifier panel (live while the run goes on; its summary replaces it at the end)"

MessageHandler = Callable[[dict[str, Any]], None]


class PanelWidget(anywidget.AnyWidget):
    """The live panel's model (see the module docstring)."""

    _esm = (ASSETS / "panel.js").read_text(encoding="utf-8")
    _css = (ASSETS / "panel.css").read_text(encoding="utf-8")
    # No Layout model of its own (one comm, not two): the browser side lays itself out.
    layout = traitlets.Instance(Layout, allow_none=True, default_value=None).tag(sync=True)

    # "panel" (a run's), or "card" (a question standing alone: no header, no timeline).
    mode = traitlets.Unicode("panel").tag(sync=True)
    status_html = traitlets.Unicode("").tag(sync=True)
    running = traitlets.Bool(True).tag(sync=True)
    stop_label = traitlets.Unicode("Stop").tag(sync=True)
    stop_disabled = traitlets.Bool(False).tag(sync=True)
    timeline_html = traitlets.Unicode("").tag(sync=True)
    # Thumbnails of the images sent, by their place in the timeline (panel_html.thumbnails).
    images = traitlets.Dict().tag(sync=True)
    approvals = traitlets.List(traitlets.Dict()).tag(sync=True)
    # What each open reviewed call would change, by card id (approval_card.reviews_state).
    reviews = traitlets.Dict().tag(sync=True)

    def __init__(self, on_message: MessageHandler, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plain_text = PLAIN_TEXT  # the display's text/plain (readers without widgets)
        self._handler = on_message
        self.on_msg(self._received)

    def _received(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and isinstance(content.get("type"), str):
            self._handler(content)

    def append(self, at: int, text: str) -> None:
        """Send answer text that starts at character ``at`` of the answer."""
        if text:
            self.send({"type": "answer", "at": at, "text": text})

    def replace(self, text: str) -> None:
        """Send the whole answer (the browser asked, or the answer started afresh)."""
        self.send({"type": "answer", "at": 0, "text": text, "reset": True})

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if isinstance(data, dict):
            data["text/plain"] = self.plain_text
        return bundle
