"""The typer application every command module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="twin",
    help="shopfloor-twin: digital twin and flexible job-shop scheduler for digital workshops.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
