"""Every ``twin`` command, registered on the app by importing its module."""

from __future__ import annotations

from twin.cli import bench as _bench  # noqa: F401
from twin.cli import generate as _generate  # noqa: F401
from twin.cli import replay as _replay  # noqa: F401
from twin.cli import report as _report  # noqa: F401
from twin.cli import run as _run  # noqa: F401
from twin.cli import scenario as _scenario  # noqa: F401
from twin.cli import schedule as _schedule  # noqa: F401
from twin.cli import serve as _serve  # noqa: F401
from twin.cli import sweep as _sweep  # noqa: F401
from twin.cli.app import app

__all__ = ["app"]
