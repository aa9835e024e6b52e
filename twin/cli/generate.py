"""``twin generate``: write a random Brandimarte-style FJSP instance (``.fjs`` or JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from twin.cli.app import app
from twin.cli.errors import CliError
from twin.cli.options import check_out_file, check_seed

OUT_SUFFIXES = (".fjs", ".json")
#: What a generated instance may hold (the instance readers refuse more).
MAX_JOBS = 1_000_000
MAX_MACHINES = 100_000
# generate() names its arguments; the user typed these options.
_OPTION_OF = {
    "ops_per_job": "--ops",
    "flexibility": "--flexibility",
    "durations": "--durations",
    "release": "--release",
    "due_factor": "--due-factor",
    "shift": "--shift",
    "calendar": "--calendar",
}


def _on_off(text: str) -> tuple[int, int]:
    """``"120-60"`` -> (120, 60): work 120, rest 60."""
    parts = text.split("-")
    if len(parts) != 2 or not all(p.strip().isdigit() and int(p) >= 1 for p in parts):
        raise CliError(f"--shift {text!r}: expected ON-OFF, two whole numbers >= 1 (e.g. 120-60)")
    return int(parts[0]), int(parts[1])


def parse_range(option: str, text: str) -> tuple[int, int]:
    """``"3"`` -> (3, 3), ``"2-4"`` -> (2, 4); anything else is a :class:`CliError`."""
    parts = text.strip().split("-")
    try:
        if len(parts) in (1, 2) and all(p.strip().isdigit() for p in parts):
            lo, hi = int(parts[0]), int(parts[-1])
            if lo <= hi:
                return lo, hi
    except ValueError:
        pass
    raise CliError(f"{option} {text!r}: expected N or LO-HI with 0 <= LO <= HI (e.g. 2-4)")


@app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option(help="Where to write: x.fjs (FJSPLIB) or x.json.")],
    jobs: Annotated[int, typer.Option(help="Number of jobs.")] = 10,
    machines: Annotated[int, typer.Option(help="Number of machines.")] = 5,
    ops: Annotated[str, typer.Option(help="Operations per job: N or LO-HI.")] = "5-10",
    flexibility: Annotated[str, typer.Option(help="Eligible machines per operation.")] = "1-3",
    durations: Annotated[str, typer.Option(help="Duration range, e.g. 1-99.")] = "1-99",
    seed: Annotated[int, typer.Option(help="Seed; the same seed gives the same instance.")] = 0,
    release: Annotated[
        str | None, typer.Option(help="Release dates: HI or LO-HI (JSON only).")
    ] = None,
    due_factor: Annotated[
        float | None,
        typer.Option("--due-factor", help="Due date = release + factor x work (JSON only)."),
    ] = None,
    name: Annotated[str, typer.Option(help="Instance name (default: the file name).")] = "",
    shift: Annotated[
        str | None,
        typer.Option(help="Machine calendar ON-OFF: work ON units, rest OFF, in turn (JSON only)."),
    ] = None,
    calendar: Annotated[
        str,
        typer.Option(help="How operations meet the off time: block, resume, run, free, mixed."),
    ] = "resume",
) -> None:
    """Generate a random flexible job-shop instance."""
    from scheduler import write_fjs, write_json
    from scheduler.generate import CALENDARS, generate

    suffix = out.suffix.lower()
    if suffix not in OUT_SUFFIXES:
        raise CliError(f"--out {out}: expected a .fjs or .json file name")
    check_out_file(out)
    if suffix == ".fjs" and (release is not None or due_factor is not None or shift is not None):
        raise CliError("--release/--due-factor/--shift need a .json output (.fjs has no dates)")
    if calendar not in CALENDARS:
        raise CliError(f"--calendar {calendar!r}: expected one of {', '.join(CALENDARS)}")
    for option, value, most in (("--jobs", jobs, MAX_JOBS), ("--machines", machines, MAX_MACHINES)):
        if not 1 <= value <= most:
            raise CliError(f"{option} must be in 1..{most}, got {value}")
    check_seed(seed)
    try:
        data = generate(
            jobs,
            machines,
            ops_per_job=parse_range("--ops", ops),
            flexibility=parse_range("--flexibility", flexibility),
            durations=parse_range("--durations", durations),
            seed=seed,
            release=None if release is None else parse_range("--release", release),
            due_factor=due_factor,
            name=name or out.stem,
            shift=None if shift is None else _on_off(shift),
            calendar=calendar,
        )
    except ValueError as exc:
        message = str(exc)
        arg = message.split(" ")[0].rstrip(":")
        raise CliError(message.replace(arg, _OPTION_OF.get(arg, arg), 1)) from None
    (write_fjs if suffix == ".fjs" else write_json)(data, out)
    typer.echo(
        f"wrote {out}: {data.num_jobs} jobs, {data.num_machines} machines, "
        f"{data.num_ops} operations, flexibility {data.flexibility:.2f}"
    )
