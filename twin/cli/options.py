"""Checks of option values shared by several commands, with the same one-line messages.

Every check runs before any work starts, so a bad flag or an unwritable ``--out``
never costs a solve or a simulation. The bounds are the scenario's
(:mod:`twin.scenario.bounds`): a flag may not ask for what a scenario file may not.
"""

from __future__ import annotations

import math
from pathlib import Path

from twin.cli.errors import CliError
from twin.runs.write import check_file_target
from twin.scenario.bounds import (
    MAX_FILE_BYTES,
    MAX_REPLICATIONS,
    MAX_SEED,
    MAX_TIME_LIMIT_SECONDS,
)

__all__ = [
    "MAX_WORKERS",
    "check_out_file",
    "check_replications",
    "check_seed",
    "check_solver_options",
    "check_time_limit",
    "check_workers",
    "max_bytes",
]

#: Solver threads: far above any workstation; CP-SAT itself refuses absurd values late.
MAX_WORKERS = 1024


def check_time_limit(value: float, flag: str = "--time-limit") -> None:
    """A finite number of seconds in (0, one day]: ``nan`` would never end a solve."""
    if not math.isfinite(value) or not 0 < value <= MAX_TIME_LIMIT_SECONDS:
        raise CliError(
            f"{flag} must be > 0 and <= {MAX_TIME_LIMIT_SECONDS:g} seconds (one day), got {value}"
        )


def check_solver_options(method: str, time_limit: float) -> None:
    """``--method`` names a solver of :data:`scheduler.METHODS`; ``--time-limit`` is sane."""
    from scheduler import METHODS  # the scheduler loads inside commands: fast `--help`

    if method not in METHODS:
        raise CliError(f"--method {method!r}: expected one of {', '.join(METHODS)}")
    check_time_limit(time_limit)


def check_seed(seed: int | None, flag: str = "--seed") -> None:
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise CliError(f"{flag} must be in 0..{MAX_SEED} (CP-SAT takes a 32-bit seed), got {seed}")


def check_workers(workers: int | None) -> None:
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise CliError(f"--workers must be in 1..{MAX_WORKERS}, got {workers}")


def check_replications(replications: int | None) -> None:
    if replications is not None and not 1 <= replications <= MAX_REPLICATIONS:
        raise CliError(f"--replications must be in 1..{MAX_REPLICATIONS}, got {replications}")


def max_bytes(megabytes: float | None) -> int:
    """``--max-size MB`` as bytes (default: :data:`MAX_FILE_BYTES`)."""
    if megabytes is None:
        return MAX_FILE_BYTES
    if not math.isfinite(megabytes) or not 0 < megabytes <= 1e6:
        raise CliError(f"--max-size must be > 0 and <= 1000000 MB, got {megabytes}")
    return int(megabytes * 2**20)


def check_out_file(out: Path | None, suffixes: tuple[str, ...] = (), what: str = "--out") -> None:
    """``--out`` names a file with one of ``suffixes`` that can be written (its folder
    exists and is writable; it is not a folder)."""
    if out is None:
        return
    if suffixes and out.suffix.lower() not in suffixes:
        names = " or ".join(suffixes)
        raise CliError(f"{what} {out}: expected a {names} file name")
    check_file_target(out, what)
