"""The view for frontends without widgets (terminal IPython): plain text, a text prompt.

The answer streams as it comes; the timeline is printed as short indented
lines; an approval is asked with a numbered prompt. The prompt's blocking
read runs in the loop's default executor, so the loop (and the countdown,
and a stop) go on while the user types.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from amplifier_jupyter.events.streamed_text import StreamedText
from amplifier_jupyter.ui.approval_request import ApprovalRequest
from amplifier_jupyter.ui.timeline import Timeline, describe_tool_input
from amplifier_jupyter.ui.view import complain, say


def _print(text: str, end: str = "\n") -> None:
    print(text, end=end, flush=True)


class TextView:
    """A :class:`~amplifier_jupyter.ui.view.RunView` writing plain text to stdout."""

    def __init__(self, *, background: bool = False, focus: str | None = None) -> None:
        self.timeline = Timeline(focus)
        self.background = background
        self.answer_shown = False
        self.running = False
        self._streamed = False
        self._text = StreamedText()
        self._at_line_start = True
        self._printed = 0

    @property
    def stopped(self) -> bool:
        """Whether the run ended because the user stopped it."""
        return self.timeline.status == "cancelled"

    def start(self, prompt: str) -> None:
        """Nothing to draw yet."""
        self.running = True

    def _write(self, text: str) -> None:
        if text:
            _print(text, end="")
            self._at_line_start = text.endswith("\n")

    def _newline(self) -> None:
        if not self._at_line_start:
            self._write("\n")

    def _print_new_entries(self, everything: bool = False) -> None:
        # In order; an entry still in progress ("…") waits until it is complete.
        entries = self.timeline.entries
        while self._printed < len(entries):
            entry = entries[self._printed]
            if entry.pending and not everything:
                break
            self._printed += 1
            if entry.kind != "prompt":
                self._newline()
                self._write(f"  {entry.as_text()}\n")

    def on_event(self, event: str, data: dict[str, Any]) -> None:
        """Stream text; print the timeline's lines as they complete."""
        if data.get("child") == self.timeline.focus:
            text = self._text.take(event, data)
            if text:
                self._write(text)
                self._streamed = True
            if event == "content_block:delta":
                return
        if self.timeline.on_event(event, data):
            self._print_new_entries()

    def notice(self, message: str) -> None:
        """Print the notice."""
        self._newline()
        say(message)

    def context_sent(self, summary: str) -> None:
        """Print what notebook context went with the prompt."""
        self.notice(f"sent: {summary}")

    def finish(self, answer: str) -> None:
        """End the streamed text; print the answer if nothing streamed."""
        self.running = False
        self._print_new_entries(everything=True)
        if not self._streamed and answer and not self.stopped:
            self._write(answer)
        self._newline()
        if self.stopped:
            say("stopped")
        self.answer_shown = True

    def fail(self, message: str) -> None:
        """Print the error line."""
        self.running = False
        self._newline()
        complain(message)

    def show_approval(self, request: ApprovalRequest) -> None:
        """Ask in text; a hook's question gets its outcome line here (the loop reports its own)."""
        self._newline()
        ask_in_text(request)
        if not request.from_loop:
            request.on_close(self._hook_question_closed)

    def _hook_question_closed(self, request: ApprovalRequest) -> None:
        self.timeline.decided(
            request.prompt,
            "allowed" if request.allowed else "denied",
            f"{request.prompt}: {request.describe_outcome()}",
            "success" if request.allowed else "warning",
            request.child,
        )
        self._print_new_entries()

    def show_message(self, message: str, level: str = "info", source: str = "hook") -> None:
        """Print a hook's message as a timeline line."""
        self.timeline.message(message, level, source)
        self._print_new_entries()


def question_text(request: ApprovalRequest) -> str:
    """The question and its numbered options."""
    if request.tool_name is not None:
        head = f"{request.tool_name} wants to run: {describe_tool_input(request.tool_input, 400)}"
    else:
        head = request.prompt
    choices = "  ".join(f"[{i}] {option}" for i, option in enumerate(request.options, 1))
    if request.timeout is None:
        return f"amplifier: {head}\n  {choices}\n  (number or name) > "
    return (
        f"amplifier: {head}\n  {choices}\n  (number or name; {request.default} in "
        f"{request.timeout:g} s if no answer) > "
    )


def match_option(answer: str, options: list[str]) -> str | None:
    """The option a typed answer means (its number, its name, or a unique prefix)."""
    text = answer.strip().lower()
    if not text:
        return None
    if text.isdigit() and 1 <= int(text) <= len(options):
        return options[int(text) - 1]
    exact = [o for o in options if o.lower() == text]
    if exact:
        return exact[0]
    prefixed = [o for o in options if o.lower().startswith(text)]
    return prefixed[0] if len(prefixed) == 1 else None


def _read_line() -> str | None:
    """One typed line; None when there is no input to read (closed or captured stdin)."""
    try:
        line = sys.stdin.readline()
    except (OSError, ValueError, RuntimeError):
        return None
    return line or None


def ask_in_text(request: ApprovalRequest) -> asyncio.Task:
    """Ask on stdin without blocking the loop; the answer resolves the request."""

    async def ask() -> None:
        loop = asyncio.get_running_loop()
        _print(question_text(request), end="")
        while request.outcome is None:
            line = await loop.run_in_executor(None, _read_line)
            if request.outcome is not None:
                break
            if line is None:  # nobody can type: the timeout decides
                if request.timeout is None:
                    _print("\n  (no input: the question waits for a stop)")
                else:
                    _print(f"\n  (no input: {request.default} in {request.remaining():.0f} s)")
                return
            option = match_option(line, request.options)
            if option is not None:
                request.choose(option)
                return
            _print(f"  type 1-{len(request.options)} > ", end="")

    def closed(request: ApprovalRequest) -> None:
        if request.outcome in ("timeout", "stopped"):
            # The read may still wait for a line: say so, so the next Enter is not a surprise.
            _print(f"\namplifier: {request.describe_outcome()} (press Enter to go on)")

    request.on_close(closed)
    return asyncio.ensure_future(ask())
