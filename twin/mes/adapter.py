"""The adapter protocol between the live twin and an MES (the shape of httpx's
transports): :class:`MesAdapter`, an in-memory :class:`FakeMes` for tests and
examples, and :class:`JsonLinesMes` over JSON-lines files; the OPC UA client
(:mod:`twin.mes.opcua_client`) is one more. :func:`pump` moves what an adapter has
received into the twin and sends the twin's events and plans back out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

from twin.live.events import read_events
from twin.live.notices import TwinEvent
from twin.live.twin import LiveTwin
from twin.mes.isa95 import job_orders

__all__ = ["FakeMes", "JsonLinesMes", "MesAdapter", "pump"]


@runtime_checkable
class MesAdapter(Protocol):
    """Where MES events come from and where the twin's output goes."""

    def poll(self) -> list[Any]:
        """MES events (or :class:`twin.live.EventError` s) received since the last poll."""
        ...

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        """Send the twin's output: ``twin_event`` (a :class:`TwinEvent` as a dict),
        ``job_orders`` (the ISA-95 job list after a replan)."""
        ...


class FakeMes:
    """An in-memory MES: :meth:`send` queues events for the twin, :attr:`published`
    keeps what the twin sent back as ``(topic, payload)``."""

    def __init__(self, events: list[Any] | None = None) -> None:
        self.inbox: list[Any] = list(events or [])
        self.published: list[tuple[str, dict[str, Any]]] = []

    def send(self, *events: Any) -> None:
        self.inbox.extend(events)

    def poll(self) -> list[Any]:
        out, self.inbox = self.inbox, []
        return out

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        self.published.append((topic, payload))


class JsonLinesMes:
    """MES events from a JSON-lines file (read on from where the last poll stopped, so
    a file another process appends to is followed), output to another (one
    ``{"topic": ..., "payload": ...}`` per line)."""

    def __init__(self, events_in: str | Path, out: str | Path | IO[str] | None = None) -> None:
        self.path = Path(events_in)
        self.position = 0
        self._out: IO[str] | None
        if out is None or hasattr(out, "write"):
            self._out = out  # type: ignore[assignment]
        else:
            self._out = open(out, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())

    def poll(self) -> list[Any]:
        with open(self.path, encoding="utf-8") as fh:
            fh.seek(self.position)
            text = fh.read()
        complete = text[: text.rfind("\n") + 1]  # a line still being written waits
        self.position += len(complete.encode("utf-8"))
        return list(read_events(complete.splitlines(keepends=True)))

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        if self._out is not None:
            self._out.write(json.dumps({"topic": topic, "payload": payload},
                                       ensure_ascii=False) + "\n")  # fmt: skip
            self._out.flush()

    def close(self) -> None:
        if self._out is not None and not self._out.closed:
            self._out.close()


def pump(twin: LiveTwin, adapter: MesAdapter, *, job_list: bool = True) -> dict[str, int]:
    """Ingest what ``adapter`` has received; publish every twin event that this causes
    (``twin_event``) and, after a replan, the new job list (``job_orders``). Returns the
    ingest counts."""
    out: list[TwinEvent] = []
    unsubscribe = twin.subscribe(out.append)
    try:
        counts = twin.ingest_many(adapter.poll())
    finally:
        unsubscribe()
    for event in out:
        adapter.publish("twin_event", event.to_dict())
    if job_list and any(e.kind == "replanned" for e in out):
        adapter.publish("job_orders", job_orders(twin))
    return counts
