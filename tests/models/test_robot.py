"""Robot and transport stories with exact times."""

from __future__ import annotations

from collections.abc import Generator, Hashable
from typing import Any

import numpy as np
import pytest
import simpy
from model_checks import assert_consistent, events, spans, states

from models.recorder import ListRecorder
from models.robot import Robot, TransportFleet


def test_robot_serves_a_cell_in_turn() -> None:
    """Two machines ask the robot at once: the second load waits for the first."""
    env = simpy.Environment()
    rec = ListRecorder()
    robot = Robot(env, "R1", rec, rng=np.random.default_rng(0))
    env.process(robot.load("M1", 2, job=0))
    env.process(robot.load("M2", 3, job=1))
    env.process(robot.unload("M1", 1, job=0))
    env.run()
    assert spans(rec, "transport_start", "transport_end", "R1") == [(0, 2), (2, 5), (5, 6)]
    assert [r.state for r in events(rec, "transport_start")] == ["load M1", "load M2", "unload M1"]
    assert states(rec, "R1")[-1] == (6, "idle")
    assert_consistent(rec)


def test_robot_breakdown_resumes_handling() -> None:
    """MTBF 4 of handling time: the second load (3) is hit at 4, repaired at 5, done at 6."""
    env = simpy.Environment()
    rec = ListRecorder()
    robot = Robot(env, "R1", rec, rng=np.random.default_rng(0), failure=(4, 1))
    env.process(robot.load("M1", 2, job=0))
    env.process(robot.load("M2", 3, job=1))
    env.run()
    assert spans(rec, "transport_start", "transport_end", "R1") == [(0, 2), (2, 6)]
    assert spans(rec, "failure", "repair", "R1") == [(4, 5)]
    assert_consistent(rec)


TRAVEL = {("A", "B"): 5, ("B", "C"): 3, ("C", "A"): 4}


def travel(a: Hashable, b: Hashable) -> float:
    return TRAVEL[(a, b)]  # type: ignore[index]


def test_fleet_travels_empty_to_the_origin() -> None:
    """With positions tracked, the vehicle comes from where it last dropped a job."""
    env = simpy.Environment()
    rec = ListRecorder()
    fleet = TransportFleet(env, "AGV", rec, vehicles=1, travel_time=travel, home="A")
    env.process(fleet.move("A", "B", 0))
    env.process(fleet.move("C", "A", 1))
    env.run()
    legs = [(r.time, r.job, r.state) for r in events(rec, "transport_start")]
    assert legs == [(0, 0, "A->B"), (5, -1, "empty ->C"), (8, 1, "C->A")]
    assert spans(rec, "transport_start", "transport_end", "AGV.0") == [(0, 5), (5, 8), (8, 12)]
    assert fleet.position == ["A"]
    assert states(rec, "AGV.0") == [
        (0, "idle"),
        (0, "busy"),
        (5, "idle"),
        (5, "busy"),
        (12, "idle"),
    ]


def test_fleet_vehicles_work_in_parallel() -> None:
    """Two vehicles carry two jobs at once; a third job waits for the first free one."""
    env = simpy.Environment()
    rec = ListRecorder()
    fleet = TransportFleet(env, "F", rec, vehicles=2, travel_time=lambda a, b: 5)
    done: list[tuple[int, float]] = []

    def job(j: int) -> Generator[Any, Any, None]:
        yield from fleet.move("X", "Y", j)
        done.append((j, env.now))

    for j in range(3):
        env.process(job(j))
    env.run()
    assert done == [(0, 5), (1, 5), (2, 10)]
    assert [r.station for r in events(rec, "transport_start")] == ["F.0", "F.1", "F.0"]


def test_fleet_bad_inputs() -> None:
    """Zero vehicles and negative travel times are refused, naming the culprit."""
    env = simpy.Environment()
    with pytest.raises(ValueError, match="vehicles must be a positive integer, got 0"):
        TransportFleet(env, "F", None, vehicles=0, travel_time=travel)
    fleet = TransportFleet(env, "F", None, vehicles=1, travel_time=lambda a, b: -1)
    env.process(fleet.move("X", "Y", 0))
    with pytest.raises(ValueError, match="travel time 'X'->'Y' is -1"):
        env.run()
