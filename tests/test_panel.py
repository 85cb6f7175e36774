"""The panel in a real kernel, read from the widget messages a frontend would receive."""

from __future__ import annotations

import json

from kernel_harness import Kernel
from waiting import in_kernel_until
from widget_comms import INSPECT, SUMMARY_MIME, Widgets, configure, execute, run_python

BUSY = (
    "amplifier: an agent run is still going in this kernel: wait for it (%amplifier wait) "
    "or stop it (%amplifier stop)"
)


def test_the_answer_streams_then_gives_way_to_the_final_markdown(kernel: Kernel) -> None:
    text = " ".join(f"word{i}" for i in range(60)) + " **end**."
    configure(kernel, [text], chunk_delay=0.01)
    widgets = Widgets()
    result = execute(kernel, "%%amplifier\nTalk for a while.", widgets.feed)
    assert result.ok and result.stderr == ""
    # The panel: one widget output whose plain-text form is short and stable.
    (panel,) = [m for m in result.messages if m["msg_type"] == "display_data"][:1]
    assert panel["content"]["data"]["text/plain"].startswith("amplifier panel")
    assert "application/vnd.jupyter.widget-view+json" in panel["content"]["data"]
    assert len(widgets.panels()) == 1 and widgets.opened == 1  # one widget, one comm
    streamed = widgets.streamed()
    partial = [s for s in streamed if s and s != text]
    assert partial and all(text.startswith(s) for s in partial)  # it grew as it came
    assert streamed[-1] == text  # every character, once, in order
    assert result.markdown == [text]  # then the answer as a plain Markdown output
    # The panel gave way to its summary (static HTML) and closed: no widget is left.
    summary = widgets.summary()
    assert summary is not None and widgets.alive() == []
    # Static rows any sanitizer keeps; the lab extension folds them from their data.
    assert "<details" not in summary["text/html"] and summary[SUMMARY_MIME]["rows"]
    assert "Talk for a while." in widgets.timeline()
    assert "Done in" in widgets.status() and "1 model call" in widgets.status()
    assert summary["text/plain"].startswith("amplifier: Done in")
    assert "application/vnd.jupyter.widget-view+json" not in summary


def test_a_fast_stream_is_coalesced_and_complete(kernel: Kernel) -> None:
    text = " ".join(f"w{i}" for i in range(2000))
    configure(kernel, [text], chunk_delay=0.0005)
    widgets = Widgets()
    result = execute(kernel, "%%amplifier\nStream fast.", widgets.feed)
    assert result.ok and result.markdown == [text]
    updates = [c for c in widgets.chunks if c.message["text"]]
    # 2,000 deltas, far fewer updates: at most one per 50 ms of the stream (a rate: a
    # loaded machine makes the stream longer, not the updates denser; 45 ms for the clock
    # of the message dates), the last one sooner (the end of the block flushes); and the
    # last one holds every character.
    span = (updates[-1].date - updates[0].date).total_seconds()
    assert 2 <= len(updates) <= span / 0.045 + 2, (len(updates), span)
    gaps = [
        (b.date - a.date).total_seconds() for a, b in zip(updates[:-2], updates[1:-1], strict=True)
    ]
    # A message is dated when it is sent, not when the coalescer pushed: on a busy machine
    # a push preempted in between shortens the gap after it. Most gaps keep the interval;
    # without coalescing (a push per delta) nearly none would.
    short = [gap for gap in gaps if gap < 0.045]
    assert len(short) <= len(gaps) // 4 + 1, gaps
    assert updates[-1].answer == text
    # Each character went once: appended chunks, not the whole text again and again.
    assert sum(len(c.message["text"]) for c in updates) == len(text)


def test_a_failure_shows_in_the_panel_and_as_one_line(kernel: Kernel) -> None:
    configure(kernel, [], when_exhausted="error")
    widgets = Widgets()
    result = execute(kernel, "%%amplifier\nAnything.", widgets.feed)
    assert result.ok
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("amplifier: ") and "all are used" in line
    status = widgets.status()
    assert "Failed after" in status and "all are used" in status
    assert "ScriptError" in widgets.timeline()
    assert widgets.alive() == []


def test_background_returns_at_once_refuses_a_second_run_and_wait_awaits_it(
    kernel: Kernel,
) -> None:
    text = " ".join(f"slow{i}" for i in range(40))
    configure(kernel, [text], chunk_delay=0.03)
    widgets = Widgets()
    started = execute(kernel, "%%amplifier --background\nTake your time.", widgets.feed)
    assert started.ok and started.markdown == [] and started.stderr == ""
    seen: list[dict] = []

    def feed(msg: dict) -> None:
        seen.append(msg)
        widgets.feed(msg)

    free = execute(kernel, "print('the notebook is free')", feed)
    assert free.stdout == "the notebook is free\n"
    second = execute(kernel, "%%amplifier\nMe too.", feed)
    assert second.stderr.strip() == BUSY
    waited = execute(kernel, "%amplifier wait", feed)
    assert waited.stdout.strip() == "amplifier: the background run finished"
    assert json.loads(kernel.execute("import json; print(json.dumps(_amplifier))").stdout) == text
    # With no cell left to show it in, the panel shows the final answer itself, and stays.
    assert widgets.answer() == text and widgets.summary() is None
    assert "Done in" in widgets.status() and not widgets.running()
    assert kernel.execute("%amplifier wait").stdout.strip() == (
        "amplifier: no background run to wait for"
    )


def test_hook_messages_and_context_lines_join_the_timeline(kernel: Kernel) -> None:
    configure(kernel, ["Noted."])
    kernel.execute("secret_number = 42")
    code = (
        "from amplifier_jupyter.session.kernel import kernel_session as _ks\n"
        "_ks().display_system.show_message('outside a run', 'info', 'test')"
    )
    outside = Widgets()
    outside_messages = execute(kernel, code, outside.feed).messages
    (line,) = [m for m in outside_messages if m["msg_type"] == "display_data"]
    assert 'class="amplifier-message"' in line["content"]["data"]["text/html"]
    assert "test: outside a run" in line["content"]["data"]["text/html"]
    assert outside.states == {}  # a line of HTML, not a widget
    widgets = Widgets()
    result = execute(kernel, "%%amplifier --vars secret_number\nRemember it.", widgets.feed)
    assert "sent: secret_number" in result.stdout
    assert "sent: secret_number" in widgets.timeline()


def test_a_reset_stops_a_background_run_first(kernel: Kernel) -> None:
    configure(kernel, [" ".join(f"w{i}" for i in range(400)), "Fresh."], chunk_delay=0.02)
    widgets = Widgets()
    assert execute(kernel, "%%amplifier --background\nTalk.", widgets.feed).ok
    # Once the agent is under way (an awaiting cell lets it go on)...
    started = "from amplifier_jupyter.session.kernel import kernel_session as _ks\n"
    started += in_kernel_until("_ks().running is not None", "the background run to start")
    assert execute(kernel, started, widgets.feed).ok
    reset = execute(kernel, "%amplifier reset", widgets.feed)
    assert reset.ok and "session ended" in reset.stdout and reset.stderr == ""
    assert "Stopped after" in widgets.status()
    waited = kernel.execute("%amplifier wait")
    assert waited.stdout.strip() == "amplifier: the background run was stopped"
    assert "no session yet" in kernel.execute("%amplifier status").stdout


def test_a_stop_while_the_session_starts_is_not_lost(kernel: Kernel) -> None:
    configure(kernel, ["First reply."], tools_config={"mount_gated": True})
    widgets = Widgets()
    # The first cell after a plan change starts the session; its tools' mount waits for
    # the test, so the stop comes while the session starts however slow the machine is.
    assert execute(kernel, "%%amplifier --background\nTalk.", widgets.feed).ok
    run_python(
        kernel,
        INSPECT + in_kernel_until("_tools.mount_waiting()", "the session to start mounting"),
    )
    assert kernel.execute("%amplifier stop").stdout == "amplifier: stop requested\n"
    run_python(kernel, INSPECT + "_tools.open_mount_gate()")
    waited = execute(kernel, "%amplifier wait", widgets.feed)
    assert waited.stdout.strip() == "amplifier: the background run was stopped"
    # The model was never asked: the next cell gets the script's first reply.
    assert execute(kernel, "%%amplifier\nAgain.").markdown == ["First reply."]


def test_a_child_cell_streams_its_own_answer(kernel: Kernel) -> None:
    # Slow enough (8 words, 0.4 s) to open the widget (ui/panel.py OPEN_AFTER).
    configure(kernel, ["The child answers in a stream of words."], chunk_delay=0.05)
    widgets = Widgets()
    result = execute(kernel, "%%amplifier --child helper\nHello, child.", widgets.feed)
    assert result.ok and result.markdown == ["The child answers in a stream of words."]
    assert widgets.answer() == "The child answers in a stream of words."
    assert "1 model call" in widgets.status()
    assert "helper › </span>scripted" not in widgets.timeline()  # its events are the cell's own


BROKEN_HOOK = """
from amplifier_jupyter.session.kernel import kernel_session as _ks
async def _broken(event, data):
    raise ValueError("hook exploded")
_ks().session.coordinator.hooks.register("content_block:delta", _broken, name="broken-hook")
"""


def test_a_hook_failing_on_every_delta_is_one_line_each_run(kernel: Kernel) -> None:
    words = " ".join(f"w{i}" for i in range(30))
    # One content_block:delta per word (no coalescing), so the hook fails 30 times a run.
    configure(kernel, ["warm", words, words, words], delta_interval=0)
    assert execute(kernel, "%%amplifier\nwarm up").ok  # the session exists: add the hook
    assert execute(kernel, BROKEN_HOOK).ok
    for run in range(3):
        result = execute(kernel, f"%%amplifier\nrun {run}")
        assert result.ok and result.markdown == [words]
        # 30 failures of one hook: one line with the count, in every run (not only the first).
        lines = [line for line in result.stdout.splitlines() if "hook exploded" in line]
        assert len(lines) == 1 and lines[0].endswith("(30 times)"), (run, result.stdout)


def test_a_child_cell_does_not_repeat_the_main_runs_hook_errors(kernel: Kernel) -> None:
    configure(kernel, ["warm", "main", "child"])
    assert execute(kernel, "%%amplifier\nwarm up").ok
    assert execute(kernel, BROKEN_HOOK.replace("content_block:delta", "prompt:submit")).ok
    main = execute(kernel, "%%amplifier\nmain run")
    assert main.ok and main.stdout.count("hook exploded") == 1
    # The child session has no such hook: the main run's error is not its to show again.
    child = execute(kernel, "%%amplifier --child helper\nchild run")
    assert child.ok and child.markdown and "hook exploded" not in child.stdout, child.stdout


def test_an_unexpected_error_still_ends_the_panel(kernel: Kernel) -> None:
    configure(kernel, ["unused"])
    assert execute(
        kernel,
        "from amplifier_jupyter.session.kernel import kernel_session as _ks\n"
        "async def _boom(*args, **kwargs):\n    raise RuntimeError('internal slip')\n"
        "_ks().execute = _boom",
    ).ok
    widgets = Widgets()
    try:
        result = execute(kernel, "%%amplifier\nAnything.", widgets.feed)
    finally:
        assert execute(kernel, "del _ks().execute").ok
    assert not result.ok and result.error["ename"] == "RuntimeError"
    # The panel does not go on saying it works (nor keep ticking) after the cell ended.
    status = widgets.status()
    assert "Failed after" in status and "internal slip" in status, status
    assert widgets.alive() == []
