"""Exceptions raised by the twin on bad input.

::

    ValueError
    └── TwinError              any user-facing error of the twin (the CLI prints one line)
        └── ScenarioError      invalid scenario file: names the file, the field path and the value
    KeyboardInterrupt
    └── RunInterrupted         Ctrl-C (or a stop event) ended a run; carries what finished

``TwinError`` derives from ``ValueError`` so callers that already guard against bad
values keep working; the CLI turns it into one stderr line and exit code 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["RunInterrupted", "ScenarioError", "ScenarioIssue", "TwinError"]


class TwinError(ValueError):
    """Base class of every error the twin raises on bad user input."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C (or a stop event) ended a run while it was ``stage`` (``"planning"``,
    ``"simulating replication 3 of 5"``); ``finished`` holds what was complete (e.g. the
    finished replications), so the caller can keep it. A :class:`KeyboardInterrupt`, so
    code that does not know it still stops."""

    def __init__(self, stage: str, finished: Sequence[Any] = ()) -> None:
        super().__init__(stage)
        self.stage = stage
        self.finished = list(finished)


@dataclass(frozen=True)
class ScenarioIssue:
    """One problem in a scenario: where (``path`` like ``stations[3].mtbf``) and what."""

    path: str
    message: str
    line: int | None = None

    def render(self, source: str) -> str:
        """``source:line: path: message``, omitting the parts that are unknown."""
        where = f"{source}:{self.line}" if self.line is not None else source
        parts = [where, self.path, self.message] if self.path else [where, self.message]
        return ": ".join(parts)


class ScenarioError(TwinError):
    """A scenario cannot be loaded. ``str(err)`` is one line per issue (the first few);
    the first line alone names the file, the field path, what was expected and what was
    given, e.g. ``pilot.yaml: stations[3].mtbf: expected a duration like "120h", got -5``.

    Attributes
    ----------
    source
        File name (or ``"<dict>"``) the scenario came from.
    issues
        Every problem found, in document order.
    """

    max_shown = 5

    def __init__(self, source: str, issues: Sequence[ScenarioIssue]) -> None:
        if not issues:
            raise ValueError("ScenarioError needs at least one issue")
        self.source = source
        self.issues = tuple(issues)
        lines = [issue.render(source) for issue in self.issues[: self.max_shown]]
        hidden = len(self.issues) - self.max_shown
        if hidden > 0:
            lines.append(f"{source}: ... and {hidden} more problem{'s' if hidden > 1 else ''}")
        super().__init__("\n".join(lines))

    @property
    def path(self) -> str:
        """Field path of the first issue (``""`` for whole-file problems)."""
        return self.issues[0].path

    @property
    def message(self) -> str:
        """What is wrong at :attr:`path` (first issue)."""
        return self.issues[0].message

    @property
    def line(self) -> int | None:
        """1-based line of the first issue when known (YAML syntax errors)."""
        return self.issues[0].line
