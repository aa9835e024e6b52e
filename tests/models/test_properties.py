"""Properties against slow twins: calendar arithmetic, machines under shifts, whole cells."""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from model_checks import assert_consistent, spans

from models import (
    Buffer,
    BuildTime,
    Calendar,
    Exponential,
    LogNormal,
    Machine,
    PrintCell,
    Robot,
    TransportFleet,
    Triangular,
)
from models.recorder import ListRecorder, State


@st.composite
def integer_calendars(draw: st.DrawFn) -> Calendar:
    """Periods up to 30 with on intervals on integer boundaries (at least one on unit)."""
    period = draw(st.integers(2, 30))
    on = draw(st.lists(st.booleans(), min_size=period, max_size=period).filter(any))
    intervals = [(t, t + 1) for t in range(period) if on[t]]
    return Calendar(period, intervals)


def naive_finish(cal: Calendar, start: int, work: int) -> float:
    """Walk unit steps from ``start``, counting on units (the slow twin of finish_time)."""
    if work == 0:
        return start
    t, done = start, 0
    while True:
        if cal.is_on(t):
            done += 1
            if done == work:
                return t + 1
        t += 1


@settings(max_examples=150, deadline=None)
@given(integer_calendars(), st.integers(0, 100), st.integers(0, 200))
def test_finish_time_matches_naive_walk(cal: Calendar, start: int, work: int) -> None:
    """Calendar.finish_time (which skips whole periods) agrees with a unit-by-unit walk."""
    assert cal.finish_time(start, work) == naive_finish(cal, start, work)


@settings(max_examples=150, deadline=None)
@given(integer_calendars(), st.integers(0, 100), st.integers(0, 100))
def test_on_time_and_windows_match_is_on(cal: Calendar, t0: int, length: int) -> None:
    """on_time, on_windows and off_windows agree with counting on units."""
    t1 = t0 + length
    count = sum(cal.is_on(t) for t in range(t0, t1))
    assert cal.on_time(t0, t1) == count
    on = sum(e - s for s, e in cal.on_windows(t0, t1))
    off = sum(e - s for s, e in cal.off_windows(t0, t1))
    assert on == count and on + off == length


@settings(max_examples=60, deadline=None)
@given(integer_calendars(), st.integers(0, 50), st.integers(1, 80))
def test_attended_machine_follows_the_calendar(cal: Calendar, start: int, work: int) -> None:
    """An attended machine starts at next_on and finishes exactly at finish_time."""
    env = simpy.Environment()
    rec = ListRecorder()
    m = Machine(env, "M", rec, rng=np.random.default_rng(0), calendar=cal, attended=True)

    def job() -> Generator[Any, Any, None]:
        yield env.timeout(start)
        with m.resource.request() as req:
            yield req
            yield from m.process(0, 0, work)

    env.process(job())
    env.run(until=start + 10 * work * cal.period)
    expected = (cal.next_on(start), cal.finish_time(start, work))
    assert spans(rec, "op_start", "op_end", "M") == [expected]
    assert_consistent(rec)


def run_cell(seed: int, horizon: float = 3000.0) -> ListRecorder:
    """A small random cell: robot-tended machines, a buffer, a print cell, an AGV, shifts
    and both kinds of failures; every stream spawned from one seed."""
    env = simpy.Environment()
    rec = ListRecorder()
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
    shifts = Calendar.from_off(480, [(200, 230), (440, 480)])
    m1 = Machine(
        env,
        "M1",
        rec,
        rng=streams[0],
        calendar=shifts,
        attended=True,
        failure=(Exponential(150), LogNormal(15, 0.5)),
        setup_times=[[0, 8], [12, 0]],
        work_cv=0.2,
    )
    m2 = Machine(
        env,
        "M2",
        rec,
        rng=streams[1],
        calendar=shifts,
        attended=False,
        failure=(Exponential(400), Triangular(5, 10, 30)),
        failures_count_operating_time=False,
    )
    robot = Robot(env, "R", rec, rng=streams[2], failure=(Exponential(60), 2))
    buffer = Buffer(env, "B", rec, capacity=3)
    printer = PrintCell(
        env,
        "P",
        rec,
        rng=streams[3],
        plate_capacity=4,
        max_wait=60,
        build_time=BuildTime(base=20, per_part=5),
        cooldown=10,
        post_process=Exponential(5),
        calendar=shifts,
        failure=(Exponential(300), 20),
        failures_count_operating_time=False,
    )
    fleet = TransportFleet(
        env,
        "AGV",
        rec,
        vehicles=2,
        home="in",
        rng=streams[4],
        travel_time=lambda a, b: 0.0 if a == b else LogNormal(6, 0.3),
    )
    arrivals = streams[5]

    def job(j: int) -> Generator[Any, Any, None]:
        yield from fleet.move("in", "M1", j)
        with m1.resource.request() as req:
            yield req
            yield from robot.load("M1", 1.5, job=j)
            yield from m1.process(j, 0, 20, family=j % 2)
            m1.set_state(State.BLOCKED)
            yield buffer.put(j)  # M1 blocked while the buffer is full
            m1.set_state(State.IDLE)
        yield buffer.get()
        with m2.resource.request() as req:
            yield req
            yield from m2.process(j, 1, 25)
        yield from fleet.move("M2", "P", j)
        yield printer.submit(j, 2, "bracket")

    def source() -> Generator[Any, Any, None]:
        for j in range(60):
            env.process(job(j))
            yield env.timeout(float(arrivals.exponential(30)))

    env.process(source())
    env.run(until=horizon)
    return rec


def test_random_cell_logs_are_consistent() -> None:
    """Every unit of a random cell records a consistent, time-ordered state sequence."""
    rec = run_cell(3)
    machines = ["M1", "M2", "R", "AGV.0", "AGV.1"]
    assert_consistent(rec, machines)
    assert_consistent(rec, ["P"], ops_hold_state=False)
    kinds = {r.kind for r in rec.records}
    assert {"failure", "repair", "setup_start", "build_start", "buffer", "transport_start"} <= kinds
    assert any(r.state == "off" for r in rec.records if r.station == "M1")


def test_random_cell_same_seed_same_log() -> None:
    """Same seed, identical event log; another seed, a different one."""
    a, b, c = run_cell(5, 1500), run_cell(5, 1500), run_cell(6, 1500)
    assert a.records == b.records
    assert a.records != c.records
    assert not math.isnan(sum(r.value for r in a.records))
