"""The vectorised KPI scan (:func:`twin.kpi.scan.scan_columns`) against the row loop
(:func:`twin.kpi.scan.scan_rows`, the reference): the same scan to the last bit on
every bundled scenario, with and without a warm-up that cuts busy periods and a
horizon that cuts the last ones, and the row loop taken where the columns cannot do."""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from twin.eventlog import EventLog
from twin.kpi import scan
from twin.kpi.scan import Scan, scan_columns, scan_rows
from twin.run import simulate
from twin.scenario import Scenario, load_scenario
from twin.sim.build import shop_info
from twin.sim.execute import RULES

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
sys.path.insert(0, str(ROOT))
from benchmarks.twin_scale import scenario_dict  # noqa: E402


def _same(a: Any, b: Any, path: str) -> None:
    """Equal to the last bit (NaN equals NaN; 0.0 and -0.0 are told apart)."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), path
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, dict):
        assert isinstance(b, dict), path
        assert list(a) == list(b), f"{path}: keys {list(a)} != {list(b)}"
        for k in a:
            _same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float):
        assert isinstance(b, float), f"{path}: {b!r} is not a float"
        if math.isnan(a):
            assert math.isnan(b), f"{path}: {a!r} != {b!r}"
        else:
            assert a == b and math.copysign(1, a) == math.copysign(1, b), f"{path}: {a!r} != {b!r}"
    else:
        assert a == b and type(a) is type(b), f"{path}: {a!r} != {b!r}"


def _method(scenario: Scenario) -> str:
    how = scenario.run.scheduling
    return how if how in RULES else "ect"


def _compare(scenario: Scenario, log: EventLog) -> Scan:
    shop = shop_info(scenario)
    end = None if shop.horizon is None else float(shop.horizon)
    fast = scan_columns(shop, log, end)
    assert fast is not None, "the columns should handle this log"
    _same(fast, scan_rows(shop, log, end), "scan")
    return fast


def _with_run(path: Path, **run: Any) -> Scenario:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.setdefault("run", {}).update(run)
    return Scenario.from_dict(data, source=str(path))


def _columns_or_rows(scenario: Scenario, log: EventLog) -> None:
    """The columns give the row loop's scan, or decline a log that has what only the
    row loop reads (rework, scrap, print-cell builds)."""
    shop = shop_info(scenario)
    end = None if shop.horizon is None else float(shop.horizon)
    fast = scan_columns(shop, log, end)
    printers = {u.name for u in shop.units if u.kind == "printer3d"}
    row_only = set(log.codes("kind")[1]) & {"rework", "scrap", "build_start", "build_end"}
    if fast is None:
        assert row_only or printers & set(log.codes("station")[1])
    else:
        assert not row_only
        _same(fast, scan_rows(shop, log, end), "scan")
        assert fast.lots and fast.per_unit


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_columns_equal_rows_on_bundled_scenarios(path: Path) -> None:
    scenario = load_scenario(path)
    run = simulate(scenario, method=_method(scenario), seed=scenario.run.seed)
    _columns_or_rows(scenario, run.log)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_columns_equal_rows_with_a_warmup_and_horizon(path: Path) -> None:
    """A warm-up inside the run (operations and busy periods cut by it) and a horizon
    that cuts the last operations."""
    scenario = load_scenario(path)
    first = simulate(scenario, method=_method(scenario), seed=3)
    end = max(first.log.end(), 1.0)
    cut = _with_run(path, warmup=round(end / 3, 3), horizon=round(end * 0.8, 3))
    _columns_or_rows(cut, simulate(cut, method=_method(cut), seed=3).log)


@pytest.mark.parametrize(("warmup", "block"), [(0.0, scan.BLOCK), (1234.5, 97)])
def test_columns_equal_rows_on_the_scale_shop(
    warmup: float, block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The benchmark's shop with variability and breakdowns, taken in one block of
    operations or in many."""
    monkeypatch.setattr(scan, "BLOCK", block)
    data = scenario_dict(3000, seed=5)
    data["run"].update(warmup=warmup, variability=True, breakdowns=True)
    scenario = Scenario.from_dict(data)
    run = simulate(scenario)
    found = _compare(scenario, run.log)
    assert sum(t.made for t in found.per_unit.values()) > 500


def test_rows_taken_where_columns_cannot() -> None:
    """A log with a scrap event, a lot never released, or an unknown unit: the row loop."""
    scenario = Scenario.from_dict(scenario_dict(200, seed=2))
    run = simulate(scenario)
    shop = shop_info(scenario)
    rows = list(run.log.rows())
    base = EventLog()
    for t, kind, station, j, o, state, value, product in rows:
        base.record(t, kind, station, job=j, operation=o, state=state, value=value,
                    product=product)  # fmt: skip
    assert scan_columns(shop, base, shop.horizon) is not None
    t, _, station, j, o, *_ = next(r for r in rows if r[1] == "op_end")
    for extra in (
        (t, "scrap", station, j, o, "", 1.0, ""),
        (t, "op_end", "no_such_unit", j, o, "", 1.0, ""),
        (t, "op_end", station, 10**6, 0, "", 1.0, ""),
    ):
        log = EventLog()
        for r in [*rows, extra]:
            log.record(r[0], r[1], r[2], job=r[3], operation=r[4], state=r[5], value=r[6],
                       product=r[7])  # fmt: skip
        assert scan_columns(shop, log, shop.horizon) is None, extra[1:3]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_columns_equal_rows_on_bundled_logs_without_scrap(path: Path) -> None:
    """Every bundled scenario's log (operators, robots, transport, buffers and blocking,
    breakdowns, setups, shifts, handling), without what only the row loop reads (scrap,
    rework, print cells: their rows dropped, finishes with the lot's parts): the
    columns give the row loop's scan."""
    scenario = load_scenario(path)
    run = simulate(scenario, method=_method(scenario), seed=scenario.run.seed)
    shop = shop_info(scenario)
    printers = {u.name for u in shop.units if u.kind == "printer3d"}
    quantity: dict[int, float] = {}
    log = EventLog()
    for t, kind, station, j, o, state, value, product in run.log.rows():
        if kind in ("scrap", "rework", "build_start", "build_end") or station in printers:
            continue
        if kind == "release":
            jobs = shop.jobs
            quantity[j] = float(jobs[j].quantity if 0 <= j < len(jobs) else value)
        if kind == "finish":
            state, value = "", quantity[j]
        log.record(t, kind, station, job=j, operation=o, state=state, value=value,
                   product=product)  # fmt: skip
    found = _compare(scenario, log)
    assert sum(t.made for t in found.per_unit.values()) > 0


def test_fewer_collections_restores_the_thresholds() -> None:
    """The run's collector thresholds hold inside (nested scopes too) and the caller's
    come back after, also when the run raises."""
    import gc

    from twin.sim.core import RUN_GC_THRESHOLD, fewer_collections

    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections():
        assert gc.get_threshold() == RUN_GC_THRESHOLD
        with fewer_collections():
            assert gc.get_threshold() == RUN_GC_THRESHOLD
        assert gc.get_threshold() == RUN_GC_THRESHOLD
        raise RuntimeError
    assert gc.get_threshold() == before


def test_columns_equal_rows_on_tiny_logs() -> None:
    """An empty log, a lot only released, a lot finished without operations."""
    shop = shop_info(Scenario.from_dict(scenario_dict(100)))
    log = EventLog()
    _same(scan_columns(shop, log, shop.horizon), scan_rows(shop, log, shop.horizon), "empty")
    log.record(1.0, "release", "", job=0, value=1, product="p01")
    _same(scan_columns(shop, log, shop.horizon), scan_rows(shop, log, shop.horizon), "released")
    log.record(2.0, "finish", "m01", job=0, value=1)
    found = scan_columns(shop, log, shop.horizon)
    _same(found, scan_rows(shop, log, shop.horizon), "finished")
    assert found is not None and found.lots[0].finish == 2.0
