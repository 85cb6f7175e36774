"""``%amplifier replay``: recorded model calls that replay (amplifier_jupyter/replay/)."""

from __future__ import annotations

from typing import Any

from amplifier_jupyter.cell.options import split_args
from amplifier_jupyter.errors import AmplifierUserError
from amplifier_jupyter.session.kernel import KernelSession
from amplifier_jupyter.ui.view import say

REPLAY_USAGE = "usage: %amplifier replay [on|strict|off] [FILE]"
USAGE = "replay [on|strict|off] [FILE]"
HELP = """\
Reproducible runs
  %amplifier replay on [FILE]            recorded model calls replay; others go to the model
                                          and are recorded (FILE: NAME.ipynb.amplifier-replay.jsonl
                                          beside the notebook)
  %amplifier replay strict [FILE]        recorded calls replay; an unseen call is an error
                                          (for Restart & Run All, nbval, papermill, CI)
  %amplifier replay off                   every call goes to the model (the default)
  %amplifier replay                       show the mode, the file and this kernel's counts"""


async def replay(ks: KernelSession, rest: str, namespace: dict[str, Any]) -> None:
    """``%amplifier replay [MODE] [FILE]``: set or show the replay mode."""
    from amplifier_jupyter.replay.state import replay_state

    words = split_args(rest, REPLAY_USAGE)
    if len(words) > 2 or any(w.startswith("-") for w in words):
        raise AmplifierUserError(REPLAY_USAGE)
    state = replay_state()
    if words:
        state.set(words[0], words[1] if len(words) > 1 else None)
        if state.active:
            state.record_file()  # a file that cannot be read says so now, not at the call
            notice = state.first_notice()
            if notice:
                say(f"replay: {notice}")
    say(f"replay: {state.describe()}")


COMMANDS = {"replay": replay}
