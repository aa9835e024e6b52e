"""Golden KPIs: every bundled scenario at a fixed seed gives the recorded KPIs.

Reproducible path: a CP-SAT solve under a wall-clock limit is not reproducible, so
golden runs dispatch online with the scenario's rule when ``run.scheduling`` names one,
else with ``ect`` (the scheduler's default rule); one replication at the scenario's
seed. Numbers are compared to a relative 1e-9 (plus the number of events, exactly).

Regenerate after an intended change of the model or of a scenario with::

    UPDATE_GOLDEN=1 python -m pytest tests/twin/test_golden.py

and review the diff of ``tests/twin/golden/*.json`` before committing it.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from twin.run import simulate
from twin.scenario import Scenario, load_scenario
from twin.sim.execute import RULES

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def golden_method(scenario: Scenario) -> str:
    """The scenario's dispatch rule, or ``ect`` when it asks for a solver."""
    how = scenario.run.scheduling
    return how if how in RULES else "ect"


def _compare(actual: Any, expected: Any, path: str) -> list[str]:
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(actual) != set(expected):
            return [f"{path}: keys {sorted(actual) if isinstance(actual, dict) else actual} "
                    f"!= {sorted(expected)}"]  # fmt: skip
        return [m for k in expected for m in _compare(actual[k], expected[k], f"{path}.{k}")]
    if isinstance(expected, float) and isinstance(actual, int | float):
        if math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12):
            return []
    elif actual == expected:
        return []
    return [f"{path}: {actual!r} != golden {expected!r}"]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_golden_kpis(path: Path) -> None:
    """The scenario's KPIs at its seed match tests/twin/golden/<stem>.json."""
    scenario = load_scenario(path)
    method = golden_method(scenario)
    run = simulate(scenario, method=method)
    actual = {
        "scenario": path.stem,
        "seed": scenario.run.seed,
        "method": method,
        "events": len(run.log),
        "kpis": run.kpis.to_dict(),
    }
    actual = json.loads(json.dumps(actual))  # tuples -> lists, as stored
    golden = GOLDEN / f"{path.stem}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n", "utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run with UPDATE_GOLDEN=1"
    expected = json.loads(golden.read_text("utf-8"))
    problems = _compare(actual, expected, path.stem)
    assert not problems, "\n".join(problems[:10])
