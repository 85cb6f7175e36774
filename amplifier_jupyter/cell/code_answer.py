"""``%%amplifier --code``: the answer is code, put into a new cell below the prompt cell.

The model is asked for one Python block; the block (or, without fences, the whole
answer) goes into a new code cell below the prompt cell through the notebook bridge,
not run: the user asked for it by running the cell, so no approval card asks again.
Without a bridge (nbclient, VS Code, a terminal, a frontend without the lab extension)
the answer is shown as usual and one line says the code could not be inserted.
"""

from __future__ import annotations

import re

CODE_REQUEST = (
    "\n\n(Answer with the code for one new Python notebook cell, in a single ```python "
    "block, and nothing else: put any explanation in comments. It goes into a new cell "
    "below this prompt, not run.)"
)
NO_BRIDGE = (
    "--code: no notebook bridge is connected (this frontend has no amplifier-jupyter "
    "lab extension), so the code is shown below and was not inserted: copy it into a cell"
)
_FENCE = re.compile(r"^```[ \t]*([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_PYTHON = {"", "python", "py", "python3", "ipython", "ipython3"}


def with_code_request(prompt: str) -> str:
    """The prompt sent for ``--code``: the user's, then the request for one code block."""
    return prompt + CODE_REQUEST


def code_of(answer: str) -> str:
    """The code in an answer: its first Python (or unlabelled) fenced block, else its first
    block, else the whole answer."""
    blocks = [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(answer)]
    for language, body in blocks:
        if language in _PYTHON:
            return body.rstrip("\n")
    if blocks:
        return blocks[0][1].rstrip("\n")
    return answer.strip()


async def insert_code(code: str) -> str:
    """Put ``code`` into a new code cell below the prompt cell; the line that says what
    happened."""
    from amplifier_jupyter import bridge

    live = bridge.current()
    if live is None:
        return NO_BRIDGE
    if not code.strip():
        return "--code: the answer had no code, so no cell was inserted"
    try:
        await live.insert_cell(code)
    except bridge.BridgeError as error:
        return f"--code: {error}; the code is shown below and was not inserted"
    lines = len(code.splitlines())
    return f"--code: inserted below as a new code cell ({lines} line{'s' * (lines != 1)}, not run)"
