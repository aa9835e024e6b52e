"""`EventLog`: the append-only record of what happened in a run.

It implements :class:`models.recorder.Recorder`, so SimPy equipment writes into it
directly, and it is the single source of truth for KPIs and plots: a run can be
saved (CSV or JSON lines), reloaded and re-analysed without simulating again.

Columns (the contract of :mod:`models.recorder`): ``time``, ``kind``, ``station``,
``job``, ``operation``, ``state``, ``value``, ``product``.

Storage is columnar: :meth:`EventLog.record` appends the raw tuple to a small buffer
(the cheapest per-event cost in CPython); every :data:`CHUNK` rows the buffer becomes
one chunk of numpy columns (float64 time and value, int64 job and operation, and
int32 codes into one string table per text column: kinds, stations, states and
products are a small vocabulary). About 48 bytes an event instead of the ~200 of a
tuple of Python objects, so memory grows linearly and small. :meth:`EventLog.column`
and :meth:`EventLog.to_frame` concatenate the chunks; :meth:`EventLog.rows` rebuilds
tuples one chunk at a time; files are written chunk by chunk and atomically.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import tempfile
from collections.abc import Iterator
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CHUNK", "COLUMNS", "EventLog"]

COLUMNS: tuple[str, ...] = (
    "time",
    "kind",
    "station",
    "job",
    "operation",
    "state",
    "value",
    "product",
)
_FLOAT = ("time", "value")
_INT = ("job", "operation")
_TEXT = (1, 2, 5, 7)  # kind, station, state, product: categorical codes
_DTYPES = (np.float64, np.int32, np.int32, np.int64, np.int64, np.int32, np.float64, np.int32)
#: rows buffered as tuples before they become a chunk of numpy columns
CHUNK = 1 << 15
# files get the permissions open() would give them (mkstemp makes them private)
_UMASK = os.umask(0)
os.umask(_UMASK)

_Chunk = tuple[NDArray[Any], ...]  # one array per column, in COLUMNS order


class EventLog:
    """Append-only event recorder; two logs with the same rows compare equal.

    ``record`` appends the raw tuple to a buffer; full buffers become chunks of typed
    columns (float time/value, int job/operation, plain ``str`` for str-enum kinds and
    states, via per-column string tables).
    """

    __slots__ = ("_buf", "_chunks", "_codes", "_tables")

    def __init__(self) -> None:
        self._buf: list[tuple[Any, ...]] = []
        self._chunks: list[_Chunk] = []
        #: per text column: text (or a non-text value recorded there) -> code
        self._codes: dict[int, dict[Any, int]] = {i: {} for i in _TEXT}
        #: per text column: code -> plain str
        self._tables: dict[int, list[str]] = {i: [] for i in _TEXT}

    # -- recording (hot path) -------------------------------------------------------

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
        """Append one event (``kind``/``state`` may be str enums: read back as plain str)."""
        buf = self._buf
        buf.append((time, kind, station, job, operation, state, value, product))
        if len(buf) >= CHUNK:
            self._flush()

    def row(
        self,
        time: float,
        kind: str,
        station: str,
        job: int,
        operation: int,
        state: str,
        value: float,
        product: str,
    ) -> None:
        """:meth:`record` with every column positional (about half its call cost: the
        equipment's hot paths call it through :func:`models.recorder.row_writer`)."""
        buf = self._buf
        buf.append((time, kind, station, job, operation, state, value, product))
        if len(buf) >= CHUNK:
            self._flush()

    # -- chunks -----------------------------------------------------------------------

    def _flush(self) -> None:
        """The buffered rows become a chunk (merged into the last chunk while that is
        smaller than :data:`CHUNK`, so reads between records do not fragment)."""
        buf = self._buf
        if not buf:
            return
        self._buf = []
        n = len(buf)
        chunk: list[NDArray[Any]] = []
        for i, dtype in enumerate(_DTYPES):  # column by column, no transposed copy
            if i in self._codes:
                chunk.append(self._encode(i, buf, n))
            else:
                chunk.append(np.fromiter(map(itemgetter(i), buf), dtype=dtype, count=n))
        del buf
        chunks = self._chunks
        if chunks and len(chunks[-1][0]) < CHUNK:
            last = chunks.pop()
            chunk = [np.concatenate((a, b)) for a, b in zip(last, chunk, strict=True)]
        chunks.append(tuple(chunk))

    def _encode(self, i: int, rows: list[tuple[Any, ...]], n: int) -> NDArray[Any]:
        """Codes of text column ``i`` of ``rows``. A str enum member hashes and
        compares as its text, so it finds its text's code; a value that is no text
        (None, a number) is entered under its own key with the code of its ``str()``."""
        codes = self._codes[i]
        get = itemgetter(i)
        try:
            return np.fromiter(map(codes.__getitem__, map(get, rows)), np.int32, count=n)
        except KeyError:
            pass
        table = self._tables[i]
        for value in dict.fromkeys(map(get, rows)):  # in order of first appearance
            if value not in codes:
                text = str(value)
                code = codes.get(text)
                if code is None:
                    code = codes[text] = len(table)
                    table.append(text)
                codes[value] = code
        return np.fromiter(map(codes.__getitem__, map(get, rows)), np.int32, count=n)

    def _all(self) -> list[_Chunk]:
        """Every chunk, the buffer flushed first."""
        self._flush()
        return self._chunks

    def _decoded(self, i: int, codes: NDArray[Any]) -> NDArray[Any]:
        table = np.array(self._tables[i] or [""], dtype=object)
        return table[codes]

    # -- reading ------------------------------------------------------------------------

    def __len__(self) -> int:
        return sum(len(c[0]) for c in self._chunks) + len(self._buf)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EventLog):
            return NotImplemented
        if self is other:
            return True
        if len(self) != len(other):
            return False
        for name in COLUMNS:
            a, b = self.column(name), other.column(name)
            if name in _FLOAT:
                if not np.array_equal(a, b, equal_nan=True):
                    return False
            elif not np.array_equal(a, b):
                return False
        return True

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"EventLog(events={len(self)}, end={self._last_time():g})"

    def _last_time(self) -> float:
        if self._buf:
            return float(self._buf[-1][0])
        if self._chunks:
            return float(self._chunks[-1][0][-1])
        return 0.0

    def end(self) -> float:
        """The latest event time: ``column("time").max()`` (NaN if a time is NaN); 0.0
        for an empty log. The maximum over all rows, not the last row's time: a log read
        from a file (an MES export) need not be in time order, though a simulated one is
        (SimPy appends in simulation time order)."""
        chunks = self._all()
        if not chunks:
            return 0.0
        return float(np.max([c[0].max() for c in chunks]))

    def column(self, name: str) -> NDArray[Any]:
        """One column as a numpy array (float64, int64 or object for text)."""
        if name not in COLUMNS:
            raise KeyError(f"unknown column {name!r} (columns: {', '.join(COLUMNS)})")
        i = COLUMNS.index(name)
        chunks = self._all()
        if not chunks:
            return np.array([], dtype=object if i in _TEXT else _DTYPES[i])
        parts = [c[i] for c in chunks]
        values = parts[0] if len(parts) == 1 else np.concatenate(parts)
        if i in _TEXT:
            return self._decoded(i, values)
        if name in _INT:
            return values.astype(np.int64, copy=False)
        return values.copy() if len(parts) == 1 else values

    def codes(self, name: str) -> tuple[NDArray[np.int32], list[str]]:
        """A text column as its integer codes and the table they index (no strings
        built: for vectorised filters, e.g. ``codes == table.index("op_end")``)."""
        i = COLUMNS.index(name)
        if i not in _TEXT:
            raise KeyError(f"{name!r} is not a text column")
        chunks = self._all()
        parts = [c[i] for c in chunks]
        values = np.concatenate(parts) if parts else np.array([], dtype=np.int32)
        return values, list(self._tables[i])

    def _chunk_rows(self, chunk: _Chunk, mask: NDArray[np.bool_] | None = None) -> Iterator[Any]:
        cols: list[list[Any]] = []
        for i, values in enumerate(chunk):
            if mask is not None:
                values = values[mask]
            if i in _TEXT:
                values = self._decoded(i, values)
            cols.append(values.tolist())
        return zip(*cols, strict=True)

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """Events as tuples in :data:`COLUMNS` order, in recording order (built one
        chunk at a time)."""
        return chain.from_iterable(map(self._chunk_rows, self._all()))

    def where(self, kind: str) -> list[tuple[Any, ...]]:
        """Rows of one kind (e.g. ``"state"``), in recording order."""
        chunks = self._all()
        code = self._codes[1].get(str(kind))
        if code is None:
            return []
        out: list[tuple[Any, ...]] = []
        for chunk in chunks:
            mask = chunk[1] == code
            if mask.any():
                out.extend(self._chunk_rows(chunk, mask))
        return out

    def to_frame(self) -> pd.DataFrame:
        """A pandas DataFrame with one row per event."""
        import pandas as pd  # here, not at the top: a simulation never pays pandas' import

        return pd.DataFrame({c: self.column(c) for c in COLUMNS}, columns=list(COLUMNS))

    # -- files -----------------------------------------------------------------------

    def to_csv(self, path: str | Path) -> None:
        """Write ``time,kind,station,job,operation,state,value,product`` (floats as repr,
        so :meth:`read_csv` restores the log exactly)."""
        with _atomic(path, newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(COLUMNS)
            for chunk in self._all():  # one chunk's rows at a time
                writer.writerows(
                    (_num(t), k, s, j, o, st, _num(v), p)
                    for t, k, s, j, o, st, v, p in self._chunk_rows(chunk)
                )

    @classmethod
    def read_csv(cls, path: str | Path) -> EventLog:
        """Read a file written by :meth:`to_csv` (or by an MES in the same columns)."""
        log = cls()
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None or tuple(header) != COLUMNS:
                raise ValueError(
                    f"{Path(path).name}: expected header {','.join(COLUMNS)}, got {header}"
                )
            for line_no, row in enumerate(reader, start=2):
                if len(row) != len(COLUMNS):
                    raise ValueError(
                        f"{Path(path).name}: line {line_no}: expected {len(COLUMNS)} fields, "
                        f"got {len(row)}"
                    )
                try:
                    t, k, s, j, o, st, v, p = row
                    log.record(
                        float(t),
                        k,
                        s,
                        job=int(j),
                        operation=int(o),
                        state=st,
                        value=float(v),
                        product=p,
                    )
                except ValueError as exc:
                    raise ValueError(f"{Path(path).name}: line {line_no}: {exc}") from None
        return log

    def to_jsonl(self, path: str | Path) -> None:
        """One JSON object per event and line (non-finite values as null)."""
        with _atomic(path) as fh:
            for row in self.rows():
                record = dict(zip(COLUMNS, row, strict=True))
                for key in _FLOAT:
                    if not math.isfinite(record[key]):
                        record[key] = None
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    @classmethod
    def read_jsonl(cls, path: str | Path) -> EventLog:
        """Read a file written by :meth:`to_jsonl`."""
        log = cls()
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                r = json.loads(line)
                log.record(
                    math.inf if r["time"] is None else r["time"],
                    r["kind"],
                    r["station"],
                    job=r["job"],
                    operation=r["operation"],
                    state=r["state"],
                    value=math.nan if r["value"] is None else r["value"],
                    product=r["product"],
                )
        return log


@contextlib.contextmanager
def _atomic(path: str | Path, newline: str | None = None) -> Iterator[IO[str]]:
    """A text file beside ``path`` that replaces it on success (removed on any error),
    as :func:`twin.runs.write.atomic_file`, which this layer cannot import."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            yield fh
        os.chmod(tmp, 0o666 & ~_UMASK)  # as open() would have made it, not mkstemp's 0600
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _num(x: float) -> str:
    """Shortest exact text of a float; integral values without the trailing ``.0``."""
    return str(int(x)) if x.is_integer() and abs(x) < 2**53 else repr(x)
