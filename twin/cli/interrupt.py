"""Ctrl-C in the CLI: stop the work in hand, keep what is finished, exit 130.

While a solver runs, the first Ctrl-C sets a :class:`threading.Event` that every solver
watches (``scheduler.solve(stop=...)``): it returns its best schedule so far, which the
command can keep. Otherwise (a simulation, or a second Ctrl-C) it raises
:class:`KeyboardInterrupt` at once, and the command keeps what it finished (e.g. the
replications already simulated).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType

__all__ = ["EXIT_INTERRUPTED", "Interrupted", "SigintStop", "stop_on_sigint"]

#: 128 + SIGINT, what a shell reports for a process ended by Ctrl-C.
EXIT_INTERRUPTED = 130


class Interrupted(Exception):
    """Ctrl-C ended a command; the message says what was interrupted and what was kept."""


@dataclass
class SigintStop:
    """The stop event and whether a solver is running (only then does Ctrl-C merely
    ask it to stop)."""

    event: threading.Event = field(default_factory=threading.Event)
    solving: bool = True

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.solving and not self.event.is_set():
            self.event.set()
            return
        raise KeyboardInterrupt


@contextmanager
def stop_on_sigint(solving: bool = True) -> Iterator[SigintStop]:
    """Install :meth:`SigintStop.handle` for SIGINT within the block (main thread only;
    elsewhere the signal cannot be caught and nothing is installed)."""
    stop = SigintStop(solving=solving)
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = signal.signal(signal.SIGINT, stop.handle)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)
