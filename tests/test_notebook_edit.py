"""The write tools (``tool-notebook-edit``) in a real kernel: the scripted model inserts,
edits and queues cells of a fake tab (tests/bridge_frontend.py, real comm messages); each
call is reviewed on the panel's card, clicked as a frontend clicks (tests/widget_comms.py).
Issue 19, items 2, 3 and 5."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from bridge_frontend import FakeFrontend, code, markdown
from kernel_harness import CellResult, Kernel, offline_env
from nbclient import NotebookClient
from widget_comms import PANEL_ID, Widgets, click, render, tool_messages

from amplifier_jupyter.modules.tool_notebook_edit import NO_BRIDGE

EDIT_OPTIONS = ["Accept", "Accept and run", "Reject", "Allow always"]
PROMPT_ID = "prompt"


@pytest.fixture(autouse=True)
def default_policy(kernel: Kernel) -> None:
    # A card nobody clicks (a failing test) is denied after 20 s rather than 120.
    assert "default auto" in kernel.execute("%amplifier approve auto --timeout 20").stdout


def configure(kernel: Kernel, *replies: Any) -> None:
    plan = {
        "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
        "providers": [{"module": "provider-scripted", "config": {"script": list(replies)}}],
        "tools": [{"module": "tool-notebook-edit"}],
    }
    result = kernel.execute(f"_plan = {plan!r}\n%amplifier config _plan")
    assert result.ok and "plan set" in result.stdout, (result.stdout, result.stderr)


def call(name: str, **tool_input: Any) -> dict[str, Any]:
    return {"text": "", "tool_calls": [{"name": name, "input": tool_input}]}


def open_tab(kernel: Kernel, tabs: list[FakeFrontend], *cells: dict[str, Any]) -> FakeFrontend:
    prompt = code(PROMPT_ID, "%%amplifier\nWork on the notebook.")
    tab = FakeFrontend(kernel, cells=[*cells, prompt]).open()
    tabs.append(tab)
    return tab


def prompt(
    kernel: Kernel,
    tab: FakeFrontend | None,
    *labels: str,
    before_click: Callable[[], None] = lambda: None,
) -> tuple[CellResult, Widgets]:
    """Run the prompt cell; the tab answers the bridge, the panel is drawn, and each of
    ``labels`` is clicked on the next card that shows (after ``before_click``: what the user
    does while the first card is open)."""
    widgets = Widgets()
    clicked: list[Any] = []

    def seen(msg: dict[str, Any]) -> None:
        if tab is not None:
            tab.see(msg)
        widgets.feed(msg)
        state = (msg["content"].get("data") or {}).get("state") or {}
        if msg["msg_type"] == "comm_open" and state.get("_anywidget_id") == PANEL_ID:
            render(kernel, msg["content"]["comm_id"])
        if len(clicked) == len(labels):
            return
        button = widgets.enabled_button(labels[len(clicked)])
        cards = [json.loads(c.content)["id"] for c in clicked]
        if button is not None and json.loads(button.content)["id"] not in cards:
            if not clicked:
                before_click()
            clicked.append(button)
            click(kernel, button)

    result = kernel.execute(
        "%%amplifier\nWork on the notebook.",
        on_message=seen,
        every_message=True,
        cell_id=PROMPT_ID,
        allow_stdin=True,  # as JupyterLab sends it: a view may answer (ui/approval_headless.py)
    )
    assert result.ok, (result.stdout, result.stderr)
    assert len(clicked) == len(labels), f"clicked {len(clicked)} of {labels}"
    return result, widgets


def sources(tab: FakeFrontend) -> list[str]:
    return [c["source"] for c in tab.cells]


def test_insert_below_the_prompt_shows_the_new_cell_and_returns_its_id(
    kernel: Kernel, tabs: list
) -> None:
    tab = open_tab(kernel, tabs, markdown("m1", "# Data"))
    configure(kernel, call("notebook_insert", source="df = load()\ndf.head()"), "Inserted.")
    result, widgets = prompt(kernel, tab, "Accept")
    assert result.markdown == ["Inserted."]
    (card,) = widgets.questions_seen()
    assert card["options"] == EDIT_OPTIONS
    assert "review" not in card  # apart from the card, which its countdown sends each second
    assert widgets.review(card) == {"lines": [["+", "df = load()"], ["+", "df.head()"]]}
    assert "insert a code cell below this prompt cell" in card["question_html"]
    new = tab.cells[2]
    assert sources(tab) == [
        "# Data",
        "%%amplifier\nWork on the notebook.",
        "df = load()\ndf.head()",
    ]
    assert tab.requests[-1]["after"] == PROMPT_ID and not tab.queued
    (answer,) = tool_messages(kernel)
    assert answer.startswith(f"inserted code cell {new['id']} at position 2")
    assert "notebook_insert: Accept" in widgets.timeline()


def test_an_edit_by_execution_count_is_a_diff_and_accept_and_run_queues_it(
    kernel: Kernel, tabs: list
) -> None:
    tab = open_tab(kernel, tabs, code("c1", "x = load()\ny = x * 2\nprint(y)", 4))
    edit = call("notebook_edit", cell="4", source="x = load()\ny = x * 3\nprint(y)")
    configure(kernel, edit, "Edited and queued.")
    _, widgets = prompt(kernel, tab, "Accept and run")
    (card,) = widgets.questions_seen()
    assert widgets.review(card)["lines"] == [
        [" ", "x = load()"],
        ["-", "y = x * 2"],
        ["+", "y = x * 3"],
        [" ", "print(y)"],
    ]
    assert "edit code cell [4] (id c1): +1 −1 lines" in card["question_html"]
    assert tab.cells[0]["source"] == "x = load()\ny = x * 3\nprint(y)"
    assert tab.queued == ["c1"]
    (answer,) = tool_messages(kernel)
    assert answer.startswith("edited code cell [4] (id c1); queued: it runs next")
    assert "later turn" in answer


def test_reject_leaves_the_cell_and_tells_the_model(kernel: Kernel, tabs: list) -> None:
    tab = open_tab(kernel, tabs, code("c1", "a = 1", 1))
    configure(kernel, call("notebook_edit", cell="above", source="a = 2"), "Left alone.")
    result, _ = prompt(kernel, tab, "Reject")
    assert result.markdown == ["Left alone."]
    assert tab.cells[0]["source"] == "a = 1"
    assert [r["op"] for r in tab.requests] == ["read"]  # read for the review; nothing written
    (answer,) = tool_messages(kernel)
    assert "the user rejected this change: the notebook was not changed" in answer


def test_a_cell_edited_while_the_card_is_open_is_asked_again_with_the_new_diff(
    kernel: Kernel, tabs: list
) -> None:
    tab = open_tab(kernel, tabs, code("c1", "rate = 0.1", 2))
    configure(kernel, call("notebook_edit", cell="c1", source="rate = 0.2"), "I see.")

    def user_types() -> None:
        tab.cells[0]["source"] = "rate = 0.05  # mine"

    _, widgets = prompt(kernel, tab, "Accept", "Reject", before_click=user_types)
    first, second = widgets.questions_seen()
    assert widgets.review(first)["lines"] == [["-", "rate = 0.1"], ["+", "rate = 0.2"]]
    # The Accept was not taken: the card asked again, with the diff against the user's edit.
    assert widgets.review(second)["lines"] == [["-", "rate = 0.05  # mine"], ["+", "rate = 0.2"]]
    assert "The cell changed since this was proposed" in second["question_html"]
    assert tab.cells[0]["source"] == "rate = 0.05  # mine"
    assert not [r for r in tab.requests if r["op"] == "replace"]
    assert "the notebook was not changed" in tool_messages(kernel)[0]


def test_a_cell_changed_after_the_accept_is_not_overwritten(kernel: Kernel, tabs: list) -> None:
    tab = open_tab(kernel, tabs, code("c1", "rate = 0.1", 2))
    configure(kernel, call("notebook_edit", cell="c1", source="rate = 0.2"), "I see.")

    def user_types(request: dict[str, Any]) -> None:  # just before the edit arrives
        if request["op"] == "replace":
            tab.cells[0]["source"] = "rate = 0.05  # mine"

    tab.before = user_types
    prompt(kernel, tab, "Accept")
    assert tab.cells[0]["source"] == "rate = 0.05  # mine"
    (answer,) = tool_messages(kernel)
    assert answer.startswith("Error: code cell [2] (id c1) changed after this edit was proposed")
    assert "nothing was changed" in answer and "rate = 0.05  # mine" in answer
    assert "-rate = 0.05  # mine\n+rate = 0.2" in answer  # the new diff
    (replace,) = [r for r in tab.requests if r["op"] == "replace"]
    assert replace["expected"] == "rate = 0.1"


def test_a_call_let_through_unasked_changes_nothing_even_if_it_could_later(
    kernel: Kernel, tabs: list
) -> None:
    tab = open_tab(kernel, tabs)
    reads: list[str] = []

    def first_read_fails(request: dict[str, Any]) -> None:
        if request["op"] == "read" and not reads:
            reads.append(request["id"])
            request["op"] = "busy"  # the tab refuses it: the review finds no notebook

    tab.before = first_read_fails
    configure(kernel, call("notebook_insert", source="print(1)"), "Fine.")
    _, widgets = prompt(kernel, tab)
    assert widgets.questions_seen() == []  # nothing would change: nobody was asked
    assert [r["op"] for r in tab.requests] == ["busy"]  # and nothing was written after
    assert len(tab.cells) == 1
    (answer,) = tool_messages(kernel)
    assert answer == (
        "Error: the notebook frontend refused 'read': unknown op 'busy'; nothing was changed"
    )


def test_without_a_bridge_nothing_is_asked_or_changed_and_the_run_goes_on(
    kernel: Kernel,
) -> None:
    configure(
        kernel,
        call("notebook_insert", source="print(1)"),
        call("notebook_run", cell="above"),
        "Carried on.",
    )
    result, widgets = prompt(kernel, None)
    assert result.markdown == ["Carried on."]
    assert widgets.questions_seen() == []
    # A failed result (the loop marks it "Error: "), and the line the model reads.
    assert tool_messages(kernel) == [f"Error: {NO_BRIDGE}"] * 2


def test_headless_under_nbclient_each_write_tool_says_so_and_nobody_is_asked(
    tmp_path: Path,
) -> None:
    """nbclient (papermill, nbconvert): no bridge, no view. Each write tool answers the one
    line, no question is decided for nobody, and the run goes on."""
    plan = {
        "session": {"orchestrator": "loop-notebook", "context": "context-notebook"},
        "providers": [
            {
                "module": "provider-scripted",
                "config": {
                    "script": [
                        call("notebook_insert", source="print(1)"),
                        call("notebook_edit", cell="1", source="x = 2"),
                        call("notebook_run", cell="above"),
                        "Carried on.",
                    ]
                },
            }
        ],
        "tools": [{"module": "tool-notebook-edit"}],
    }
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext amplifier_jupyter"),
        nbformat.v4.new_code_cell(f"_plan = {plan!r}\n%amplifier config _plan"),
        nbformat.v4.new_code_cell("%%amplifier\nEdit the notebook."),
        nbformat.v4.new_code_cell(
            "import json\nfrom amplifier_jupyter.session.kernel import kernel_session as _ks\n"
            "print(json.dumps([m['content'] for m in await _ks().messages() "
            "if m['role'] == 'tool']))"
        ),
    ]
    client = NotebookClient(
        nb, timeout=60, store_widget_state=False, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute(env=offline_env())
    run, tools = nb.cells[2], nb.cells[3]
    printed = "".join(o.get("text", "") for o in run.outputs if o.get("name") == "stdout")
    assert "nobody can answer" not in printed, printed
    assert "Carried on." in [o.data.get("text/markdown") for o in run.outputs if "data" in o]
    assert json.loads(tools.outputs[0]["text"]) == [f"Error: {NO_BRIDGE}"] * 3
