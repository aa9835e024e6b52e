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


def _many(n: int) -> EventLog:
    log = EventLog()
    for i in range(n):
        log.record(i * 0.25, EventKind.OP_START, f"m{i % 3}", job=i, operation=i % 5,
                   value=i / 7, product=("p", "轴")[i % 2])  # fmt: skip
        log.record(i * 0.25, EventKind.STATE, f"m{i % 3}", state=State.BUSY)
    return log


def test_chunks_read_back_as_one_log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Rows buffered into many small chunks read back exactly as the same rows kept in
    one chunk: rows, columns, where, length, end, equality and the CSV file."""
    whole = _many(50)
    monkeypatch.setattr("twin.eventlog.CHUNK", 7)
    chunked = _many(50)
    assert len(chunked._chunks) >= 14  # really chunked (and a buffer left over)
    assert list(chunked.rows()) == list(whole.rows())
    assert len(chunked) == len(whole) == 100
    assert chunked == whole
    for name in COLUMNS:
        assert chunked.column(name).tolist() == whole.column(name).tolist()
    assert chunked.where("state") == whole.where("state") == whole.where(EventKind.STATE)
    assert len(chunked.where("op_start")) == 50 and chunked.where("nothing") == []
    assert chunked.end() == whole.end() == 49 * 0.25
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    chunked.to_csv(a)
    whole.to_csv(b)
    assert a.read_bytes() == b.read_bytes()
    assert EventLog.read_csv(a) == whole


def test_reads_between_records_do_not_fragment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader polling a growing log (the live twin) merges small tails into the
    last chunk: chunks stay about len / CHUNK."""
    monkeypatch.setattr("twin.eventlog.CHUNK", 64)
    log = EventLog()
    for i in range(1000):
        log.record(float(i), "state", "m", state="busy" if i % 2 else "idle")
        if i % 5 == 0:
            assert len(log) == i + 1 and log.end() == float(i)
    assert len(log._chunks) <= 1000 // 64 + 2
    assert log.column("state").tolist()[:3] == ["idle", "busy", "idle"]


def test_memory_per_event_is_small() -> None:
    """Typed columns and string codes: under 64 bytes an event (a tuple of Python
    objects costs about 200)."""
    log = _many(20_000)
    log.end()  # flush the buffer
    stored = sum(a.nbytes for chunk in log._chunks for a in chunk)
    assert stored / len(log) <= 64
    assert log._tables[1] == ["op_start", "state"]  # one string per distinct kind


def test_text_values_are_stored_as_their_text() -> None:
    """Enum members read back as plain str, anything else as its str()."""
    log = EventLog()
    log.record(1, EventKind.FINISH, "m", state=None, product=7)  # type: ignore[arg-type]
    (row,) = log.rows()
    assert row == (1.0, "finish", "m", -1, -1, "None", 0.0, "7")
    assert all(type(x) is str for x in (row[1], row[5], row[7]))


def test_a_failed_write_leaves_the_old_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Files are written to a temporary sibling and renamed: an error half-way keeps
    the previous file and leaves no temporary file behind."""
    path = tmp_path / "events.csv"
    path.write_text("old\n")

    def broken(x: float) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr("twin.eventlog._num", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        _sample().to_csv(path)
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["events.csv"]
    monkeypatch.undo()
    _sample().to_jsonl(path)  # replaces it
    assert EventLog.read_jsonl(path) == _sample()
