"""twin.live.events: typed MES events, JSON and JSON-lines round trips, bad input."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest

from twin.live import Clock, EventError, dump_event, parse_event, read_events, write_events
from twin.live import events as ev

T = datetime(2026, 1, 5, 8, 30, tzinfo=timezone(timedelta(hours=8)))

SAMPLES = [
    ev.OrderReleased(id="1", time=T, order="N1", product="shaft", quantity=3, due=T, priority=2),
    ev.OrderCancelled(id="2", time=T, order="O1"),
    ev.OrderChanged(id="3", time=T, order="O1", due=T + timedelta(hours=4), rush=True),
    ev.OperationStarted(id="4", time=T, order="O1", step=0, machine="lathe#1"),
    ev.OperationFinished(id="5", time=T, order="O1", step="turn", good=3, scrap=1, start=T),
    ev.MachineDown(id="6", time=T, machine="mill", reason="spindle", expected_up=T),
    ev.MachineUp(id="7", time=T, machine="mill"),
    ev.MachineSetup(id="8", time=T, machine="mill", family="shaft"),
    ev.OperatorAbsent(id="9", time=T, operator="op.1", until=T),
    ev.OperatorBack(id="10", time=T, operator="op.1"),
]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.type)
def test_every_event_survives_json(event: object) -> None:
    """dump -> JSON text -> parse gives the same typed event, time zone included."""
    import json

    data = dump_event(event)
    assert data["time"] == "2026-01-05T08:30:00+08:00"
    again = parse_event(json.dumps(data))
    assert again == event and type(again) is type(event)
    assert parse_event(data) == event


def test_json_lines_round_trip_keeps_order_and_reports_bad_lines() -> None:
    """A stream written as JSON lines reads back event for event; a bad line becomes an
    EventError naming its line, and the lines after it are still read."""
    buf = io.StringIO()
    assert write_events(SAMPLES, buf) == len(SAMPLES)
    lines = buf.getvalue().splitlines()
    lines.insert(2, "{not json")
    lines.insert(4, '{"type": "machine_up", "id": "x", "time": "2026-01-05T08:30:00"}')
    lines.insert(5, "")
    read = list(read_events(io.StringIO("\n".join(lines))))
    errors = [e for e in read if isinstance(e, EventError)]
    assert [e.source for e in errors] == ["<stream>:3", "<stream>:5"]
    assert "not JSON" in errors[0].message
    assert "timezone" in errors[1].message and errors[1].id == "x"
    assert [e for e in read if not isinstance(e, EventError)] == SAMPLES


def test_parse_names_the_field() -> None:
    """Unknown types, missing fields and extra fields are one-line errors naming them."""
    with pytest.raises(ValueError, match=r"union_tag_invalid|does not match any"):
        parse_event({"type": "spindle_hot", "id": "1", "time": T.isoformat()})
    with pytest.raises(ValueError, match="machine"):
        parse_event({"type": "machine_down", "id": "1", "time": T.isoformat()})
    with pytest.raises(ValueError, match="colour"):
        parse_event({"type": "machine_up", "id": "1", "time": T.isoformat(), "machine": "m",
                     "colour": "red"})  # fmt: skip


def test_clock_maps_zones_and_units() -> None:
    """Model time counts the unit from the origin, whatever zone the timestamp is in."""
    clock = Clock(datetime(2026, 1, 5, 6, 0, tzinfo=UTC), "min")
    assert clock.to_model(T) == -330  # 08:30+08:00 is 00:30 UTC, 5.5 h before 06:00 UTC
    assert clock.to_model(clock.to_wall(123.5)) == pytest.approx(123.5)
    assert clock.iso(90) == "2026-01-05T07:30:00+00:00"
    assert Clock(clock.origin, "h").to_model(clock.origin + timedelta(minutes=90)) == 1.5
