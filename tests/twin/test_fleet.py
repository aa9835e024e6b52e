"""AGVs in a scenario: a fleet calendar and parking at home, against hand-computed times;
bad fleet options name their field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import twin
from twin.errors import ScenarioError
from twin.scenario import Scenario

# One lot of 2 parts released at 10: saw 3/part (10 -> 16), then mill 2/part. The AGV
# works 00:00-00:15 and 00:40-23:00, lives at the saw and parks there; travel 2.
LINE: dict[str, Any] = {
    "name": "line",
    "stations": [{"id": "saw", "kind": "manual"}, {"id": "mill", "kind": "cnc"}],
    "products": [{"id": "p", "routing": [{"stations": {"saw": 3}}, {"stations": {"mill": 2}}]}],
    "orders": [{"id": "O1", "product": "p", "quantity": 2, "release": 10}],
    "run": {"breakdowns": False, "variability": False},
    "calendars": {"agv_shift": {"shifts": [["00:00", "00:15"], ["00:40", "23:00"]]}},
    "transport": {
        "fleet": {"id": "agv", "count": 1, "home": "saw", "calendar": "agv_shift",
                  "park": "home", "networked": True,
                  "power_kw": {"off": 0.5, "idle": 1.0, "busy": 6.0}},
        "travel_time": {"default": 2},
    },
}  # fmt: skip


def _line(**fleet: Any) -> dict[str, Any]:
    data = copy.deepcopy(LINE)
    data["transport"]["fleet"].update(fleet)
    return data


def _error(data: dict[str, Any]) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(data, source="line.yaml")
    return info.value


def test_the_agv_waits_for_its_shift_and_drives_home() -> None:
    """The saw is done at 16, off the AGV's shift (15-40): the lot leaves at 40, reaches
    the mill at 42 (done at 46) while the AGV drives back empty to the saw (42 -> 44)."""
    run = twin.simulate(Scenario.from_dict(_line()), method="fifo")
    frame = run.log.to_frame().query("kind == 'transport_start'")
    assert list(zip(frame["time"], frame["state"], strict=True)) == [
        (40, "saw->mill"),
        (42, "empty ->saw"),
    ]
    k = run.kpis
    assert k.makespan == 46
    times = k.state_time["agv.0"]
    assert (times["off"], times["busy"], times["idle"]) == (25, 4, 17)  # busy: 2 loaded + 2 empty
    # off 25 min x 0.5 kW + idle 17 x 1 + busy 4 x 6 = 53.5 kW min
    assert k.energy_kwh_by_station["agv"] == pytest.approx(53.5 / 60)
    assert k.networked_rate == pytest.approx(1 / 3)  # the AGV of saw, mill, agv


def test_park_stay_leaves_the_agv_at_the_mill() -> None:
    """Without parking at home, the only leg is the loaded one."""
    run = twin.simulate(Scenario.from_dict(_line(park="stay")), method="fifo")
    legs = run.log.to_frame().query("kind == 'transport_start'")["state"].tolist()
    assert legs == ["saw->mill"]
    assert run.kpis.state_time["agv.0"]["busy"] == 2


def test_an_unknown_fleet_calendar_is_named() -> None:
    err = _error(_line(calendar="agv_shfit"))
    assert err.path == "transport.fleet.calendar"
    assert str(err).splitlines()[0] == (
        'line.yaml: transport.fleet.calendar: unknown calendar "agv_shfit"; '
        'did you mean "agv_shift"?'
    )


def test_park_home_needs_a_home() -> None:
    data = _line()
    del data["transport"]["fleet"]["home"]
    err = _error(data)
    assert err.path == "transport.fleet.home"
    assert "missing required field (needed with park: home)" in str(err).splitlines()[0]


def test_park_takes_stay_or_home() -> None:
    err = _error(_line(park="garage"))
    assert err.path == "transport.fleet.park"
    assert "garage" in str(err).splitlines()[0]
