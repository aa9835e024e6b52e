"""KPIs over replications: means and 95 % Student-t confidence half-widths, same shapes
as one run's KPIs (dict-valued KPIs reduced name by name)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from twin.kpi.formulas import NC_RATE_THRESHOLD

__all__ = ["aggregate_kpis", "kpi_ci95"]


# Two-sided 95 % Student t quantiles for 1..30 degrees of freedom (then the normal 1.96).
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042)  # fmt: skip


def _numbers(values: Sequence[Any]) -> np.ndarray:
    """The finite numbers among ``values`` (None, NaN, inf and flags left out)."""
    nums = [
        float(v)
        for v in values
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    ]
    return np.array(nums, dtype=float)


def _mean(values: Sequence[Any]) -> float | None:
    arr = _numbers(values)
    return float(arr.mean()) if len(arr) else None


def _ci95(values: Sequence[Any]) -> float | None:
    """95 % Student-t half-width of the mean; None below two finite values."""
    arr = _numbers(values)
    if len(arr) < 2:
        return None
    t = _T95[len(arr) - 2] if len(arr) - 1 <= len(_T95) else 1.96
    return float(t * arr.std(ddof=1) / math.sqrt(len(arr)))


def _reduce(values: Sequence[Any], number: Callable[[Sequence[Any]], float | None]) -> Any:
    """Reduce one KPI over replications: numbers with ``number``, dicts key by key."""
    first = values[0]
    if isinstance(first, dict):
        return {
            k: _reduce([v.get(k) if isinstance(v, dict) else None for v in values], number)
            for k in first
        }
    if (isinstance(first, int | float) and not isinstance(first, bool)) or first is None:
        return number(values)
    return None


def aggregate_kpis(per_run: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """KPIs over replications, with the same keys and shapes as one run's: each number is
    its mean over replications, dict-valued KPIs (``utilisation``, ...) hold per-name
    means, text is the first run's and the ``*_meets_threshold`` flags follow the mean.
    One replication returns its KPIs unchanged."""
    if not per_run:
        raise ValueError("aggregate_kpis needs at least one replication")
    if len(per_run) == 1:
        return dict(per_run[0])
    out: dict[str, Any] = {}
    for key, first in per_run[0].items():
        values = [d.get(key) for d in per_run]
        if isinstance(first, bool):
            out[key] = first  # a flag: the threshold flags are recomputed below
        elif isinstance(first, dict | int | float) or first is None:
            out[key] = _reduce(values, _mean)
        else:
            out[key] = first
    for kind in ("equipment", "process"):
        flag, mean = f"nc_rate_{kind}_meets_threshold", out.get(f"nc_rate_{kind}")
        if flag in out:
            threshold = out.get("nc_rate_threshold") or NC_RATE_THRESHOLD
            out[flag] = mean is not None and mean >= threshold
    return out


def kpi_ci95(per_run: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """95 % confidence half-widths of :func:`aggregate_kpis`'s means, same keys and
    shapes (dicts per name); None where there is no spread to estimate (one
    replication, fewer than two finite values, text and flags)."""
    if not per_run:
        raise ValueError("kpi_ci95 needs at least one replication")
    return {key: _reduce([d.get(key) for d in per_run], _ci95) for key in per_run[0]}
