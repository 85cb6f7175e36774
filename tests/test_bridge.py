"""The kernel–frontend bridge in a real kernel, with fake tabs speaking its protocol over
real comm messages (tests/bridge_frontend.py): reads, edits, the tab a request goes to,
timeouts, and a kernel with no tab."""

from __future__ import annotations

import json

from bridge_frontend import FakeFrontend, code, markdown, run
from kernel_harness import Kernel


def open_tab(kernel: Kernel, tabs: list[FakeFrontend], **fields: object) -> FakeFrontend:
    tab = FakeFrontend(kernel, **fields).open()  # type: ignore[arg-type]
    tabs.append(tab)
    return tab


def test_no_tab_no_bridge(kernel: Kernel) -> None:
    result = kernel.execute(
        "import amplifier_jupyter.bridge as _b\nprint(_b.current())\n"
        "try:\n    await _b.NotebookBridge().read()\nexcept _b.NotConnected as e:\n    print(e)"
    )
    assert result.ok, result.error
    first, second = result.stdout.strip().splitlines()
    assert first == "None"
    assert second.startswith("no amplifier-jupyter notebook bridge is connected")


def test_read_gives_every_cell_and_the_running_one(kernel: Kernel, tabs: list) -> None:
    cells = [
        markdown("m1", "# Cleaning\nDrop the empty rows."),
        code("c1", "x = 2  # edited, not run", 1, [{"output_type": "stream", "text": "hi\n"}]),
    ]
    tab = open_tab(kernel, tabs, cells=cells)
    result = run(
        kernel,
        "import amplifier_jupyter.bridge as _b, json\n"
        "_nb = await _b.current().read()\n"
        "print(json.dumps([_nb.path, _nb.active_cell_id, [(c.id, c.cell_type, c.source, "
        "c.execution_count, c.outputs) for c in _nb.cells]]))",
        tab,
    )
    assert result.ok, result.error
    path, active, read = json.loads(result.stdout)
    assert path == "analysis.ipynb" and active == "c1"
    assert read == [
        ["m1", "markdown", "# Cleaning\nDrop the empty rows.", None, []],
        ["c1", "code", "x = 2  # edited, not run", 1, [{"output_type": "stream", "text": "hi\n"}]],
    ]
    assert [r["op"] for r in tab.requests] == ["read"]
    assert tab.events == [{"event": "ready", "version": 1}]  # the open was accepted


def test_insert_replace_and_run(kernel: Kernel, tabs: list) -> None:
    tab = open_tab(kernel, tabs, cells=[code("c1", "a = 1", 1)])
    result = run(
        kernel,
        "import amplifier_jupyter.bridge as _b\n_br = _b.current()\n"
        "_new = await _br.insert_cell('# Notes', 'markdown', after='c1')\n"
        "await _br.replace_source('c1', 'a = 2', expected='a = 1')\n"
        "try:\n    await _br.replace_source('c1', 'a = 3', expected='a = 1')\n"
        "except _b.SourceChanged as e:\n    print('refused:', e.current)\n"
        "print(await _br.queue_run('c1'), _new.index)",
        tab,
    )
    assert result.ok, result.error
    assert result.stdout.splitlines() == ["refused: a = 2", "queued 1"]
    assert [(c["cell_type"], c["source"]) for c in tab.cells] == [
        ("code", "a = 2"),
        ("markdown", "# Notes"),
    ]
    assert tab.queued == ["c1"]


def test_insert_goes_below_the_running_cell(kernel: Kernel, tabs: list) -> None:
    tab = open_tab(kernel, tabs, cells=[code("c1", "a = 1", 1), code("c2", "b = 2", 2)])
    result = run(
        kernel,
        "import amplifier_jupyter.bridge as _b\n"
        "print((await _b.current().insert_cell('new')).index)",
        tab,
        cell_id="c1",
    )
    assert result.ok, result.error
    assert tab.requests[0]["after"] == "c1"
    assert result.stdout.strip() == "1"


def test_a_request_goes_to_one_tab_the_focused_one(kernel: Kernel, tabs: list) -> None:
    first = open_tab(kernel, tabs, cells=[code("c1", "a = 1", 1)])
    second = open_tab(kernel, tabs, cells=[code("c1", "a = 1", 1)])
    insert = (
        "import amplifier_jupyter.bridge as _b\nawait _b.current().insert_cell('x', after='c1')"
    )
    assert run(kernel, insert, first, second).ok
    # The newest tab was the last opened; the first then takes the focus.
    assert (len(first.requests), len(second.requests)) == (0, 1)
    first.focus()
    assert run(kernel, insert, first, second).ok
    assert (len(first.requests), len(second.requests)) == (1, 1)
    # The focused tab closes: the request goes to the other.
    first.close()
    tabs.remove(first)
    assert run(kernel, insert, first, second).ok
    assert (len(first.requests), len(second.requests)) == (1, 2)
    assert len(second.cells) == 3 and len(first.cells) == 2


def test_no_answer_is_a_clear_error(kernel: Kernel, tabs: list) -> None:
    tab = open_tab(kernel, tabs, answers=False)
    result = run(
        kernel,
        "import amplifier_jupyter.bridge as _b\n"
        "try:\n    await _b.NotebookBridge(timeout=0.5).read()\n"
        "except _b.BridgeTimeout as e:\n    print(e)",
        tab,
    )
    assert result.ok, result.error
    assert result.stdout.strip().startswith("the notebook frontend did not answer 'read' within")
    assert len(tab.requests) == 1


def test_a_refusal_is_a_clear_error(kernel: Kernel, tabs: list) -> None:
    tab = open_tab(kernel, tabs)
    result = run(
        kernel,
        "import amplifier_jupyter.bridge as _b\n"
        "try:\n    await _b.current().queue_run('nope')\n"
        "except _b.BridgeError as e:\n    print(e)",
        tab,
    )
    assert result.stdout.strip() == "the notebook frontend refused 'run': no cell with id nope"


def test_unload_closes_the_bridge(kernel: Kernel, tabs: list) -> None:
    open_tab(kernel, tabs)
    result = kernel.execute(
        "%unload_ext amplifier_jupyter\nimport amplifier_jupyter.bridge as _b\n"
        "print(_b.connected())\n%load_ext amplifier_jupyter"
    )
    assert result.ok, result.error
    assert result.stdout.strip().splitlines()[0] == "False"
    tabs.clear()
