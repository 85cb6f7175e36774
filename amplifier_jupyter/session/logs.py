"""Keeping amplifier-core's log records off the cell (docs/design.md, fact 5)."""

from __future__ import annotations

import logging

# How many records of each kind stay readable.
KEPT = 50


class LogCollector(logging.Handler):
    """Keeps amplifier-core's log records out of the cell; the last ones stay readable."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[str] = []
        self.hook_errors: list[str] = []
        # How many hook errors ever came: the list above keeps only the last ones, so a
        # run finds its own by this count, not by the list's length.
        self.hook_error_count = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record's first line; count it when a hook raised."""
        line = record.getMessage().splitlines()[0]
        self.note(line)
        if record.name.startswith("amplifier_core.hooks"):
            # A hook that raised: the kernel goes on, but the user should know.
            self.hook_errors.append(line)
            del self.hook_errors[:-KEPT]
            self.hook_error_count += 1

    def note(self, line: str) -> None:
        """Keep one line of our own beside amplifier-core's (a listener that failed)."""
        self.records.append(line)
        del self.records[:-KEPT]

    def hook_errors_since(self, count: int) -> list[str]:
        """The hook errors that came after :attr:`hook_error_count` was ``count``."""
        new = self.hook_error_count - count
        return self.hook_errors[-new:] if new else []


# The ``amplifier_core`` logger is process-wide, so the one handler that keeps its records
# off every cell is too; every session of the process counts its hook errors here.
LOG_COLLECTOR = LogCollector()


def quiet_amplifier_logging() -> None:
    """Route the ``amplifier_core`` loggers away from the cell's stderr (docs/design.md, fact 5)."""
    logger = logging.getLogger("amplifier_core")
    if LOG_COLLECTOR not in logger.handlers:
        logger.addHandler(LOG_COLLECTOR)
    logger.propagate = False


class QuietFaults:
    """Events the kernel's observer could not read: skipped, with one quiet line a run.

    The line goes to :data:`LOG_COLLECTOR` (readable, never printed in the cell), and
    a module that sends an unreadable event on every call costs no more than one.
    """

    def __init__(self) -> None:
        self.noted = False

    def new_run(self) -> None:
        """A run starts: its first fault gets a line again."""
        self.noted = False

    def note(self, line: str) -> None:
        """Keep ``line`` unless this run already kept one."""
        if not self.noted:
            self.noted = True
            LOG_COLLECTOR.note(line)
