"""Planned maintenance and the maintenance crew, with exact times."""

from __future__ import annotations

import itertools
import math
from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy
from model_checks import assert_consistent, events, spans, states

from models.calendar import Calendar
from models.distributions import Constant, Exponential, LogNormal
from models.machine import CNCMachine, Machine
from models.maintenance import MaintenanceCrew, PlannedMaintenance
from models.printer import PrintCell
from models.recorder import ListRecorder, Record
from models.robot import Robot

Job = tuple[float, int, float]  # release, job id, work


def feed(env: simpy.Environment, machine: Machine, jobs: list[Job]) -> None:
    """Queue jobs on the machine as the twin does: hold the resource, process."""

    def job(release: float, j: int, work: float) -> Generator[Any, Any, None]:
        yield env.timeout(release)
        with machine.resource.request() as req:
            yield req
            yield from machine.process(j, 0, work)

    for spec in jobs:
        env.process(job(*spec))


def planned(rec: ListRecorder, unit: str = "M1") -> list[tuple[float, float]]:
    return spans(rec, "maintenance_start", "maintenance_end", unit)


def time_in(rec: ListRecorder, unit: str, state: str, until: float) -> float:
    seq = [*states(rec, unit), (until, "")]
    return sum(b[0] - a[0] for a, b in itertools.pairwise(seq) if a[1] == state)


def test_interval_maintenance_on_calendar_time_waits_for_the_operation() -> None:
    """Due at 10 in the middle of a job: done when the job ends (15-18); a job handed
    over at 16 waits for it; the next falls due 10 after the end, at rest (28-31)."""
    env, rec = simpy.Environment(), ListRecorder()
    pm = PlannedMaintenance(every=10, duration=3)
    m = Machine(env, "M1", rec, rng=np.random.default_rng(0), maintenance=pm)
    feed(env, m, [(0, 0, 15), (16, 1, 5)])
    env.run(until=35)
    assert spans(rec, "op_start", "op_end", "M1") == [(0, 15), (18, 23)]
    assert planned(rec) == [(15, 18), (28, 31)]
    assert states(rec, "M1") == [
        (0, "idle"), (0, "busy"), (15, "planned_down"), (18, "busy"), (23, "idle"),
        (28, "planned_down"), (31, "idle"),
    ]  # fmt: skip
    starts = events(rec, "maintenance_start", "M1")
    assert [(r.state, r.value) for r in starts] == [("interval", 3), ("interval", 3)]
    assert_consistent(rec)


def test_interval_maintenance_on_operating_time_counts_busy_time_only() -> None:
    """Every 10 busy: due during the third job (busy 12 by its end), done after it;
    the queued fourth job waits; at rest the clock does not run."""
    env, rec = simpy.Environment(), ListRecorder()
    pm = PlannedMaintenance(every=10, duration=2, operating=True)
    m = Machine(env, "M1", rec, rng=np.random.default_rng(0), maintenance=pm)
    feed(env, m, [(0, j, 4) for j in range(4)])
    env.run(until=200)
    assert spans(rec, "op_start", "op_end", "M1") == [(0, 4), (4, 8), (8, 12), (14, 18)]
    assert planned(rec) == [(12, 14)]
    assert time_in(rec, "M1", "planned_down", 200) == 2
    assert_consistent(rec)


def test_a_dated_window_pauses_work_and_resumes_it() -> None:
    """An unattended CNC (it runs through breaks) still stops for a window: busy 0-5,
    planned down 5-9, busy 9-14; a job handed over inside a window starts at its end."""
    env, rec = simpy.Environment(), ListRecorder()
    pm = PlannedMaintenance(windows=((5, 9), (20, 24)))
    m = CNCMachine(env, "M1", rec, rng=np.random.default_rng(0), maintenance=pm)
    feed(env, m, [(0, 0, 10), (21, 1, 2)])
    env.run(until=40)
    assert spans(rec, "op_start", "op_end", "M1") == [(0, 14), (24, 26)]
    assert planned(rec) == [(5, 9), (20, 24)]
    assert states(rec, "M1") == [
        (0, "idle"), (0, "busy"), (5, "planned_down"), (9, "busy"), (14, "idle"),
        (20, "planned_down"), (24, "busy"), (26, "idle"),
    ]  # fmt: skip
    # (planned_down inside an operation: a pause, as off shift)
    assert_consistent(rec, ops_hold_state=False)


def test_a_window_inside_a_shift_pause_shows_and_the_pause_goes_on() -> None:
    """Attended, on shift [0, 10) of every 20, window 12-15: busy 8-10, off 10-12,
    planned down 12-15, off again 15-20, the rest of the work 20-23."""
    env, rec = simpy.Environment(), ListRecorder()
    m = Machine(
        env, "M1", rec, rng=np.random.default_rng(0), calendar=Calendar(20, [(0, 10)]),
        maintenance=PlannedMaintenance(windows=((12, 15),)),
    )  # fmt: skip
    feed(env, m, [(8, 0, 5)])
    env.run(until=30)
    assert states(rec, "M1") == [
        (0, "idle"), (8, "busy"), (10, "off"), (12, "planned_down"), (15, "off"), (20, "busy"),
        (23, "idle"),
    ]  # fmt: skip


def test_a_window_opening_during_a_repair_begins_when_it_ends() -> None:
    """Broken down 3-8 (operating-time failure); the window 6-10 begins at 8."""
    env, rec = simpy.Environment(), ListRecorder()
    m = Machine(
        env, "M1", rec, rng=np.random.default_rng(0), failure=(Constant(3), Constant(5)),
        maintenance=PlannedMaintenance(windows=((6, 10),)),
    )  # fmt: skip
    feed(env, m, [(0, 0, 5)])
    env.run(until=30)
    assert spans(rec, "failure", "repair", "M1") == [(3, 8)]
    assert planned(rec) == [(8, 10)]
    assert spans(rec, "op_start", "op_end", "M1") == [(0, 12)]
    assert states(rec, "M1") == [
        (0, "idle"), (0, "busy"), (3, "down"), (8, "planned_down"), (10, "busy"), (12, "idle")
    ]  # fmt: skip


def test_a_calendar_time_failure_due_in_maintenance_strikes_as_it_ends() -> None:
    """At rest: maintenance 10-14, the failure due at 13 strikes at 14 (down 14-16)."""
    env, rec = simpy.Environment(), ListRecorder()
    Machine(
        env, "M1", rec, rng=np.random.default_rng(0), failure=(Constant(13), Constant(2)),
        failures_count_operating_time=False,
        maintenance=PlannedMaintenance(every=10, duration=4),
    )  # fmt: skip
    env.run(until=35)
    assert states(rec, "M1") == [
        (0, "idle"), (10, "planned_down"), (14, "down"), (16, "idle"), (24, "planned_down"),
        (28, "idle"), (29, "down"), (31, "idle"),
    ]  # fmt: skip
    assert spans(rec, "failure", "repair", "M1") == [(14, 16), (29, 31)]
    assert planned(rec) == [(10, 14), (24, 28)]


def _two_failing(members: int | None) -> tuple[ListRecorder, MaintenanceCrew | None]:
    """Machines A and B, one job of 10 each, both down at 5 (every 5 busy, repair 4)."""
    env, rec = simpy.Environment(), ListRecorder()
    crew = None if members is None else MaintenanceCrew(env, members)
    for name in ("A", "B"):
        m = Machine(
            env, name, rec, rng=np.random.default_rng(0), failure=(Constant(5), Constant(4)),
            crew=crew,
        )  # fmt: skip
        feed(env, m, [(0, 0, 10)])
    env.run(until=50)
    return rec, crew


def test_one_crew_member_repairs_two_failures_one_after_the_other() -> None:
    """Crew of 1: A is repaired 5-9, B waits and is repaired 9-13, DOWN all along."""
    rec, crew = _two_failing(1)
    assert spans(rec, "failure", "repair", "A") == [(5, 9)]
    assert spans(rec, "failure", "repair", "B") == [(5, 13)]
    assert time_in(rec, "B", "down", 50) == 8 > time_in(rec, "A", "down", 50) == 4
    assert spans(rec, "op_start", "op_end", "B") == [(0, 18)]
    assert crew is not None and (crew.busy_time, crew.jobs) == (8, 2)
    assert [r.value for r in events(rec, "failure")] == [4, 4]  # the work, not the wait


@pytest.mark.parametrize("members", [None, 2])
def test_without_a_crew_or_with_enough_both_are_repaired_at_once(members: int | None) -> None:
    rec, _ = _two_failing(members)
    assert spans(rec, "failure", "repair", "A") == spans(rec, "failure", "repair", "B") == [(5, 9)]


def test_repairs_pause_outside_the_crew_calendar() -> None:
    """Crew on shift [0, 8) of every 16: a failure at 5 gets 3 of its 4 before the
    shift ends, the last 1 at 16; the unit is down 5-17."""
    env, rec = simpy.Environment(), ListRecorder()
    crew = MaintenanceCrew(env, 1, calendar=Calendar(16, [(0, 8)]))
    m = Machine(
        env, "M1", rec, rng=np.random.default_rng(0), failure=(Constant(5), Constant(4)),
        crew=crew,
    )  # fmt: skip
    feed(env, m, [(0, 0, 10)])
    env.run(until=40)
    assert spans(rec, "failure", "repair", "M1") == [(5, 17)]
    assert spans(rec, "op_start", "op_end", "M1") == [(0, 22)]


def test_maintenance_waits_for_the_crew_and_shows_planned_down() -> None:
    """Due at 12 while the crew is off (on [0, 10) of every 20): planned down 12-23."""
    env, rec = simpy.Environment(), ListRecorder()
    crew = MaintenanceCrew(env, 1, calendar=Calendar(20, [(0, 10)]))
    Machine(
        env, "M1", rec, rng=np.random.default_rng(0), crew=crew,
        maintenance=PlannedMaintenance(every=12, duration=3),
    )  # fmt: skip
    env.run(until=30)
    assert planned(rec) == [(12, 23)]
    assert states(rec, "M1") == [(0, "idle"), (12, "planned_down"), (23, "idle")]


def test_repairs_go_before_maintenance_on_the_crew() -> None:
    """One member, busy with A's repair 5-9: B's maintenance (due 6) and C's repair
    (failed 7) wait; at 9 the repair goes first (9-11), then the maintenance (11-14)."""
    env, rec = simpy.Environment(), ListRecorder()
    crew = MaintenanceCrew(env, 1)
    for name, failure, work in (("A", (5, 4), 7), ("C", (7, 2), 8)):
        m = Machine(
            env, name, rec, rng=np.random.default_rng(0),
            failure=(Constant(failure[0]), Constant(failure[1])), crew=crew,
        )  # fmt: skip
        feed(env, m, [(0, 0, work)])
    Machine(
        env, "B", rec, rng=np.random.default_rng(0), crew=crew,
        maintenance=PlannedMaintenance(every=6, duration=3),
    )  # fmt: skip
    env.run(until=15)
    assert spans(rec, "failure", "repair", "A") == [(5, 9)]
    assert spans(rec, "failure", "repair", "C") == [(7, 11)]
    assert planned(rec, "B") == [(6, 14)]


@pytest.mark.parametrize("operating", [True, False])
def test_no_crew_is_todays_behaviour(operating: bool) -> None:
    """Random failures and work: the log is the same without the keyword, with
    ``crew=None``, and with a crew that is never short (always on shift, 5 members)."""

    def log(**extra: Any) -> list[Record]:
        env, rec = simpy.Environment(), ListRecorder()
        if extra.get("crew") == "ample":
            extra["crew"] = MaintenanceCrew(env, 5)
        m = Machine(
            env, "M1", rec, rng=np.random.default_rng(7),
            failure=(Exponential(20), LogNormal(4, 0.5)),
            failures_count_operating_time=operating, work_cv=0.2, **extra,
        )  # fmt: skip
        feed(env, m, [(3 * j, j, 5) for j in range(40)])
        env.run(until=400)
        return rec.records

    base = log()
    assert sum(r.kind == "failure" for r in base) > 3
    assert log(crew=None) == base
    assert log(crew="ample") == base


def test_no_maintenance_keeps_the_fast_path() -> None:
    """Only a unit that nothing can stop runs an operation as one timeout."""
    env = simpy.Environment()
    rng = np.random.default_rng(0)
    assert Machine(env, "A", None, rng=rng)._plain
    assert Machine(env, "B", None, rng=rng, crew=MaintenanceCrew(env))._plain
    pm = PlannedMaintenance(windows=((1, 2),))
    assert not Machine(env, "C", None, rng=rng, maintenance=pm)._plain


def test_robots_and_print_cells_take_the_keywords() -> None:
    """A window shows on a robot and a print cell at rest as on any unit."""
    env, rec = simpy.Environment(), ListRecorder()
    crew = MaintenanceCrew(env, 2)
    pm = PlannedMaintenance(windows=((2, 5),))
    Robot(env, "R1", rec, rng=np.random.default_rng(0), maintenance=pm, crew=crew)
    PrintCell(
        env, "P1", rec, rng=np.random.default_rng(0), plate_capacity=2, max_wait=math.inf,
        build_time=lambda products: 10.0, maintenance=pm, crew=crew,
    )  # fmt: skip
    env.run(until=10)
    for unit in ("R1", "P1"):
        assert states(rec, unit) == [(0, "idle"), (2, "planned_down"), (5, "idle")]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"every": 0}, "interval must be positive"),
        ({"every": 10, "duration": 10}, "shorter than its interval"),
        ({"windows": ((5, 3),)}, "window 0"),
        ({"windows": ((1, 5), (4, 8))}, "window 1"),
    ],
)
def test_bad_maintenance_is_refused_with_the_culprit(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        PlannedMaintenance(**kwargs)


def test_a_crew_needs_a_member() -> None:
    with pytest.raises(ValueError, match="crew: count must be a positive integer, got 0"):
        MaintenanceCrew(simpy.Environment(), 0)


def _stops(
    rec: ListRecorder, unit: str, start: str, end: str, until: float
) -> list[tuple[float, float]]:
    """(start, end) of each stop, one still open at ``until`` ending there."""
    a = [r.time for r in events(rec, start, unit)]
    b = [r.time for r in events(rec, end, unit)]
    return list(zip(a, [*b, until][: len(a)], strict=True))


@pytest.mark.parametrize("seed", range(25))
def test_random_shops_keep_planned_and_unplanned_stops_apart(seed: int) -> None:
    """Shifts, both failure bases, interval maintenance on both bases, windows and a
    crew on a shift, drawn at random: every job finishes, PLANNED_DOWN lasts exactly
    the maintenance, DOWN exactly the repairs, and the two never overlap."""
    r = np.random.default_rng(seed)
    env, rec = simpy.Environment(), ListRecorder()
    crew_cal = Calendar(24, [(0, 12)]) if r.random() < 0.5 else None
    crew = MaintenanceCrew(env, int(r.integers(1, 3)), calendar=crew_cal)
    shift = Calendar(24, [(0, 16)]) if r.random() < 0.5 else None
    done: list[int] = []

    def job(m: Machine, release: float, j: int, work: float) -> Generator[Any, Any, None]:
        yield env.timeout(release)
        with m.resource.request() as req:
            yield req
            yield from m.process(j, 0, work, int(r.integers(0, 2)))
        done.append(j)

    units = []
    for i in range(3):
        t, windows = 0.0, []
        for _ in range(int(r.integers(0, 4))):
            a = t + float(r.integers(1, 60))
            t = a + float(r.integers(1, 10))
            windows.append((a, t))
        pm = PlannedMaintenance(
            every=float(r.integers(5, 40)), duration=float(r.integers(1, 5)),
            operating=bool(r.random() < 0.5), windows=tuple(windows),
        )  # fmt: skip
        m = Machine(
            env, f"M{i}", rec, rng=np.random.default_rng(seed + 100 * i),
            failure=(Exponential(float(r.integers(5, 30))), LogNormal(3, 0.5)),
            failures_count_operating_time=bool(r.random() < 0.5), calendar=shift,
            attended=bool(r.random() < 0.5), maintenance=pm, crew=crew,
            setup_times=[[0, 2], [2, 0]],
        )  # fmt: skip
        units.append(m)
        for j in range(10):
            release, work = float(r.integers(0, 100)), float(r.integers(1, 10))
            env.process(job(m, release, 10 * i + j, work))
    until = 2000.0
    env.run(until=until)
    assert sorted(done) == list(range(30))
    assert_consistent(rec, ops_hold_state=False)
    for m in units:
        planned_stops = _stops(rec, m.name, "maintenance_start", "maintenance_end", until)
        repairs = _stops(rec, m.name, "failure", "repair", until)
        assert time_in(rec, m.name, "planned_down", until) == pytest.approx(
            sum(b - a for a, b in planned_stops)
        )
        assert time_in(rec, m.name, "down", until) == pytest.approx(sum(b - a for a, b in repairs))
        for a, b in planned_stops:
            assert all(d <= a or c >= b for c, d in repairs), (m.name, (a, b), repairs)
