"""``twin`` command line: thin over the Python API. Each command lives in its own module
and registers itself on :data:`twin.cli.app.app` when imported here."""

from __future__ import annotations

from twin.cli.app import app
from twin.cli.errors import main

# Command modules (import for their registration side effect).
from twin.cli import schedule as _schedule  # noqa: E402,F401

__all__ = ["app", "main"]
