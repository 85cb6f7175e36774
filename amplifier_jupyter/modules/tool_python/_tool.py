"""Running model-written code in the kernel, the way a cell runs."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from amplifier_core import ToolResult

from amplifier_jupyter.images import ImageSet, is_image_value
from amplifier_jupyter.modules._config_values import whole_number
from amplifier_jupyter.modules._notebook_capability import failure, needs_a_notebook, notebook_shell
from amplifier_jupyter.notebook_context import cut, format_exception, summarize

NO_NOTEBOOK = needs_a_notebook("python")
DEFAULT_MAX_OUTPUT = 10_000
INTERRUPTED = "KeyboardInterrupt: the user interrupted the code"


def _interruptible() -> contextlib.AbstractContextManager[Any]:
    """The host's guard that turns a kernel interrupt into KeyboardInterrupt in user code."""
    try:
        from amplifier_jupyter._ipython.interrupts import user_code_interruptible
    except ImportError:  # another host: the interrupt keeps whatever handler it has
        return contextlib.nullcontext()
    return user_code_interruptible()


@contextlib.contextmanager
def _tee(sink: list[str]) -> Iterator[None]:
    """Copy what is written to stdout and stderr into ``sink``; it still reaches the cell.

    The ``write`` methods are patched rather than the streams replaced:
    ipykernel checks the stream objects' types.
    """
    patched: list[tuple[Any, Callable[..., Any], bool]] = []
    # Whatever objects stdout and stderr are here (ipykernel's OutStream, a terminal's file).
    streams: list[Any] = list({id(s): s for s in (sys.stdout, sys.stderr)}.values())
    for stream in streams:
        original = stream.write
        own = "write" in getattr(stream, "__dict__", {})  # already patched by someone

        def write(data: str, *args: Any, _original: Callable[..., Any] = original) -> Any:
            if isinstance(data, str):
                sink.append(data)
            return _original(data, *args)

        try:
            stream.write = write
        except (AttributeError, TypeError):
            continue
        patched.append((stream, original, own))
    try:
        yield
    finally:
        for stream, original, own in patched:
            if own:
                stream.write = original
            else:
                del stream.write  # back to the class's method


@contextlib.contextmanager
def _displayed(shell: Any, sink: list[dict[str, Any]]) -> Iterator[None]:
    """Copy every MIME bundle the code displays into ``sink``; it still reaches the cell."""
    publisher: Any = getattr(shell, "display_pub", None)
    original = getattr(publisher, "publish", None)
    if original is None:
        yield
        return
    own = getattr(publisher, "__dict__", {}).get("publish")

    def publish(data: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict):
            sink.append(dict(data))
        return original(data, *args, **kwargs)

    try:
        publisher.publish = publish
    except (AttributeError, TypeError):
        yield
        return
    try:
        yield
    finally:
        if own is None:
            del publisher.publish
        else:
            publisher.publish = own


def _run_without_the_loop(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Drive a coroutine that never suspends (IPython running synchronous code) to its end.

    Synchronous user code blocks the loop anyway; running it without yielding
    keeps other tasks from running while the normal SIGINT handler is in place.
    """
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("the code needed the event loop")


class PythonTool:
    """The ``python`` tool (see the package docstring)."""

    name = "python"
    description = (
        "Run Python code in the user's Jupyter kernel, in the user's own namespace: their "
        "variables, imports and data are there, and what the code defines stays there. "
        "Anything it prints or displays (tables, plots) also appears in the notebook. Returns "
        "what it printed, the value of the last expression (as a notebook cell shows it), or "
        "the exception with its traceback, and the images it displayed (a matplotlib figure "
        "shown, a PIL image), which you see. IPython syntax (%magics, !commands, top-level "
        "await) works. The user approves each run: keep code short and say what it is for."
    )
    input_schema = {
        "type": "object",
        "properties": {
            "code": {
                "type": "string",
                "description": "Python code to run; the value of its last line is returned.",
            }
        },
        "required": ["code"],
    }

    def __init__(self, coordinator: Any, config: dict[str, Any]) -> None:
        self.coordinator = coordinator
        self.max_output = whole_number(config, "max_output", DEFAULT_MAX_OUTPUT, minimum=1)

    async def execute(self, input: dict[str, Any]) -> ToolResult:
        """Run ``input["code"]`` in the kernel and report what happened."""
        code = input.get("code")
        if not isinstance(code, str) or not code.strip():
            return failure('give the code to run as {"code": "..."}')
        shell = notebook_shell(self.coordinator)
        if shell is None:
            return failure(NO_NOTEBOOK)
        printed: list[str] = []
        displayed: list[dict[str, Any]] = []
        try:
            result = await self._run(shell, code, printed, displayed)
        except KeyboardInterrupt:
            text = self._report("".join(printed), None, INTERRUPTED)
            return failure(text)
        error = result.error_before_exec or result.error_in_exec
        shown = format_exception(error) if error is not None else None
        images = ImageSet()
        markers = [images.add_bundle(bundle, "displayed") for bundle in displayed]
        if error is None and is_image_value(result.result):  # shown as the cell's result
            markers.append(images.add_value(result.result, "Out"))
        text = self._report("".join(printed), result.result, shown, markers, images.notices)
        if error is not None:
            return failure(text)
        if not images.images:
            return ToolResult(success=True, output=text)
        # amplifier-core's rich tool-result content: the text, then the image blocks.
        content = [{"type": "text", "text": text}, *images.blocks()]
        return ToolResult(success=True, output=text, content=content)

    async def _run(
        self, shell: Any, code: str, printed: list[str], displayed: list[dict[str, Any]]
    ) -> Any:
        preprocessing = None
        try:
            transformed = shell.transform_cell(code)
        except Exception:
            transformed, preprocessing = code, sys.exc_info()
        needs_loop = shell.should_run_async(
            code, transformed_cell=transformed, preprocessing_exc_tuple=preprocessing
        )
        run = shell.run_cell_async(
            code,
            store_history=False,
            silent=False,
            transformed_cell=transformed,
            preprocessing_exc_tuple=preprocessing,
        )
        result = None
        try:
            with _tee(printed), _displayed(shell, displayed):
                if needs_loop:
                    # Awaiting code lets the loop run: its interrupt stops the agent instead.
                    result = await run
                else:
                    with _interruptible():
                        result = _run_without_the_loop(run)
                        if isinstance(result.error_in_exec, KeyboardInterrupt):
                            raise result.error_in_exec
        finally:
            # What ipykernel does after a cell: figures are flushed to the output here.
            with _displayed(shell, displayed):
                shell.events.trigger("post_execute")
            if result is not None:
                shell.events.trigger("post_run_cell", result)
        return result

    def _report(
        self,
        printed: str,
        value: Any,
        error: str | None,
        markers: list[str | None] | None = None,
        notes: list[str] | None = None,
    ) -> str:
        parts = []
        if printed.strip():
            parts.append("printed:\n" + cut(printed.rstrip("\n"), self.max_output))
        if value is not None:
            parts.append("Out:\n" + summarize(value))
        shown = [m for m in markers or [] if m]
        if shown:
            parts.append("displayed:\n" + "\n".join(shown + list(notes or [])))
        if error:
            parts.append(error)
        return "\n\n".join(parts) or "(ran; printed nothing and returned no value)"
