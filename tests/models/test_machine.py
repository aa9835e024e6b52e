"""Machine stories with exact times: processing, setups, breakdowns, shifts."""

from __future__ import annotations

from collections.abc import Generator, Hashable
from typing import Any

import numpy as np
import pytest
import simpy
from model_checks import assert_consistent, events, spans, states

from models.calendar import Calendar
from models.distributions import Exponential, LogNormal
from models.machine import CNCMachine, Machine, ManualMachine
from models.recorder import ListRecorder, State

Job = tuple[float, int, float, Hashable | None]  # release, job id, work, family


def run(machine: Machine, env: simpy.Environment, jobs: list[Job], until: float = 1000) -> None:
    """Feed jobs to the machine as a twin would: queue, hold the resource, process."""

    def job(release: float, j: int, work: float, fam: Hashable | None) -> Generator[Any, Any, None]:
        yield env.timeout(release)
        with machine.resource.request() as req:
            yield req
            yield from machine.process(j, 0, work, fam, product="p")

    for spec in jobs:
        env.process(job(*spec))
    env.run(until=until)


def make(
    cls: type[Machine] = Machine, **kwargs: Any
) -> tuple[simpy.Environment, ListRecorder, Machine]:
    env = simpy.Environment()
    rec = ListRecorder()
    kwargs.setdefault("rng", np.random.default_rng(0))
    return env, rec, cls(env, "M1", rec, **kwargs)


def test_three_jobs_back_to_back() -> None:
    """Three queued jobs run one after the other at the exact expected times."""
    env, rec, m = make()
    run(m, env, [(0, 0, 3, None), (0, 1, 4, None), (0, 2, 5, None)])
    assert spans(rec, "op_start", "op_end", "M1") == [(0, 3), (3, 7), (7, 12)]
    assert [r.job for r in events(rec, "op_end")] == [0, 1, 2]
    assert states(rec, "M1") == [
        (0, "idle"), (0, "busy"), (3, "idle"), (3, "busy"), (7, "idle"), (7, "busy"), (12, "idle")
    ]  # fmt: skip
    assert_consistent(rec)


def test_family_change_inserts_setup() -> None:
    """A setup precedes an operation whose family differs; none before the first."""
    env, rec, m = make(setup_times=[[0, 2], [3, 0]])
    run(m, env, [(0, 0, 5, 0), (0, 1, 5, 0), (0, 2, 5, 1), (0, 3, 5, 0)])
    assert spans(rec, "setup_start", "setup_end", "M1") == [(10, 12), (17, 20)]
    assert [r.state for r in events(rec, "setup_start")] == ["1", "0"]
    assert spans(rec, "op_start", "op_end", "M1") == [(0, 5), (5, 10), (12, 17), (20, 25)]
    assert (10, "setup") in states(rec, "M1")
    assert_consistent(rec)


def test_initial_family_and_callable_setups() -> None:
    """With an initial family the first operation may need a setup; callables work."""
    env, rec, m = make(setup_times=lambda a, b: 0 if a == b else 4, initial_family="A")
    run(m, env, [(0, 0, 5, "B"), (0, 1, 5, "B")])
    assert spans(rec, "setup_start", "setup_end", "M1") == [(0, 4)]
    assert spans(rec, "op_start", "op_end", "M1") == [(4, 9), (9, 14)]
    assert m.family == "B"


def test_operating_time_breakdowns_resume_work() -> None:
    """MTBF counts busy time: constant 10/3 gives failures at 10 and 29, work resumes."""
    env, rec, m = make(failure=(10, 3))
    run(m, env, [(0, 0, 8, None), (0, 1, 8, None), (25, 2, 12, None)])
    assert spans(rec, "op_start", "op_end", "M1") == [(0, 8), (8, 19), (25, 40)]
    assert spans(rec, "failure", "repair", "M1") == [(10, 13), (29, 32)]
    assert [r.value for r in events(rec, "failure")] == [3, 3]
    assert states(rec, "M1")[3:9] == [
        (8, "busy"), (10, "down"), (13, "busy"), (19, "idle"), (25, "busy"), (29, "down")
    ]  # fmt: skip
    assert_consistent(rec)


def test_calendar_time_breakdowns_strike_at_rest_and_interrupt() -> None:
    """MTBF on calendar time: down at rest at 10, an operation interrupted at 23."""
    env, rec, m = make(failure=(10, 3), failures_count_operating_time=False)
    run(m, env, [(0, 0, 5, None), (11, 1, 1, None), (20, 2, 6, None)], until=40)
    assert spans(rec, "failure", "repair", "M1") == [(10, 13), (23, 26), (36, 39)]
    # job 1 arrives while down: it starts at the repair
    assert spans(rec, "op_start", "op_end", "M1") == [(0, 5), (13, 14), (20, 29)]
    assert states(rec, "M1") == [
        (0, "idle"), (0, "busy"), (5, "idle"), (10, "down"), (13, "busy"), (14, "idle"),
        (20, "busy"), (23, "down"), (26, "busy"), (29, "idle"), (36, "down"), (39, "idle"),
    ]  # fmt: skip
    assert_consistent(rec)


BREAK = Calendar.from_off(100, [(40, 50)])


def test_attended_machine_pauses_at_break() -> None:
    """A manual machine stops at the break (OFF) and finishes the rest after it."""
    env, rec, m = make(ManualMachine, calendar=BREAK, work_cv=0)
    run(m, env, [(0, 0, 45, None)], until=99)
    assert spans(rec, "op_start", "op_end", "M1") == [(0, 55)]
    assert states(rec, "M1") == [(0, "idle"), (0, "busy"), (40, "off"), (50, "busy"), (55, "idle")]
    assert_consistent(rec)


def test_unattended_machine_runs_through_break() -> None:
    """A CNC machine works through the break, then shows OFF until the shift resumes."""
    env, rec, m = make(CNCMachine, calendar=BREAK, work_cv=0)
    run(m, env, [(0, 0, 45, None)], until=99)
    assert spans(rec, "op_start", "op_end", "M1") == [(0, 45)]
    assert states(rec, "M1") == [(0, "idle"), (0, "busy"), (45, "off"), (50, "idle")]


def test_idle_machine_shows_off_between_shifts() -> None:
    """At rest, a machine goes OFF at each break and back to IDLE after."""
    env, rec, _m = make(calendar=BREAK)
    env.run(until=260)
    assert states(rec, "M1") == [
        (0, "idle"), (40, "off"), (50, "idle"), (140, "off"), (150, "idle"), (240, "off"),
        (250, "idle"),
    ]  # fmt: skip


def test_setup_pauses_off_shift_even_when_unattended() -> None:
    """A setup needs a setter: it stops at the break even on a CNC machine."""
    env, rec, m = make(CNCMachine, calendar=BREAK, work_cv=0, setup_times=[[0, 20], [20, 0]])
    run(m, env, [(0, 0, 30, 0), (0, 1, 10, 1)], until=99)
    assert spans(rec, "setup_start", "setup_end", "M1") == [(30, 60)]
    assert spans(rec, "op_start", "op_end", "M1") == [(0, 30), (60, 70)]


def test_breakdown_during_break_on_attended_machine() -> None:
    """Repair runs on calendar time; work then waits for the shift if still off."""
    env, rec, m = make(calendar=BREAK, failure=(38, 5))
    run(m, env, [(0, 0, 45, None)], until=99)
    assert spans(rec, "failure", "repair", "M1") == [(38, 43)]
    assert states(rec, "M1") == [
        (0, "idle"), (0, "busy"), (38, "down"), (43, "off"), (50, "busy"), (57, "idle")
    ]  # fmt: skip
    assert spans(rec, "op_start", "op_end", "M1") == [(0, 57)]


def test_set_state_for_the_twin() -> None:
    """The twin marks BLOCKED/STARVED at rest; off shift shows OFF, then its choice."""
    env, rec, m = make(calendar=BREAK)
    env.run(until=30)
    m.set_state(State.STARVED)
    env.run(until=60)
    assert states(rec, "M1") == [(0, "idle"), (30, "starved"), (40, "off"), (50, "starved")]
    with pytest.raises(ValueError, match="rest state, got busy"):
        m.set_state(State.BUSY)


def _random_run(seed: int) -> list[tuple[float, str, str]]:
    env = simpy.Environment()
    rec = ListRecorder()
    m = Machine(
        env, "M1", rec, rng=np.random.default_rng(seed), work_cv=0.3,
        failure=(Exponential(20), LogNormal(3, 0.5)), setup_times=[[0, 2], [2, 0]],
    )  # fmt: skip
    run(m, env, [(i, i, 5, i % 2) for i in range(20)])
    return [(r.time, r.kind, r.state) for r in rec.records]


def test_same_seed_same_events_different_seed_different() -> None:
    """The event list is a function of the seed."""
    assert _random_run(1) == _random_run(1)
    assert _random_run(1) != _random_run(2)


def test_bad_inputs() -> None:
    """Negative setup times and work are refused, naming the value."""
    env = simpy.Environment()
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="negative setup time -1"):
        Machine(env, "M", None, rng=rng, setup_times=[[0, -1], [1, 0]])
    with pytest.raises(ValueError, match="must be square"):
        Machine(env, "M", None, rng=rng, setup_times=[[0, 1]])
    m = Machine(env, "M", None, rng=rng)
    with pytest.raises(ValueError, match="negative work -2"):
        next(m.process(0, 0, -2))


def test_failure_due_at_operation_end_strikes_next_start() -> None:
    """A failure due exactly when an operation ends hits as the next one begins."""
    env, rec, m = make(failure=(5, 1))
    run(m, env, [(0, 0, 5, None), (0, 1, 3, None)])
    assert spans(rec, "op_start", "op_end", "M1") == [(0, 5), (5, 9)]
    assert spans(rec, "failure", "repair", "M1") == [(5, 6)]
    assert_consistent(rec)


def test_calendar_time_failure_during_shift_pause() -> None:
    """A breakdown in the break interrupts the paused job; it waits out the break."""
    env, rec, m = make(calendar=BREAK, failure=(45, 2), failures_count_operating_time=False)
    run(m, env, [(0, 0, 45, None)], until=60)
    assert spans(rec, "op_start", "op_end", "M1") == [(0, 55)]
    assert states(rec, "M1") == [
        (0, "idle"), (0, "busy"), (40, "off"), (45, "down"), (47, "off"), (50, "busy"),
        (55, "idle"),
    ]  # fmt: skip
    assert_consistent(rec)


def test_work_handed_over_off_shift_starts_with_the_shift() -> None:
    """Setup and attended processing given at night start (and are logged) at 08:00."""
    shift = Calendar(24, [(8, 16)])
    env, rec, m = make(calendar=shift, setup_times=[[0, 1], [1, 0]], initial_family=0)
    run(m, env, [(2, 0, 3, 1)], until=30)
    assert spans(rec, "setup_start", "setup_end", "M1") == [(8, 9)]
    assert spans(rec, "op_start", "op_end", "M1") == [(9, 12)]
    assert states(rec, "M1") == [(0, "off"), (8, "setup"), (9, "busy"), (12, "idle"), (16, "off")]


def test_anticipatory_setup_before_the_part() -> None:
    """setup() changes over ahead of the part; the next process() needs none."""
    env, rec, m = make(setup_times=[[0, 4], [4, 0]], initial_family=0)

    def twin() -> Generator[Any, Any, None]:
        with m.resource.request() as req:
            yield req
            assert (yield from m.setup(1, job=7, operation=2)) == 4
            assert (yield from m.setup(1)) == 0.0
        yield env.timeout(6)
        with m.resource.request() as req:
            yield req
            yield from m.process(7, 2, 5, family=1)

    env.process(twin())
    env.run()
    assert spans(rec, "setup_start", "setup_end", "M1") == [(0, 4)]
    assert [(r.job, r.operation, r.state) for r in events(rec, "setup_start")] == [(7, 2, "1")]
    assert spans(rec, "op_start", "op_end", "M1") == [(10, 15)]
    assert states(rec, "M1") == [(0, "idle"), (0, "setup"), (4, "idle"), (10, "busy"), (15, "idle")]
    assert_consistent(rec)


def test_process_run_as_its_own_process() -> None:
    """env.process(machine.process(...)) works too; a calendar-time failure interrupts it."""
    env, rec, m = make(failure=(4, 2), failures_count_operating_time=False)

    def twin() -> Generator[Any, Any, None]:
        with m.resource.request() as req:
            yield req
            actual = yield env.process(m.process(0, 0, 6))
            assert actual == 6

    env.process(twin())
    env.run(until=9)
    assert spans(rec, "op_start", "op_end", "M1") == [(0, 8)]
    assert spans(rec, "failure", "repair", "M1") == [(4, 6)]


def test_the_idle_state_says_why_a_machine_rests() -> None:
    """The owner keeps the idle state current: shown at once at rest, after the job when
    working; a job ends in the current idle state, never in a stale IDLE."""
    env, rec, m = make(idle_state=State.NO_ORDER)

    def owner() -> Generator[Any, Any, None]:
        yield env.timeout(2)
        m.set_idle_state(State.STARVED)  # work released upstream: shown at once
        yield env.timeout(1)
        with m.resource.request() as req:
            yield req
            yield from m.process(0, 0, 4.0, None, product="p")

    def upstream() -> Generator[Any, Any, None]:
        yield env.timeout(5)
        m.set_idle_state(State.NO_ORDER)  # while busy: shown when the job ends

    env.process(owner())
    env.process(upstream())
    env.run(until=20)
    assert states(rec, m.name) == [(0, "no_order"), (2, "starved"), (3, "busy"), (7, "no_order")]
    assert_consistent(rec)


def test_only_idle_states_can_be_the_idle_state() -> None:
    _, _, m = make()
    with pytest.raises(ValueError, match="idle, starved or no_order"):
        m.set_idle_state(State.BUSY)


def _driver(env: simpy.Environment, m: Machine, works: list[float]) -> Generator[Any, Any, None]:
    """One process running lots back to back, as the twin's per-machine driver."""
    for j, work in enumerate(works):
        yield from m.process(j, 0, work, None, product="p", rest=False)
    m.rest()


def test_rest_false_keeps_a_plain_machine_busy_between_lots() -> None:
    """No zero-time idle between back-to-back lots; rest() shows the rest state."""
    env, rec, m = make()
    env.process(_driver(env, m, [3, 4, 5]))
    env.run(until=100)
    assert spans(rec, "op_start", "op_end", "M1") == [(0, 3), (3, 7), (7, 12)]
    assert states(rec, "M1") == [(0, "idle"), (0, "busy"), (12, "idle")]
    assert m.state is State.IDLE
    m.rest()  # at rest already: nothing more
    assert states(rec, "M1")[-1] == (12, "idle") and len(states(rec, "M1")) == 3
    assert_consistent(rec)


def test_rest_false_is_ignored_where_something_can_stop_the_machine() -> None:
    """A machine that can fail rests after every job whatever the caller asks (its
    failures and maintenance begin at rest)."""
    env, rec, m = make(failure=(1e9, 1.0))
    env.process(_driver(env, m, [3, 4]))
    env.run(until=100)
    assert states(rec, "M1") == [(0, "idle"), (0, "busy"), (3, "idle"), (3, "busy"), (7, "idle")]
