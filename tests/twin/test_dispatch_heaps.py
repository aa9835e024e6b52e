"""The heap dispatcher decides exactly as the brute-force scan it replaced: same event
log, byte for byte, for every rule but ``random`` (whose draws changed from one per
pair and decision to one per lot and wait: its KPIs agree within their intervals)."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

import twin
from tests.twin.brute_dispatch import BruteForceDispatchRun
from twin.kpi.replications import aggregate_kpis, kpi_ci95
from twin.scenario import Scenario
from twin.sim.dispatch import DispatchRun

# the module, not the function twin.sim re-exports under the same name
execute = importlib.import_module("twin.sim.execute")
SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))
RULES = ("spt", "lpt", "mwkr", "mor", "edd", "fifo", "ect")


def _log(scenario: Scenario | Path, rule: str, cls: type, seed: int = 3) -> list[tuple]:
    original = execute.DispatchRun
    execute.DispatchRun = cls  # type: ignore[misc]
    try:
        return list(twin.simulate(scenario, method=rule, seed=seed).log.rows())
    finally:
        execute.DispatchRun = original  # type: ignore[misc]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
@pytest.mark.parametrize("rule", RULES)
def test_same_log_as_the_brute_force_scan(path: Path, rule: str) -> None:
    heaps = _log(path, rule, DispatchRun)
    assert heaps == _log(path, rule, BruteForceDispatchRun)
    assert len(heaps) > 50


def _arrivals() -> Scenario:
    """Open-ended arrivals over routes with alternatives, a full buffer (blocking) and a
    re-entrant step, loaded near capacity: many lots wait at once."""
    return Scenario.from_dict({
        "name": "busy",
        "stations": [
            {"id": "a", "count": 2, "setup": {"default": 3}},
            {"id": "b", "count": 2},
            {"id": "c"},
        ],
        "buffers": [{"id": "after_a", "capacity": 1, "after": "a"}],
        "products": [
            {"id": "p", "family": "x", "routing": [
                {"stations": {"a": 2, "b": 3}}, {"stations": {"c": 1}}, {"stations": {"a": 1}}]},
            {"id": "q", "family": "y", "routing": [
                {"stations": {"b": 2}}, {"stations": {"a": 2, "c": 2}}]},
        ],
        "arrivals": {"interarrival": {"dist": "exponential", "mean": 3.2},
                     "quantity": 1, "mix": {"p": 1, "q": 1}, "due_after": 30},
        "run": {"horizon": 3000, "breakdowns": False},
    })  # fmt: skip


@pytest.mark.parametrize("rule", RULES)
def test_same_log_with_arrivals_blocking_and_reentry(rule: str) -> None:
    scenario = _arrivals()
    heaps = _log(scenario, rule, DispatchRun, seed=11)
    assert heaps == _log(scenario, rule, BruteForceDispatchRun, seed=11)
    assert sum(1 for row in heaps if row[1] == "op_end") > 1000


@pytest.mark.slow
def test_random_rule_agrees_within_confidence_intervals() -> None:
    """Same shop, 30 replications each way: mean lead time and throughput of the two
    random dispatchers differ by less than their 95 % half-widths combined."""
    scenario = _arrivals()
    means, cis = [], []
    for cls in (DispatchRun, BruteForceDispatchRun):
        per_run = []
        original = execute.DispatchRun
        execute.DispatchRun = cls  # type: ignore[misc]
        try:
            per_run = [twin.simulate(scenario, method="random", seed=s).kpis.to_dict()
                       for s in range(30)]  # fmt: skip
        finally:
            execute.DispatchRun = original  # type: ignore[misc]
        means.append(aggregate_kpis(per_run))
        cis.append(kpi_ci95(per_run))
    for key in ("lead_time_mean", "throughput_per_hour", "wip_mean"):
        gap = abs(means[0][key] - means[1][key])
        assert gap <= cis[0][key] + cis[1][key], (key, means[0][key], means[1][key])
    assert np.isfinite(means[0]["lead_time_mean"])
