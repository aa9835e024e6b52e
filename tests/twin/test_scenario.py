"""Scenario files: bundled scenarios load, defaults resolve as documented, accessors."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from tests.benchdata import bench
from twin.cli import main
from twin.cli import scenario as _scenario_cli  # noqa: F401  (registers validate/schema)
from twin.errors import ScenarioError, TwinError
from twin.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))


def minimal(**changes: Any) -> dict[str, Any]:
    """The smallest valid scenario, with top-level fields replaced."""
    data: dict[str, Any] = {
        "name": "tiny",
        "stations": [{"id": "lathe", "kind": "cnc"}],
        "products": [{"id": "shaft", "routing": [{"stations": {"lathe": 6}}]}],
        "orders": [{"id": "O1", "product": "shaft", "quantity": 2}],
    }
    data.update(changes)
    return data


def nc_rate(s: Scenario) -> float:
    key = [st for st in s.stations if st.is_key_process]
    return sum(st.count for st in key if st.is_nc) / sum(st.count for st in key)


def test_the_five_bundled_scenarios_are_there() -> None:
    """The brief's five scenarios ship in scenarios/."""
    names = {p.stem for p in BUNDLED}
    assert {
        "pilot_workshop",
        "pilot_workshop_nc70",
        "cnc_line_robot",
        "additive_cell",
        "deterministic_mk01",
    } <= names


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_every_bundled_scenario_loads_and_round_trips(path: Path) -> None:
    """Each file validates, and its dump (base units) validates to an equal scenario."""
    s = load_scenario(path)
    assert s.source == path.name
    assert s.units and (s.orders or s.arrivals is not None)
    again = Scenario.from_dict(s.model_dump(), source="again")
    assert again.model_dump() == s.model_dump()


def test_pilot_is_below_and_the_upgrade_above_the_70_percent_nc_target() -> None:
    """数控化率 (equipment): pilot 50 %, nc70 >= 70 %, same four weeks of orders, 15-30
    units of equipment (the subcontractor's places are no equipment), operators."""
    pilot = load_scenario(ROOT / "scenarios" / "pilot_workshop.yaml")
    upgraded = load_scenario(ROOT / "scenarios" / "pilot_workshop_nc70.yaml")
    assert nc_rate(pilot) == pytest.approx(0.5)
    assert nc_rate(upgraded) >= 0.7
    assert pilot.orders == upgraded.orders
    equipment = [
        u for u, st in pilot.unit_station.items() if pilot.station(st).kind != "outsourced"
    ]
    assert 15 <= len(equipment) <= 30 and 100 <= len(pilot.orders) <= 200
    releases = [o.release for o in pilot.orders]
    assert max(releases) - min(releases) >= 3 * 7 * 1440  # orders over four weeks
    kinds = {st.kind for st in pilot.stations}
    assert {"cnc", "manual", "robot", "printer3d", "outsourced"} <= kinds
    assert pilot.operators and upgraded.operators
    assert len(upgraded.units) >= len(pilot.units)


def test_the_mk01_scenario_reproduces_the_benchmark_instance() -> None:
    """Same jobs, operations, eligible machines and durations as mk01.fjs; nothing random."""
    data = bench("brandimarte", "mk01")
    s = load_scenario(ROOT / "scenarios" / "deterministic_mk01.yaml")
    assert [st.id for st in s.stations] == [f"M{k + 1}" for k in range(data.num_machines)]
    assert [o.quantity for o in s.orders] == [1] * (len(data.job_op_ptr) - 1)
    for j, product in enumerate(s.products):
        ops = range(data.job_op_ptr[j], data.job_op_ptr[j + 1])
        assert len(product.routing) == len(ops)
        for step, o in zip(product.routing, ops, strict=True):
            modes = range(data.op_mode_ptr[o], data.op_mode_ptr[o + 1])
            expected = {f"M{data.mode_machine[i] + 1}": data.mode_duration[i] for i in modes}
            assert step.stations == expected
            for station in step.stations:
                assert s.operation_variability(product.id, 0, station) == ("constant", 0.0)
    assert not s.run.breakdowns and not s.run.variability
    assert s.run.scheduling == "cpsat"
    assert all(st.mtbf is None and st.calendar is None for st in s.stations)


@pytest.mark.parametrize(
    ("kind", "nc", "key", "unattended", "cv"),
    [
        ("cnc", True, True, False, 0.03),  # attended (load/unload) unless the file says
        ("manual", False, True, False, 0.15),
        ("robot", True, False, True, 0.05),
        ("printer3d", True, True, True, 0.05),
        ("generic", False, True, False, 0.05),
    ],
)
def test_station_defaults_follow_the_kind(
    kind: str, nc: bool, key: bool, unattended: bool, cv: float
) -> None:
    """NC flag, key process, unattended and cv default by kind; networked is never
    implied (设备联网率 counts what the file says); a CNC machine is never unattended by
    default, and an attended one needs an operator for loading, a manual one for all."""
    station: dict[str, Any] = {"id": "x", "kind": kind}
    if kind == "printer3d":
        station["build_time"] = {"per_part": "10min"}
    s = Scenario.from_dict(minimal(stations=[{"id": "lathe"}, station]))
    st = s.station("x")
    assert (st.is_nc, st.is_key_process, st.is_unattended, st.cv) == (nc, key, unattended, cv)
    assert st.is_networked is False
    assert st.needs == {"cnc": "load", "manual": "cycle", "generic": "cycle"}.get(kind, "setup")
    assert st.numerically_controlled is nc  # the raw field is resolved too


def test_explicit_station_flags_override_the_defaults() -> None:
    """An NC machine is not networked unless the file says so, and vice versa."""
    stations = [
        {"id": "lathe", "kind": "manual", "numerically_controlled": True},
        {"id": "cmm", "kind": "generic", "networked": True, "key_process": False},
    ]
    s = Scenario.from_dict(minimal(stations=stations))
    assert s.station("lathe").is_nc and not s.station("lathe").is_networked
    assert s.station("cmm").is_networked and not s.station("cmm").is_nc
    assert not s.station("cmm").is_key_process


def test_units_are_named_by_id_or_numbered_from_one() -> None:
    """count 1 -> "lathe"; count 3 -> "mill#1".."mill#3"."""
    stations = [{"id": "lathe"}, {"id": "mill", "count": 3}]
    s = Scenario.from_dict(minimal(stations=stations))
    assert s.units == ["lathe", "mill#1", "mill#2", "mill#3"]
    assert s.unit_station["mill#2"] == "mill"
    assert s.summary() == "4 stations, 1 order"


def test_durations_are_stored_in_the_base_unit_and_the_time_limit_in_seconds() -> None:
    """time_unit s: "6min" is 360; run.time_limit "2min" is 120 s in any unit."""
    data = minimal(time_unit="s", run={"time_limit": "2min", "horizon": "1d"})
    data["products"][0]["routing"][0]["stations"]["lathe"] = "6min"
    s = Scenario.from_dict(data)
    assert s.products[0].routing[0].stations["lathe"] == 360
    assert s.run.time_limit == 120 and s.run.horizon == 86400
    s_h = Scenario.from_dict(minimal(time_unit="h", run={"time_limit": 30, "horizon": "1d"}))
    assert s_h.run.time_limit == 30 and s_h.run.horizon == 24
    assert s_h.duration("90min") == 1.5


def test_a_plain_mtbf_is_the_mean_of_an_exponential() -> None:
    """mtbf: 120h -> exponential(mean 7200 min); mttr mapping keeps its law."""
    station = {
        "id": "lathe",
        "mtbf": "120h",
        "mttr": {"dist": "lognormal", "mean": "2h", "cv": 0.5},
    }
    s = Scenario.from_dict(minimal(stations=[station]))
    st = s.station("lathe")
    assert st.mtbf is not None and st.mttr is not None
    assert (st.mtbf.dist, st.mtbf.mean) == ("exponential", 7200)
    assert (st.mttr.dist, st.mttr.mean, st.mttr.cv) == ("lognormal", 120, 0.5)
    assert st.mttr.sampler().mean == pytest.approx(120)


def test_distributions_give_their_expected_value_and_a_sampler() -> None:
    """Every parameter set maps to a models.distributions object with the same mean."""
    import numpy as np

    laws = [
        ({"dist": "triangular", "low": 1, "mode": 2, "high": 6}, 3.0),
        ({"dist": "uniform", "low": 2, "high": 4}, 3.0),
        ({"dist": "weibull", "shape": 2, "scale": 10}, 10 * math.gamma(1.5)),
        ({"dist": "weibull", "mean": 5, "cv": 0.5}, 5.0),
        ({"dist": "normal", "mean": 5, "sd": 0.5}, 5.0),
        ({"dist": "gamma", "mean": 5, "cv": 0.3}, 5.0),
        ({"dist": "exponential", "mean": "1h"}, 60.0),
        ("15min", 15.0),
    ]
    rng = np.random.default_rng(0)
    for law, mean in laws:
        station = {"id": "lathe", "mtbf": {"dist": "exponential", "mean": 100}, "mttr": law}
        mttr = Scenario.from_dict(minimal(stations=[station])).stations[0].mttr
        assert mttr is not None
        assert mttr.expected == pytest.approx(mean), law
        assert mttr.sampler().mean == pytest.approx(mean, rel=1e-3), law
        assert mttr.sampler().sample(rng) >= 0


def test_routing_defaults_resolve_from_the_stations() -> None:
    """Step names op1.., family = product id, key_process from the eligible stations."""
    stations = [{"id": "lathe"}, {"id": "saw", "kind": "manual", "key_process": False}]
    product = {"id": "shaft", "routing": [{"stations": {"lathe": 6}}, {"stations": {"saw": 1}}]}
    s = Scenario.from_dict(minimal(stations=stations, products=[product]))
    p = s.product("shaft")
    assert [step.name for step in p.routing] == ["op1", "op2"]
    assert p.family == "shaft"
    assert [step.key_process for step in p.routing] == [True, False]


def test_operation_variability_prefers_the_step_then_the_station() -> None:
    """cv: step override, else the station's; cv 0 -> constant; dist default lognormal."""
    stations = [{"id": "lathe", "kind": "cnc"}, {"id": "bench", "kind": "manual"}]
    routing = [
        {"stations": {"lathe": 6, "bench": 10}},
        {"stations": {"lathe": 3}, "cv": 0.2, "dist": "triangular"},
        {"stations": {"bench": 3}, "cv": 0},
    ]
    s = Scenario.from_dict(
        minimal(stations=stations, products=[{"id": "shaft", "routing": routing}])
    )
    assert s.operation_variability("shaft", 0, "lathe") == ("lognormal", 0.03)
    assert s.operation_variability("shaft", 0, "bench") == ("lognormal", 0.15)
    assert s.operation_variability("shaft", 1, "lathe") == ("triangular", 0.2)
    assert s.operation_variability("shaft", 2, "bench") == ("constant", 0.0)


def test_setup_times_by_family() -> None:
    """Same family or first job: 0; listed pair: its time; other change: the default."""
    station = {"id": "lathe", "setup": {"default": "15min", "families": {"a": {"b": "30min"}}}}
    products = [
        {"id": "a", "routing": [{"stations": {"lathe": 1}}]},
        {"id": "b", "routing": [{"stations": {"lathe": 1}}]},
    ]
    orders = [{"id": "O1", "product": "a"}]
    s = Scenario.from_dict(minimal(stations=[station], products=products, orders=orders))
    setup = s.station("lathe").setup
    assert setup.time("a", "a") == 0 and setup.time(None, "b") == 0
    assert setup.time("a", "b") == 30 and setup.time("b", "a") == 15


def test_printer_build_time_per_part_or_per_layer() -> None:
    """base + per_part x n, or base + per_layer x layers x n."""
    printers = [
        {"id": "p1", "kind": "printer3d", "build_time": {"base": "2h", "per_part": "25min"}},
        {
            "id": "p2",
            "kind": "printer3d",
            "build_time": {"base": 60, "per_layer": 0.5, "layers_per_part": 40},
        },
    ]
    s = Scenario.from_dict(minimal(stations=[{"id": "lathe"}, *printers]))
    p1, p2 = s.station("p1").build_time, s.station("p2").build_time
    assert p1 is not None and p2 is not None
    assert p1.for_parts(4) == 220 and p2.for_parts(3) == 120


def test_calendar_intervals_start_at_the_scenario_origin() -> None:
    """Monday 06:00 origin: the early shift starts at 0; 75 h a week; scaled to the unit."""
    calendars = {
        "two_shift": {
            "shifts": [["06:00", "14:00"], ["14:00", "22:00"]],
            "breaks": [["10:00", "10:30"], ["18:00", "18:30"]],
            "days_off": ["sat", "sun"],
        }
    }
    s = Scenario.from_dict(minimal(calendars=calendars, start="2026-01-05T06:00:00"))
    period, on = s.calendar_intervals("two_shift")
    assert period == 10080
    assert on[:3] == [(0, 240), (270, 720), (750, 960)]
    assert sum(b - a for a, b in on) == 4500
    s_h = Scenario.from_dict(minimal(calendars=calendars, time_unit="h"))
    period_h, on_h = s_h.calendar_intervals("two_shift")
    assert period_h == 168 and on_h[0] == (6, 10) and sum(b - a for a, b in on_h) == 75


def test_travel_times_from_pairs_or_a_layout_graph() -> None:
    """Pairs are symmetric with a default; a layout uses shortest paths."""
    stations = [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    product = {"id": "shaft", "routing": [{"stations": {"a": 1}}, {"stations": {"c": 1}}]}
    base = minimal(stations=stations, products=[product])
    pairs = Scenario.from_dict(
        {**base, "transport": {"travel_time": {"default": 3, "pairs": [["a", "b", "1min"]]}}}
    )
    assert pairs.travel_time("b", "a") == 1 and pairs.travel_time("a", "c") == 3
    assert pairs.travel_time("a", "a") == 0
    edges = [["a", "hub", 2], ["hub", "c", 2], ["a", "c", 10], ["b", "hub", 1]]
    layout = Scenario.from_dict({**base, "transport": {"layout": {"edges": edges}}})
    assert layout.travel_time("a", "c") == 4 and layout.travel_time("c", "b") == 3
    island = Scenario.from_dict(
        {**base, "transport": {"layout": {"edges": [*edges, ["x", "y", 1]]}}}
    )
    assert island.travel_time("a", "x") == 0  # unconnected and never needed: no transport
    assert Scenario.from_dict(base).travel_time("a", "c") == 0


def test_arrival_mix_is_normalised_and_quantity_may_be_random() -> None:
    """mix weights become probabilities; a plain quantity is a constant count."""
    arrivals = {
        "interarrival": {"dist": "exponential", "mean": "45min"},
        "mix": {"shaft": 3, "flange": 1},
        "quantity": {"dist": "uniform", "low": 2, "high": 6},
        "due_after": "1d",
    }
    products = [
        {"id": "shaft", "routing": [{"stations": {"lathe": 6}}]},
        {"id": "flange", "routing": [{"stations": {"lathe": 4}}]},
    ]
    s = Scenario.from_dict(
        minimal(orders=[], arrivals=arrivals, products=products, run={"horizon": "7d"})
    )
    assert s.arrivals is not None
    assert s.arrivals.probabilities == {"shaft": 0.75, "flange": 0.25}
    assert s.arrivals.quantity.expected == 4 and s.arrivals.due_after == 1440
    assert s.summary() == "1 station, arrivals"
    plain = Scenario.from_dict(
        minimal(arrivals={**arrivals, "quantity": 5}, products=products, run={"horizon": 100})
    )
    assert plain.arrivals is not None and plain.arrivals.quantity.mean == 5


def test_yaml_uses_1_2_scalars(tmp_path: Path) -> None:
    """`off:` stays a key, unquoted 06:00 stays a clock, 08 is eight, `yes` is text."""
    text = """
name: yaml
calendars: {day: {shifts: [[06:00, 14:00]]}}
stations:
  - {id: lathe, calendar: day, power_kw: {off: 0.5, idle: 1, busy: 08}}
products: [{id: shaft, routing: [{stations: {lathe: 6}}]}]
orders: [{id: O1, product: shaft}]
description: yes
"""
    path = tmp_path / "yaml.yaml"
    path.write_text(text, encoding="utf-8")
    s = load_scenario(path)
    assert s.stations[0].power_kw.off == 0.5 and s.stations[0].power_kw.busy == 8
    assert s.calendars["day"].shifts == [("06:00", "14:00")]
    assert s.description == "yes"


def test_a_python_parsed_off_key_is_accepted_too() -> None:
    """yaml.safe_load reads `off:` as False; from_dict maps it back."""
    station = {"id": "lathe", "power_kw": {False: 0.2, "busy": 5}}
    s = Scenario.from_dict(minimal(stations=[station]))
    assert s.stations[0].power_kw.off == 0.2


def test_scenario_error_is_a_twin_error_and_a_value_error() -> None:
    """Callers may catch ScenarioError, TwinError or ValueError."""
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(minimal(name=""))
    assert isinstance(info.value, TwinError) and isinstance(info.value, ValueError)
    assert info.value.path == "name"


def test_the_json_schema_describes_the_file_format() -> None:
    """Unknown keys are forbidden, durations accept strings, kinds are enumerated."""
    schema = Scenario.model_json_schema()
    station = schema["$defs"]["Station"]
    assert station["additionalProperties"] is False
    assert set(station["properties"]["kind"]["enum"]) == {
        "cnc",
        "manual",
        "robot",
        "printer3d",
        "generic",
        "outsourced",
    }
    order_release = schema["$defs"]["Order"]["properties"]["release"]
    assert [alt["type"] for alt in order_release["anyOf"]] == ["number", "string"]
    assert set(schema["required"]) == {"name", "stations", "products"}


def test_twin_validate_reports_ok_and_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ok lines on stdout for good files; problems on stderr; exit code 2; no traceback."""
    good = ROOT / "scenarios" / "pilot_workshop.yaml"
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: x\nstations: [{id: a, mtbf: -5}]\n", encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["validate", str(good)])
    out, err = capsys.readouterr()
    assert info.value.code in (0, None)
    assert out.strip() == "ok: pilot_workshop.yaml (33 stations, 159 orders)"
    with pytest.raises(SystemExit) as info:
        main(["validate", str(good), str(bad)])
    out, err = capsys.readouterr()
    assert info.value.code == 2
    assert out.startswith("ok: pilot_workshop.yaml")
    assert err.splitlines()[0].startswith("broken.yaml: ")
    assert "Traceback" not in err


def test_twin_schema_prints_or_writes_the_json_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """stdout by default; --out FILE writes the same document."""
    with pytest.raises(SystemExit):
        main(["schema"])
    printed = json.loads(capsys.readouterr().out)
    assert printed["title"] == "Scenario"
    out = tmp_path / "scenario.schema.json"
    with pytest.raises(SystemExit) as info:
        main(["schema", "--out", str(out)])
    assert info.value.code in (0, None)
    assert json.loads(out.read_text(encoding="utf-8")) == printed
