"""The live notebook as context (issue 19, items 4 and 5): ``--cells``, ``--notebook`` and
the notebook tool read it through the bridge when a tab has it open (unsaved edits and
Markdown included) and say so; with no tab they use the kernel's history as before."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from bridge_frontend import FakeFrontend, code, markdown, run
from kernel_harness import Kernel
from widget_comms import Widgets

FROM_LIVE = "(from the live notebook through the bridge: unsaved edits and Markdown included)"
PLAN = {
    "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
    "providers": [
        {
            "module": "provider-scripted",
            "config": {
                "script": [
                    {"text": "", "tool_calls": [{"name": "notebook", "input": {"action": "list"}}]},
                    "Seen.",
                ]
            },
        }
    ],
    "tools": [{"module": "tool-notebook"}],
}
REQUESTS = (
    "from amplifier_jupyter.session.kernel import kernel_session as _ks\nimport json\n"
    "_p = _ks().session.coordinator.get('providers')['scripted']\n"
    "print(json.dumps([[str(m.role), str(m.content)] for m in _p.requests[-1].messages]))"
)


@pytest.fixture
def counted(kernel: Kernel) -> Iterator[int]:
    """A fresh session with the plan above, after a cell ``a = 1``; its execution count."""
    result = kernel.execute(f"_plan = {PLAN!r}\n%amplifier config _plan")
    assert result.ok, result.error
    ran = kernel.execute("a = 1")
    yield ran.reply["content"]["execution_count"]


def messages(kernel: Kernel) -> list[list[str]]:
    result = kernel.execute(REQUESTS)
    assert result.ok, result.error
    return json.loads(result.stdout)


def test_cells_notebook_and_the_tool_read_the_live_notebook(kernel: Kernel, counted: int) -> None:
    cells = [
        markdown("m1", "# Cleaning\nDrop the empty rows."),
        code(
            "c1",
            "a = 2  # edited, not run yet",
            counted,
            [{"output_type": "stream", "text": "hi\n"}],
        ),
        markdown("m2", "Unsaved note at the end."),
        code("p", "%%amplifier --cells -1: --notebook\nWhat do I have?"),
    ]
    tab = FakeFrontend(kernel, cells=cells).open()
    widgets = Widgets()
    try:
        prompt = "%%amplifier --cells -1: --notebook\nWhat do I have?"
        result = run(kernel, prompt, tab, cell_id="p", widgets=widgets)
    finally:
        tab.close()
    assert result.ok, result.error
    assert f"sent: cell {counted} (live) · notebook analysis.ipynb (live)" in widgets.timeline()
    sent = messages(kernel)
    user = sent[0][1]
    assert "Markdown above it:\n# Cleaning\nDrop the empty rows." in user
    assert f"In [{counted}]:\n```python\na = 1\n```" in user
    assert (
        "edited since it ran (not run yet):\n```python\na = 2  # edited, not run yet\n```" in user
    )
    assert "printed output:\nhi" in user
    assert "## The live notebook analysis.ipynb" in user
    assert "[2] markdown:\nUnsaved note at the end." in user
    assert "[3] code, In [ ] (this prompt):" in user
    tool = next(content for role, content in sent if role == "tool")
    assert tool.startswith(FROM_LIVE), tool
    assert "[0] markdown: # Cleaning  (+1 lines)" in tool
    assert "[3] code In [ ]: %%amplifier --cells -1: --notebook  (+1 lines)  (this prompt)" in tool
    assert [r["op"] for r in tab.requests] == ["read", "read"]


def test_without_a_tab_the_kernel_history_is_used_as_before(kernel: Kernel, counted: int) -> None:
    widgets = Widgets()
    result = run(kernel, "%%amplifier --cells -1:\nWhat do I have?", widgets=widgets)
    assert result.ok, result.error
    assert f"sent: cell {counted} (kernel history)<" in widgets.timeline()
    sent = messages(kernel)
    assert f"In [{counted}]:\n```python\na = 1\n```" in sent[0][1]
    assert "live" not in sent[0][1]
    tool = next(content for role, content in sent if role == "tool")
    assert tool.startswith("(from the kernel's history: cells as they ran;"), tool
    assert f"[{counted}] a = 1" in tool
