"""Reading a benchmark's timing in a way that also works with ``--benchmark-disable``."""

from __future__ import annotations

from typing import Any


def median_seconds(benchmark: Any) -> float | None:
    """Median wall time of the benchmarked call, or None when timing is disabled
    (``--benchmark-disable`` runs each benchmark once as a plain test)."""
    stats = getattr(benchmark, "stats", None)
    return None if stats is None else float(stats.stats.median)


def per_second(benchmark: Any, count: float) -> float | None:
    """``count`` items per median second, or None when timing is disabled."""
    median = median_seconds(benchmark)
    return None if median is None or median <= 0 else count / median
