"""Replaying an MES event stream through the live twin into a run folder.

::

    from twin.live.replay import replay
    result = replay("scenarios/pilot_workshop.yaml", "scenarios/pilot_events.jsonl",
                    policy="on-event")
    result.kpis.lead_time_mean, result.live.replans, result.live.rejected
    result.write("runs/pilot-replay")   # the run folder of `twin run`, plus
                                        # replans.csv and rejected.jsonl

The stream goes through :meth:`twin.live.LiveTwin.ingest` event by event (duplicates
ignored, bad events rejected with their reason, the policy replanning as it goes). The
accepted events become the twin's event log (:mod:`twin.live.actuals`), and the KPIs
are computed from it as for a simulated run (:func:`twin.kpi.compute_kpis`). The run
folder holds ``summary.json`` (the KPIs, and under ``replay`` the counts and the work
the stream leaves open), ``events.csv`` (the actuals), ``schedule.csv`` (the plan in
force at the end: what finished at its planned or, after a replan, actual times; what
is open as planned), ``replans.csv`` (one row per replan, the fields of
:class:`~twin.live.replan.ReplanReport`) and ``rejected.jsonl`` (each rejected event
with its code and reason). Schedule adherence is measured against the first plan (the
promise made before the stream), for the orders it covered.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from scheduler import ProblemData
from twin.errors import TwinError
from twin.eventlog import EventLog
from twin.kpi import KPIs, compute_kpis, kpi_ci95
from twin.live.actuals import Actuals, actuals_log
from twin.live.events import EventError, read_events
from twin.live.policy import Policy
from twin.live.replan import Replanner, ReplanReport
from twin.live.twin import LiveTwin
from twin.run import station_rows
from twin.runs.write import write_run_folder
from twin.scenario import Scenario, load_scenario
from twin.scenario.durations import UNIT_SECONDS
from twin.shopinfo import PlanInfo
from twin.sim.build import shop_info

__all__ = ["REPLAN_COLUMNS", "Replay", "read_stream", "replay"]

#: The columns of ``replans.csv``.
REPLAN_COLUMNS = tuple(f.name for f in fields(ReplanReport))


def read_stream(path: str | Path) -> list[Any]:
    """The events of a JSON-lines file (bad lines as :class:`EventError`, which the twin
    rejects). Raises :class:`TwinError` when the file cannot be read, holds no events,
    or is not JSON lines at all (no line is a JSON object)."""
    source = Path(path)
    try:
        events = list(read_events(source))
    except FileNotFoundError:
        raise TwinError(
            f"{source}: no such file (expected an MES event stream, JSON lines)"
        ) from None
    except IsADirectoryError:
        raise TwinError(
            f"{source}: is a folder (expected an MES event stream, JSON lines)"
        ) from None
    except UnicodeDecodeError as exc:
        raise TwinError(
            f"{source}: not UTF-8 text at byte {exc.start} (expected JSON lines: one MES "
            "event, a JSON object, per line)"
        ) from None
    if not events:
        raise TwinError(f"{source}: holds no events (expected JSON lines: one MES event per line)")
    if all(isinstance(e, EventError) and not isinstance(e.raw, dict) for e in events):
        first = events[0]
        assert isinstance(first, EventError)
        raise TwinError(
            f"{source}: not JSON lines (no line is a JSON object; first: {first.message}); "
            "expected one MES event, a JSON object, per line"
        )
    return events


@dataclass
class Replay:
    """A replayed stream: the live twin at the end, the actuals and their KPIs."""

    live: LiveTwin
    actuals: Actuals
    kpis: KPIs
    problem: ProblemData  # the live problem at the end (machine order of the folder)
    schedule: list[dict[str, int]]  # the plan in force, as schedule.csv rows
    read: int  # stream entries read (events and bad lines)
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def log(self) -> EventLog:
        return self.actuals.log

    @property
    def scenario(self) -> Scenario:
        """The scenario with the orders of the stream (the folder's lots)."""
        return self.actuals.scenario

    @property
    def replans(self) -> list[ReplanReport]:
        return self.live.replans

    def counts(self) -> dict[str, int]:
        invalid = sum(1 for r in self.live.rejected if r.code == "invalid")
        return {
            "read": self.read,
            "accepted": len(self.live.journal),
            "duplicates": self.live.duplicates,
            "rejected": len(self.live.rejected),
            "invalid_lines": invalid,
            "replans": len(self.live.replans),
        }

    def summary(
        self, scenario_file: str | Path | None = None, events_file: str | Path | None = None
    ) -> dict[str, Any]:
        """``summary.json`` (the fields of :func:`twin.run.summary`, plus ``replay``)."""
        scn, live = self.scenario, self.live
        per_run = [self.kpis.to_dict()]
        solve = sum(r.solve_seconds for r in live.replans)
        ends = [row["end"] for row in self.schedule]
        return {
            "scenario": scn.name,
            "scenario_file": None if scenario_file is None else str(scenario_file),
            "seed": scn.run.seed,
            "time_unit": scn.time_unit,
            "start": None if scn.start is None else scn.start.isoformat(),
            "replications": 1,
            "kpis": per_run[0],
            "kpis_ci95": kpi_ci95(per_run),
            "kpis_replications": per_run,
            "stations": station_rows(scn),
            "machines": list(self.problem.machine_names),
            "jobs": [
                {
                    "id": o.id,
                    "product": o.product,
                    "quantity": o.quantity,
                    "release": self.actuals.facts.orders[o.id].release,
                    "due": o.due,
                }
                for o in scn.orders
            ],
            "products": {p.id: [step.name for step in p.routing] for p in scn.products},
            "solver": {
                "method": f"replay, {live.policy}",
                "status": "interrupted" if self.interrupted else "actuals",
                "makespan": max(ends) if ends else None,
                "lower_bound": None,
                "solve_seconds": solve,
            },
            "dispatch_rule": None,
            "warnings": list(self.warnings),
            "replay": {
                "events_file": None if events_file is None else str(events_file),
                "policy": str(live.policy),
                **self.counts(),
                "interrupted": self.interrupted,
                "clock": live.now,
                "clock_time": live.clock.iso(live.now),
                "open": self.actuals.open_work(),
            },
        }

    def write(
        self,
        out: str | Path,
        scenario_file: str | Path | None = None,
        events_file: str | Path | None = None,
    ) -> dict[str, Any]:
        """Write the run folder atomically (see :mod:`twin.runs.write`); returns the summary."""
        doc = self.summary(scenario_file, events_file)

        def extra(folder: Path) -> None:
            with (folder / "replans.csv").open("w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=list(REPLAN_COLUMNS))
                writer.writeheader()
                writer.writerows(r.to_dict() for r in self.live.replans)
            with (folder / "rejected.jsonl").open("w", encoding="utf-8") as fh:
                for rejection in self.live.rejected:
                    fh.write(json.dumps(rejection.to_dict(), ensure_ascii=False, default=str))
                    fh.write("\n")

        write_run_folder(out, doc, self.log, self.schedule, extra)
        return doc


def replay(
    scenario: Scenario | str | Path,
    events: str | Path | Iterable[Any],
    policy: str | Policy = "none",
    *,
    replanner: Replanner | None = None,
    method: str | None = None,
    time_limit: float | None = None,
    tolerance: float | None = None,
    origin: datetime | None = None,
    tz: tzinfo | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Replay:
    """Replay ``events`` (a JSON-lines path, or MES events, dicts or JSON text) through a
    live twin of ``scenario`` under ``policy``; see the module docstring.

    ``method``, ``time_limit``: the first plan's (default: the scenario's);
    ``replanner``: how replans solve; ``tolerance``, ``origin``, ``tz``: as for
    :class:`~twin.live.LiveTwin` (a scenario without ``start`` needs ``origin``).
    ``on_progress(n)`` hears the entries ingested so far (0 once the first plan is
    made). Ctrl-C (:class:`KeyboardInterrupt`) while ingesting stops the stream there:
    the result holds what was replayed, with ``interrupted`` set.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    stream = read_stream(events) if isinstance(events, str | Path) else events
    live = LiveTwin(
        scenario, policy=policy, replanner=replanner, tolerance=tolerance, origin=origin, tz=tz,
        method=method, time_limit=time_limit,
    )  # fmt: skip
    promise = live.plan_rows()
    read, interrupted = 0, False
    if on_progress is not None:
        on_progress(0)  # the first plan is made: the stream starts
    try:
        for event in stream:
            live.ingest(event)
            read += 1
            if on_progress is not None:
                on_progress(read)
    except KeyboardInterrupt:
        interrupted = True
    actuals = actuals_log(scenario, live.catalog, live.clock, live.journal, live.now)
    _, problem, _ = live.live_problem()
    index = {o.id: j for j, o in enumerate(actuals.scenario.orders)}
    machine = {name: m for m, name in enumerate(problem.machine_names)}
    schedule = sorted(
        (
            {"job": index[r["order"]], "operation": r["step"], "machine": machine[r["machine"]],
             "start": r["start"], "end": r["end"]}
            for r in live.plan_rows()
            if r["order"] in index
        ),
        key=lambda r: (r["job"], r["operation"]),
    )  # fmt: skip
    shop = shop_info(actuals.scenario)
    kpis = compute_kpis(shop, actuals.log, _promise(actuals.scenario, promise, index))
    warnings = []
    if interrupted:
        warnings.append(f"interrupted after {read} stream entries: the rest was not replayed")
    return Replay(live, actuals, kpis, problem, schedule, read, interrupted, warnings)


def _promise(
    scenario: Scenario, rows: list[dict[str, Any]], index: dict[str, int]
) -> PlanInfo | None:
    """The first plan as the adherence KPIs read it (the orders it covered)."""
    start: dict[tuple[int, int], float] = {}
    finish: dict[int, float] = {}
    for r in rows:
        j = index.get(r["order"])
        if j is None:
            continue
        start[(j, r["step"])] = float(r["start"])
        finish[j] = max(finish.get(j, -math.inf), float(r["end"]))
    if not start:
        return None
    tolerance = scenario.run.adherence_tolerance
    if tolerance is None:
        tolerance = 15 * 60 / UNIT_SECONDS[scenario.time_unit]
    return PlanInfo(start, finish, float(tolerance))
