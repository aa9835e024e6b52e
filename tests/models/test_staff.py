"""Operators in the physics: multi-machine tending, manual cycles, shifts, fixture loads;
each against hand-computed times."""

from __future__ import annotations

import itertools
from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy

from models import Calendar, ListRecorder, Machine, Operator, Pool, Robot, Staff


def _shop(
    machines: int, operators: int = 1, per_operator: int = 1, calendar: Calendar | None = None,
    attended: bool = False,
) -> tuple[simpy.Environment, ListRecorder, list[Machine], Staff]:  # fmt: skip
    env = simpy.Environment()
    rec = ListRecorder()
    people = [
        Operator(env, f"op.{i}", rec, pool="op", capacity=per_operator, calendar=calendar)
        for i in range(1, operators + 1)
    ]
    staff = Staff(env, [Pool("op", people, None)])
    units = [
        Machine(env, f"M{i}", rec, rng=np.random.default_rng(i), attended=attended,
                calendar=calendar)
        for i in range(machines)
    ]  # fmt: skip
    return env, rec, units, staff


def _ends(rec: ListRecorder) -> dict[str, float]:
    return {r.station: r.time for r in rec.records if r.kind == "op_end"}


def _busy(rec: ListRecorder, unit: str, until: float) -> float:
    rows = [(r.time, r.state) for r in rec.records if r.kind == "state" and r.station == unit]
    rows.append((until, ""))
    return sum(b[0] - a[0] for a, b in itertools.pairwise(rows) if a[1] == "busy")


def test_one_operator_tends_two_cnc_machines_the_third_waits() -> None:
    """Loads of 1 on three machines, one operator tending two at a time: M0 and M1 are
    loaded one after the other and cycle in parallel; M2 gets the operator only when
    M0's lot ends (it waits in ``waiting_operator``)."""
    env, rec, units, staff = _shop(3, per_operator=2)

    def lot(m: Machine, j: int) -> Generator[simpy.Event, Any, None]:
        yield from m.process_loads(
            j, 0, 10.0, loads=2, load=1.0, unload=1.0, staff=staff, station="S", needs="load"
        )

    for j, m in enumerate(units):
        env.process(lot(m, j))
    env.run()
    # M0: load 0-1, cycle 1-6, unload 6-7; M1: load 1-2, cycle 2-7 and its unload
    # (asked at 7, before M0's next load) 7-8; M0 load 8-9, cycle 9-14; M1 load 9-10,
    # cycle 10-15; M0 unload 14-15: done. M2 gets a place at 15; M1's unload 15-16 was
    # asked first, so M2 loads 16-17, cycles 17-22, unload + load 22-24, cycle 24-29,
    # unload 29-30.
    assert _ends(rec) == {"M0": 15.0, "M1": 16.0, "M2": 30.0}
    waits = [r.time for r in rec.records if r.station == "M2" and r.state == "waiting_operator"]
    assert waits and waits[0] == 0.0
    # the operator worked 3 lots x 2 loads x (1 + 1)
    assert _busy(rec, "op.1", env.now) == pytest.approx(12.0)


def test_a_manual_cycle_holds_the_operator_throughout() -> None:
    """A manual machine takes an operator's whole attention: a second machine waits
    until the first lot is done, and the operator is busy for both cycles."""
    env, rec, units, staff = _shop(2, per_operator=3, attended=True)
    for j, m in enumerate(units):
        env.process(m.process_loads(j, 0, 6.0, loads=3, staff=staff, station="S", needs="cycle"))
    env.run()
    assert _ends(rec) == {"M0": pytest.approx(6.0), "M1": pytest.approx(12.0)}
    assert _busy(rec, "op.1", env.now) == pytest.approx(12.0)


def test_loads_start_on_the_operators_shift_and_the_cycle_runs_through() -> None:
    """Shift 8-16 of 24: a lot of 4 loads x 3 h handed over at 0 starts at 8; loads start
    at 8, 11, 14; the third cycle runs past 16 (a CNC cycle through the shift end) and
    the fourth load waits for 32 (the machine shows ``off`` meanwhile)."""
    cal = Calendar(24.0, [(8.0, 16.0)])
    env, rec, units, staff = _shop(1, calendar=cal)
    env.process(units[0].process_loads(0, 0, 12.0, loads=4, staff=staff, station="S",
                                       needs="load"))  # fmt: skip
    env.run(until=100)
    assert _ends(rec)["M0"] == pytest.approx(35.0)
    states = [(r.time, r.state) for r in rec.records if r.kind == "state" and r.station == "M0"]
    assert (17.0, "off") in states and (32.0, "busy") in states


def test_without_staff_an_attended_cnc_starts_loads_only_on_shift() -> None:
    """No operators modelled: the same lot starts its loads on the machine's shift."""
    env = simpy.Environment()
    rec = ListRecorder()
    cal = Calendar(24.0, [(8.0, 16.0)])
    m = Machine(env, "M", rec, rng=np.random.default_rng(0), attended=False, calendar=cal)
    env.process(m.process_loads(0, 0, 12.0, loads=4, station="S", needs="load"))
    env.run(until=100)
    assert _ends(rec)["M"] == pytest.approx(35.0)


def test_an_unattended_machine_runs_through_the_night() -> None:
    env = simpy.Environment()
    rec = ListRecorder()
    cal = Calendar(24.0, [(8.0, 16.0)])
    m = Machine(env, "M", rec, rng=np.random.default_rng(0), attended=False, calendar=cal)
    env.process(m.process_loads(0, 0, 12.0, loads=4, station="S", needs="setup"))
    env.run(until=100)
    assert _ends(rec)["M"] == pytest.approx(12.0)


def test_a_robot_loads_and_unloads_every_fixture_load() -> None:
    """Two machines share a robot (1 per load and unload): the robot is the bottleneck
    once cycles are short, and the machines wait for it (``starved``)."""
    env = simpy.Environment()
    rec = ListRecorder()
    robot = Robot(env, "R", rec, rng=np.random.default_rng(9))
    units = [Machine(env, f"M{i}", rec, rng=np.random.default_rng(i)) for i in range(2)]
    for j, m in enumerate(units):
        env.process(m.process_loads(j, 0, 5.0, loads=5, load=1.0, unload=1.0, robot=robot,
                                    needs="setup"))  # fmt: skip
    env.run()
    handled = [r for r in rec.records if r.kind == "transport_start" and r.station == "R"]
    assert len(handled) == 2 * 5 * 2
    assert _busy(rec, "R", env.now) == pytest.approx(20.0)
    assert any(r.state == "starved" for r in rec.records if r.station in ("M0", "M1"))
    assert env.now >= 20.0


def test_staff_grants_waiting_machines_in_order_and_respects_skills() -> None:
    env = simpy.Environment()
    a = Operator(env, "a.1", None, pool="a", capacity=1)
    b = Operator(env, "b.1", None, pool="b", capacity=1)
    staff = Staff(env, [Pool("a", [a], frozenset({"lathe"})), Pool("b", [b], None)])
    got: list[tuple[str, str, float]] = []

    def want(station: str, hold: float) -> Generator[simpy.Event, Any, None]:
        op = yield from staff.assign(station, False)
        got.append((station, op.name, env.now))
        yield env.timeout(hold)
        staff.release(op, False)

    env.process(want("mill", 5))  # only b may run the mill
    env.process(want("mill", 5))
    env.process(want("lathe", 1))
    env.run()
    assert got == [("mill", "b.1", 0), ("lathe", "a.1", 0), ("mill", "b.1", 5)]
    assert staff.can_run("mill") and staff.can_run("lathe")
