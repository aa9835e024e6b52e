"""ISA-95 (IEC 62264) exchange in JSON shaped after B2MML: plans out, actuals in.

- :func:`job_orders`: the plan in force as a ``JobList`` of ``JobOrder`` s, one per
  operation (routing step of an order) not finished yet.
- :func:`job_responses`: what the twin knows happened, as ``JobResponse`` s.
- :func:`read_job_responses`: ``JobResponse`` s (from an MES) as MES events for
  :meth:`twin.live.LiveTwin.ingest`.

The mapping (docs/LIVE.md has the table): ``JobOrder.ID`` is ``{order}.{step}``;
``WorkMasterID`` is ``{product}.{step name}``; ``EquipmentRequirement[0].EquipmentID``
the planned unit; ``StartTime``/``EndTime`` the planned span in ISO 8601; ``Priority``
the order's priority; ``DispatchStatus`` ``Released`` for a step whose lot is ready
(its first step, or the step before has finished; a running step too) and ``Pending``
otherwise. A ``JobResponse`` carries ``JobOrderID``, ``JobState`` (``Running`` or
``Completed``; ``Waiting`` and ``Ready`` say nothing new and give no event),
``StartTime``/``EndTime`` (actual), ``EquipmentActual[0].EquipmentID`` and
``MaterialActual`` entries (``MaterialUse: Produced``; a ``QualityStatus`` property
``Scrap`` or ``Rejected`` marks the scrapped parts, any other value or none the good
ones). Event ids are ``{prefix}:{JobOrderID}:started`` / ``:finished``, so a response
sent twice, or ``Running`` then ``Completed``, is applied once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from twin.live import events as ev
from twin.live.events import EventError
from twin.live.twin import LiveTwin

__all__ = ["job_id", "job_orders", "job_responses", "parse_job_id", "read_job_responses"]

SCRAP = ("scrap", "rejected", "bad")


def job_id(order: str, step: int) -> str:
    return f"{order}.{step}"


def parse_job_id(text: str) -> tuple[str, int]:
    """``(order, step)`` of a job order id ``{order}.{step}`` (the order may hold dots)."""
    order, dot, step = text.rpartition(".")
    if not dot or not order or not step.isdigit():
        raise ValueError(f"job order id {text!r} is not ORDER.STEP")
    return order, int(step)


def _quantity(n: int) -> dict[str, str]:
    return {"QuantityString": str(n), "DataType": "integer", "UnitOfMeasure": "pcs"}


def job_orders(twin: LiveTwin, *, include_finished: bool = False) -> dict[str, Any]:
    """The plan in force as ``{"JobList": {"ID", "StartTime", "JobOrder": [...]}}``,
    job orders in planned start order."""
    facts, clock = twin.facts, twin.clock
    routings = twin.catalog.routings
    out = []
    for row in sorted(twin.plan_rows(), key=lambda r: (r["start"], r["order"], r["step"])):
        key = (row["order"], row["step"])
        op = facts.ops.get(key)
        if op is not None and op.end is not None and not include_finished:
            continue
        order = facts.orders[key[0]]
        step_name = routings[order.product][key[1]][0]
        before = facts.ops.get((key[0], key[1] - 1))
        ready = key[1] == 0 or (before is not None and before.end is not None) or op is not None
        out.append({
            "ID": job_id(*key),
            "Description": f"{step_name} of order {key[0]} ({order.product})",
            "WorkType": "Production",
            "WorkMasterID": f"{order.product}.{step_name}",
            "StartTime": clock.iso(row["start"]),
            "EndTime": clock.iso(row["end"]),
            "Priority": order.priority,
            "DispatchStatus": "Released" if ready else "Pending",
            "EquipmentRequirement": [
                {"EquipmentID": row["machine"], "EquipmentLevel": "WorkUnit",
                 "Quantity": _quantity(1)}
            ],
            "MaterialRequirement": [
                {"MaterialDefinitionID": order.product, "MaterialUse": "Produced",
                 "Quantity": _quantity(order.quantity)}
            ],
        })  # fmt: skip
    return {"JobList": {"ID": f"plan@{clock.iso(twin.now)}", "StartTime": clock.iso(twin.now),
                        "JobOrder": out}}  # fmt: skip


def job_responses(twin: LiveTwin) -> list[dict[str, Any]]:
    """Every started operation the twin knows of, as a ``JobResponse`` (``Running`` or
    ``Completed`` with the actual times, unit and parts good and scrapped)."""
    out = []
    clock = twin.clock
    for (order, step), op in sorted(twin.facts.ops.items(), key=lambda kv: (kv[1].start, kv[0])):
        product = twin.facts.orders[order].product
        response: dict[str, Any] = {
            "ID": f"{job_id(order, step)}/response",
            "JobOrderID": job_id(order, step),
            "JobState": "Running" if op.end is None else "Completed",
            "StartTime": clock.iso(op.start),
            "EquipmentActual": [{"EquipmentID": op.machine, "EquipmentLevel": "WorkUnit"}],
        }
        if op.end is not None:
            response["EndTime"] = clock.iso(op.end)
            response["MaterialActual"] = [
                {"MaterialDefinitionID": product, "MaterialUse": "Produced",
                 "Quantity": _quantity(n),
                 "MaterialActualProperty": [{"ID": "QualityStatus", "Value": status}]}
                for n, status in ((op.good, "Good"), (op.scrap, "Scrap"))
            ]  # fmt: skip
        out.append(response)
    return out


def _time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{field}: expected an ISO 8601 timestamp, got {value!r}")
    when = datetime.fromisoformat(value)
    if when.tzinfo is None:
        raise ValueError(f"{field}: {value!r} has no time zone")
    return when


def _parts(actuals: Iterable[dict[str, Any]]) -> tuple[int | None, int]:
    good = scrap = 0
    seen = False
    for m in actuals:
        if m.get("MaterialUse", "Produced") != "Produced":
            continue
        seen = True
        n = int(float(m.get("Quantity", {}).get("QuantityString", "0")))
        props = {p.get("ID"): str(p.get("Value", "")) for p in m.get("MaterialActualProperty", [])}
        if props.get("QualityStatus", "good").lower() in SCRAP:
            scrap += n
        else:
            good += n
    return (good if seen else None), scrap


def _events_of(response: dict[str, Any], prefix: str) -> list[Any]:
    order, step = parse_job_id(str(response.get("JobOrderID", "")))
    state = str(response.get("JobState", ""))
    if state in ("Waiting", "Ready"):
        return []
    if state not in ("Running", "Completed", "Ended", "Closed"):
        raise ValueError(f"JobState {state!r} is not supported (Running or Completed)")
    equipment = response.get("EquipmentActual") or []
    if not equipment or "EquipmentID" not in equipment[0]:
        raise ValueError("EquipmentActual[0].EquipmentID is missing")
    machine = str(equipment[0]["EquipmentID"])
    start = _time(response.get("StartTime"), "StartTime")
    base = f"{prefix}:{job_id(order, step)}"
    out: list[Any] = [
        ev.OperationStarted(id=f"{base}:started", time=start, order=order, step=step,
                            machine=machine)
    ]  # fmt: skip
    if state != "Running":
        good, scrap = _parts(response.get("MaterialActual") or [])
        out.append(ev.OperationFinished(
            id=f"{base}:finished", time=_time(response.get("EndTime"), "EndTime"), order=order,
            step=step, machine=machine, good=good, scrap=scrap, start=start,
        ))  # fmt: skip
    return out


def read_job_responses(responses: Any, prefix: str = "jr") -> list[Any]:
    """MES events of ``JobResponse`` s (a list, one response, or ``{"JobResponse": [...]}``
    / ``{"JobResponseData": ...}``), in time order; a response that cannot be read
    becomes an :class:`EventError` (reported as rejected when ingested)."""
    if isinstance(responses, dict):
        inner = responses.get("JobResponse", responses.get("JobResponseData", responses))
        responses = inner if isinstance(inner, list) else [inner]
    out: list[Any] = []
    for n, response in enumerate(responses):
        where = f"JobResponse[{n}]"
        try:
            if not isinstance(response, dict):
                raise ValueError("expected an object")
            out += _events_of(response, prefix)
        except (ValueError, TypeError) as exc:
            out.append(EventError(where, response, f"{where}: {exc}"))
    return sorted(out, key=_order)


def _order(e: Any) -> tuple[int, Any, int]:
    """Errors first; then by time, a finish before a start at the same instant."""
    if isinstance(e, EventError):
        return (0, "", 0)
    return (1, e.time, 0 if e.type == "operation_finished" else 1)
