"""How equipment models report what happens: an injected recorder.

Models never print or write files; they call ``recorder.record(...)`` on every state
change and event. ``twin.eventlog.EventLog`` is the production recorder; tests may
use :class:`ListRecorder`.

Event-log columns (the contract with ``twin``): ``time`` (float, simulation time in
the scenario's unit), ``kind`` (:class:`EventKind`), ``station`` (unit id), ``job``
(-1 = none), ``operation`` (index within the job, -1 = none), ``state`` (a
:class:`State` for ``kind="state"``, otherwise free text such as a family), ``value``
(float: a duration, a count, a level) and ``product``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "EventKind",
    "ListRecorder",
    "NullRecorder",
    "Record",
    "Recorder",
    "RowWriter",
    "State",
    "row_writer",
]


class State(enum.StrEnum):
    """One state machine per station unit; energy and OEE are computed from it.

    At rest a unit shows IDLE unless its owner says why it is idle: STARVED (work it
    could do is open, none has reached it: a flow loss inside loading time) or NO_ORDER
    (nothing released it could work on: outside loading time, see the KPI document).
    PLANNED_DOWN is planned maintenance or a planned stop (outside loading time);
    WAITING_OPERATOR is work that has reached the unit but waits for an operator.
    """

    OFF = "off"
    IDLE = "idle"
    NO_ORDER = "no_order"
    SETUP = "setup"
    BUSY = "busy"
    BLOCKED = "blocked"
    STARVED = "starved"
    DOWN = "down"
    PLANNED_DOWN = "planned_down"
    WAITING_OPERATOR = "waiting_operator"


class EventKind(enum.StrEnum):
    STATE = "state"  # station entered ``state``
    RELEASE = "release"  # job released into the shop
    OP_START = "op_start"  # processing of (job, operation) started on station
    OP_END = "op_end"
    SETUP_START = "setup_start"  # value = setup duration, state = new family
    SETUP_END = "setup_end"
    FAILURE = "failure"  # value = repair duration
    REPAIR = "repair"
    # planned maintenance: state = "interval" (preventive) or "window" (a dated stop);
    # value = its planned duration
    MAINTENANCE_START = "maintenance_start"
    MAINTENANCE_END = "maintenance_end"
    TRANSPORT_START = "transport_start"  # station = vehicle/robot, value = travel time
    TRANSPORT_END = "transport_end"
    BUILD_START = "build_start"  # 3D-print build, value = parts on the plate
    BUILD_END = "build_end"
    REWORK = "rework"  # value = parts found bad at (job, operation) and reworked
    BUFFER = "buffer"  # station = buffer id, value = level after the change
    SCRAP = "scrap"  # parts of (job, operation) found bad on station; value = parts
    FINISH = "finish"  # job completed; value = good parts, state "scrap" if none is left


class Recorder(Protocol):
    def record(
        self,
        time: float,
        kind: str,
        station: str,
        *,
        job: int = -1,
        operation: int = -1,
        state: str = "",
        value: float = 0.0,
        product: str = "",
    ) -> None: ...


RowWriter = Callable[[float, str, str, int, int, str, float, str], None]
"""``write(time, kind, station, job, operation, state, value, product)``: one record,
every column given positionally (see :func:`row_writer`)."""


def row_writer(recorder: Recorder) -> RowWriter:
    """``recorder.record`` as a :data:`RowWriter`, for the equipment's hot paths (an
    operation's start and end, a state change): the recorder's own ``row`` method when
    it has one (``twin.eventlog.EventLog``: a positional call costs about half a call
    with keywords), else ``record`` with the columns passed by keyword. Either records
    exactly what ``record`` would, given the same columns."""
    row = getattr(recorder, "row", None)
    if row is not None:
        return row
    record = recorder.record

    def write(
        time: float, kind: str, station: str, job: int, operation: int, state: str,
        value: float, product: str,
    ) -> None:  # fmt: skip
        record(
            time, kind, station, job=job, operation=operation, state=state, value=value,
            product=product,
        )  # fmt: skip

    return write


class NullRecorder:
    """Discards everything (benchmarks of the bare physics)."""

    def record(self, time: float, kind: str, station: str, **_: object) -> None:
        return None


@dataclass(frozen=True)
class Record:
    time: float
    kind: str
    station: str
    job: int = -1
    operation: int = -1
    state: str = ""
    value: float = 0.0
    product: str = ""


class ListRecorder:
    """Keeps records in a list; for tests."""

    def __init__(self) -> None:
        self.records: list[Record] = []

    def record(
        self,
        time: float,
        kind: str,
        station: str,
        *,
        job: int = -1,
        operation: int = -1,
        state: str = "",
        value: float = 0.0,
        product: str = "",
    ) -> None:
        self.records.append(
            Record(
                float(time), str(kind), station, job, operation, str(state), float(value), product
            )
        )
