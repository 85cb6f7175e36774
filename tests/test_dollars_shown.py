"""Dollar amounts in a real kernel: escaped in the Markdown the cell shows (the final
answer), raw in what the session keeps (``_amplifier``, the conversation the model reads,
the transcript). The panel shows the streamed answer as text, which no math renderer
reads, so it gets the raw characters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kernel_harness import Kernel
from widget_comms import INSPECT, Widgets, configure, execute, run_python

ANSWER = (
    "Revenue was $50,000 … costs ($2,310), about $5 and $10 a day; "
    "the model $y = 2^n$ fits, and `$5 and $10` is code."
)
D = "<span>\\$</span>"
SHOWN = (
    f"Revenue was {D}50,000 … costs ({D}2,310), about {D}5 and {D}10 a day; "
    "the model $y = 2^n$ fits, and `$5 and $10` is code."
)
KEPT = (
    INSPECT + "import json, os\n"
    "_said = [m['content'] for m in await _ks().messages() if m['role'] == 'assistant']\n"
    "print(json.dumps({'bound': _amplifier, 'said': _said, 'cwd': os.getcwd(),\n"
    "                  'session': _ks().session.session_id}))"
)


def kept(kernel: Kernel) -> dict[str, Any]:
    """What the session keeps of the last answer: the bound value, the conversation's last
    assistant message and the transcript's."""
    found = json.loads(run_python(kernel, KEPT))
    folder = Path(found["cwd"]) / ".amplifier" / "sessions" / found["session"]
    lines = (folder / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    written = [json.loads(line) for line in lines]
    return {
        "bound": found["bound"],
        "said": text_of(found["said"][-1]),
        "written": text_of([m["content"] for m in written if m["role"] == "assistant"][-1]),
    }


def text_of(content: str | list[dict[str, Any]]) -> str:
    """A message's text (its content is a string or a list of blocks)."""
    if isinstance(content, str):
        return content
    return "".join(block["text"] for block in content if block.get("type") == "text")


def test_the_cell_shows_dollars_and_the_session_keeps_the_text(kernel: Kernel) -> None:
    configure(kernel, [ANSWER], chunk_delay=0.01)
    widgets = Widgets()
    result = execute(kernel, "%%amplifier\nHow did the quarter go?", widgets.feed)
    assert result.ok and result.stderr == "", result.stderr
    assert result.markdown == [SHOWN]
    streamed = widgets.streamed()
    # It streamed as text (the panel sets textContent: nothing there is typeset). How many
    # updates the panel sent depends on the machine's speed (it opens after 0.25 s).
    assert streamed and streamed[-1] == ANSWER, streamed
    assert all(ANSWER.startswith(part) for part in streamed)
    assert kept(kernel) == {"bound": ANSWER, "said": ANSWER, "written": ANSWER}


def test_a_background_run_shows_its_answer_with_dollars(kernel: Kernel) -> None:
    configure(kernel, [ANSWER])
    widgets = Widgets()
    assert execute(kernel, "%%amplifier --background\nAnd this quarter?", widgets.feed).ok
    waited = execute(kernel, "%amplifier wait", widgets.feed)
    assert waited.stdout.strip() == "amplifier: the background run finished"
    # With no cell left to show it in, the panel shows the final answer itself, as text.
    assert widgets.answer() == ANSWER
    assert kept(kernel) == {"bound": ANSWER, "said": ANSWER, "written": ANSWER}
