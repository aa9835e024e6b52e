"""EventLog: recording, equality, frames and exact round trips through CSV / JSON lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.recorder import EventKind, State
from twin.eventlog import COLUMNS, EventLog


def _sample() -> EventLog:
    log = EventLog()
    log.record(0, EventKind.STATE, "lathe#1", state=State.IDLE)
    log.record(0, "release", "", job=0, product="shaft")
    log.record(1.5, EventKind.OP_START, "lathe#1", job=0, operation=0, value=6.25, product="shaft")
    log.record(7.75, "op_end", "lathe#1", job=0, operation=0, product="shaft")
    log.record(0.1 + 0.2, "buffer", 'wip, "A"', value=3)
    log.record(9, "finish", "", job=0, value=20, product="轴")
    return log


def test_record_stores_plain_strings_and_numbers() -> None:
    """Enum members are stored as their text and numbers as float/int."""
    log = _sample()
    first = next(log.rows())
    assert first == (0.0, "state", "lathe#1", -1, -1, "idle", 0.0, "")
    assert type(first[1]) is str and type(first[5]) is str
    assert len(log) == 6


def test_identical_logs_compare_equal() -> None:
    """Two logs with the same events are equal; one more event makes them differ."""
    a, b = _sample(), _sample()
    assert a == b
    b.record(10, "state", "lathe#1", state="off")
    assert a != b


def test_columns_are_typed_numpy_arrays() -> None:
    """time/value are float64, job/operation int64, text columns object."""
    log = _sample()
    assert log.column("time").dtype == np.float64
    assert log.column("job").dtype == np.int64
    assert log.column("kind").tolist()[2] == "op_start"
    with pytest.raises(KeyError, match="unknown column"):
        log.column("nope")


def test_to_frame_has_the_contract_columns() -> None:
    """The pandas frame has one row per event and the documented columns."""
    frame = _sample().to_frame()
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) == 6
    assert frame["value"].iloc[2] == 6.25


def test_csv_round_trip_is_exact(tmp_path: Path) -> None:
    """CSV keeps every float bit, quotes awkward names and keeps unicode."""
    log = _sample()
    path = tmp_path / "events.csv"
    log.to_csv(path)
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(COLUMNS)
    assert EventLog.read_csv(path) == log


def test_jsonl_round_trip_is_exact(tmp_path: Path) -> None:
    """JSON lines restore the same log."""
    log = _sample()
    path = tmp_path / "events.jsonl"
    log.to_jsonl(path)
    assert EventLog.read_jsonl(path) == log


def test_read_csv_names_the_bad_line(tmp_path: Path) -> None:
    """A malformed row is reported with its line number."""
    path = tmp_path / "bad.csv"
    path.write_text(",".join(COLUMNS) + "\n1,state,m,0,0,idle,0,p\nx,state,m,0,0,idle,0,p\n")
    with pytest.raises(ValueError, match="line 3"):
        EventLog.read_csv(path)
    path.write_text("a,b\n")
    with pytest.raises(ValueError, match="expected header"):
        EventLog.read_csv(path)


def test_end_is_the_latest_time_like_the_column_max() -> None:
    """end() is 0 when empty, the maximum (not the last row) otherwise, NaN-propagating."""
    log = EventLog()
    assert log.end() == 0.0
    log.record(5, "state", "a", state="idle")
    log.record(2, "state", "a", state="busy")
    assert log.end() == 5.0 == log.column("time").max()
    log.record(9.5, "state", "a", state="idle")
    assert log.end() == 9.5
    log.record(float("nan"), "buffer", "b")
    assert np.isnan(log.end()) and np.isnan(log.column("time").max())
