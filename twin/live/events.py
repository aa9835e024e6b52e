"""MES events: what the shop floor tells the live twin, typed and (de)serialised as JSON.

Every event has an ``id`` (the twin ignores an id it has already accepted) and a
``time``: an ISO 8601 timestamp *with* a time zone, mapped to model time by
:class:`twin.live.clock.Clock`. The ``type`` field tells the kinds apart::

    {"type": "machine_down", "id": "e17", "time": "2026-01-05T09:12:00+08:00",
     "machine": "cnc_lathe#2", "expected_up": "2026-01-05T11:00:00+08:00"}

Kinds: ``order_released``, ``order_cancelled``, ``order_changed`` (rush, new due date,
quantity, priority), ``operation_started``, ``operation_finished`` (actual times,
quantities good and scrap), ``machine_down``, ``machine_up``, ``machine_setup``,
``operator_absent``, ``operator_back``. An operation is named by its order and its
routing step (0-based index, or the step's name); a machine by its unit name
(``cnc_lathe#2``; a one-unit station's id), an operator by ``{pool}.{k}``.

A stream is JSON lines: one event per line (:func:`read_events`, :func:`write_events`).
A line that is not a valid event does not stop the stream: :func:`read_events` yields
an :class:`EventError` in its place, which the twin reports as rejected.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

__all__ = [
    "EVENT_TYPES",
    "EventError",
    "MachineDown",
    "MachineSetup",
    "MachineUp",
    "MesEvent",
    "OperationFinished",
    "OperationStarted",
    "OperatorAbsent",
    "OperatorBack",
    "OrderCancelled",
    "OrderChanged",
    "OrderReleased",
    "dump_event",
    "parse_event",
    "read_events",
    "write_events",
]

Count = Annotated[int, Field(ge=0, le=1_000_000)]
Step = int | str


class _Event(BaseModel):
    """Fields every MES event has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(min_length=1, max_length=200)]
    time: AwareDatetime


class OrderReleased(_Event):
    """An order is released to the shop at ``time``: a known order (its release time
    becomes ``time``) or a new one (then ``product`` and ``quantity`` are required)."""

    type: Literal["order_released"] = "order_released"
    order: str
    product: str | None = None
    quantity: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    due: AwareDatetime | None = None
    priority: Count | None = None


class OrderCancelled(_Event):
    """The order's operations not yet started are dropped (one under way finishes)."""

    type: Literal["order_cancelled"] = "order_cancelled"
    order: str


class OrderChanged(_Event):
    """New due date, quantity or priority; ``rush`` raises the priority to the twin's
    rush priority (and is a trigger of the ``on-event`` policy)."""

    type: Literal["order_changed"] = "order_changed"
    order: str
    due: AwareDatetime | None = None
    quantity: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    priority: Count | None = None
    rush: bool = False


class OperationStarted(_Event):
    """Routing step ``step`` of ``order`` started on ``machine`` at ``time``."""

    type: Literal["operation_started"] = "operation_started"
    order: str
    step: Step
    machine: str


class OperationFinished(_Event):
    """The operation ended at ``time`` with ``good`` and ``scrap`` parts. ``start``
    (and ``machine``) let an MES that reports completions only say when (and where)
    it started; otherwise it must have been reported started."""

    type: Literal["operation_finished"] = "operation_finished"
    order: str
    step: Step
    machine: str | None = None
    good: Count | None = None
    scrap: Count = 0
    start: AwareDatetime | None = None


class MachineDown(_Event):
    """A breakdown; ``expected_up`` is when the repair should be done (default: now
    plus the station's mean time to repair)."""

    type: Literal["machine_down"] = "machine_down"
    machine: str
    reason: str = ""
    expected_up: AwareDatetime | None = None


class MachineUp(_Event):
    """The machine is repaired (it resumes the operation it was running)."""

    type: Literal["machine_up"] = "machine_up"
    machine: str


class MachineSetup(_Event):
    """The machine is being set up (until its next operation starts)."""

    type: Literal["machine_setup"] = "machine_setup"
    machine: str
    family: str | None = None


class OperatorAbsent(_Event):
    type: Literal["operator_absent"] = "operator_absent"
    operator: str
    until: AwareDatetime | None = None


class OperatorBack(_Event):
    type: Literal["operator_back"] = "operator_back"
    operator: str


MesEvent = Annotated[
    OrderReleased
    | OrderCancelled
    | OrderChanged
    | OperationStarted
    | OperationFinished
    | MachineDown
    | MachineUp
    | MachineSetup
    | OperatorAbsent
    | OperatorBack,
    Field(discriminator="type"),
]

_ADAPTER: TypeAdapter[Any] = TypeAdapter(MesEvent)

#: ``type`` value -> event class.
EVENT_TYPES: dict[str, type[_Event]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        OrderReleased,
        OrderCancelled,
        OrderChanged,
        OperationStarted,
        OperationFinished,
        MachineDown,
        MachineUp,
        MachineSetup,
        OperatorAbsent,
        OperatorBack,
    )
}


@dataclass(frozen=True)
class EventError:
    """Input that is not a valid event: where it came from, what it was, and why."""

    source: str
    raw: Any
    message: str

    @property
    def id(self) -> str | None:
        """The ``id`` the input carried, if it had one."""
        return self.raw.get("id") if isinstance(self.raw, dict) else None


def parse_event(data: str | bytes | dict[str, Any], source: str = "<event>") -> Any:
    """A typed MES event from JSON text or a dict.

    Raises
    ------
    ValueError
        With a one-line message naming the field, e.g.
        ``<event>: machine_down.expected_up: Input should have timezone info``.
    """
    try:
        if isinstance(data, str | bytes):
            return _ADAPTER.validate_json(data)
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise ValueError(f"{source}: {_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']}" if where else err["msg"])
    return "; ".join(parts)


def dump_event(event: Any) -> dict[str, Any]:
    """The event as a JSON-ready dict (timestamps as ISO 8601 text, unset fields left out)."""
    out: dict[str, Any] = event.model_dump(mode="json", exclude_none=True)
    return out


def read_events(stream: str | Path | IO[str] | Iterable[str]) -> Iterator[Any]:
    """Events of a JSON-lines file or stream, in stream order; blank lines are skipped
    and a bad line yields an :class:`EventError` (``source`` names the line)."""
    if isinstance(stream, str | Path):
        with open(stream, encoding="utf-8") as fh:
            yield from read_events(fh)
        return
    name = getattr(stream, "name", "<stream>")
    for number, line in enumerate(stream, start=1):
        text = line.strip()
        if not text:
            continue
        where = f"{name}:{number}"
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            yield EventError(where, text, f"{where}: not JSON: {exc.msg}")
            continue
        try:
            yield parse_event(raw, where)
        except ValueError as exc:
            yield EventError(where, raw, str(exc))


def write_events(events: Iterable[Any], stream: str | Path | IO[str]) -> int:
    """Write events (MES events or anything with ``to_dict()``) as JSON lines; returns
    how many were written."""
    if isinstance(stream, str | Path):
        with open(stream, "w", encoding="utf-8") as fh:
            return write_events(events, fh)
    n = 0
    for event in events:
        record = event.to_dict() if hasattr(event, "to_dict") else dump_event(event)
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        n += 1
    return n
