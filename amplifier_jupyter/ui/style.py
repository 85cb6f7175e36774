"""Colours and small HTML pieces in JupyterLab's theme variables (light and dark alike)."""

from __future__ import annotations

import html
from typing import Any

TEXT = "var(--jp-ui-font-color1)"
MUTED = "var(--jp-ui-font-color2)"
FAINT = "var(--jp-ui-font-color3)"
LEVEL_COLOURS = {
    "info": MUTED,
    "success": "var(--jp-success-color1)",
    "warning": "var(--jp-warn-color1)",
    "error": "var(--jp-error-color1)",
}
UI_FONT = (
    "font-family: var(--jp-ui-font-family); font-size: var(--jp-ui-font-size1); line-height: 1.5"
)
CODE_FONT = "font-family: var(--jp-code-font-family); font-size: var(--jp-code-font-size)"


def span(text: str, colour: str = TEXT, escape: bool = True) -> str:
    """Text in a colour, in the UI font."""
    body = html.escape(text) if escape else text
    return f'<span style="color: {colour}; {UI_FONT}">{body}</span>'


def box_layout(accent: str = "var(--jp-border-color2)") -> Any:
    """A quiet box: a thin accent line on the left, a little room around."""
    import ipywidgets as widgets

    return widgets.Layout(
        border_left=f"2px solid {accent}",
        padding="2px 0 2px 10px",
        margin="4px 0",
        width="auto",
    )
