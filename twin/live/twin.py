"""`LiveTwin`: the twin kept in step with the shop by MES events, replanning as it goes.

::

    from twin.live import LiveTwin
    live = LiveTwin("scenarios/pilot_workshop.yaml", policy="on-event")
    live.subscribe(print)                       # the twin's own events
    live.ingest({"type": "machine_down", "id": "e1", "machine": "cell_vmc#1",
                 "time": "2026-01-05T09:00:00+00:00"})   # replans (on-event)
    live.advance(600)                           # the clock: model time or a datetime
    live.snapshot()["machines"]                 # plain data
    live.what_if(event).outcome                 # a fork; the live twin is untouched

State is event-sourced: the *facts* (:class:`twin.live.state.Facts`) are a pure
function of the accepted MES events applied in time order, and the *plan* is the
current schedule of every operation, changed only by a replan (or extended by a
repair when new operations appear). What lies ahead is the plan repaired onto the
facts (:meth:`LiveTwin.projection`: same machines and sequences, left-shifted: what
the twin does with a plan and no randomness).

Ingest is idempotent by event id; an event more than ``tolerance`` before the clock,
or one that does not fit the facts (unknown order, machine or step, a step started
twice ...) is rejected with a one-line reason, reported in :attr:`LiveTwin.rejected`
and to subscribers, and leaves the state unchanged. An event within the tolerance but
older than the last applied one is applied in time order: the facts are rebuilt from
the journal with it in its place (and it is rejected if a later event no longer fits).
An accepted event after the clock advances the clock to it (periodic replans that
fell due on the way then see it already applied).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from scheduler import Schedule, Violation, check
from twin.errors import TwinError
from twin.live import problem as lp
from twin.live.ahead import Ahead, simulate_ahead
from twin.live.clock import Clock
from twin.live.events import EventError, dump_event, parse_event
from twin.live.initial import initial_plan
from twin.live.notices import Rejection, TwinEvent
from twin.live.policy import Policy
from twin.live.replan import Replanner, ReplanReport
from twin.live.state import Catalog, Facts, IngestError
from twin.live.view import plan_kpis, snapshot
from twin.scenario import Scenario, load_scenario
from twin.scenario.durations import UNIT_SECONDS
from twin.sim.build import build_problem, calendar_cover

__all__ = ["LiveTwin", "WhatIf"]

Subscriber = Callable[[TwinEvent], None]


@dataclass
class WhatIf:
    """The outcome of :meth:`LiveTwin.what_if`: projected KPIs without and with the
    change, what the fork rejected, its replan (if any), and the fork itself."""

    baseline: dict[str, Any]
    outcome: dict[str, Any]
    rejected: list[Rejection]
    replan: ReplanReport | None
    fork: LiveTwin
    #: ``what_if(..., simulate=N)``: the SimPy shop run ahead N times from the live
    #: state and from the fork's (same seeds), KPI means with 95 % half-widths
    simulated_baseline: Ahead | None = None
    simulated_outcome: Ahead | None = None


class LiveTwin:
    """A live digital twin of one scenario (see the module docstring).

    Parameters
    ----------
    scenario
        A :class:`Scenario` or a YAML path.
    plan
        A schedule over ``build_problem(scenario)``; None: plan as :func:`twin.simulate`
        would (``method``, ``time_limit``: the scenario's by default).
    policy
        ``none``, ``periodic:N``, ``on-event`` or a :class:`Policy`.
    replanner
        Solver method, time limit and stability of replans (:class:`Replanner`).
    tolerance
        How far (model time) before the clock an event may be and still be applied
        (default: the scenario's adherence tolerance, 15 minutes by default).
    origin, tz
        Wall-clock time of model time 0 (default the scenario's ``start``, in ``tz``
        when it has no zone; UTC by default).
    rush_priority
        The priority a rush order gets.
    """

    def __init__(
        self,
        scenario: Scenario | str | Path,
        plan: Schedule | None = None,
        *,
        policy: str | Policy = "none",
        replanner: Replanner | None = None,
        tolerance: float | None = None,
        origin: datetime | None = None,
        tz: tzinfo | None = None,
        rush_priority: int = 10,
        method: str | None = None,
        time_limit: float | None = None,
    ) -> None:
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        self.scenario = scenario
        self.clock = Clock.for_scenario(scenario, origin, tz)
        self.policy = Policy.parse(policy)
        self.replanner = replanner or Replanner(seed=scenario.run.seed)
        default_tol = scenario.run.adherence_tolerance
        if default_tol is None:
            default_tol = 15 * 60 / UNIT_SECONDS[scenario.time_unit]
        self.tolerance = float(default_tol if tolerance is None else tolerance)
        self.threshold = float(
            default_tol if self.policy.deviation is None else self.policy.deviation
        )
        self.catalog = Catalog.of(scenario, self.clock, rush_priority)
        self.facts = Facts.initial(scenario, self.catalog)
        if plan is None:
            plan, base, cover = initial_plan(
                scenario, method, time_limit=time_limit, seed=scenario.run.seed
            )
        else:
            base = build_problem(scenario)
            cover = calendar_cover(scenario, base) if base.has_windows else None
        if len(plan) != base.num_ops:
            raise TwinError(f"plan has {len(plan)} operations, the scenario has {base.num_ops}")
        self._cover = cover
        keys = lp.op_keys(base, scenario)
        self._plan: lp.PlanMap = {
            k: (int(m), int(s), int(e))
            for k, m, s, e in zip(keys, plan.machine, plan.start, plan.end, strict=True)
        }
        self.now = 0.0
        self.journal: list[tuple[float, int, Any]] = []  # (model time, arrival, event)
        self.rejected: list[Rejection] = []
        self.replans: list[ReplanReport] = []
        self.duplicates = 0
        self._seen: dict[str, Any] = {}
        self._last = -math.inf  # latest applied event time
        self._subscribers: list[Subscriber] = []
        self._version = 0  # bumped by every accepted event
        self._plan_version = 0
        self._plan_orders = 0  # the orders version the plan in force was made for
        self._problem_cache: tuple[int, Any] | None = None
        self._projection_cache: tuple[tuple[int, int, int], lp.PlanMap] | None = None
        self._late_checked: set[lp.Key] = set()
        self._late_queue: tuple[int, list[tuple[int, lp.Key]]] | None = None
        self._late_pos = 0
        self._next_tick = self.policy.every if self.policy.kind == "periodic" else None

    # -- subscribers -----------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(TwinEvent)`` on every twin event; returns an unsubscribe."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def _emit(self, kind: str, data: dict[str, Any], t: float | None = None) -> None:
        if not self._subscribers:
            return
        t = self.now if t is None else t
        event = TwinEvent(kind, t, self.clock.iso(t), data)
        for callback in list(self._subscribers):
            callback(event)

    # -- the clock ---------------------------------------------------------------------

    def model_time(self, when: float | datetime) -> float:
        return self.clock.to_model(when) if isinstance(when, datetime) else float(when)

    def advance(self, until: float | datetime) -> None:
        """Move the clock to ``until`` (model time or an aware datetime): periodic
        replans fall due on the way, and planned operations not started ``threshold``
        after their planned start are reported (``deviation``, an ``on-event`` trigger)."""
        t = self.model_time(until)
        if t < self.now:
            raise TwinError(f"cannot move the clock back from {self.now:g} to {t:g}")
        while self._next_tick is not None and self._next_tick <= t:
            self.now = max(self.now, self._next_tick)
            self._late_starts()
            assert self.policy.every is not None
            self._next_tick += self.policy.every
            self.replan("periodic")
        self.now = t
        self._late_starts()

    def _late_starts(self) -> None:
        if self._late_queue is None or self._late_queue[0] != self._plan_version:
            starts = sorted((start, key) for key, (_, start, _) in self._plan.items())
            self._late_queue, self._late_pos = (self._plan_version, starts), 0
        queue, late = self._late_queue[1], []
        while self._late_pos < len(queue) and queue[self._late_pos][0] + self.threshold < self.now:
            start, key = queue[self._late_pos]
            self._late_pos += 1
            lot = self.facts.orders.get(key[0])
            if key in self.facts.ops or lot is None or lot.status != "open":
                continue
            if key not in self._late_checked:
                self._late_checked.add(key)
                late.append((start, key))
        for start, key in late:
            self._emit(
                "deviation",
                {"what": "late_start", "order": key[0], "step": key[1], "planned": start},
            )
        if late and self.policy.fires("deviation"):
            self.replan("deviation")

    # -- ingest ------------------------------------------------------------------------

    def ingest(self, event: Any) -> str:
        """Apply one MES event (a typed event, a dict, JSON text or an
        :class:`EventError`); returns ``accepted``, ``duplicate`` or ``rejected``."""
        if isinstance(event, EventError):
            return self._reject(event.id, "invalid", event.message, event.raw)
        if isinstance(event, str | bytes | dict):
            raw = event
            try:
                event = parse_event(event)
            except ValueError as exc:
                return self._reject(
                    raw.get("id") if isinstance(raw, dict) else None, "invalid", str(exc), raw
                )
        prior = self._seen.get(event.id)
        if prior is not None:
            if prior == event:
                self.duplicates += 1
                return "duplicate"
            return self._reject(
                event.id,
                "conflict",
                f"event id {event.id!r} was already used by a different event",
                event,
            )
        t = self.clock.to_model(event.time)
        if t < self.now - self.tolerance:
            return self._reject(
                event.id,
                "too_old",
                f"{event.type} {event.id!r} at {event.time.isoformat()} is {self.now - t:g} "
                f"{self.clock.unit} before the twin's clock ({self.clock.iso(self.now)}; "
                f"tolerance {self.tolerance:g})",
                event,
            )
        seq = len(self.journal)
        try:
            if t >= self._last:
                notices = self.facts.apply(event, t, self.clock)
            else:
                notices = self._insert(event, t, seq)
        except IngestError as exc:
            return self._reject(event.id, exc.code, f"{event.type} {event.id!r}: {exc}", event)
        self.journal.append((t, seq, event))
        self._seen[event.id] = event
        self._last = max(self._last, t)
        self._version += 1
        if t > self.now:  # only now: a rejected event leaves the clock where it was
            self.advance(t)
        self._emit("accepted", {"id": event.id, "type": event.type}, t)
        for kind, data in notices:
            self._emit(kind, data, t)
        self._react(event, t)
        return "accepted"

    def ingest_many(self, events: Iterable[Any]) -> dict[str, int]:
        """Ingest a stream (e.g. :func:`twin.live.events.read_events`); returns counts."""
        counts = {"accepted": 0, "duplicate": 0, "rejected": 0}
        for event in events:
            counts[self.ingest(event)] += 1
        return counts

    def _insert(self, event: Any, t: float, seq: int) -> list[tuple[str, dict[str, Any]]]:
        """Rebuild the facts with a late event in its place (raises, changing nothing,
        if it or a later event no longer fits)."""
        facts = Facts.initial(self.scenario, self.catalog)
        entries = sorted([*self.journal, (t, seq, event)], key=lambda e: (e[0], e[1]))
        for tt, _, e in entries:
            try:
                facts.apply(e, tt, self.clock)
            except IngestError as exc:
                if e is event:
                    raise
                raise IngestError(
                    exc.code,
                    f"applied in time order, it makes the later event {e.id!r} fail: {exc}",
                ) from None
        before = {u: m.state for u, m in self.facts.machines.items()}
        self.facts = facts
        return [
            ("machine_state", {"machine": u, "state": m.state})
            for u, m in facts.machines.items()
            if before[u] != m.state
        ]

    def _reject(self, event_id: str | None, code: str, message: str, raw: Any) -> str:
        rejection = Rejection(event_id, code, message, raw)
        self.rejected.append(rejection)
        self._emit("rejected", rejection.to_dict())
        return "rejected"

    def _react(self, event: Any, t: float) -> None:
        """Deviation notices and the ``on-event`` triggers of an accepted event."""
        trigger = None
        kind = event.type
        if kind == "machine_down":
            trigger = "breakdown"
        elif kind == "order_changed" and event.rush:
            trigger = "rush"
        elif kind == "order_released" and self.facts.orders[event.order].new:
            rush = (event.priority or 0) >= self.catalog.rush_priority
            trigger = "rush" if rush else "new_order"
        elif kind == "order_cancelled":
            trigger = "cancelled"
        elif kind in ("operation_started", "operation_finished"):
            key = (event.order, self.facts.step(self.facts.orders[event.order], event.step))
            planned = self._plan.get(key)
            if planned is not None:
                what = "start" if kind == "operation_started" else "end"
                off = t - planned[1 if what == "start" else 2]
                if abs(off) > self.threshold:
                    self._emit(
                        "deviation",
                        {
                            "what": what,
                            "order": key[0],
                            "step": key[1],
                            "planned": planned[1 if what == "start" else 2],
                            "actual": t,
                            "off_by": off,
                        },
                        t,
                    )
                    trigger = "deviation"
        if trigger is not None and self.policy.fires(trigger):
            self.replan(trigger)

    # -- the plan ---------------------------------------------------------------------

    def live_problem(self) -> tuple[Scenario, Any, list[lp.Key]]:
        """(scenario with the live orders, its problem ``P``, the key of each operation)."""
        version = self.facts.orders_version
        if self._problem_cache is None or self._problem_cache[0] != version:
            scn = lp.live_scenario(self.scenario, self.facts)
            cover = None
            if self._cover is not None:
                cover = self._cover + math.ceil(self.now)
            from twin.run import for_method

            p = for_method(build_problem(scn, cover), self.replanner.method)
            self._problem_cache = (version, (scn, p, lp.op_keys(p, scn)))
        return self._problem_cache[1]

    def residual(self) -> lp.Residual | None:
        """What is left to plan now (:func:`twin.live.problem.residual`)."""
        _, p, keys = self.live_problem()
        return lp.residual(p, keys, self.facts, self.now)

    def _complete_plan(self) -> None:
        """Keep the plan in force a plan of the live problem: when the orders changed
        (a new order, a quantity after scrap, a cancel ...), repair it onto the facts
        (same machines and sequences, left-shifted; new operations last)."""
        version = self.facts.orders_version
        if version == self._plan_orders:
            return
        self._plan_orders = version
        _, _, keys = self.live_problem()
        missing = sum(1 for k in keys if k not in self._plan)
        res = self.residual()
        if res is not None:
            self._plan = {**lp.compose(res, lp.repair(res, self._plan))}
            self._plan_version += 1
            self._emit("plan_repaired", {"added": missing})

    @property
    def plan(self) -> Schedule:
        """The plan in force over the live problem's operations (``live_problem()``)."""
        self._complete_plan()
        _, _, keys = self.live_problem()
        return lp.to_schedule(keys, self._plan)

    def plan_rows(self) -> list[dict[str, Any]]:
        """The plan in force: ``order, step, machine (name), start, end`` per operation."""
        self._complete_plan()
        _, p, keys = self.live_problem()
        names = p.machine_names
        return [
            {
                "order": k[0],
                "step": k[1],
                "machine": names[self._plan[k][0]],
                "start": self._plan[k][1],
                "end": self._plan[k][2],
            }
            for k in keys
        ]

    def projection(self) -> lp.PlanMap:
        """The plan repaired onto the facts now: what happens if the shop follows it
        (finished operations at their actual times)."""
        self._complete_plan()
        stamp = (self._version, self._plan_version, math.ceil(self.now - 1e-9))
        if self._projection_cache is None or self._projection_cache[0] != stamp:
            res = self.residual()
            plan = dict(self._plan) if res is None else lp.compose(res, lp.repair(res, self._plan))
            self._projection_cache = (stamp, plan)
        return self._projection_cache[1]

    def replan(self, trigger: str = "manual") -> ReplanReport:
        """Replan what is left now (see :mod:`twin.live.replan`) and adopt the result."""
        self._complete_plan()
        res = self.residual()
        if res is None:
            report = ReplanReport(
                trigger,
                self.now,
                self.replanner.method,
                "nothing to plan",
                "none",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                0,
                0,
                0,
                0,
                0.0,
                True,
            )
        else:
            scn, _, _ = self.live_problem()
            self._plan, report = self.replanner.run(scn, res, self._plan, trigger)
            self._plan_version += 1
            self._late_checked.clear()
        self.replans.append(report)
        self._emit("replanned", report.to_dict())
        return report

    def check(self) -> list[Violation]:
        """:func:`scheduler.check` of the plan in force against the live problem with
        everything started frozen (:func:`twin.live.problem.check_problem`)."""
        res = self.residual()
        self._complete_plan()
        if res is None:
            return []
        _, _, keys = self.live_problem()
        return check(lp.check_problem(res, self.facts), lp.to_schedule(keys, self._plan))

    # -- views ---------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The state as plain data (see :func:`twin.live.view.snapshot`)."""
        return snapshot(self)

    def kpis(self) -> dict[str, Any]:
        """Projected KPIs: makespan, tardiness, late orders, on-time rate."""
        return plan_kpis(self)

    def stats(self) -> dict[str, int]:
        return {
            "accepted": len(self.journal),
            "duplicates": self.duplicates,
            "rejected": len(self.rejected),
            "replans": len(self.replans),
        }

    # -- forks -------------------------------------------------------------------------

    def fork(self, policy: str | Policy | None = None) -> LiveTwin:
        """An independent copy of the twin now (facts, journal, plan, clock), without
        subscribers. The state is event-sourced, so copying it is exact: it equals
        re-applying the same accepted events from time 0 (which :meth:`replay` does)
        with the plan in force; nothing is re-solved."""
        other = copy.copy(self)
        other.facts = copy.deepcopy(self.facts)
        other.journal = list(self.journal)
        other.rejected = list(self.rejected)
        other.replans = list(self.replans)
        other._plan = dict(self._plan)
        other._seen = dict(self._seen)
        other._late_checked = set(self._late_checked)
        other._subscribers = []
        if policy is not None:
            other.policy = Policy.parse(policy)
            other._next_tick = None
            if other.policy.kind == "periodic":
                assert other.policy.every is not None
                other._next_tick = (
                    math.floor(self.now / other.policy.every) + 1
                ) * other.policy.every
        return other

    def replay(self) -> Facts:
        """The facts rebuilt from the journal (equal to :attr:`facts`: a self-check)."""
        facts = Facts.initial(self.scenario, self.catalog)
        for t, _, e in sorted(self.journal, key=lambda r: (r[0], r[1])):
            facts.apply(e, t, self.clock)
        return facts

    def what_if(
        self,
        change: Any,
        *,
        replan: bool = False,
        until: float | datetime | None = None,
        policy: str | Policy | None = "none",
        simulate: int = 0,
        seed: int | None = None,
    ) -> WhatIf:
        """Fork the twin, apply ``change`` (an MES event or a list of them) to the fork,
        optionally replan it and move its clock to ``until``, and compare the projected
        KPIs. The live twin is not touched. ``policy``: the fork's (default ``none``, so
        only ``replan=True`` solves; None keeps the live policy). ``simulate=N``: also
        run the SimPy shop ahead N times, with the scenario's disturbances, from the
        live state and from the fork's (:func:`twin.live.ahead.simulate_ahead`, child
        seeds of ``seed``: the same draws for both)."""
        fork = self.fork(policy)
        n_rejected = len(fork.rejected)
        changes = change if isinstance(change, list | tuple) else [change]
        for event in changes:
            fork.ingest(event)
        report = fork.replan("what-if") if replan else None
        if until is not None:
            fork.advance(until)
        ahead = None if simulate <= 0 else simulate_ahead(self, simulate, seed)
        ahead_fork = None if simulate <= 0 else simulate_ahead(fork, simulate, seed)
        return WhatIf(
            self.kpis(), fork.kpis(), fork.rejected[n_rejected:], report, fork, ahead, ahead_fork
        )

    def simulate_ahead(self, replications: int = 10, seed: int | None = None) -> Ahead:
        """Run the SimPy shop ahead from now, ``replications`` times with the scenario's
        disturbances (:func:`twin.live.ahead.simulate_ahead`); the twin is not touched."""
        return simulate_ahead(self, replications, seed)

    def events_out(self) -> list[dict[str, Any]]:
        """The accepted MES events in time order, as JSON-ready dicts."""
        return [dump_event(e) for _, _, e in sorted(self.journal, key=lambda r: (r[0], r[1]))]
