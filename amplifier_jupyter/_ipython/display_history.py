"""Display data in the kernel's output history, under the cell that showed it.

IPython 9 keeps each cell's outputs in ``history_manager.outputs``; ipykernel
7.4 adds display data there only with ``store_display_history`` on (off by
default), and then files a ``display()`` call made while cell N runs under
N + 1 (it reads ``execution_count``, already N + 1 then; only figures flushed
at ``post_execute`` land right). So the extension records display data itself,
under ``execution_count - 1`` as IPython's own display publisher does. IPython
8 has no output history: nothing is recorded, and ``--cells`` reads images
from the saved notebook.
"""

from __future__ import annotations

from typing import Any

_MARK = "_amplifier_records_display"


def install(shell: Any) -> bool:
    """Record the shell's display data in its output history; False where it cannot."""
    publisher: Any = getattr(shell, "display_pub", None)
    manager = getattr(shell, "history_manager", None)
    if publisher is None or getattr(manager, "outputs", None) is None:
        return False
    try:
        from IPython.core.history import HistoryOutput
    except ImportError:  # IPython 8
        return False
    if getattr(publisher.publish, _MARK, False):
        return True
    if getattr(publisher, "store_display_history", False):
        publisher.store_display_history = False  # ours files them under the right cell
    original = publisher.publish

    def publish(data: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict) and not kwargs.get("update"):
            outputs = getattr(shell.history_manager, "outputs", None)
            if outputs is not None:
                count = int(getattr(shell, "execution_count", 1)) - 1
                outputs.setdefault(count, []).append(
                    HistoryOutput(output_type="display_data", bundle=dict(data))
                )
        return original(data, *args, **kwargs)

    setattr(publish, _MARK, True)
    publish.__wrapped__ = original  # type: ignore[attr-defined]
    publisher.publish = publish
    return True


def uninstall(shell: Any) -> None:
    """Stop recording (``%unload_ext``)."""
    publisher: Any = getattr(shell, "display_pub", None)
    publish = getattr(publisher, "publish", None)
    ours = publish is not None and getattr(publish, _MARK, False)
    if ours and "publish" in getattr(publisher, "__dict__", {}):
        del publisher.publish
