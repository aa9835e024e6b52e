"""Broken scenarios give ONE ScenarioError with a readable first line and the field path."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin.errors import ScenarioError
from twin.scenario import Scenario, load_scenario
from twin.scenario.load import read_yaml
from twin.scenario.messages import format_loc

ROOT = Path(__file__).resolve().parents[2]
BASES: dict[str, Any] = {
    name: read_yaml(ROOT / "scenarios" / f"{name}.yaml")
    for name in ("pilot_workshop", "cnc_line_robot", "additive_cell")
}
Loc = tuple[str | int, ...]


def error_of(data: object, source: str = "pilot.yaml") -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(data, source=source)
    return info.value


def broken(name: str, loc: Loc, value: object) -> dict[str, Any]:
    """A copy of a bundled scenario with the value at ``loc`` replaced."""
    data: dict[str, Any] = copy.deepcopy(BASES[name])
    node: Any = data
    for part in loc[:-1]:
        node = node[part]
    node[loc[-1]] = value
    return data


def first_line(err: ScenarioError) -> str:
    return str(err).splitlines()[0]


# -- the documented message shapes ---------------------------------------------------


def test_a_bad_duration_names_file_path_expectation_and_value() -> None:
    """The brief's example, to the character."""
    err = error_of(broken("pilot_workshop", ("stations", 3, "mtbf"), -5))
    assert (
        first_line(err) == 'pilot.yaml: stations[3].mtbf: expected a duration like "120h", got -5'
    )
    assert (err.source, err.path) == ("pilot.yaml", "stations[3].mtbf")


def test_an_unknown_key_suggests_the_nearest_valid_one() -> None:
    """`mtfb` -> did you mean "mtbf"? (difflib over the fields of that model)."""
    data = copy.deepcopy(BASES["pilot_workshop"])
    data["stations"][0]["mtfb"] = data["stations"][0].pop("mtbf")
    err = error_of(data)
    assert first_line(err) == 'pilot.yaml: stations[0].mtfb: unknown field; did you mean "mtbf"?'


def test_an_unknown_key_far_from_any_field_lists_the_valid_ones() -> None:
    """No close match: the valid fields are listed instead."""
    err = error_of(broken("pilot_workshop", ("run", "zzz"), 1))
    assert err.path == "run.zzz"
    assert "valid fields: horizon, warmup, seed" in err.message


def test_a_missing_required_field() -> None:
    """Dropping a required key names it."""
    data = copy.deepcopy(BASES["pilot_workshop"])
    del data["orders"][2]["product"]
    assert first_line(error_of(data)) == "pilot.yaml: orders[2].product: missing required field"


@pytest.mark.parametrize(
    ("loc", "value", "expected"),
    [
        (("stations", 1, "tends"), ["saw"], "stations[1].tends: only a robot station has tends"),
        (("stations", 5, "tends", 0), "cel_lathe", 'did you mean "cell_lathe"?'),
        (("stations", 1, "calendar"), "three_shift", 'unknown calendar "three_shift"'),
        (("buffers", 0, "after"), "vmc", 'buffers[0].after: unknown station "vmc"'),
        (("orders", 0, "product"), "shaftt", 'orders[0].product: unknown product "shaftt"'),
        (("orders", 0, "due"), "1h", "orders[0].due: due (60) is before release (120)"),
        (("stations", 2, "plate_capacity"), 4, "stations[2].plate_capacity: only a printer3d"),
        (("stations", 1, "kind"), "cnn", "expected one of cnc, manual, robot, printer3d, generic,"),
        (("stations", 1, "count"), 0, "stations[1].count: expected a value >= 1, got 0"),
        (("stations", 1, "count"), 2.5, "stations[1].count: expected an integer, got 2.5"),
        (("time_unit",), "sec", 'time_unit: expected one of s, min, h; got "sec"'),
        (("stations", 1, "mttr"), {"dist": "lognormal", "mean": 5}, "needs (mean, cv); missing cv"),
        (("start",), "monday", "start: expected a date and time like 2026-01-05T06:00:00"),
        (("calendars", "two_shift", "days_off", 1), "sonday", "days_off[1]: expected a weekday"),
        (("calendars", "two_shift", "shifts", 0, 0), "25:00", "shifts[0][0]: expected a clock"),
        (("products", 0, "scrap_rate"), 1.5, "products[0].scrap_rate: expected a value < 1"),
    ],
)
def test_each_error_class_gives_the_documented_shape(
    loc: Loc, value: object, expected: str
) -> None:
    """file: path: what was expected, what was given (first line alone makes sense)."""
    line = first_line(error_of(broken("pilot_workshop", loc, value)))
    assert line.startswith("pilot.yaml: ")
    assert expected in line


def test_duplicate_ids_point_at_the_second_one() -> None:
    """Two stations with one id: the later is named, with the earlier's index."""
    data = copy.deepcopy(BASES["pilot_workshop"])
    data["stations"].append(copy.deepcopy(data["stations"][1]))
    err = error_of(data)
    n = len(data["stations"]) - 1
    assert (
        first_line(err)
        == f'pilot.yaml: stations[{n}].id: duplicate id "cnc_lathe" (also stations[1])'
    )


def test_a_dangling_routing_station_names_the_dict_key() -> None:
    """The path goes through the routing's station map to the bad key."""
    data = copy.deepcopy(BASES["pilot_workshop"])
    data["products"][0]["routing"][1]["stations"]["cnc_lathes"] = 12
    err = error_of(data)
    assert err.path == "products[0].routing[1].stations.cnc_lathes"
    assert 'did you mean "cnc_lathe"?' in err.message


def test_no_orders_and_no_arrivals_is_an_error() -> None:
    """A scenario without demand is rejected at `orders`."""
    data = copy.deepcopy(BASES["pilot_workshop"])
    data["orders"] = []
    assert first_line(error_of(data)) == (
        "pilot.yaml: orders: no orders and no arrivals: give at least one of them"
    )


def test_arrivals_need_a_horizon_and_known_products() -> None:
    """Open-ended runs must say how long to run; the mix names products."""
    data = copy.deepcopy(BASES["cnc_line_robot"])
    del data["run"]["horizon"]
    data["arrivals"]["mix"]["shaft_medium"] = 0.1
    err = error_of(data, "line.yaml")
    paths = [issue.path for issue in err.issues]
    assert paths == ["arrivals.mix.shaft_medium", "run.horizon"]


def test_an_unconnected_layout_is_an_error() -> None:
    """Routings need a path between consecutive stations in the layout graph."""
    data = copy.deepcopy(BASES["cnc_line_robot"])
    data["transport"]["layout"]["edges"] = [
        e for e in data["transport"]["layout"]["edges"] if e[1] != "op20_hmc"
    ]
    err = error_of(data, "line.yaml")
    assert err.path == "transport.layout.edges"
    assert 'no path from "op10_lathe" to "op20_hmc"' in err.message


def test_several_problems_are_listed_one_per_line_and_capped() -> None:
    """Up to five lines, then a count; each line stands alone."""
    data = copy.deepcopy(BASES["pilot_workshop"])
    for order in data["orders"][:8]:
        order["quantity"] = 0
    lines = str(error_of(data)).splitlines()
    assert len(lines) == 6
    assert all(line.startswith("pilot.yaml: orders[") for line in lines[:5])
    assert lines[-1] == "pilot.yaml: ... and 3 more problems"


def test_not_a_mapping_at_the_top() -> None:
    """A list or an empty file is reported, not crashed on."""
    assert first_line(error_of([1, 2])) == "pilot.yaml: expected a mapping of fields, got list"
    assert first_line(error_of(None)) == "pilot.yaml: expected a mapping of fields, got nothing"


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    """A bad indentation on line 3 says line 3."""
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nstations:\n  - id: a\n   kind: cnc\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.line in (3, 4)
    assert first_line(info.value).startswith(f"bad.yaml:{info.value.line}: YAML syntax error: ")


def test_duplicate_yaml_keys_are_rejected_with_both_lines(tmp_path: Path) -> None:
    """A key given twice is an error (YAML would silently keep the last)."""
    path = tmp_path / "dup.yaml"
    path.write_text("name: x\nname: y\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert first_line(info.value) == (
        'dup.yaml:2: YAML syntax error: duplicate key "name" (first at line 1) (column 1)'
    )


def test_a_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    """Not a FileNotFoundError traceback: one line naming the file."""
    with pytest.raises(ScenarioError, match="cannot read the file"):
        load_scenario(tmp_path / "nope.yaml")


# -- hypothesis: mutations of valid scenarios ----------------------------------------


def _paths(node: object, loc: Loc = ()) -> list[tuple[Loc, object]]:
    """Every (path, value) below the root, depth first."""
    out: list[tuple[Loc, object]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            out.append(((*loc, key), value))
            out += _paths(value, (*loc, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.append(((*loc, i), value))
            out += _paths(value, (*loc, i))
    return out


PATHS = {name: _paths(data) for name, data in BASES.items()}
base_names = st.sampled_from(sorted(BASES))
SETTINGS = settings(
    max_examples=int(os.environ.get("SCENARIO_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _wrong_type(value: object) -> object:
    if isinstance(value, str):
        return [1, 2]
    if isinstance(value, list):
        return "oops!"
    return "oops!"  # numbers, booleans, mappings, dates


def assert_points_at(err: ScenarioError, loc: Loc) -> None:
    expected = format_loc(loc)
    assert any(issue.path == expected for issue in err.issues), (expected, str(err))
    head = first_line(err)
    assert head.startswith(f"{err.source}: ") and head.count(": ") >= 2, head


@SETTINGS
@given(name=base_names, data=st.data())
def test_any_value_of_the_wrong_type_is_reported_at_its_path(
    name: str, data: st.DataObject
) -> None:
    """Replace one value (scalar, list or mapping) by a value of another type."""
    loc, value = data.draw(st.sampled_from(PATHS[name]))
    err = error_of(broken(name, loc, _wrong_type(value)), f"{name}.yaml")
    assert_points_at(err, loc)


DURATION_KEYS = {
    "mtbf",
    "mttr",
    "release",
    "due",
    "default",
    "load_time",
    "max_wait",
    "cooldown",
    "post_process",
    "warmup",
    "horizon",
    "due_after",
    "base",
    "per_part",
}


@SETTINGS
@given(name=base_names, data=st.data(), bad=st.sampled_from([-5, -0.5, "-2h", "12 parsecs"]))
def test_negative_or_malformed_durations_are_reported_at_their_path(
    name: str, data: st.DataObject, bad: object
) -> None:
    """Every duration field, and every routing cycle time, rejects -5 or "12 parsecs"."""
    candidates = [
        loc
        for loc, value in PATHS[name]
        if (loc[-1] in DURATION_KEYS or ("routing" in loc and loc[-2] == "stations"))
        and not isinstance(value, dict | list)
    ]
    loc = data.draw(st.sampled_from(candidates))
    err = error_of(broken(name, loc, bad), f"{name}.yaml")
    assert_points_at(err, loc)
    assert 'expected a duration like "120h"' in err.message


@SETTINGS
@given(name=base_names, data=st.data(), key=st.sampled_from(["zzz", "colour", "mtfb", "cnt"]))
def test_an_unknown_key_anywhere_is_reported_at_its_path(
    name: str, data: st.DataObject, key: str
) -> None:
    """Models reject it as unknown; free maps (stations, mix, families) as a dangling name."""
    mappings = [loc for loc, value in PATHS[name] if isinstance(value, dict)]
    loc = data.draw(st.sampled_from([(), *mappings]))
    err = error_of(broken(name, (*loc, key), 1) if loc else {**BASES[name], key: 1})
    assert_points_at(err, (*loc, key))


REQUIRED: dict[str, list[Loc]] = {
    "pilot_workshop": [
        ("name",),
        ("stations",),
        ("products",),
        ("stations", 4, "id"),
        ("products", 2, "routing"),
        ("products", 2, "routing", 1, "stations"),
        ("orders", 5, "id"),
        ("orders", 5, "product"),
        ("orders",),
        ("calendars", "two_shift", "shifts"),
        ("stations", 10, "build_time"),
        ("stations", 1, "mttr"),
        ("energy", "primary_energy_coefficient", "source"),
        ("buffers", 0, "capacity"),
        ("buffers", 0, "after"),
    ],
    "cnc_line_robot": [
        ("arrivals", "interarrival"),
        ("arrivals", "mix"),
        ("run", "horizon"),
        ("transport", "layout", "edges"),
    ],
}


@SETTINGS
@given(case=st.sampled_from([(n, loc) for n, locs in REQUIRED.items() for loc in locs]))
def test_dropping_a_required_key_is_reported_at_its_path(case: tuple[str, Loc]) -> None:
    """Required fields (and fields required by the station kind or by arrivals)."""
    name, loc = case
    data = copy.deepcopy(BASES[name])
    node: Any = data
    for part in loc[:-1]:
        node = node[part]
    assert loc[-1] in node, loc  # the scenario has it
    del node[loc[-1]]
    assert_points_at(error_of(data, f"{name}.yaml"), loc)


def _references(name: str) -> list[Loc]:
    refs: list[Loc] = []
    for loc, value in PATHS[name]:
        named = loc[-1] in ("calendar", "after", "product") or "tends" in loc[-2:-1]
        pair = loc[:3] == ("transport", "travel_time", "pairs") and loc[-1] in (0, 1)
        if isinstance(value, str) and (named or pair):
            refs.append(loc)
    return refs


@SETTINGS
@given(name=base_names, data=st.data())
def test_a_dangling_reference_is_reported_at_its_path(name: str, data: st.DataObject) -> None:
    """calendar, buffer after, order product, robot tends, travel pairs: unknown names."""
    loc = data.draw(st.sampled_from(_references(name)))
    err = error_of(broken(name, loc, "nowhere"), f"{name}.yaml")
    assert_points_at(err, loc)
    assert "unknown" in err.message and '"nowhere"' in err.message


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-10, 10)
    | st.floats(allow_nan=True)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)


@SETTINGS
@given(name=base_names, data=st.data(), junk=json_values)
def test_arbitrary_junk_anywhere_raises_only_scenario_errors(
    name: str, data: st.DataObject, junk: object
) -> None:
    """Whatever replaces whatever, the loader raises ScenarioError or accepts; nothing else."""
    loc, _ = data.draw(st.sampled_from(PATHS[name]))
    try:
        Scenario.from_dict(broken(name, loc, junk), source="x.yaml")
    except ScenarioError as err:
        assert str(err).startswith("x.yaml: ")


@SETTINGS
@given(junk=json_values)
def test_arbitrary_documents_raise_only_scenario_errors(junk: object) -> None:
    """A document that is not a scenario at all still gets one ScenarioError."""
    with pytest.raises(ScenarioError):
        Scenario.from_dict(junk, source="x.yaml")


@SETTINGS
@given(text=st.text(max_size=80))
def test_arbitrary_text_files_raise_only_scenario_errors(tmp_path_factory: Any, text: str) -> None:
    """Random text: a YAML syntax error or a schema error, always a ScenarioError."""
    path = tmp_path_factory.mktemp("junk") / "junk.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError):
        load_scenario(path)


def test_a_triangular_operation_with_too_much_spread_is_rejected() -> None:
    """A symmetric triangular law around the nominal time would go negative past cv 0.408."""
    data = copy.deepcopy(BASES["pilot_workshop"])
    data["products"][0]["routing"][1].update({"dist": "triangular", "cv": 0.5})
    err = error_of(data)
    assert err.path == "products[0].routing[1].cv"
    assert "cv <= 0.408" in err.message


def test_distribution_limits_of_the_models_are_checked_at_load_time() -> None:
    """mean/cv combinations the samplers cannot draw are errors with the path, not crashes."""
    bad = {"dist": "uniform", "mean": 10, "cv": 0.9}
    err = error_of(broken("pilot_workshop", ("stations", 1, "mttr"), bad))
    assert err.path == "stations[1].mttr"
    assert err.message.startswith("invalid uniform distribution: ")


def test_a_station_validated_alone_counts_plain_numbers_in_minutes() -> None:
    """Outside a scenario the base unit is min: "2h" is 120."""
    from twin.scenario import Station

    station = Station.model_validate({"id": "x", "kind": "cnc", "setup": {"default": "2h"}})
    assert station.setup.default == 120


@pytest.mark.parametrize("text", [".", "-", "1_", "._", "{a: .}"])
def test_odd_scalars_are_text_or_numbers_never_a_crash(tmp_path: Path, text: str) -> None:
    """Found by the text fuzzer: a lone "." once reached float() and raised ValueError."""
    path = tmp_path / "odd.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError):
        load_scenario(path)
