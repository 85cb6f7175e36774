"""A tool call's input as a person reads it: what the approval question, the approval
card and the timeline all show.

The code of a ``{"code": "..."}`` input (the python tool's) reads better as code
than as JSON with ``\\n`` escapes; any other input is shown as JSON. Each caller
cuts the text to its own length. It imports nothing of the host, so the built-in
modules and ``ui/`` both use it.
"""

from __future__ import annotations

import json
from typing import Any


def tool_input_text(tool_input: Any, *, indent: int | None = None) -> str:
    """``tool_input`` as text: a ``{"code": "..."}`` input's code as written, anything
    else as JSON (``indent`` as in :func:`json.dumps`; what JSON cannot hold, as ``str``)."""
    if isinstance(tool_input, dict) and set(tool_input) == {"code"}:
        code = tool_input["code"]
        if isinstance(code, str):
            return code
    try:
        return json.dumps(tool_input, ensure_ascii=False, indent=indent, default=str)
    except (TypeError, ValueError):  # a key JSON cannot hold, a structure that holds itself
        return str(tool_input)
