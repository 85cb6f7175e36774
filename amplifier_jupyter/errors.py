"""The one error type a notebook user sees: one line, saying what to do."""

from __future__ import annotations

from amplifier_jupyter.redaction import redact_text


class AmplifierUserError(Exception):
    """A problem the user can fix; shown as a single line, never a traceback."""


class PlanError(AmplifierUserError):
    """A mount plan that cannot be used; the message names the key."""


# amplifier-core wraps Python errors raised inside the Rust kernel in these.
WRAPPER_PREFIXES = (
    "Session execution failed: ",
    "Session initialization failed: ",
    "Execution failed: ",
)


def one_line(error: BaseException, limit: int = 400) -> str:
    """An exception as one readable line (no traceback, no wrapped prefixes)."""
    text = str(error).strip() or type(error).__name__
    for prefix in WRAPPER_PREFIXES:
        while text.startswith(prefix):
            text = text[len(prefix) :]
    # "RuntimeError: message" from the kernel's wrapping: keep the message.
    head, sep, rest = text.partition(": ")
    if sep and head.isidentifier() and head[:1].isupper() and head.endswith(("Error", "Exception")):
        text = rest
    first = text.splitlines()[0] if text else text
    # An error may quote a config: redacted before it is cut, as then it still looks secret.
    first = redact_text(first)
    if len(first) > limit:
        first = first[: limit - 1] + "…"
    return first
