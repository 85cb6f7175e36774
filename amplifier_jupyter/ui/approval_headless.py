"""Whether anyone can answer a question in a run's panel, or nobody will (a headless run).

An ipywidgets view acknowledges nothing: the kernel cannot tell a JupyterLab
that draws the panel from nbclient, which only stores it. So the panel's
browser side reports itself: ``assets/panel.js`` sends ``{"type": "rendered"}``
whenever it draws a view, and any message from a view (a click too) proves one
exists. :class:`ViewPresence` keeps that for one panel. A question in the
panel is then decided (docs/design.md, fact 33):

1. ``AMPLIFIER_JUPYTER_HEADLESS=1``: nobody can answer, at once;
   ``AMPLIFIER_JUPYTER_HEADLESS=0``: always ask and wait (no detection).
2. A view of this panel reported itself: ask and wait, as long as the policy's
   timeout says, however late the view came (a notebook opened later).
3. No view yet, and the cell was sent by a client that takes no input
   (``allow_stdin: false`` in its ``execute_request``: nbclient, and so
   papermill and ``nbconvert --execute``, and nbval): nobody, at once.
4. No view yet, otherwise: wait for one until :func:`view_grace` seconds after
   the panel was displayed (``AMPLIFIER_JUPYTER_VIEW_GRACE``, default
   :data:`DEFAULT_GRACE`); none came: nobody.

"Nobody" gets the policy's default at once (for ``ask``: deny) and one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading

from amplifier_jupyter._ipython.shell import current_shell

# 1 (true, yes): nobody will answer (CI); 0 (false, no): always ask, never detect.
HEADLESS_ENV = "AMPLIFIER_JUPYTER_HEADLESS"
# Seconds a panel's view has, from the panel's display, to report itself rendered.
HEADLESS_SET = f"{HEADLESS_ENV}=1"
GRACE_ENV = "AMPLIFIER_JUPYTER_VIEW_GRACE"
DEFAULT_GRACE = 10.0
# Its client takes no input: nbclient (papermill and nbconvert run it), nbval.
NO_INPUT = "headless run: nbclient, papermill or nbconvert"


def headless_setting() -> bool | None:
    """``AMPLIFIER_JUPYTER_HEADLESS``: True (nobody answers), False (always ask), None (detect)."""
    value = os.environ.get(HEADLESS_ENV, "").strip().lower()
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    return None


def view_grace() -> float:
    """``AMPLIFIER_JUPYTER_VIEW_GRACE`` seconds (:data:`DEFAULT_GRACE` when unset or not a
    number >= 0)."""
    try:
        grace = float(os.environ.get(GRACE_ENV, ""))
    except ValueError:
        return DEFAULT_GRACE
    return grace if grace >= 0 else DEFAULT_GRACE


def request_takes_no_input() -> bool:
    """Whether the cell running now was sent with ``allow_stdin: false`` (nbclient does).

    JupyterLab and a plain ``jupyter_client`` send ``true``; so the hint can only
    say "headless", never "someone is watching".
    """
    kernel = getattr(current_shell(), "kernel", None)
    get_parent = getattr(kernel, "get_parent", None)
    if get_parent is None:
        return False
    try:
        parent = get_parent("shell")
    except Exception:  # an older or foreign kernel: no hint
        return False
    if not isinstance(parent, dict):
        return False
    header = parent.get("header") or {}
    content = parent.get("content") or {}
    return header.get("msg_type") == "execute_request" and content.get("allow_stdin") is False


class ViewPresence:
    """Whether a browser view of one panel reported itself, and why nobody can answer if not.

    :meth:`report` may be called from any thread (a widget message may arrive on a
    subshell: docs/design.md, fact 7).
    """

    def __init__(self) -> None:
        self._seen = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shown = 0.0
        self._no_input = False
        self._arrived: asyncio.Event | None = None

    @property
    def headless(self) -> bool:
        """Whether nobody will see this panel live (after :meth:`start`): the environment
        says so, or the cell's client takes no input (nbclient, papermill, nbval)."""
        setting = headless_setting()
        return setting if setting is not None else self._no_input and not self.seen

    @property
    def seen(self) -> bool:
        """Whether a view has reported itself."""
        return self._seen.is_set()

    def start(self) -> None:
        """The panel is displayed now, in the cell running now (on the loop's thread)."""
        self._loop = asyncio.get_running_loop()
        self._shown = self._loop.time()
        self._no_input = request_takes_no_input()
        self._arrived = asyncio.Event()
        if self.seen:
            self._arrived.set()

    def report(self) -> None:
        """A view said something (``rendered``, a click): one exists (thread-safe)."""
        self._seen.set()
        loop, arrived = self._loop, self._arrived
        if loop is not None and arrived is not None:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nothing waits
                loop.call_soon_threadsafe(arrived.set)

    async def nobody(self) -> str | None:
        """None when someone may answer; else why nobody can (after the grace, if it waits)."""
        setting = headless_setting()
        if setting is not None:
            return HEADLESS_SET if setting else None
        if self.seen or self._loop is None or self._arrived is None:
            return None
        if self._no_input:
            return NO_INPUT
        grace = view_grace()
        remaining = self._shown + grace - self._loop.time()
        if remaining > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)
        if self.seen:
            return None
        return f"no notebook view showed this run within {grace:g} s"


def policy_hint(tool_name: str | None) -> str:
    """How to decide without anyone asked: the command that sets a policy."""
    tool = tool_name or "TOOL"
    return f"set a policy with %amplifier approve allow {tool} (or deny {tool})"
