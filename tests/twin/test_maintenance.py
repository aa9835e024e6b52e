"""Planned maintenance and the maintenance crew in a twin run: PLANNED_DOWN is outside
loading time, the crew's wait is part of the time to repair, bad fields are named."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import twin
from twin.errors import ScenarioError
from twin.scenario import Scenario

# One CNC mill kept busy for the whole horizon (150 lots of 10 minutes, 1000 minutes):
# without maintenance it is busy all the time. Time 0 is Monday 2026-03-02 00:00.
BASE: dict[str, Any] = {
    "name": "pm",
    "start": "2026-03-02T00:00",
    "calendars": {"day": {"shifts": [["06:00", "18:00"]]}},
    "stations": [{"id": "mill", "kind": "cnc"}],
    "products": [{"id": "p", "routing": [{"stations": {"mill": 10}}]}],
    "orders": [{"id": f"O{i}", "product": "p", "quantity": 1} for i in range(150)],
    "run": {"breakdowns": False, "variability": False, "horizon": 1000},
}


def _window(start: str, end: str) -> dict[str, str]:
    return {"from": f"2026-03-02T{start}", "to": f"2026-03-02T{end}"}


def _scenario(
    maintenance: dict[str, Any] | None = None, crew: dict[str, Any] | None = None, **mill: Any
) -> Scenario:
    data = copy.deepcopy(BASE)
    if maintenance is not None:
        data["stations"][0]["maintenance"] = maintenance
    if crew is not None:
        data["maintenance_crew"] = crew
    data["stations"][0].update(mill)
    if "mtbf" in mill:
        data["run"]["breakdowns"] = True
    return Scenario.from_dict(data, source="pm.yaml")


def _maintenance(run: twin.Run) -> list[tuple[float, str, str]]:
    frame = run.log.to_frame()
    rows = frame[frame["kind"].str.startswith("maintenance")]
    return list(zip(rows["time"], rows["kind"], rows["state"], strict=True))


def test_planned_down_is_outside_loading_time() -> None:
    """A window 05:00-07:00 stops the mill for 120 of its 1000 minutes: availability
    stays 1 (planned downtime is no loss), the loading ratio drops to 0.88."""
    base = twin.simulate(_scenario(), method="fifo").kpis
    run = twin.simulate(_scenario({"windows": [_window("05:00", "07:00")]}), method="fifo")
    kpis = run.kpis
    times = kpis.state_time["mill"]
    assert (times["planned_down"], times["busy"]) == (120, 880)
    assert base.availability == kpis.availability == 1.0
    assert (base.loading_ratio, kpis.loading_ratio) == (1.0, pytest.approx(0.88))
    assert kpis.teep < base.teep
    assert _maintenance(run) == [(300, "maintenance_start", "window"),
                                 (420, "maintenance_end", "window")]  # fmt: skip


def test_interval_maintenance_waits_for_the_day_shift_crew() -> None:
    """Every 300 busy minutes, 30 of work by the day crew (06:00-18:00): due at 05:00,
    done 06:00-06:30; due again at 11:30 and done at once."""
    scenario = _scenario(
        {"every": "5h", "duration": 30, "basis": "operating"}, {"count": 1, "calendar": "day"}
    )
    run = twin.simulate(scenario, method="fifo")
    assert _maintenance(run) == [
        (300, "maintenance_start", "interval"), (390, "maintenance_end", "interval"),
        (690, "maintenance_start", "interval"), (720, "maintenance_end", "interval"),
    ]  # fmt: skip
    assert run.kpis.state_time["mill"]["planned_down"] == 120
    assert run.kpis.availability == 1.0
    assert run.kpis.loading_ratio == pytest.approx(0.88)


@pytest.mark.parametrize(
    ("crew", "repairs"),
    [
        (None, [(t, t + 20) for t in range(100, 1000, 120)]),
        (
            {"count": 1, "calendar": "day"},
            [(100, 380)] + [(t, t + 20) for t in (480, 600, 720, 840, 960)],
        ),
    ],
)
def test_the_wait_for_the_crew_is_part_of_the_time_to_repair(
    crew: dict[str, Any] | None, repairs: list[tuple[float, float]]
) -> None:
    """A failure every 100 busy minutes, 20 of repair: without a crew each is down
    20; the day crew (06:00-18:00) is not there for the first (01:40): down until 06:20."""
    constant = {"dist": "constant"}
    scenario = _scenario(None, crew, mtbf={**constant, "mean": 100}, mttr={**constant, "mean": 20})
    run = twin.simulate(scenario, method="fifo")
    frame = run.log.to_frame()
    failures = frame[frame["kind"] == "failure"]["time"].tolist()
    repaired = frame[frame["kind"] == "repair"]["time"].tolist()
    assert list(zip(failures, repaired, strict=True)) == repairs
    down = sum(b - a for a, b in repairs)
    assert run.kpis.state_time["mill"]["down"] == down
    assert run.kpis.mttr_by_unit["mill"] == pytest.approx(down / len(repairs))


W = _window
# (maintenance, crew, scenario start, the error's first line after "pm.yaml: ")
REJECTIONS: list[tuple[Any, Any, bool, str]] = [
    ({"every": "2h"}, None, True,
     "stations[0].maintenance.duration: missing (every and duration go together)"),
    ({"every": 100, "duration": 200}, None, True,
     "stations[0].maintenance.duration: duration (200 min) must be shorter than every (100 min)"),
    ({"every": -5, "duration": 1}, None, True,
     'stations[0].maintenance.every: expected a duration like "120h", got -5'),
    ({"every": 5, "duration": 1, "basis": "wear"}, None, True,
     'stations[0].maintenance.basis: expected one of calendar, operating; got "wear"'),
    ({}, None, True,
     "stations[0].maintenance: nothing planned: give every and duration, or windows"),
    ({"evry": 5}, None, True,
     'stations[0].maintenance.evry: unknown field; did you mean "every"?'),
    ({"windows": [W("08:00", "07:00")]}, None, True,
     "stations[0].maintenance.windows[0]: expected from < to, got 2026-03-02 08:00:00 .. "
     "2026-03-02 07:00:00"),
    ({"windows": [W("08:00", "10:00"), W("09:00", "11:00")]}, None, True,
     "stations[0].maintenance.windows[1]: overlaps windows[0]"),
    ({"windows": [W("08:00", "10:00")]}, None, False,
     "stations[0].maintenance.windows: dated windows need the scenario's start"),
    (None, {"count": 0}, True, "maintenance_crew.count: expected a value >= 1, got 0"),
    (None, {"calendar": "dya"}, True,
     'maintenance_crew.calendar: unknown calendar "dya"; did you mean "day"?'),
]  # fmt: skip


@pytest.mark.parametrize(("maintenance", "crew", "start", "message"), REJECTIONS)
def test_bad_maintenance_fields_are_named(
    maintenance: Any, crew: Any, start: bool, message: str
) -> None:
    data = copy.deepcopy(BASE)
    if maintenance is not None:
        data["stations"][0]["maintenance"] = maintenance
    if crew is not None:
        data["maintenance_crew"] = crew
    if not start:
        del data["start"]
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(data, source="pm.yaml")
    assert str(info.value).splitlines()[0] == f"pm.yaml: {message}"


def test_windows_before_the_start_are_left_out_and_cut_at_it() -> None:
    """In model time (0 = start): a window before the start is dropped, one across it
    begins at 0."""
    windows = [
        {"from": "2026-03-01T08:00", "to": "2026-03-01T09:00"},
        {"from": "2026-03-01T23:00", "to": "2026-03-02T01:00"},
        _window("08:00", "08:30"),
    ]
    scenario = _scenario({"windows": windows})
    spec = scenario.stations[0].maintenance
    assert spec is not None
    assert spec.window_times(scenario.start, "min") == [(0.0, 60.0), (480.0, 510.0)]
    assert spec.window_times(scenario.start, "h") == [(0.0, 1.0), (8.0, 8.5)]
