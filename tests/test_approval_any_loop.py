"""Approvals hold for every orchestrator, and hooks that ask reach the panel (issue 13).

Real kernels; the buttons are clicked with comm messages mid-run, as a
frontend does (docs/design.md, fact 11). The plans mount the test modules of
tests/upstream_like, which behave as Amplifier's own modules were read and
measured to (docs/design.md, facts 23 and 24; each module's docstring says where):
``loop-basic-like`` and ``loop-streaming-like`` apply hook results through
``process_hook_result`` and know nothing of this project's policy,
``hooks-approval-like`` asks through a provider registered on
``approval.register_provider`` and denies without one, and ``tool-bash-like``
and ``tool-filesystem-like`` declare no ``read_only``. ``loop-heedless``
(tests/modules) stands for an orchestrator that applies no hook results.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kernel_harness import Kernel, offline_env
from widget_comms import Widgets, click, execute, run_python

UPSTREAM_LIKE = str(Path(__file__).parent / "upstream_like")
TEST_MODULES = str(Path(__file__).parent / "modules")
LOOPS = ["loop-basic-like", "loop-streaming-like", "loop-notebook"]
NO_PROVIDER_LINE = "auto-denying"


def like(module_id: str, **config: Any) -> dict[str, Any]:
    return {"module": module_id, "source": UPSTREAM_LIKE, "config": config}


def bash(command: str) -> dict[str, Any]:
    return {"text": "Running it.", "tool_calls": [{"name": "bash", "input": {"command": command}}]}


def read(path: str) -> dict[str, Any]:
    return {"text": "Reading.", "tool_calls": [{"name": "read_file", "input": {"file_path": path}}]}


def orchestrator(loop: str, **config: Any) -> Any:
    if loop == "loop-notebook":
        return {"module": "loop-notebook", "config": config}
    if loop == "loop-heedless":
        return {"module": "loop-heedless", "source": TEST_MODULES, "config": config}
    return like(loop, **config)


def configure(
    kernel: Kernel,
    loop: str,
    script: list[Any],
    folder: Path,
    *,
    hooks: list[dict[str, Any]] | None = None,
    **loop_config: Any,
) -> None:
    """A fresh session: ``loop``, provider-scripted with ``script``, bash and read_file in
    ``folder``. loop-streaming gets the provider without its ``stream`` flag, which the
    upstream loop would call (tests/upstream_like/README.md)."""
    plan = {
        "session": {
            "orchestrator": orchestrator(loop, **loop_config),
            "context": "context-notebook",
        },
        "providers": [
            {"module": "provider-scripted", "config": {"script": script, "stream": False}}
        ],
        "tools": [
            like("tool-bash-like", working_dir=str(folder)),
            like("tool-filesystem-like", working_dir=str(folder)),
        ],
        "hooks": hooks or [],
    }
    result = kernel.execute(f"_plan = {plan!r}\n%amplifier config _plan")
    assert result.ok and "plan set" in result.stdout, (result.stdout, result.stderr)
    if loop == "loop-streaming-like":
        run_python(kernel, NO_STREAM)


NO_STREAM = """
from amplifier_jupyter.session.kernel import kernel_session as _ks
_session = await _ks().ensure_session()
class _NoStream:
    def __init__(self, inner):
        self._inner = inner
    def __getattr__(self, name):
        if name == "stream":
            raise AttributeError(name)
        return getattr(self._inner, name)
await _session.coordinator.mount(
    "providers", _NoStream(_session.coordinator.get("providers")["scripted"]), name="scripted")
"""


def tool_messages(kernel: Kernel) -> list[str]:
    out = run_python(
        kernel,
        "from amplifier_jupyter.session.kernel import kernel_session as _ks\nimport json\n"
        "print(json.dumps([m['content'] for m in await _ks().messages() if m['role'] == 'tool']))",
    )
    return json.loads(out)


def cards(widgets: Widgets) -> list[dict[str, Any]]:
    return widgets.questions_seen()


def questions(widgets: Widgets) -> list[str]:
    return [card["question_html"] for card in cards(widgets)]


def timeline(widgets: Widgets) -> str:
    return widgets.all_timelines()


def approval_status(kernel: Kernel) -> str:
    lines = kernel.execute("%amplifier status").stdout.splitlines()
    return next(line for line in lines if line.startswith("approval"))


def clicking(kernel: Kernel, widgets: Widgets, label: str, before_click: Any = None):
    """Click ``label`` on every new card; ``before_click()`` runs first (what holds while
    the question waits)."""
    clicked: list[Any] = []

    def on_message(msg: dict[str, Any]) -> None:
        widgets.feed(msg)
        button = widgets.enabled_button(label)
        if button is not None and button not in clicked:
            if before_click is not None:
                before_click()
            clicked.append(button)
            click(kernel, button)

    return on_message, clicked


@pytest.fixture(autouse=True)
def default_policy(kernel: Kernel) -> Iterator[None]:
    yield
    kernel.execute("%amplifier approve auto --timeout 120")


# -- the policy under any loop that applies hook results ----------------------------------


@pytest.mark.parametrize("loop", LOOPS)
def test_approve_deny_keeps_the_tool_from_running(
    kernel: Kernel, loop: str, tmp_path: Path
) -> None:
    """Issue 13: under upstream loop-basic and loop-streaming, approve deny did nothing and
    tool-bash created its file. Now the policy's tool:pre deny is applied by the loop."""
    configure(kernel, loop, [bash("touch ran"), "Not run."], tmp_path)
    kernel.execute("%amplifier approve deny")
    widgets = Widgets()
    result = execute(kernel, "%%amplifier\nTouch it.", widgets.feed)
    assert result.ok and result.markdown == ["Not run."], (result.stdout, result.stderr)
    assert not (tmp_path / "ran").exists()
    assert not cards(widgets)
    assert tool_messages(kernel)[0].endswith("the approval policy denies this tool")
    assert "bash: the approval policy denies this tool" in timeline(widgets)
    # The policy status shows is the one that held: nothing says it is not applied.
    assert approval_status(kernel).split(None, 1)[1] == "default deny · timeout 120s"


@pytest.mark.parametrize("loop", LOOPS)
def test_an_asked_tool_waits_for_the_click(kernel: Kernel, loop: str, tmp_path: Path) -> None:
    """Upstream tool-bash declares no read_only, so auto asks; the loop waits for the
    answer inside the tool:pre hook, whatever the loop."""
    configure(kernel, loop, [bash("touch ran"), "Ran it."], tmp_path)
    waiting: list[bool] = []
    widgets = Widgets()
    on_message, clicked = clicking(
        kernel, widgets, "Allow once", lambda: waiting.append((tmp_path / "ran").exists())
    )
    result = execute(kernel, "%%amplifier\nTouch it.", on_message)
    assert result.ok and result.markdown == ["Ran it."], (result.stdout, result.stderr)
    assert clicked and waiting == [False]  # the card showed before anything ran
    assert (tmp_path / "ran").exists()
    (question,) = questions(widgets)
    assert "<b>bash</b>" in question and "touch ran" in question
    assert "bash: Allow once" in timeline(widgets)


@pytest.mark.parametrize("loop", ["loop-basic-like", "loop-streaming-like"])
def test_deny_timeout_and_allow_always_under_upstream_loops(
    kernel: Kernel, loop: str, tmp_path: Path
) -> None:
    """Upstream loops give the model "Denied by hook: <reason>": the click's reason, the
    timeout's note; Allow always holds for the next calls of the tool."""
    script = [bash("touch one"), "Refused.", bash("touch two"), "Late.", bash("touch three")]
    configure(kernel, loop, [*script, "Ran.", bash("touch four"), "Ran again."], tmp_path)
    widgets = Widgets()
    on_message, clicked = clicking(kernel, widgets, "Deny")
    assert execute(kernel, "%%amplifier\nOne.", on_message).markdown == ["Refused."]
    kernel.execute("%amplifier approve --timeout 0.5")
    assert execute(kernel, "%%amplifier\nTwo.", Widgets().feed).markdown == ["Late."]
    kernel.execute("%amplifier approve --timeout 120")
    on_message, always = clicking(kernel, Widgets(), "Allow always")
    assert execute(kernel, "%%amplifier\nThree.", on_message).markdown == ["Ran."]
    later = Widgets()
    assert execute(kernel, "%%amplifier\nFour.", later.feed).markdown == ["Ran again."]
    assert clicked and always and not cards(later)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["four", "three"]
    assert tool_messages(kernel)[:2] == [
        "Denied by hook: the user denied it",
        "Denied by hook: no answer within 0.5s: deny applied",
    ]
    assert "always allowed: bash" in approval_status(kernel)


def test_a_stop_while_the_question_waits_under_loop_basic(kernel: Kernel, tmp_path: Path) -> None:
    """Upstream loop-basic looks at the cancellation only between model calls; the
    question itself ends at once on Stop, and the tool does not run."""
    configure(kernel, "loop-basic-like", [bash("touch ran"), "never"], tmp_path)
    widgets = Widgets()
    asked: list[bool] = []

    def stop_once_asked(msg: dict[str, Any]) -> None:
        widgets.feed(msg)
        if widgets.enabled_button("Allow once") is not None and not asked:
            asked.append(True)
            click(kernel, widgets.enabled_button("Stop"))

    result = execute(kernel, "%%amplifier\nTouch it.", stop_once_asked, timeout=30)
    # (Before it, a line about loop-basic's usage as text, which issue 15 is about.)
    assert asked and result.ok and result.stdout.endswith("amplifier: stopped\n"), result.stderr
    assert not (tmp_path / "ran").exists()
    assert "bash: stopped: denied" in timeline(widgets)
    assert widgets.approvals() == []


# -- what auto lets through ---------------------------------------------------------------


def test_auto_runs_upstream_read_file_without_asking(kernel: Kernel, tmp_path: Path) -> None:
    """Issue 13: under auto, upstream read_file asked every time (it declares nothing).
    read_file is on the short list of upstream ids measured read-only; bash is not."""
    (tmp_path / "notes.txt").write_text("hello\n")
    configure(kernel, "loop-basic-like", [read("notes.txt"), "Read it."], tmp_path)
    widgets = Widgets()
    result = execute(kernel, "%%amplifier\nRead the notes.", widgets.feed)
    assert result.ok and result.markdown == ["Read it."] and not cards(widgets)
    assert "hello" in tool_messages(kernel)[0]


# -- hooks that ask -----------------------------------------------------------------------


def test_hooks_approval_asks_through_the_panel(kernel: Kernel, tmp_path: Path) -> None:
    """Upstream hooks-approval auto-denies without a registered provider (issue 13); the
    kernel session now registers one, as amplifier-app-cli does (fact 24). With the
    policy allowing bash, the hook's question is the only one: its card, the click decides."""
    script = [bash("touch first"), "Ran.", bash("touch second"), "Refused."]
    hooks = [like("hooks-approval-like")]
    configure(kernel, "loop-basic-like", script, tmp_path, hooks=hooks)
    kernel.execute("%amplifier approve allow bash")
    widgets = Widgets()
    on_message, clicked = clicking(kernel, widgets, "Allow once")
    result = execute(kernel, "%%amplifier\nFirst.", on_message)
    assert result.ok and result.markdown == ["Ran."], (result.stdout, result.stderr)
    assert clicked and (tmp_path / "first").exists()
    (question,) = questions(widgets)
    assert "<b>bash</b>" in question and "touch first" in question
    refused = Widgets()
    on_message, denied = clicking(kernel, refused, "Deny")
    assert execute(kernel, "%%amplifier\nSecond.", on_message).markdown == ["Refused."]
    assert denied and not (tmp_path / "second").exists()
    assert tool_messages(kernel)[-1] == "Denied by hook: the user denied it"
    assert NO_PROVIDER_LINE not in result.stderr + result.stdout


def test_policy_and_hooks_approval_ask_once(kernel: Kernel, tmp_path: Path) -> None:
    """Both would ask about bash (auto asks; hooks-approval always asks for bash): one
    card per call. Allow always on it also answers hooks-approval's later questions."""
    script = [bash("touch one"), "Ran.", bash("touch two"), "Ran too.", bash("touch three")]
    hooks = [like("hooks-approval-like")]
    configure(kernel, "loop-basic-like", [*script, "Ran again."], tmp_path, hooks=hooks)
    for label in ("Allow once", "Allow always"):
        widgets = Widgets()
        on_message, clicked = clicking(kernel, widgets, label)
        result = execute(kernel, "%%amplifier\nGo.", on_message)
        assert result.ok and result.markdown in (["Ran."], ["Ran too."]), result.stderr
        assert len(clicked) == 1 and len(cards(widgets)) == 1, label
        assert NO_PROVIDER_LINE not in result.stderr + result.stdout
    later = Widgets()
    assert execute(kernel, "%%amplifier\nThree.", later.feed).markdown == ["Ran again."]
    assert not cards(later)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "three", "two"]


def test_hooks_approval_timeout_none_waits_for_the_answer(kernel: Kernel, tmp_path: Path) -> None:
    """hooks-approval asks with timeout None by default: the card has no countdown and
    waits, past the policy's own timeout, until the click."""
    hooks = [like("hooks-approval-like")]
    configure(kernel, "loop-basic-like", [bash("touch ran"), "Ran."], tmp_path, hooks=hooks)
    kernel.execute("%amplifier approve allow bash --timeout 0.5")
    widgets = Widgets()
    # Longer than the policy's timeout: the question still waits.
    on_message, clicked = clicking(kernel, widgets, "Allow once", lambda: time.sleep(1.0))
    result = execute(kernel, "%%amplifier\nGo.", on_message)
    assert result.ok and result.markdown == ["Ran."] and clicked
    (card,) = cards(widgets)
    assert "Waits for your answer" in card["countdown_html"]
    assert (tmp_path / "ran").exists()


# -- an orchestrator that applies no hook results -----------------------------------------


@pytest.mark.parametrize("emit_tool_pre", [True, False])
def test_an_orchestrator_that_ignores_hook_results_gets_the_call_refused(
    kernel: Kernel, tmp_path: Path, emit_tool_pre: bool
) -> None:
    """Not an upstream behaviour: the host's guard for a loop that never applies hook
    results. The call is refused at the tool, one line says why, and status says it."""
    configure(
        kernel,
        "loop-heedless",
        [bash("touch ran"), "Went on."],
        tmp_path,
        emit_tool_pre=emit_tool_pre,
    )
    kernel.execute("%amplifier approve deny" if emit_tool_pre else "%amplifier approve allow")
    widgets = Widgets()
    result = execute(kernel, "%%amplifier\nTouch it.", widgets.feed)
    assert result.ok and result.markdown == ["Went on."], (result.stdout, result.stderr)
    assert not (tmp_path / "ran").exists()
    why = "applies no hook results" if emit_tool_pre else "emits no tool:pre"
    assert tool_messages(kernel)[0].startswith(f"Refused: the orchestrator loop-heedless {why}")
    assert timeline(widgets).count(f"approval: the orchestrator loop-heedless {why}") == 1
    assert f"the orchestrator loop-heedless {why}" in approval_status(kernel)
    # A cell's own call of the tool is not the agent's: it runs (tutorial 05 does so).
    run_python(
        kernel,
        "from amplifier_jupyter.session.kernel import kernel_session as _ks\n"
        "await _ks().session.coordinator.get('tools')['bash'].execute({'command': 'touch own'})",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["own"]


# -- children -----------------------------------------------------------------------------


def touching_plan(folder: Path) -> dict[str, Any]:
    """loop-basic-like and tool-bash-like: one call that creates ``folder / "ran"``."""
    return {
        "session": {"orchestrator": like("loop-basic-like"), "context": "context-notebook"},
        "providers": [
            {"module": "provider-scripted", "config": {"script": [bash("touch ran"), "No."]}}
        ],
        "tools": [like("tool-bash-like", working_dir=str(folder))],
    }


def test_a_child_under_an_upstream_loop_is_held_by_the_policy(
    kernel: Kernel, tmp_path: Path
) -> None:
    """A --child session with its own plan (loop-basic-like) gets the hook too."""
    configure(kernel, "loop-notebook", ["Parent."], tmp_path)
    child_plan = touching_plan(tmp_path)
    run_python(kernel, f"_child_plan = {child_plan!r}")
    kernel.execute("%amplifier approve deny bash")
    result = execute(kernel, "%%amplifier --child helper --config _child_plan\nTouch it.")
    assert result.ok and result.markdown == ["No."], (result.stdout, result.stderr)
    assert not (tmp_path / "ran").exists()


PLAIN = """
import amplifier_jupyter
from amplifier_core import AmplifierSession
from amplifier_jupyter.loading.resolver import NotebookModuleLoader
approvals = amplifier_jupyter.ApprovalSystem()
session = AmplifierSession(_plain_plan, approval_system=approvals)
session.coordinator.loader = NotebookModuleLoader(coordinator=session.coordinator)
approvals.watch(session.coordinator)
await session.initialize()
print(await session.execute("touch it"))
await session.cleanup()
"""


def test_a_watched_plain_session_under_loop_basic_follows_approve(
    kernel: Kernel, tmp_path: Path
) -> None:
    """A plain AmplifierSession in a cell, given the package's ApprovalSystem and
    watch(): %amplifier approve holds for it too, under upstream loop-basic."""
    plain_plan = touching_plan(tmp_path)
    run_python(kernel, f"_plain_plan = {plain_plan!r}")
    kernel.execute("%amplifier approve deny bash")
    result = execute(kernel, PLAIN)
    assert result.ok and result.stdout.strip().endswith("No."), (result.stdout, result.error)
    assert not (tmp_path / "ran").exists()


# -- headless -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def headless(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    env = offline_env(AMPLIFIER_JUPYTER_HEADLESS="1")
    with Kernel(env=env, cwd=str(tmp_path_factory.mktemp("headless"))) as k:
        assert k.execute("%load_ext amplifier_jupyter").ok
        yield k


def test_headless_questions_get_the_policys_default_at_once(
    headless: Kernel, tmp_path: Path
) -> None:
    """Nobody can answer (AMPLIFIER_JUPYTER_HEADLESS): hooks-approval's question gets the
    policy's answer for the tool at once, in one line, and nothing is shown to click."""
    hooks = [like("hooks-approval-like")]
    script = [bash("touch allowed"), "Ran.", bash("touch asked"), "Not run."]
    configure(headless, "loop-basic-like", script, tmp_path, hooks=hooks)
    headless.execute("%amplifier approve allow bash")
    widgets = Widgets()
    first = execute(headless, "%%amplifier\nFirst.", widgets.feed, timeout=30)
    assert first.ok and first.markdown == ["Ran."], (first.stdout, first.stderr)
    assert (
        "amplifier: bash: nobody can answer here (AMPLIFIER_JUPYTER_HEADLESS=1): allow applied; "
        "set a policy with %amplifier approve allow bash (or deny bash)\n"
    ) in first.stdout
    headless.execute("%amplifier approve auto")
    second = execute(headless, "%%amplifier\nSecond.", widgets.feed, timeout=30)
    assert second.ok and second.markdown == ["Not run."]
    # The policy's own question (auto asks for bash) is answered so, once.
    assert second.stdout.count("(AMPLIFIER_JUPYTER_HEADLESS=1): deny applied") == 1
    assert not cards(widgets)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["allowed"]
    assert NO_PROVIDER_LINE not in first.stderr + second.stderr
