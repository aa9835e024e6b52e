"""``twin`` command line: thin over the Python API.

:func:`main` is the console entry point. It is defined here, before anything heavy is
imported, so that a Ctrl-C while the commands load (typer, rich, pydantic) ends with
one line and exit code 130 instead of a traceback. The commands register themselves on
:data:`twin.cli.app.app` when :mod:`twin.cli.commands` imports them; each keeps its
heavy imports (ortools, numba, simpy, plotly) inside the command so ``twin --help``
stays fast.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["app", "main"]


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``twin`` with ``argv`` (default ``sys.argv[1:]``); exits with its code.

    While the commands load, Ctrl-C only sets a flag: a KeyboardInterrupt raised inside
    the import machinery (a module lock's weakref callback) is swallowed by CPython as
    "unraisable", and the command would then run on as if nothing had been pressed."""
    pressed: list[int] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda *_: pressed.append(1))
    except ValueError:  # not the main thread: no handler of ours
        previous = None
    try:
        from twin.cli.commands import app  # noqa: F401  (registers every command)
        from twin.cli.entry import run
    except KeyboardInterrupt:
        pressed.append(1)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if pressed:
        print("twin: interrupted while starting; nothing was done", file=sys.stderr)
        sys.exit(130)
    run(argv)


def __getattr__(name: str) -> Any:
    if name == "app":  # the typer app with every command registered
        from twin.cli.commands import app

        return app
    raise AttributeError(f"module 'twin.cli' has no attribute {name!r}")
