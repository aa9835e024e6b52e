"""Exceptions raised by the scheduler.

::

    ValueError
    └── SchedulerError
        ├── ProblemDataError   invalid problem data (names the index and the value)
        ├── InstanceFormatError  malformed instance file (names the file and the line)
        └── InstanceTooLargeError  (scheduler.cpsat) the CP-SAT model cannot be built in
                                   the time limit; names the size and the methods that can
"""

from __future__ import annotations

__all__ = ["InstanceFormatError", "ProblemDataError", "SchedulerError"]


class SchedulerError(ValueError):
    """Base class of every error the scheduler raises on bad input."""


class ProblemDataError(SchedulerError):
    """Problem data is inconsistent; the message names the offending index and value."""


class InstanceFormatError(SchedulerError):
    """An instance file cannot be parsed; the message names the file and the line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
