"""What the live twin tells its subscribers: :class:`TwinEvent`, and :class:`Rejection`
for an MES event it could not apply (reported, never dropped silently)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["KINDS", "Rejection", "TwinEvent"]

#: Kinds of twin events: an MES event ``accepted`` (or ``rejected``), a ``machine_state``
#: change, an ``order`` change, ``order_done``, a ``deviation`` from the plan (late
#: start, start or end off plan), a ``replanned`` plan, a ``plan_repaired`` (new
#: operations added to the plan without a replan).
KINDS = (
    "accepted",
    "rejected",
    "machine_state",
    "order",
    "order_done",
    "operator",
    "deviation",
    "replanned",
    "plan_repaired",
)


@dataclass(frozen=True)
class TwinEvent:
    """One event of the twin at model time ``time`` (``at``: ISO 8601 wall-clock)."""

    kind: str
    time: float
    at: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "time": self.time, "at": self.at, **self.data}


@dataclass(frozen=True)
class Rejection:
    """An MES event the twin rejected: its id (if it had one), a one-word ``code``
    (see :class:`twin.live.state.IngestError`; ``invalid`` for malformed input), the
    message, and the event as received."""

    id: str | None
    code: str
    message: str
    event: Any

    def to_dict(self) -> dict[str, Any]:
        raw = self.event
        if hasattr(raw, "model_dump"):
            raw = raw.model_dump(mode="json", exclude_none=True)
        return {"id": self.id, "code": self.code, "message": self.message, "event": raw}
