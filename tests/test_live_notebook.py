"""The live notebook's shape (notebook_context/live.py): a read reply checked, cells found by
id and count, notes above a cell, and the rendering --notebook sends."""

from __future__ import annotations

import pytest

from amplifier_jupyter.notebook_context.live import BadSnapshot, parse_snapshot, render_live

REPLY = {
    "path": "work/analysis.ipynb",
    "client_id": "tab-1",
    "active_cell_id": "c2",
    "cells": [
        {"id": "m1", "cell_type": "markdown", "source": "# Load"},
        {"id": "m2", "cell_type": "markdown", "source": "From the CSV."},
        {
            "id": "c1",
            "cell_type": "code",
            "source": "df = load()",
            "execution_count": 3,
            "outputs": [{"output_type": "stream", "text": "loaded\n"}],
        },
        {"id": "c2", "cell_type": "code", "source": "%%amplifier\nWhy?", "execution_count": None},
    ],
}


def test_a_reply_becomes_a_notebook() -> None:
    notebook = parse_snapshot(REPLY, running_cell_id="c2")
    assert notebook.name == "analysis.ipynb"
    assert [c.id for c in notebook.cells] == ["m1", "m2", "c1", "c2"]
    assert notebook.by_count(3) is notebook.cell("c1")
    assert notebook.by_count(4) is None
    assert [c.source for c in notebook.notes_above("c1")] == ["# Load", "From the CSV."]
    assert notebook.notes_above("c2") == []


def test_the_rendering_marks_the_running_prompt_and_keeps_markdown() -> None:
    text = render_live(parse_snapshot({**REPLY, "active_cell_id": "c1"}, running_cell_id="c2"))
    assert text.startswith("[0] markdown:\n# Load\n\n[1] markdown:\nFrom the CSV.")
    assert "[2] code, In [3] (active):\n```python\ndf = load()\n```\noutput:\nloaded" in text
    assert "[3] code, In [ ] (this prompt):\n```python\n%%amplifier\nWhy?\n```" in text


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ({}, "the reply has no list of cells"),
        ({"cells": ["x"]}, "cell 0 is not an object"),
        ({"cells": [{"id": 1, "cell_type": "code", "source": ""}]}, "cell 0 lacks a string id"),
        (
            {"cells": [{"id": "a", "cell_type": "code", "source": "", "outputs": {}}]},
            "cell 0: outputs is not a list",
        ),
    ],
)
def test_a_reply_that_is_not_a_notebook_is_refused_in_one_line(reply: object, problem: str) -> None:
    with pytest.raises(BadSnapshot, match=problem):
        parse_snapshot(reply)
