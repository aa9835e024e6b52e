"""The CLI's own user error and its exit codes (the mapping: :mod:`twin.cli.entry`)."""

from __future__ import annotations

__all__ = ["EXIT_BUG", "EXIT_USAGE", "CliError"]

#: Bad input of any kind (option, scenario, instance, run folder, file).
EXIT_USAGE = 2
#: EX_SOFTWARE: anything else is a bug of ours.
EXIT_BUG = 70


class CliError(Exception):
    """A user error the CLI reports as one line (exit code 2)."""
