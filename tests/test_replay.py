"""Recorded model calls replay (issue 21), in real kernels: provider-claude and the real
SDK against the fake Messages API to record, then a new kernel with the fake stopped and
no API key to replay."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_anthropic import FakeAnthropic
from kernel_harness import CellResult, Kernel, offline_env, ok

NOTEBOOK = "analysis.ipynb"
RECORD = NOTEBOOK + ".amplifier-replay.jsonl"
QUESTIONS = ("What is 2 + 2?", "Name the answer's parity.")


def kernel_env(folder: Path, url: str, *, key: bool) -> dict[str, str]:
    env = offline_env(JPY_SESSION_NAME=str(folder / NOTEBOOK), ANTHROPIC_BASE_URL=url)
    if key:
        env["ANTHROPIC_API_KEY"] = "test-key"
    return env


@contextlib.contextmanager
def amplifier_kernel(folder: Path, url: str, *, key: bool) -> Iterator[Kernel]:
    """A kernel in ``folder`` (its notebook: NOTEBOOK) with the extension loaded."""
    with Kernel(env=kernel_env(folder, url, key=key), cwd=str(folder)) as kernel:
        ok(kernel, "%load_ext amplifier_jupyter")
        yield kernel


def ask(kernel: Kernel, question: str, flags: str = "") -> str:
    result = ok(kernel, f"%%amplifier {flags}\n{question}")
    assert result.markdown, result.stdout + result.stderr
    return result.markdown[-1]


def strict_line(result: CellResult) -> str:
    """The one line a cell refused by replay strict fails with."""
    assert result.error is not None, result.stdout + result.stderr
    (line,) = result.error["traceback"]
    assert line.startswith("amplifier: replay strict: cell ["), line
    return line


def records(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / RECORD).read_text().splitlines()]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / NOTEBOOK).write_text(json.dumps({"cells": [], "nbformat": 4, "nbformat_minor": 5}))
    return tmp_path


@pytest.fixture
def recorded(folder: Path) -> Iterator[tuple[Path, list[str], str]]:
    """Two answers recorded against the fake; yields the folder, the answers, a dead URL."""
    with FakeAnthropic() as fake:
        fake.enqueue("Four.", "Even.")
        with amplifier_kernel(folder, fake.url, key=True) as kernel:
            on = ok(kernel, "%amplifier replay on")
            assert "holds your prompts" in on.stdout
            answers = [ask(kernel, q) for q in QUESTIONS]
        url = fake.url
        assert len(fake.requests) == 2
    yield folder, answers, url


def test_a_record_replays_in_a_new_kernel_without_the_api_or_a_key(
    recorded: tuple[Path, list[str], str],
) -> None:
    folder, answers, dead_url = recorded
    assert answers == ["Four.", "Even."]
    lines = (folder / RECORD).read_text().splitlines()
    assert len(lines) == 2
    for line in lines:
        assert json.loads(line) and line == json.dumps(
            json.loads(line), sort_keys=True, ensure_ascii=False
        )
        assert "test-key" not in line and dead_url not in line
    assert "ANTHROPIC_API_KEY" not in os.environ or os.environ["ANTHROPIC_API_KEY"] not in lines[0]
    with amplifier_kernel(folder, dead_url, key=False) as kernel:
        ok(kernel, "%amplifier replay strict")
        assert [ask(kernel, q) for q in QUESTIONS] == answers
        status = ok(kernel, "%amplifier status").stdout
        assert "2 replayed ($0; $" in status and "0 live" in status, status
        # The same question as a third turn is another call: strict fails the cell, in a line.
        third = kernel.execute("%%amplifier\nWhat is 2 + 2?")
        assert not third.ok and third.error is not None
        assert third.error["traceback"] == [strict_line(third)], third.error
        assert (
            "is this conversation up to message 3; this call goes on to message 5 (user): "
            "'What is 2 + 2?'"
        ) in strict_line(third)


def test_strict_names_what_differs_from_the_nearest_record(
    recorded: tuple[Path, list[str], str],
) -> None:
    folder, _answers, dead_url = recorded
    with amplifier_kernel(folder, dead_url, key=False) as kernel:
        ok(kernel, "%amplifier replay strict")
        result = kernel.execute("%%amplifier\nWhat is 2 + 5?")
        said = strict_line(result)
        assert "not on record in " + RECORD in said, said
        assert "differs in message" in said and "'What is 2 + 5?'" in said, said
        # The session survives: the recorded question still replays in it.
        ok(kernel, "%amplifier reset")
        assert ask(kernel, QUESTIONS[0]) == "Four."


def test_another_model_misses_the_record(recorded: tuple[Path, list[str], str]) -> None:
    folder, _answers, dead_url = recorded
    with amplifier_kernel(folder, dead_url, key=False) as kernel:
        ok(kernel, "%amplifier replay strict")
        result = kernel.execute(f"%%amplifier --model claude-opus-4-5\n{QUESTIONS[0]}")
        said = strict_line(result)
        assert "differs in the model: 'claude-opus-4-5'" in said, said


def test_fresh_calls_the_model_and_replaces_the_record(
    recorded: tuple[Path, list[str], str],
) -> None:
    folder, _answers, _dead = recorded
    before = records(folder)
    with FakeAnthropic() as fake:
        fake.enqueue("Four, freshly.")
        with amplifier_kernel(folder, fake.url, key=True) as kernel:
            ok(kernel, "%amplifier replay on")
            assert ask(kernel, QUESTIONS[0], "--fresh") == "Four, freshly."
            assert len(fake.requests) == 1
            ok(kernel, "%amplifier reset")
            assert ask(kernel, QUESTIONS[0]) == "Four, freshly."  # replayed, not asked
            assert len(fake.requests) == 1
    after = records(folder)
    assert [r["key"] for r in after] == [r["key"] for r in before]
    assert after[1] == before[1] and after[0] != before[0]
