"""The plan as the shop will run it: the solver's assignment and sequences, timed by a
run of the twin without randomness.

The scheduler's model of the shop is coarser than the twin's: it sees machines,
calendars and operator pools as capacities, but not which operator of a pool takes
which job, the robot's queue of fixture loads across the machines it tends, transport,
or the setup recorded before an operation starts. Its times are therefore optimistic
on a staffed shop (on the digital-workshop pilot most starts are minutes to hours
later than planned even without a single breakdown), and measuring adherence against
them would blame the shop for the model's blind spots.

So the plan published to the shop (the times adherence is measured against, and the
planned marks of the report) keeps the solver's decisions and takes its times from one
run of the twin following them with breakdowns and variability off: the "simulate to
publish" step of finite-capacity planning (an APS optimises on an aggregate model and
times the result on the detailed one). Without randomness the twin then follows the
published plan exactly; the gap between the solver's makespan and the published one
(``solver.planned_makespan``) says how much the scheduler's model misses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.recorder import Recorder
from scheduler import ProblemData, Schedule
from twin.eventlog import EventLog
from twin.scenario import Scenario
from twin.sim.execute import execute

__all__ = ["PlanTimes", "calm", "is_calm", "plan_times", "published", "times_from_rows"]


@dataclass(frozen=True)
class PlanTimes:
    """Start and end of every operation (scheduler operation index), in model time."""

    start: NDArray[np.float64]
    end: NDArray[np.float64]

    @property
    def makespan(self) -> float:
        return float(self.end.max(initial=0.0))


def is_calm(scenario: Scenario) -> bool:
    """Whether a run of ``scenario`` has neither breakdowns nor variability."""
    return not (scenario.run.breakdowns or scenario.run.variability)


def calm(scenario: Scenario) -> Scenario:
    """``scenario`` with breakdowns and variability off."""
    if is_calm(scenario):
        return scenario
    run = scenario.run.model_copy(update={"variability": False, "breakdowns": False})
    return scenario.model_copy(update={"run": run})


def times_from_rows(
    problem: ProblemData, rows: Iterable[tuple[float, str, str, int, int, str, float, str]]
) -> PlanTimes | None:
    """First ``op_start`` and last ``op_end`` of every operation in an event log's rows,
    or None when some operation did not finish (the plan's timing is then unknown)."""
    ptr = problem.job_op_ptr.tolist()
    n = problem.num_ops
    start = np.full(n, np.nan)
    end = np.full(n, np.nan)
    for t, kind, _station, job, k, *_ in rows:
        if kind == "op_start":
            o = ptr[job] + k if 0 <= job < problem.num_jobs else -1
            if 0 <= o < n and np.isnan(start[o]):
                start[o] = t
        elif kind == "op_end" and 0 <= job < problem.num_jobs:
            end[ptr[job] + k] = t
    if np.isnan(start).any() or np.isnan(end).any():
        return None
    return PlanTimes(start, end)


def plan_times(
    scenario: Scenario,
    problem: ProblemData,
    plan: Schedule,
    seed: np.random.SeedSequence,
    recorder: Recorder | None = None,
) -> PlanTimes | None:
    """Time ``plan`` by a run of the twin following it without breakdowns or
    variability (into ``recorder`` if given); None when that run leaves an operation
    unfinished (a plan the shop locks up on: adherence is then measured against the
    solver's times)."""
    events = EventLog() if recorder is None else recorder
    execute(calm(scenario), problem, events, seed=seed, plan=plan)
    if not isinstance(events, EventLog):  # pragma: no cover - a custom recorder
        return None
    return times_from_rows(problem, events.rows())


def published(
    scenario: Scenario,
    problem: ProblemData,
    plan: Schedule,
    seed: int,
    log: EventLog | None,
    solver: dict[str, Any],
) -> tuple[PlanTimes | None, dict[str, Any]]:
    """The published plan's times and the solver summary with ``planned_makespan``:
    ``log``'s own times when it is a calm run that followed ``plan`` as planned (pass
    None when it did not, e.g. a rescheduled run), else those of a calm run of it on
    the first replication's stream of ``seed``."""
    if log is not None and is_calm(scenario):
        times = times_from_rows(problem, log.rows())
    else:
        times = plan_times(scenario, problem, plan, np.random.SeedSequence(seed, spawn_key=(0,)))
    if times is not None and "planned_makespan" not in solver:
        solver = {**solver, "planned_makespan": round(times.makespan, 6)}
    return times, solver
