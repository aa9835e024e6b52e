"""Shared checks for the model tests: the event log of every unit is consistent."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable

from models.recorder import ListRecorder, Record

WORKING = {"busy", "setup", "off", "down"}  # states a unit may show between op_start/op_end


def states(rec: ListRecorder, station: str) -> list[tuple[float, str]]:
    """The (time, state) sequence of one unit."""
    return [(r.time, r.state) for r in rec.records if r.kind == "state" and r.station == station]


def events(rec: ListRecorder, kind: str, station: str | None = None) -> list[Record]:
    return [r for r in rec.records if r.kind == kind and (station is None or r.station == station)]


def spans(rec: ListRecorder, start: str, end: str, station: str) -> list[tuple[float, float]]:
    """(start, end) time pairs of matching start/end events, in order."""
    s = [r.time for r in events(rec, start, station)]
    e = [r.time for r in events(rec, end, station)]
    assert len(s) == len(e), f"{station}: {len(s)} {start} vs {len(e)} {end}"
    return list(zip(s, e, strict=True))


def assert_consistent(
    rec: ListRecorder, stations: Iterable[str] | None = None, *, ops_hold_state: bool = True
) -> None:
    """Time-ordered log; each unit starts with a state record, never repeats a state,
    and (if ``ops_hold_state``) is in a working state whenever one of its operations is
    open."""
    times = [r.time for r in rec.records]
    assert times == sorted(times), "records out of time order"
    by_station: dict[str, list[Record]] = defaultdict(list)
    for r in rec.records:
        by_station[r.station].append(r)
    for name in stations if stations is not None else by_station:
        rows = by_station[name]
        st = [r for r in rows if r.kind == "state"]
        assert st, f"{name}: no state recorded"
        assert rows[0].kind == "state", f"{name}: first record is {rows[0].kind}, not a state"
        for a, b in itertools.pairwise(st):
            assert a.state != b.state, f"{name}: state {a.state} recorded twice at {b.time}"
        current = ""
        open_ops = 0
        for r in rows:
            if r.kind == "state":
                current = r.state
                if open_ops and ops_hold_state:
                    assert current in WORKING, f"{name}: {current} at {r.time} inside an op"
            elif r.kind == "op_start":
                open_ops += 1
            elif r.kind == "op_end":
                open_ops -= 1
                assert open_ops >= 0, f"{name}: op_end without op_start at {r.time}"
