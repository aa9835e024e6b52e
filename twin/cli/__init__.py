"""``twin`` command line: thin over the Python API. Each command lives in its own module
and registers itself on :data:`twin.cli.app.app` when imported here."""

from __future__ import annotations

# Command modules, imported for their registration side effect. Each keeps its heavy
# imports (ortools, numba, simpy, plotly) inside the command so `twin --help` stays fast.
from twin.cli import bench as _bench  # noqa: F401
from twin.cli import generate as _generate  # noqa: F401
from twin.cli import report as _report  # noqa: F401
from twin.cli import run as _run  # noqa: F401
from twin.cli import scenario as _scenario  # noqa: F401
from twin.cli import schedule as _schedule  # noqa: F401
from twin.cli.app import app
from twin.cli.errors import main

__all__ = ["app", "main"]
