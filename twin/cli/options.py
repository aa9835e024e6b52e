"""Checks of option values shared by several commands, with the same one-line messages."""

from __future__ import annotations

from pathlib import Path

from twin.cli.errors import CliError

__all__ = ["check_out_folder", "check_solver_options"]


def check_solver_options(method: str, time_limit: float) -> None:
    """``--method`` names a solver of :data:`scheduler.METHODS`; ``--time-limit`` > 0."""
    from scheduler import METHODS

    if method not in METHODS:
        raise CliError(f"--method {method!r}: expected one of {', '.join(METHODS)}")
    if time_limit <= 0:
        raise CliError(f"--time-limit must be > 0 seconds, got {time_limit}")


def check_out_folder(out: Path | None) -> None:
    """The folder of ``--out`` exists (we write files, never create folder trees)."""
    if out is not None and not out.parent.exists():
        raise CliError(f"--out {out}: folder {out.parent} does not exist")
