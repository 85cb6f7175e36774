"""Widgets with a short plain-text form, for readers that do not render widgets.

A widget displayed in a cell also carries a ``text/plain`` form: what GitHub,
nbviewer without widget state, a terminal or nbval show instead. ipywidgets
makes it the widget's repr (every trait, cut off mid-HTML); these say what the
widget says, in one line.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets


class PlainTextMixin:
    """Replaces the ``text/plain`` of a widget's display with ``plain_text``."""

    plain_text = ""

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        if isinstance(bundle, dict) and self.plain_text:
            bundle["text/plain"] = self.plain_text
        return bundle


class PlainVBox(PlainTextMixin, widgets.VBox):
    """A ``VBox`` with a plain-text form."""


class PlainHTML(PlainTextMixin, widgets.HTML):
    """An ``HTML`` widget with a plain-text form."""
