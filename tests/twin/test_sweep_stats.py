"""Sweep statistics against plain formulas; the Pareto front; comparing folders."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twin.experiments import differences, replications_needed, summarise, t95
from twin.kpi.replications import _T95
from twin.plot.compare import pareto_front


def _frame(seed_b: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    common = rng.normal(0.0, 1.0, 6)  # what common random numbers share
    rows = []
    for point, shift, seed in (("a", 0.0, 7), ("b", 0.5, seed_b)):
        for r in range(6):
            rows.append({"point": point, "replication": r, "seed": seed,
                         "x": 10.0 + shift + common[r] + 0.1 * rng.normal(),
                         "flat": 3.0})  # fmt: skip
    return pd.DataFrame(rows)


def test_t_quantiles_match_the_table() -> None:
    """Within 0.002 of the printed table for 1..30 degrees of freedom, 1.96 in the limit."""
    assert max(abs(t95(df) - _T95[df - 1]) for df in range(1, 31)) < 0.002
    assert abs(t95(10_000) - 1.96) < 1e-3 and math.isnan(t95(0))


def test_summary_is_the_textbook_interval() -> None:
    frame = _frame()
    row = summarise(frame).set_index(["point", "kpi"]).loc[("a", "x")]
    x = frame.loc[frame["point"] == "a", "x"].to_numpy()
    assert row["n"] == 6 and row["mean"] == pytest.approx(x.mean())
    assert row["std"] == pytest.approx(x.std(ddof=1))
    assert row["ci95"] == pytest.approx(2.571 * x.std(ddof=1) / math.sqrt(6), rel=1e-3)


def test_paired_differences_use_common_random_numbers() -> None:
    """Same seed: the paired interval, much tighter than the unpaired one; another
    seed: Welch's interval."""
    frame = _frame()
    d = differences(frame, "a").set_index("kpi").loc["x"]
    a, b = (frame.loc[frame["point"] == p, "x"].to_numpy() for p in ("a", "b"))
    assert bool(d["paired"]) and d["diff"] == pytest.approx((b - a).mean())
    assert d["ci95"] == pytest.approx(2.571 * (b - a).std(ddof=1) / math.sqrt(6), rel=1e-3)
    assert d["ci95"] < d["ci95_unpaired"] / 3 and bool(d["significant"])
    welch = differences(_frame(seed_b=8), "a").set_index("kpi").loc["x"]
    assert not bool(welch["paired"]) and welch["ci95"] == pytest.approx(welch["ci95_unpaired"])


@pytest.mark.parametrize(("mean", "std", "precision"), [(100.0, 10.0, 0.05), (5.0, 3.0, 0.1),
                                                         (-2.0, 0.5, 0.05)])  # fmt: skip
def test_replications_needed_is_the_smallest_that_reaches_the_precision(
    mean: float, std: float, precision: float
) -> None:
    n = int(replications_needed(mean, std, precision))

    def half(k: int) -> float:
        return t95(k - 1) * std / math.sqrt(k)

    assert half(n) <= precision * abs(mean) < half(n - 1)


def test_replications_needed_without_spread_or_mean() -> None:
    assert replications_needed(3.0, 0.0, 0.05) == 1.0
    assert math.isnan(replications_needed(0.0, 1.0, 0.05))
    assert summarise(_frame()).set_index(["point", "kpi"]).loc[("a", "flat"), "ci95"] == 0.0


def test_pareto_front_keeps_the_undominated_points() -> None:
    """Cheapest for what it gives: (0, 1) (1, 3) (3, 4) stay, (2, 2) and (4, 4) go."""
    costs, values = [0, 1, 2, 3, 4, math.nan], [1, 3, 2, 4, 4, 9]
    assert pareto_front(costs, values) == [True, True, False, True, False, False]
    # minimising labour: the cheapest stays, (2, 7) costs more than (1, 5) for more hours
    assert pareto_front([0, 1, 2], [10, 5, 7], maximise=False) == [True, True, False]


def test_compare_run_folders_pairs_runs_of_one_seed(tmp_path: Path) -> None:
    """Two `twin run` folders of two scenarios at one seed compare paired."""
    from tests.twin.sweep_fixtures import TINY_SCENARIO
    from twin.experiments import compare_folders
    from twin.run import replicate, write_run
    from twin.scenario import Scenario
    from twin.scenario.load import read_yaml

    (tmp_path / "tiny.yaml").write_text(TINY_SCENARIO, encoding="utf-8")
    doc = read_yaml(tmp_path / "tiny.yaml")
    assert isinstance(doc, dict)
    for name, count in (("one", 1), ("two", 2)):
        doc["stations"][0]["count"] = count
        write_run(tmp_path / name, replicate(Scenario.from_dict(doc), 3))
    result = compare_folders([tmp_path / "one", tmp_path / "two"])
    assert result.baseline == "one" and result.points["point"].tolist() == ["one", "two"]
    row = result.differences.set_index("kpi").loc["nc_rate_equipment"]
    assert bool(row["paired"]) and row["diff"] == pytest.approx(1 / 6)
    assert result.results.groupby("point").size().tolist() == [3, 3]
