"""Stop a CP-SAT search from outside: ``solve_watched`` runs ``solve`` in a helper thread.

Python runs signal handlers in the main thread, between bytecodes, so while the main
thread sits inside ``CpSolver.solve`` a Ctrl-C handler (or the default
``KeyboardInterrupt``) waits for the whole search. CP-SAT's own SIGINT handler is
switched off (``catch_sigint_signal``, see :data:`scheduler.cpsat.DEFAULT_PARAMS`)
so that it neither swallows the signal nor leaves the caller's handler disconnected.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from ortools.sat.python import cp_model

__all__ = ["POLL_SECONDS", "solve_watched", "wait_idle"]

POLL_SECONDS = 0.02  # how often the waiting thread looks at the stop event

_idle = threading.Condition()
_running = 0  # CP-SAT searches under way in this process


def wait_idle(timeout: float) -> bool:
    """Wait until no CP-SAT search of :func:`solve_watched` runs (at most ``timeout``
    seconds); whether none does. ``scheduler.solve`` calls it before letting a
    ``KeyboardInterrupt`` through, so that a process exiting on it never kills a
    search thread mid-solve."""
    with _idle:
        return _idle.wait_for(lambda: _running == 0, timeout)


def solve_watched(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    callback: cp_model.CpSolverSolutionCallback | None,
    stop: threading.Event | None,
) -> Any:
    """``solver.solve(model, callback)`` in a helper thread, this one waiting on an
    event in short steps: it calls ``stop_search()`` (again and again, in case the
    search had not started yet) once ``stop`` is set, and it stays able to run signal
    handlers. A ``KeyboardInterrupt`` while waiting stops the search and waits for it
    to end before propagating: a process that exits while CP-SAT's threads still run
    aborts ("terminate called without an active exception"). The wait is on an
    event of our own, not ``Thread.join``, which an interrupt can leave returning
    early (Python 3.11)."""
    global _running
    box: dict[str, Any] = {}
    finished = threading.Event()

    def run() -> None:
        global _running
        try:
            box["code"] = solver.solve(model, callback)
        except BaseException as exc:  # re-raised in the caller's thread
            box["exc"] = exc
        finally:
            finished.set()
            with _idle:
                _running -= 1
                _idle.notify_all()

    with _idle:
        _running += 1

    threading.Thread(target=run, name="cpsat-solve", daemon=True).start()
    try:
        while not finished.wait(POLL_SECONDS):
            if stop is not None and stop.is_set():
                solver.stop_search()
    except BaseException:
        while not finished.is_set():
            solver.stop_search()
            with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C: CP-SAT ends first
                finished.wait(POLL_SECONDS)
        raise
    if "exc" in box:
        raise box["exc"]
    return box["code"]
