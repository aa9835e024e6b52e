"""A simulated shop as an MES: the event log of a twin run as a stream of MES events.

For tests, demos and benchmarks: :func:`mes_events` turns what a SimPy run of
:func:`twin.simulate` did into what an MES would report (``operation_started`` at
an operation's first start, ``operation_finished`` at its last end with the good and
scrapped parts, ``machine_down`` at a failure with the repair the run drew as the
expected repair, ``machine_up``, ``machine_setup``), in time order, with ids
``{prefix}-{n}``. Only processing units report (robots and vehicles do not).
"""

from __future__ import annotations

from typing import Any

from twin.eventlog import EventLog
from twin.live import events as ev
from twin.live.clock import Clock
from twin.run import Run
from twin.scenario import Scenario

__all__ = ["mes_events", "release_events", "run_events"]


def run_events(run: Run, clock: Clock | None = None, prefix: str = "sim") -> list[Any]:
    """:func:`mes_events` of a :class:`twin.run.Run`."""
    clock = clock or Clock.for_scenario(run.scenario)
    orders = [lot.id for lot in run.execution.lots]
    return mes_events(run.log, orders, set(run.problem.machine_names), clock, prefix)


def mes_events(
    log: EventLog, orders: list[str], units: set[str], clock: Clock, prefix: str = "sim"
) -> list[Any]:
    """The MES events of an event log (``orders[j]`` names job ``j``)."""
    started: dict[tuple[int, int], tuple[float, str]] = {}
    ended: dict[tuple[int, int], float] = {}
    scrap: dict[tuple[int, int], int] = {}
    quantity: dict[int, int] = {}
    other: list[tuple[float, int, str, dict[str, Any]]] = []
    for row in log.rows():
        t, kind, unit, j, k, state, value, _ = row
        if kind == "release":
            quantity[j] = int(value)
        elif kind == "op_start" and unit in units:
            started.setdefault((j, k), (t, unit))
        elif kind == "op_end" and unit in units:
            ended[(j, k)] = t
        elif kind == "scrap" and j >= 0:
            scrap[(j, k)] = scrap.get((j, k), 0) + int(value)
        elif kind == "failure" and unit in units:
            other.append(
                (t, 4, "machine_down", {"machine": unit, "expected_up": clock.to_wall(t + value)})
            )
        elif kind == "repair" and unit in units:
            other.append((t, 1, "machine_up", {"machine": unit}))
        elif kind == "setup_start" and unit in units:
            other.append((t, 2, "machine_setup", {"machine": unit, "family": state}))
    rows: list[tuple[float, int, str, dict[str, Any]]] = []
    left = dict(quantity)
    for (j, k), (t, unit) in sorted(started.items(), key=lambda kv: (kv[1][0], kv[0])):
        rows.append((t, 3, "operation_started", {"order": orders[j], "step": k, "machine": unit}))
        if (j, k) in ended:
            bad = scrap.get((j, k), 0)
            left[j] = max(0, left.get(j, 0) - bad)
            rows.append(
                (
                    ended[(j, k)],
                    0,
                    "operation_finished",
                    {"order": orders[j], "step": k, "machine": unit, "good": left[j], "scrap": bad},
                )
            )
    rows += other  # same instant: finished, up, setup, started, down
    rows.sort(key=lambda r: (r[0], r[1]))
    out = []
    for n, (t, _, kind, data) in enumerate(rows):
        out.append(ev.EVENT_TYPES[kind](id=f"{prefix}-{n}", time=clock.to_wall(t), **data))
    return out


def release_events(
    scenario: Scenario, clock: Clock, until: float | None = None, prefix: str = "rel"
) -> list[Any]:
    """``order_released`` at each scenario order's release time (up to ``until``), as
    an MES that reports releases sends them; ids ``{prefix}-{order}``."""
    return [
        ev.OrderReleased(id=f"{prefix}-{o.id}", time=clock.to_wall(o.release), order=o.id)
        for o in sorted(scenario.orders, key=lambda o: o.release)
        if until is None or o.release <= until
    ]
