"""Approvals in a real kernel: the panel's buttons clicked over the widget protocol mid-run.

The click is what a frontend sends: a ``comm_msg`` on the shell channel while
the ``%%amplifier`` cell is still awaiting the agent (docs/design.md, fact 11).
"""

from __future__ import annotations

from typing import Any

import pytest
from kernel_harness import Kernel
from widget_comms import (
    Widgets,
    click,
    configure,
    execute,
    run_python,
    sent_to_model,
    tool_calls,
    tool_messages,
)

from amplifier_jupyter.commands.run import APPROVE_USAGE

OPTIONS = ["Allow once", "Allow always", "Deny"]


@pytest.fixture(autouse=True)
def default_policy(kernel: Kernel) -> None:
    """Each test starts from the default approval policy, whatever the test before it set."""
    assert "default auto" in kernel.execute("%amplifier approve auto --timeout 120").stdout


def echo_call(text: str) -> dict[str, Any]:
    return {"text": "Let me echo.", "tool_calls": [{"name": "echo", "input": {"text": text}}]}


def clicking(kernel: Kernel, widgets: Widgets, label: str, times: int = 1):
    """An iopub callback that clicks the button ``label`` as soon as one shows."""
    clicked: list[Any] = []

    def on_message(msg: dict[str, Any]) -> None:
        widgets.feed(msg)
        button = widgets.enabled_button(label)
        if button is not None and button not in clicked and len(clicked) < times:
            clicked.append(button)
            click(kernel, button)

    return on_message, clicked


def cards(widgets: Widgets) -> list[dict[str, Any]]:
    return widgets.questions_seen()


def timeline(widgets: Widgets) -> str:
    return widgets.timeline()


def test_allow_once_runs_the_tool_and_its_result_reaches_the_model(kernel: Kernel) -> None:
    configure(kernel, [echo_call("hi"), "Echoed."])
    kernel.execute("%amplifier approve ask")
    widgets = Widgets()
    on_message, clicked = clicking(kernel, widgets, "Allow once")
    result = execute(kernel, "%%amplifier\nPlease echo hi.", on_message)
    assert result.ok and clicked, (result.stdout, result.stderr)
    assert result.markdown == ["Echoed."]
    # The question says which tool wants to do what, with exactly Amplifier's options.
    (card,) = cards(widgets)
    question = card["question_html"]
    assert "<b>echo</b>" in question and "&quot;hi&quot;" in question
    assert card["options"] == OPTIONS
    countdown = card["countdown_html"]
    assert "Deny in" in countdown and "if no answer" in countdown
    # The tool ran, its result went back to the model, and the decision is in the timeline.
    assert tool_calls(kernel)[-1] == ["echo", {"text": "hi"}]
    assert sent_to_model(kernel) == ["echo: hi"]
    assert "echo: Allow once" in timeline(widgets)
    # The answered card left the panel (its last state before the summary replaced it).
    assert widgets.approvals() == []


def test_deny_keeps_the_tool_from_running_and_tells_the_model(kernel: Kernel) -> None:
    configure(kernel, [echo_call("secret"), "Understood."])
    before = len(tool_calls(kernel))
    widgets = Widgets()
    on_message, clicked = clicking(kernel, widgets, "Deny")
    result = execute(kernel, "%%amplifier\nPlease echo.", on_message)
    assert result.ok and clicked and result.markdown == ["Understood."]
    assert len(tool_calls(kernel)) == before
    assert sent_to_model(kernel) == ["Denied by hook: the user denied it"]
    assert "echo: the user denied it" in timeline(widgets)


def test_allow_always_holds_for_the_rest_of_the_session(kernel: Kernel) -> None:
    configure(kernel, [echo_call("one"), echo_call("two"), "Both done.", echo_call("three"), "3."])
    kernel.execute("%amplifier approve ask")
    before = len(tool_calls(kernel))
    widgets = Widgets()
    on_message, clicked = clicking(kernel, widgets, "Allow always", times=5)
    result = execute(kernel, "%%amplifier\nEcho twice.", on_message)
    assert result.ok and result.markdown == ["Both done."]
    # One question for two calls: the second was not asked.
    assert len(clicked) == 1 and len(cards(widgets)) == 1
    assert [c[1]["text"] for c in tool_calls(kernel)[before:]] == ["one", "two"]
    assert "always allowed: echo" in kernel.execute("%amplifier approve").stdout
    # Still so in the next cell.
    later = Widgets()
    result = execute(kernel, "%%amplifier\nOnce more.", later.feed)
    assert result.markdown == ["3."] and not cards(later)
    assert tool_calls(kernel)[-1] == ["echo", {"text": "three"}]


def test_an_unanswered_question_times_out_to_deny_and_says_so(kernel: Kernel) -> None:
    configure(kernel, [echo_call("late"), "No answer, then."])
    assert "timeout 0.5s" in kernel.execute("%amplifier approve ask --timeout 0.5").stdout
    before = len(tool_calls(kernel))
    widgets = Widgets()
    result = execute(kernel, "%%amplifier\nPlease echo.", widgets.feed)
    assert result.ok and result.markdown == ["No answer, then."]
    assert len(tool_calls(kernel)) == before
    note = "no answer within 0.5s: deny applied"
    assert tool_messages(kernel) == [f"Denied by hook: {note}"]
    assert f"echo: {note}" in timeline(widgets)


def test_policy_commands_allow_and_deny_without_asking(kernel: Kernel) -> None:
    configure(kernel, [echo_call("a"), "Ran.", echo_call("b"), "Refused."])
    assert "echo allow" in kernel.execute("%amplifier approve allow echo").stdout
    widgets = Widgets()
    assert execute(kernel, "%%amplifier\nGo.", widgets.feed).markdown == ["Ran."]
    assert not cards(widgets)
    assert "default deny" in kernel.execute("%amplifier approve deny").stdout
    assert execute(kernel, "%%amplifier\nGo.", widgets.feed).markdown == ["Refused."]
    assert tool_messages(kernel)[-1] == "Denied by hook: the approval policy denies this tool"
    for bad, expected in {
        "%amplifier approve sometimes": "the mode is ask, allow or deny",
        "%amplifier approve --timeout soon": "--timeout needs a number of seconds, not 'soon'",
        "%amplifier approve ask --fast": "unknown option --fast",
        # The usage line is the command's own, not the cell magic's.
        '%amplifier approve ask "python': "quotation in the magic's options. " + APPROVE_USAGE,
    }.items():
        result = kernel.execute(bad)
        assert result.stderr.strip().splitlines() == [result.stderr.strip()] and expected in (
            result.stderr
        ), bad
    # The --name=value spelling that %%amplifier's options accept works here too.
    assert "timeout 30s" in kernel.execute("%amplifier approve --timeout=30").stdout


HOOK = """
from amplifier_core import HookResult
async def _guard(event, data):
    if event == "tool:pre":
        return HookResult(action="ask_user", approval_prompt="Let the guard pass this call?",
                          approval_options=["Allow", "Deny"], approval_timeout=30)
    # What the kernel does with a hook's user_message (amplifier-core drops it from a
    # "continue" result when merging, so the hook says it through the display system).
    _ks().display_system.show_message("the guard saw the result", "warning", "hook:guard")
    return HookResult(action="continue")
for _event in ("tool:pre", "tool:post"):
    _ks().session.coordinator.hooks.register(_event, _guard, name="guard")
_decisions = []
_ks().add_listener(lambda e, d: _decisions.append((e, d.get("source"), d.get("tool_name")))
                       if e.startswith("approval:") else None)
"""


def test_a_hooks_question_uses_its_own_options_and_its_message_joins_the_timeline(
    kernel: Kernel,
) -> None:
    configure(kernel, ["warm-up", echo_call("guarded"), "Guarded echo done."])
    kernel.execute("%amplifier approve allow echo")
    execute(kernel, "%%amplifier\nwarm up")  # the session exists: the hook can be added
    run_python(
        kernel, "from amplifier_jupyter.session.kernel import kernel_session as _ks\n" + HOOK
    )
    widgets = Widgets()
    on_message, clicked = clicking(kernel, widgets, "Allow")
    result = execute(kernel, "%%amplifier\nEcho, past the guard.", on_message)
    assert result.ok and clicked and result.markdown == ["Guarded echo done."]
    question = cards(widgets)[0]["question_html"]
    assert "Let the guard pass this call?" in question
    assert tool_calls(kernel)[-1] == ["echo", {"text": "guarded"}]
    assert timeline(widgets).count("Let the guard pass this call?: Allow") == 1
    # The loop says how the hook's question was decided, as for its own questions.
    decided = run_python(kernel, "print(_decisions)")
    assert decided.strip() == "[('approval:granted', 'hook', 'echo')]"
    assert "hook:guard: the guard saw the result" in timeline(widgets)


PLAIN_SESSION = """
import amplifier_jupyter
from amplifier_core import AmplifierSession
approvals = amplifier_jupyter.ApprovalSystem()
display = amplifier_jupyter.DisplaySystem()
session = AmplifierSession(_plan, approval_system=approvals, display_system=display)
session.coordinator.loader = __import__("amplifier_jupyter.loading.resolver", fromlist=["x"]) \\
    .NotebookModuleLoader(coordinator=session.coordinator)
approvals.watch(session.coordinator)
await session.initialize()
display.show_message("plain session ready", "info", "test")
print(await session.execute("echo please"))
await session.cleanup()
"""


def test_the_public_systems_work_with_a_plain_amplifier_session(kernel: Kernel) -> None:
    configure(kernel, [echo_call("plain"), "Plain echo done."])
    widgets = Widgets()
    on_message, clicked = clicking(kernel, widgets, "Allow once")
    result = execute(kernel, PLAIN_SESSION, on_message)
    assert result.ok, result.error
    assert clicked and result.stdout.strip() == "Plain echo done."
    assert tool_calls(kernel)[-1] == ["echo", {"text": "plain"}]
    # No panel: the card stood alone in the cell and became its one-line outcome (HTML),
    # and the widget closed; the hook's message was one line of HTML, never a widget.
    (card,) = cards(widgets)
    (summary,) = widgets.summaries.values()
    assert "echo: Allow once" in summary["text/html"] and widgets.alive() == []
    shown = [m["content"]["data"] for m in result.messages if m["msg_type"] == "display_data"]
    assert 'class="amplifier-message"' in shown[0]["text/html"]
    assert "test: plain session ready" in shown[0]["text/html"]
    # Where widgets do not render (GitHub, nbval), both read as one line of text.
    plain = [data["text/plain"] for data in shown]
    assert plain == [
        "test: plain session ready",
        "amplifier question: Allow the tool 'echo' to run with: "
        '{"text": "plain"} [Allow once / Allow always / Deny]',
    ]
    assert summary["text/plain"] == "✓ echo: Allow once"
