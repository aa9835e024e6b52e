"""Transport fleet stories with exact times: calendar, parking, choice of vehicle."""

from __future__ import annotations

from collections.abc import Generator, Hashable
from typing import Any

import pytest
import simpy
from model_checks import assert_consistent, events, states

import models
import models.robot
from models.calendar import Calendar
from models.recorder import ListRecorder
from models.transport import TransportFleet

# symmetric travel times between A, B, C
_LEGS = {("A", "B"): 5, ("B", "C"): 3, ("A", "C"): 4}
TRAVEL = {**_LEGS, **{(b, a): t for (a, b), t in _LEGS.items()}}


def travel(a: Hashable, b: Hashable) -> float:
    return 0.0 if a == b else TRAVEL[(a, b)]  # type: ignore[index]


def legs(rec: ListRecorder) -> list[tuple[float, str, str]]:
    """(time, vehicle, leg) of every leg started."""
    return [(r.time, r.station, r.state) for r in events(rec, "transport_start")]


def request(
    env: simpy.Environment,
    fleet: TransportFleet,
    at: float,
    origin: str,
    dest: str,
    job: int,
    done: list[tuple[int, float]],
) -> None:
    """Ask for a move at time ``at``; note (job, time) when the lot is delivered."""

    def run() -> Generator[Any, Any, None]:
        yield env.timeout(at)
        yield from fleet.move(origin, dest, job)
        done.append((job, env.now))

    env.process(run())


def test_the_fleet_moved_but_old_imports_still_work() -> None:
    """`models.TransportFleet` and `models.robot.TransportFleet` are the new class."""
    assert models.TransportFleet is TransportFleet
    assert models.robot.TransportFleet is TransportFleet


# -- calendar -------------------------------------------------------------------------

SHIFTS = Calendar(100, [(0, 10), (20, 100)])  # off during [10, 20) of every 100


def test_no_move_starts_off_shift() -> None:
    """A move started at 7 runs past the shift end (10) to 14, then the vehicle is OFF;
    a request at 12 waits for the shift at 20, its empty leg included."""
    env = simpy.Environment()
    rec = ListRecorder()
    fleet = TransportFleet(env, "AGV", rec, vehicles=1, travel_time=travel, home="A",
                           calendar=SHIFTS)  # fmt: skip
    done: list[tuple[int, float]] = []
    request(env, fleet, 0, "A", "B", 0, done)
    request(env, fleet, 7, "C", "A", 1, done)
    request(env, fleet, 12, "B", "C", 2, done)
    env.run(until=50)
    assert legs(rec) == [
        (0, "AGV.0", "A->B"),
        (7, "AGV.0", "empty ->C"),
        (10, "AGV.0", "C->A"),
        (20, "AGV.0", "empty ->B"),
        (25, "AGV.0", "B->C"),
    ]
    assert done == [(0, 5), (1, 14), (2, 28)]
    assert states(rec, "AGV.0") == [
        (0, "idle"),
        (0, "busy"),
        (5, "idle"),
        (7, "busy"),
        (14, "off"),
        (20, "busy"),
        (28, "idle"),
    ]
    assert_consistent(rec)


def test_resting_vehicles_show_off_between_shifts() -> None:
    """Vehicles at rest go OFF at each shift end and IDLE at each shift start; a fleet
    that starts off shift starts OFF."""
    env = simpy.Environment()
    rec = ListRecorder()
    TransportFleet(env, "F", rec, vehicles=2, travel_time=travel, calendar=SHIFTS)
    TransportFleet(env, "G", rec, vehicles=1, travel_time=travel,
                   calendar=Calendar(100, [(30, 60)]))  # fmt: skip
    env.run(until=150)
    for vehicle in ("F.0", "F.1"):
        assert states(rec, vehicle) == [(0, "idle"), (10, "off"), (20, "idle"), (110, "off"),
                                        (120, "idle")]  # fmt: skip
    assert states(rec, "G.0") == [(0, "off"), (30, "idle"), (60, "off"), (130, "idle")]
    assert_consistent(rec)


# -- parking --------------------------------------------------------------------------


def test_park_home_drives_back_empty_and_busy() -> None:
    """The lot is delivered at 5; the vehicle drives back A (5 -> 10, BUSY); a request
    made on the way (7) is served from home at 10."""
    env = simpy.Environment()
    rec = ListRecorder()
    fleet = TransportFleet(env, "AGV", rec, vehicles=1, travel_time=travel, home="A",
                           park="home")  # fmt: skip
    done: list[tuple[int, float]] = []
    request(env, fleet, 0, "A", "B", 0, done)
    request(env, fleet, 7, "B", "C", 1, done)
    env.run()
    assert legs(rec) == [
        (0, "AGV.0", "A->B"),
        (5, "AGV.0", "empty ->A"),
        (10, "AGV.0", "empty ->B"),
        (15, "AGV.0", "B->C"),
        (18, "AGV.0", "empty ->A"),
    ]
    assert [(r.time, r.value) for r in events(rec, "transport_end")][1] == (10, 5)
    assert done == [(0, 5), (1, 18)]
    assert states(rec, "AGV.0") == [(0, "idle"), (0, "busy"), (10, "idle"), (10, "busy"),
                                    (22, "idle")]  # fmt: skip
    assert fleet.position == ["A"]
    assert_consistent(rec)


def test_park_home_waits_not_while_a_request_waits() -> None:
    """A request waiting at the delivery is served from there; the vehicle goes home
    after the last one."""
    env = simpy.Environment()
    rec = ListRecorder()
    fleet = TransportFleet(env, "AGV", rec, vehicles=1, travel_time=travel, home="A",
                           park="home")  # fmt: skip
    done: list[tuple[int, float]] = []
    request(env, fleet, 0, "A", "B", 0, done)
    request(env, fleet, 1, "B", "C", 1, done)
    env.run()
    assert legs(rec) == [(0, "AGV.0", "A->B"), (5, "AGV.0", "B->C"), (8, "AGV.0", "empty ->A")]
    assert done == [(0, 5), (1, 8)]
    assert states(rec, "AGV.0")[-1] == (12, "idle")


def test_park_stay_is_the_default() -> None:
    """Without ``park`` a vehicle waits where it dropped its lot."""
    env = simpy.Environment()
    rec = ListRecorder()
    fleet = TransportFleet(env, "AGV", rec, vehicles=1, travel_time=travel, home="A")
    env.process(fleet.move("A", "B", 0))
    env.run()
    assert legs(rec) == [(0, "AGV.0", "A->B")]
    assert fleet.position == ["B"]


# -- choice of vehicle ----------------------------------------------------------------


def test_the_nearest_idle_vehicle_is_taken() -> None:
    """AGV.1 has been idle longer (at A), but AGV.0 (at C) is nearer to the pickup B."""
    env = simpy.Environment()
    rec = ListRecorder()
    fleet = TransportFleet(env, "AGV", rec, vehicles=2, travel_time=travel, home="A")
    done: list[tuple[int, float]] = []
    request(env, fleet, 0, "A", "C", 0, done)
    request(env, fleet, 10, "B", "A", 1, done)
    env.run()
    assert legs(rec) == [(0, "AGV.0", "A->C"), (10, "AGV.0", "empty ->B"), (13, "AGV.0", "B->A")]


def test_equally_near_vehicles_go_by_index() -> None:
    """Both vehicles wait at home A; AGV.1 longer, but the tie goes to AGV.0."""
    env = simpy.Environment()
    rec = ListRecorder()
    fleet = TransportFleet(env, "AGV", rec, vehicles=2, travel_time=travel, home="A",
                           park="home")  # fmt: skip
    done: list[tuple[int, float]] = []
    request(env, fleet, 0, "A", "B", 0, done)
    request(env, fleet, 20, "A", "C", 1, done)
    env.run()
    assert [station for _, station, _ in legs(rec)] == ["AGV.0"] * 4


def test_requests_are_served_first_come_first_served() -> None:
    """At 5 the vehicle is at B; the request at C (made at 1) goes before the one at B
    (made at 2), though B is nearer."""
    env = simpy.Environment()
    rec = ListRecorder()
    fleet = TransportFleet(env, "AGV", rec, vehicles=1, travel_time=travel, home="A")
    done: list[tuple[int, float]] = []
    request(env, fleet, 0, "A", "B", 0, done)
    request(env, fleet, 1, "C", "A", 1, done)
    request(env, fleet, 2, "B", "C", 2, done)
    env.run()
    assert [job for job, _ in done] == [0, 1, 2]
    assert done == [(0, 5), (1, 12), (2, 20)]  # C: 5 -> 8 -> 12; B: 12 -> 17 -> 20


def test_without_home_vehicles_go_in_the_order_they_came_free() -> None:
    """No positions: AGV.1 came free first (3), so it takes the request at 10."""
    env = simpy.Environment()
    rec = ListRecorder()
    fleet = TransportFleet(env, "F", rec, vehicles=2,
                           travel_time=lambda a, b: 5 if b == "Y" else 3)  # fmt: skip
    done: list[tuple[int, float]] = []
    request(env, fleet, 0, "X", "Y", 0, done)
    request(env, fleet, 0, "X", "Z", 1, done)
    request(env, fleet, 10, "X", "Y", 2, done)
    env.run()
    assert legs(rec) == [(0, "F.0", "X->Y"), (0, "F.1", "X->Z"), (10, "F.1", "X->Y")]
    assert states(rec, "F.0") == [(0, "idle"), (0, "busy"), (5, "idle")]
    assert_consistent(rec)


def test_fleet_refuses_bad_parking() -> None:
    """An unknown parking mode, or parking at home without one, names the fleet."""
    env = simpy.Environment()
    with pytest.raises(ValueError, match="fleet F: park must be 'stay' or 'home', got 'x'"):
        TransportFleet(env, "F", None, vehicles=1, travel_time=travel, park="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fleet F: park='home' needs a home"):
        TransportFleet(env, "F", None, vehicles=1, travel_time=travel, park="home")
