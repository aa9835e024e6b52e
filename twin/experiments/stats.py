"""Statistics of a sweep: per-point means with 95 % intervals, paired differences against
the baseline, and how many replications each KPI needs.

Input is the long frame of ``results.csv``: columns ``point``, ``replication``, ``seed``
and one column per KPI. Every function returns a new frame.

- :func:`summarise`: per point and KPI, ``n``, ``mean``, ``std`` (ddof 1), ``ci95``
  (Student-t half-width ``t(n-1) s / sqrt(n)``), ``ci95_rel`` (``ci95 / |mean|``) and
  ``replications_needed``: the smallest ``n`` with ``t(n-1) s / sqrt(n) <= precision x
  |mean|`` (Law and Kelton's sequential rule, with this sample's ``s`` as the estimate
  of the spread).
- :func:`differences`: per point and KPI, the mean of the differences
  ``x(point, r) - x(baseline, r)`` over the replications ``r`` both have, with its paired
  half-width; paired only when both points ran with the same seed (common random
  numbers), otherwise the Welch half-width. The unpaired half-width is given beside it
  to show what the pairing buys.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd

__all__ = ["KEY_COLUMNS", "differences", "kpi_columns", "replications_needed", "summarise", "t95"]

KEY_COLUMNS = ("point", "replication", "seed")
#: Largest number of replications :func:`replications_needed` reports.
MAX_NEEDED = 1_000_000

_Z = NormalDist().inv_cdf(0.975)
_EXACT = {1: 12.7062047, 2: 4.3026527, 3: 3.1824463}


def t95(df: float) -> float:
    """Two-sided 95 % Student-t quantile (``t(0.975, df)``): exact for 1-3 degrees of
    freedom, the Cornish-Fisher expansion beyond (error below 0.001); NaN below 1."""
    if not df >= 1:
        return math.nan
    if df in _EXACT:
        return _EXACT[int(df)]
    z, v = _Z, float(df)
    return (
        z
        + (z**3 + z) / (4 * v)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * v**4)
    )


def kpi_columns(results: pd.DataFrame) -> list[str]:
    """The KPI columns of a results frame (everything but the key columns)."""
    return [c for c in results.columns if c not in KEY_COLUMNS]


def replications_needed(mean: float, std: float, precision: float) -> float:
    """Smallest number of replications whose 95 % half-width is at most ``precision``
    times ``|mean|``, given the spread ``std`` (NaN when undefined: fewer than two
    replications or a mean of 0; at least 2 for a KPI with spread, 1 for one without)."""
    if not (math.isfinite(mean) and math.isfinite(std)) or mean == 0:
        return math.nan
    if std == 0:
        return 1.0
    target = precision * abs(mean)
    start = max(2, math.ceil((_Z * std / target) ** 2))
    for k in range(start, MAX_NEEDED + 1):
        if t95(k - 1) * std / math.sqrt(k) <= target:
            return float(k)
    return float(MAX_NEEDED)


def _describe(values: np.ndarray, precision: float) -> dict[str, float]:
    x = values[np.isfinite(values)]
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    std = float(x.std(ddof=1)) if n > 1 else math.nan
    half = t95(n - 1) * std / math.sqrt(n) if n > 1 else math.nan
    rel = half / abs(mean) if n > 1 and mean != 0 else math.nan
    needed = replications_needed(mean, std, precision) if n > 1 else math.nan
    return {
        "n": n,
        "mean": mean,
        "std": std,
        "ci95": half,
        "ci95_rel": rel,
        "replications_needed": needed,
    }


def summarise(results: pd.DataFrame, precision: float = 0.05) -> pd.DataFrame:
    """Per point (in their order of appearance) and KPI: n, mean, std, ci95, ci95_rel,
    replications_needed."""
    rows = []
    kpis = kpi_columns(results)
    for point, group in results.groupby("point", sort=False):
        for kpi in kpis:
            stats = _describe(group[kpi].to_numpy(dtype=float), precision)
            if stats["n"]:
                rows.append({"point": point, "kpi": kpi} | stats)
    columns = ["point", "kpi", "n", "mean", "std", "ci95", "ci95_rel", "replications_needed"]
    return pd.DataFrame(rows, columns=columns)


def _welch(a: np.ndarray, b: np.ndarray) -> float:
    """95 % half-width of ``mean(a) - mean(b)`` for independent samples (Welch)."""
    if len(a) < 2 or len(b) < 2:
        return math.nan
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    if va + vb == 0:
        return 0.0
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return float(t95(df) * math.sqrt(va + vb))


def differences(results: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Per point other than ``baseline`` and KPI: ``diff`` (mean of the paired
    differences point - baseline), ``ci95`` (paired half-width when the seeds match,
    Welch otherwise: see ``paired``), ``ci95_unpaired``, ``diff_rel`` (``diff`` over the
    baseline's mean) and ``significant`` (the interval excludes 0)."""
    columns = [
        "point",
        "baseline",
        "kpi",
        "n",
        "paired",
        "baseline_mean",
        "diff",
        "diff_rel",
        "ci95",
        "ci95_unpaired",
        "significant",
    ]
    base = results[results["point"] == baseline]
    if base.empty:
        return pd.DataFrame(columns=columns)
    base = base.set_index("replication")
    base_seeds = set(base["seed"].dropna().tolist())
    rows = []
    for point, group in results.groupby("point", sort=False):
        if point == baseline:
            continue
        group = group.set_index("replication")
        common = group.index.intersection(base.index)
        paired = set(group["seed"].dropna().tolist()) == base_seeds and len(base_seeds) == 1
        for kpi in kpi_columns(results):
            if kpi not in base.columns:
                continue
            a_all = group[kpi].to_numpy(dtype=float)
            b_all = base[kpi].to_numpy(dtype=float)
            a_all, b_all = a_all[np.isfinite(a_all)], b_all[np.isfinite(b_all)]
            if not len(a_all) or not len(b_all):
                continue
            unpaired = _welch(a_all, b_all)
            if paired:
                d = (group.loc[common, kpi] - base.loc[common, kpi]).to_numpy(dtype=float)
                d = d[np.isfinite(d)]
                n = len(d)
                diff = float(d.mean()) if n else math.nan
                half = float(t95(n - 1) * d.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
            else:
                n = min(len(a_all), len(b_all))
                diff = float(a_all.mean() - b_all.mean())
                half = unpaired
            base_mean = float(b_all.mean())
            rows.append(
                {
                    "point": point,
                    "baseline": baseline,
                    "kpi": kpi,
                    "n": n,
                    "paired": paired,
                    "baseline_mean": base_mean,
                    "diff": diff,
                    "diff_rel": diff / abs(base_mean) if base_mean != 0 else math.nan,
                    "ci95": half,
                    "ci95_unpaired": unpaired,
                    "significant": bool(math.isfinite(half) and abs(diff) > half),
                }
            )
    return pd.DataFrame(rows, columns=columns)
