"""How the CLI fails: one readable line on stderr and exit code 2, never a traceback.

User errors are :class:`CliError` (bad option values), ``scheduler.SchedulerError``
(bad instance files) and ``twin.errors.TwinError`` (bad scenarios); click's own usage
errors (unknown option, missing argument) are shortened to one line the same way.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from scheduler.errors import SchedulerError

__all__ = ["EXIT_USAGE", "CliError", "main"]

EXIT_USAGE = 2


class CliError(Exception):
    """A user error the CLI reports as one line (exit code 2)."""


def _user_error_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [CliError, SchedulerError, FileNotFoundError]
    try:
        from twin.errors import TwinError

        types.append(TwinError)
    except ImportError:  # pragma: no cover - twin.errors always ships; defensive only
        pass
    return tuple(types)


def _one_line(message: str) -> str:
    return " ".join(str(message).split()) if "\n" not in str(message) else str(message).strip()


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: run the typer app and map user errors to exit code 2."""
    from twin.cli import app  # the package import registers every command

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = app(args=args, prog_name="twin", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("twin: aborted", file=sys.stderr)
        sys.exit(130)
    except typer.TyperException as exc:  # click's usage errors (typer vendors click)
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `twin`: help was printed
            sys.exit(0)
        hint = ""
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            hint = f" (see '{ctx.command_path} --help')"
        print(f"twin: error: {_one_line(exc.format_message())}{hint}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", EXIT_USAGE) or EXIT_USAGE)
    except _user_error_types() as exc:
        print(f"twin: error: {_one_line(str(exc))}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    except ValueError as exc:
        # Validation errors of the Python API (bad method, bad time limit, ...).
        print(f"twin: error: {_one_line(str(exc))}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        print("twin: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
