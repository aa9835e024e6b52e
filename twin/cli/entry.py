"""How the CLI fails: one readable line on stderr, never a traceback.

- exit 2: user errors: :class:`CliError` (bad option values), ``scheduler.SchedulerError``
  (bad instance files), ``twin.errors.TwinError`` (bad scenarios, run folders), files that
  cannot be read or written, and click's usage errors (unknown option, missing argument);
- exit 130: Ctrl-C (:mod:`twin.cli.interrupt`), with what was interrupted and kept;
- exit 70 (``EX_SOFTWARE``): anything else is a bug of ours: one line saying so, and the
  traceback with ``TWIN_DEBUG=1``.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence

import typer

from scheduler.errors import SchedulerError
from twin.cli.errors import EXIT_BUG, EXIT_USAGE, CliError
from twin.cli.interrupt import EXIT_INTERRUPTED, Interrupted
from twin.errors import TwinError

__all__ = ["run"]


def _one_line(message: str) -> str:
    return " ".join(str(message).split()) if "\n" not in str(message) else str(message).strip()


def _os_error(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


def _exit_interrupted() -> None:
    """Exit 130, ignoring Ctrl-C from now on: a signal still pending from a C extension
    (or pressed again) must not turn the exit into a death by SIGINT during shutdown."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(EXIT_INTERRUPTED)


def run(argv: Sequence[str] | None = None) -> None:
    """Run the typer app with ``argv`` and map every way it can end to an exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        from twin.cli.commands import app  # registers every command

        code = app(args=args, prog_name="twin", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        print("twin: interrupted", file=sys.stderr)
        _exit_interrupted()
    except Interrupted as exc:
        print(f"twin: interrupted: {_one_line(str(exc))}", file=sys.stderr)
        _exit_interrupted()
    except typer.TyperException as exc:  # click's usage errors (typer vendors click)
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `twin`: help was printed
            sys.exit(0)
        hint = ""
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            hint = f" (see '{ctx.command_path} --help')"
        print(f"twin: error: {_one_line(exc.format_message())}{hint}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", EXIT_USAGE) or EXIT_USAGE)
    except (CliError, SchedulerError, TwinError) as exc:
        print(f"twin: error: {_one_line(str(exc))}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    except OSError as exc:  # a file that cannot be read or written
        print(f"twin: error: {_one_line(_os_error(exc))}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    except ValueError as exc:
        # Validation errors of the Python API (bad method, bad time limit, ...).
        print(f"twin: error: {_one_line(str(exc))}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    except MemoryError:
        print("twin: error: out of memory", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    except Exception as exc:
        if os.environ.get("TWIN_DEBUG"):
            raise
        print(
            f"twin: internal error: {type(exc).__name__}: {_one_line(str(exc))[:300]} "
            "(a bug: please report it; TWIN_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        sys.exit(EXIT_BUG)
    sys.exit(code if isinstance(code, int) else 0)
