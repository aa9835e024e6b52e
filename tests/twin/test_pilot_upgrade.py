"""The pilot's question, answered with confidence: the upgrade to >= 70 % 数控化率 changes
throughput, lead time and labour hours per part by more than the replication noise
(README, "The pilot's answer"). Slow: 2 x 20 replications of four weeks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import twin
from twin.kpi.replications import aggregate_kpis, kpi_ci95

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _runs(name: str) -> tuple[dict[str, Any], dict[str, Any], list[twin.Run]]:
    runs = twin.replicate(SCENARIOS / f"{name}.yaml")
    per_run = [r.kpis.to_dict() for r in runs]
    return aggregate_kpis(per_run), kpi_ci95(per_run), runs


def _busy_share(runs: list[twin.Run], station: str) -> float:
    """The station's busy time over its time on shift, over all replications."""
    busy = shift = 0.0
    for run in runs:
        for unit, times in run.kpis.state_time.items():
            if run.scenario.unit_station.get(unit) == station:
                busy += times["busy"]
                shift += sum(times.values()) - times["off"]
    return busy / shift


@pytest.mark.slow
def test_the_upgrade_beats_the_pilot_beyond_the_confidence_intervals() -> None:
    base, base_ci, base_runs = _runs("pilot_workshop")
    up, up_ci, _ = _runs("pilot_workshop_nc70")
    assert len(base_runs) == 20
    # the pilot is loaded: its bottleneck busy 75-90 % of its shift time
    assert 0.75 <= max(_busy_share(base_runs, s) for s in ("cell_vmc", "manual_mill")) <= 0.90
    for key, better in (
        ("throughput_per_hour", 1), ("lead_time_mean", -1), ("labour_hours_per_good_part", -1),
        ("worked_hours_per_good_part", -1),
    ):  # fmt: skip
        gap = better * (up[key] - base[key])
        assert gap > base_ci[key] + up_ci[key], (key, base[key], up[key])
    assert base["nc_rate_equipment"] < 0.7 <= up["nc_rate_equipment"]
