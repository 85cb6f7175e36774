"""Kernel shutdown and restart clean every session up while the loop runs, and never crash.

docs/design.md, fact 4: crashes at interpreter exit were seen after a cleanup with
no drain and after cancels. Each case here starts a real kernel with its
stderr captured, shuts it down (or restarts it) and checks the exit code,
the stderr (no crash, and nothing of ours: amplifier-core's and our own
errors must never reach the kernel's stderr), and that the transcripts
recorded ``session:end``.
"""

from __future__ import annotations

import json
import queue
import time
from pathlib import Path
from typing import Any

import pytest
from fake_anthropic import FakeAnthropic
from kernel_harness import Kernel, fake_api_env, offline_env

CRASH_MARKS = ("Fatal Python error", "Segmentation fault", "core dumped", "amplifier")
LONG = " ".join(["word"] * 2000)
SETUP = (
    "%load_ext amplifier_jupyter\n"
    "import amplifier_jupyter.session.plans as plans\n"
    "plan = plans.scripted_plan({script!r})\n"
    "plan['providers'][0]['config']['chunk_delay'] = {delay}\n"
    "%amplifier config plan\n"
    "from amplifier_jupyter.session.kernel import kernel_session\n"
    "ks = kernel_session()\n"
    "said = []\n"
    "def tell(event, data):\n"
    "    if event == 'content_block:delta' and not said:\n"
    "        said.append(1)\n"
    "        print('STREAMING', flush=True)\n"
    "ks.add_listener(tell)\n"
)


class WatchedKernel(Kernel):
    """A harness kernel whose stderr goes to a file and whose process we keep."""

    def __init__(self, folder: Path, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env or offline_env(), cwd=str(folder))
        self.folder = folder
        self.stderr_path = folder / "kernel-stderr.txt"
        self.processes: list = []

    def start(self) -> WatchedKernel:
        self._stderr = open(self.stderr_path, "a")  # noqa: SIM115
        super().start(stderr=self._stderr)
        self.processes.append(self.manager.provisioner.process)
        return self

    def restart(self) -> None:
        self.manager.restart_kernel(now=False, stderr=self._stderr)
        self.processes.append(self.manager.provisioner.process)
        self.client.wait_for_ready(timeout=60)

    def stop(self) -> list[int]:
        """Shut down as a frontend does (a shutdown_request); the exit codes."""
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=False)
        codes = [p.wait(timeout=30) for p in self.processes]
        self._stderr.close()
        return codes

    def start_run_and_wait_for_streaming(self, prompt: str) -> str:
        """Send a %%amplifier cell and return once its answer is streaming."""
        msg_id = self.client.execute(f"%%amplifier\n{prompt}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                msg = self.client.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream" and "STREAMING" in msg["content"]["text"]:
                return msg_id
        raise TimeoutError("the run never started streaming")


def check_clean_exit(kernel: WatchedKernel, codes: list[int], sessions: int) -> None:
    stderr = kernel.stderr_path.read_text()
    for mark in CRASH_MARKS:
        assert mark not in stderr, stderr[-3000:]
    assert codes == [0] * len(codes), stderr[-3000:]
    folders = sorted((kernel.folder / ".amplifier" / "sessions").iterdir())
    assert len(folders) == sessions
    for folder in folders:
        events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
        assert events[-1]["event"] == "session:end", [e["event"] for e in events][-5:]
        metadata = json.loads((folder / "metadata.json").read_text())
        assert metadata["state"] == "ended"


@pytest.mark.parametrize("round_", range(3))
def test_shutdown_after_runs(tmp_path: Path, round_: int) -> None:
    kernel = WatchedKernel(tmp_path).start()
    assert kernel.execute(SETUP.format(script=["One.", "Two."], delay=0)).ok
    assert kernel.execute("%%amplifier\nfirst").markdown == ["One."]
    assert kernel.execute("%%amplifier --child helper\nsecond").markdown == ["One."]
    check_clean_exit(kernel, kernel.stop(), sessions=2)


@pytest.mark.parametrize("round_", range(3))
def test_shutdown_after_a_claude_run(tmp_path: Path, fake: FakeAnthropic, round_: int) -> None:
    """The default plan's provider-claude imports the anthropic SDK (about 4,000 modules):
    the kernel still ends its session and exits before jupyter_client's SIGTERM."""
    kernel = WatchedKernel(tmp_path, env=offline_env(**fake_api_env(fake.url))).start()
    assert kernel.execute("%load_ext amplifier_jupyter").ok
    assert kernel.execute("%%amplifier\nWhat is 2 + 2?").markdown == ["4"]
    check_clean_exit(kernel, kernel.stop(), sessions=1)


@pytest.mark.parametrize("round_", range(3))
def test_shutdown_after_a_cancel(tmp_path: Path, round_: int) -> None:
    kernel = WatchedKernel(tmp_path).start()
    assert kernel.execute(SETUP.format(script=[LONG, "After."], delay=0.005)).ok
    kernel.start_run_and_wait_for_streaming("talk")
    # The frontend's stop button: an interrupt while the cell awaits the agent.
    kernel.manager.interrupt_kernel()
    stopped = kernel.execute("print(ks.running is None, len(said))")
    assert stopped.stdout.split() == ["True", "1"]
    assert kernel.execute("%%amplifier\nagain").markdown == ["After."]
    check_clean_exit(kernel, kernel.stop(), sessions=1)


@pytest.mark.parametrize("round_", range(2))
def test_shutdown_while_an_agent_runs(tmp_path: Path, round_: int) -> None:
    kernel = WatchedKernel(tmp_path).start()
    assert kernel.execute(SETUP.format(script=[LONG], delay=0.005)).ok
    kernel.start_run_and_wait_for_streaming("talk")
    check_clean_exit(kernel, kernel.stop(), sessions=1)


@pytest.mark.parametrize("round_", range(3))
def test_shutdown_during_the_warmup(tmp_path: Path, fake: FakeAnthropic, round_: int) -> None:
    """Shut down while the warm-up thread imports the anthropic SDK (the default plan):
    the kernel exits before jupyter_client's SIGTERM, with nothing on its stderr."""
    kernel = WatchedKernel(tmp_path, env=offline_env(**fake_api_env(fake.url))).start()
    assert kernel.execute("%load_ext amplifier_jupyter").ok
    state = kernel.execute(
        "import sys\n"
        "_w = sys.modules['amplifier_jupyter._ipython.warmup'].current()\n"
        "print(_w.done.is_set(), _w.alive)"
    )
    # The thread goes on the moment this cell ends; the shutdown request comes then.
    assert state.stdout.split() == ["False", "True"], state.stdout + state.stderr
    codes = kernel.stop()
    stderr = kernel.stderr_path.read_text()
    for mark in CRASH_MARKS:
        assert mark not in stderr, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert codes == [0], stderr[-3000:]


def test_restart_ends_the_old_kernels_sessions(tmp_path: Path) -> None:
    kernel = WatchedKernel(tmp_path).start()
    assert kernel.execute(SETUP.format(script=["Before."], delay=0)).ok
    assert kernel.execute("%%amplifier\nhi").markdown == ["Before."]
    kernel.restart()
    assert kernel.execute(SETUP.format(script=["After."], delay=0)).ok
    assert kernel.execute("%%amplifier\nhi").markdown == ["After."]
    check_clean_exit(kernel, kernel.stop(), sessions=2)


async def test_the_hook_is_installed_once_though_another_extension_wrapped_it_after_us(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A later wrapper that names ours as its ``__wrapped__`` (and does not copy its
    attributes, as ``functools.wraps`` would) hides ours: a second install finds it
    inside and leaves the handler as it is (no second end, no second hold of the exit)."""
    from types import SimpleNamespace

    import IPython

    from amplifier_jupyter.session import shutdown

    async def original(stream: Any, ident: Any, parent: Any) -> None:
        return None

    kernel = SimpleNamespace(
        shell_handlers={"shutdown_request": original},
        control_handlers={"shutdown_request": original},
    )
    monkeypatch.setattr(IPython, "get_ipython", lambda: SimpleNamespace(kernel=kernel))

    async def end_sessions() -> None:
        return None

    assert shutdown.install_shutdown_hook(end_sessions)
    ours = kernel.control_handlers["shutdown_request"]

    async def theirs(stream: Any, ident: Any, parent: Any) -> Any:
        return await ours(stream, ident, parent)

    theirs.__wrapped__ = ours  # type: ignore[attr-defined]
    kernel.control_handlers["shutdown_request"] = theirs
    assert shutdown.install_shutdown_hook(end_sessions)
    assert kernel.control_handlers["shutdown_request"] is theirs
    assert getattr(kernel.shell_handlers["shutdown_request"], "__wrapped__", None) is original
