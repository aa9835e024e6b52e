"""Sweep files: paths into the scenario, points, and errors that name the culprit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.twin.sweep_fixtures import TINY_SWEEP, write_tiny
from twin.errors import ScenarioError
from twin.experiments import Change, PathError, apply_changes, load_sweep, parse_path

ROOT = Path(__file__).resolve().parents[2]
DOC = {
    "stations": [{"id": "lathe", "count": 1}, {"id": "m1.2", "count": 1}],
    "products": [{"id": "p", "routing": [{"name": "turn", "stations": {"lathe": 5}}]}],
    "operators": [{"id": "machinist", "skills": ["lathe", "mill"]}],
    "run": {"scheduling": "edd"},
}


def test_paths_address_items_by_id_name_text_or_index() -> None:
    """Ids, routing-step names, text items, indices and bracketed dotted ids."""
    assert parse_path("stations[m1.2].count") == ["stations", "m1.2", "count"]
    out = apply_changes(DOC, [
        Change("set", "stations.lathe.count", 3),
        Change("set", "stations[m1.2].count", 2),
        Change("set", "products.p.routing.turn.stations.lathe", 4),
        Change("set", "products.p.routing.0.stations.cnc", 2),
        Change("set", "run.scheduling", "spt"),
        Change("add", "stations", [{"id": "robot"}]),
        Change("remove", "operators.machinist.skills.mill"),
    ])  # fmt: skip
    assert [s["count"] for s in out["stations"][:2]] == [3, 2]
    assert out["products"][0]["routing"][0]["stations"] == {"lathe": 4, "cnc": 2}
    assert out["stations"][2] == {"id": "robot"} and out["operators"][0]["skills"] == ["lathe"]
    assert DOC["stations"][0]["count"] == 1  # the base is not touched


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (Change("set", "stations.lathee.count", 2), 'unknown item "lathee"; did you mean "lathe"'),
        (Change("set", "runn.scheduling", "spt"), 'unknown key "runn"; did you mean "run"'),
        (Change("set", "stations.robot", {"id": "robot"}), 'unknown item "robot"'),
        (Change("add", "run", [1]), "expected a list to add to"),
        (Change("remove", "stations.lathe.mtbf"), 'unknown key "mtbf"'),
        (Change("set", "run.scheduling.x", 1), "is not a mapping or a list"),
        (Change("set", "stations..count", 1), "malformed path"),
    ],
)
def test_bad_paths_say_what_is_wrong(change: Change, message: str) -> None:
    with pytest.raises(PathError, match=message.replace("(", r"\(").replace(")", r"\)")):
        apply_changes(DOC, [change])


def test_variants_extend_and_cross_the_grid(tmp_path: Path) -> None:
    """``extends`` adds its parent's changes and cost first; a grid crosses the variants."""
    text = TINY_SWEEP + (
        "  - {name: three lathes, extends: two lathes, cost: 50000,"
        " set: {stations.lathe.count: 3}}\n"
        "grid:\n  - {path: run.scheduling, label: rule, values: [edd, spt], costs: [0, 10]}\n"
    )
    sweep = load_sweep(write_tiny(tmp_path, text))
    names = [p.name for p in sweep.points]
    assert names[:2] == ["today / rule=edd", "today / rule=spt"] and len(names) == 6
    three = sweep.point("three lathes / rule=spt")
    assert three.cost == 150010.0
    assert three.data["stations"][0]["count"] == 3 and three.data["run"]["scheduling"] == "spt"
    assert sweep.baseline == "today / rule=edd" and sweep.replications == 2 and sweep.seed == 3


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        load_sweep(write_tiny(tmp_path, text))
    return str(info.value).splitlines()[0]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("replications: 2", "replications: 0"),
         "sweep.yaml: replications: expected a value >= 1, got 0"),
        (("replications: 2", "replicatons: 2"),
         'sweep.yaml: replicatons: unknown field; did you mean "replications"?'),
        (("base: tiny.yaml", "base: nowhere.yaml"),
         'sweep.yaml: base: no scenario file "nowhere.yaml" in '),
        (("base: tiny.yaml", "base: 5"), "sweep.yaml: base: expected text, got 5"),
        (("stations.lathe.count: 2", "stations.lathee.count: 2"),
         'sweep.yaml: variants[1].set["stations.lathee.count"]: stations.lathee: '
         'unknown item "lathee"; did you mean "lathe"?'),
        (("stations.lathe.count: 2", "stations.lathe.count: 0"),
         'sweep.yaml, point "two lathes" on tiny.yaml: stations[0].count: '
         "expected a value >= 1, got 0"),
        (("stations.lathe.count: 2", "stations.lathe.kind: laser"),
         'sweep.yaml, point "two lathes" on tiny.yaml: stations[0].kind: expected one of cnc'),
        (("name: today", "name: two lathes"),
         "sweep.yaml: variants[1].name: duplicate point name 'two lathes'"),
    ],
)  # fmt: skip
def test_bad_sweep_files_name_the_file_path_and_problem(
    tmp_path: Path, edit: tuple[str, str], expected: str
) -> None:
    """The first line: file (and point), field path, what was expected, what was given."""
    assert _error(tmp_path, TINY_SWEEP.replace(*edit)).startswith(expected)


def test_an_unknown_extends_or_baseline_is_refused(tmp_path: Path) -> None:
    text = TINY_SWEEP.replace("cost: 100000", "cost: 100000\n    extends: tomorrow")
    assert "variants[1].extends: 'tomorrow' is not an earlier variant" in _error(tmp_path, text)
    text = TINY_SWEEP.replace("replications: 2", "replications: 2\nbaseline: yesterday")
    assert "baseline 'yesterday' is not a point" in _error(tmp_path, text)


def test_the_upgrade_study_loads_and_ends_at_the_nc70_equipment() -> None:
    """Every point validates; the last step's stations, routings and people are those
    of pilot_workshop_nc70.yaml (counts, kinds, NC flags, eligible stations and times)."""
    from twin.scenario import Scenario, load_scenario

    sweep = load_sweep(ROOT / "scenarios" / "sweeps" / "upgrade_study.yaml")
    assert sweep.baseline == "today" and not any(p.planned for p in sweep.points)
    full = Scenario.from_dict(sweep.point("lathes+mills+grinder").data)
    nc70 = load_scenario(ROOT / "scenarios" / "pilot_workshop_nc70.yaml")

    def equipment(s: Scenario) -> dict[str, tuple[object, ...]]:
        return {st.id: (st.kind, st.count, st.is_nc, st.is_key_process, st.tends)
                for st in s.stations}  # fmt: skip

    assert equipment(full) == equipment(nc70)
    assert {p.id: [st.stations for st in p.routing] for p in full.products} == {
        p.id: [st.stations for st in p.routing] for p in nc70.products
    }
    assert {(o.id, o.count, tuple(o.skills or ())) for o in full.operators} == {
        (o.id, o.count, tuple(o.skills or ())) for o in nc70.operators
    }
