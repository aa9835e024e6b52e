"""``twin`` command line: thin over the Python API. Each command lives in its own module
and registers itself on :data:`twin.cli.app.app` when imported here."""

from __future__ import annotations

# Command modules (import for their registration side effect).
from twin.cli import bench as _bench  # noqa: F401
from twin.cli import schedule as _schedule  # noqa: F401
from twin.cli.app import app
from twin.cli.errors import main

__all__ = ["app", "main"]
