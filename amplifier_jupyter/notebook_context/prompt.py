"""From a ``%%amplifier`` cell's text and flags to the prompt that is sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from amplifier_jupyter.notebook_context.cellspec import CellSpec
from amplifier_jupyter.notebook_context.gather import compose, gather
from amplifier_jupyter.notebook_context.interpolation import interpolate as interpolate_text


@dataclass
class PreparedPrompt:
    """The text to send, what it carries from the notebook, and notes for the user."""

    text: str
    sent: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def sent_line(self) -> str:
        """``{n} (int) · cells 3–5 · df (DataFrame 1000×4) · last error ZeroDivisionError``."""
        return " · ".join(self.sent)


def prepare_prompt(
    shell: Any,
    body: str,
    *,
    interpolate: bool = True,
    cells: CellSpec | None = None,
    error: bool = False,
    variables: list[str] | None = None,
    notebook: bool = False,
) -> PreparedPrompt:
    """Interpolate ``body`` (unless told not to) and add the context sections asked for."""
    namespace = getattr(shell, "user_ns", None) or {}
    prepared = PreparedPrompt(text=body)
    if interpolate:
        result = interpolate_text(body, namespace)
        prepared.text = result.text
        prepared.notices += result.notices()
        prepared.sent += [f"{{{ref}}} ({kind})" for ref, kind in result.used]
    context = gather(shell, cells=cells, error=error, variables=variables, notebook=notebook)
    prepared.text = compose(prepared.text, context.sections)
    prepared.sent += context.sent
    prepared.notices += context.notices
    return prepared
