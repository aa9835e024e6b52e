"""The generator-free operation of a plain machine (``begin`` / ``end``) and the
positional record path (``row_writer``, ``EventLog.row``) record exactly what
``process`` and ``record`` do."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy

from models.calendar import Calendar
from models.machine import Machine
from models.recorder import EventKind, ListRecorder, State, row_writer
from twin.eventlog import EventLog

LOTS = [(0, 3.0), (1, 0.0), (2, 4.5)]  # job, work


def _machine(env: simpy.Environment, rec: Any, **kwargs: Any) -> Machine:
    return Machine(env, "M1", rec, rng=np.random.default_rng(0), **kwargs)


def _by_process(rec: Any) -> None:
    env = simpy.Environment()
    m = _machine(env, rec)

    def drive() -> Generator[Any, Any, None]:
        for job, work in LOTS:
            yield from m.process(job, 1, work, None, "p", rest=False)
        m.rest()

    env.process(drive())
    env.run()


def _by_begin_end(rec: Any) -> None:
    env = simpy.Environment()
    m = _machine(env, rec)

    def drive() -> Generator[Any, Any, None]:
        for job, work in LOTS:
            m.begin(job, 1, work, "p")
            if work > 0:
                yield env.timeout(work)
            m.end(job, 1, work, "p")
        m.rest()

    env.process(drive())
    env.run()


@pytest.mark.parametrize("make", [ListRecorder, EventLog])
def test_begin_end_record_what_process_records(make: type) -> None:
    """Same records, same order, for a list recorder and the event log."""
    a, b = make(), make()
    _by_process(a)
    _by_begin_end(b)
    rows = [tuple(vars(r).values()) for r in a.records] if make is ListRecorder else list(a.rows())
    assert rows == ([tuple(vars(r).values()) for r in b.records] if make is ListRecorder
                    else list(b.rows()))  # fmt: skip
    ends = [(r[0], r[3], r[6]) for r in rows if r[1] == "op_end"]
    assert ends == [(3.0, 0, 3.0), (3.0, 1, 0.0), (7.5, 2, 4.5)]
    # BUSY from the first operation to the last (no zero-time rest), then idle
    assert [(r[0], r[5]) for r in rows if r[1] == "state"] == [(0.0, "idle"), (0.0, "busy"),
                                                              (7.5, "idle")]  # fmt: skip


def test_plain_only_where_nothing_can_pause_or_vary() -> None:
    env = simpy.Environment()
    assert _machine(env, None).plain
    assert not _machine(env, None, failure=(100.0, 5.0)).plain
    assert not _machine(env, None, work_cv=0.2).plain
    assert not _machine(env, None, per_lot_setup=1.0).plain
    assert not _machine(env, None, calendar=Calendar(10.0, [(0.0, 5.0)])).plain
    # an unattended machine runs through the shifts: nothing pauses it
    assert _machine(env, None, calendar=Calendar(10.0, [(0.0, 5.0)]), attended=False).plain


def test_begin_rejects_negative_work() -> None:
    env = simpy.Environment()
    with pytest.raises(ValueError, match="M1: negative work -1"):
        _machine(env, None).begin(0, 0, -1.0)


def test_row_writer_records_what_record_records() -> None:
    """The event log's own positional writer and the keyword adapter of any other
    recorder give the rows ``record`` gives."""
    by_record, by_row = EventLog(), EventLog()
    lists = ListRecorder(), ListRecorder()
    rows = [
        (1.0, EventKind.STATE, "M1", -1, -1, State.BUSY, 0.0, ""),
        (2.5, EventKind.OP_END, "M1", 3, 1, "", 2.5, "p"),
    ]
    assert row_writer(by_row) == by_row.row  # the log's own method, no adapter
    for t, kind, station, job, op, state, value, product in rows:
        for rec in (by_record, lists[0]):
            rec.record(t, kind, station, job=job, operation=op, state=state, value=value,
                       product=product)  # fmt: skip
        row_writer(by_row)(t, kind, station, job, op, state, value, product)
        row_writer(lists[1])(t, kind, station, job, op, state, value, product)
    assert list(by_row.rows()) == list(by_record.rows())
    assert lists[1].records == lists[0].records
    assert [r[1] for r in by_row.rows()] == ["state", "op_end"]
