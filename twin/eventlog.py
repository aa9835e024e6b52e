"""`EventLog`: the append-only record of what happened in a run.

It implements :class:`models.recorder.Recorder`, so SimPy equipment writes into it
directly, and it is the single source of truth for KPIs and plots: a run can be
saved (CSV or JSON lines), reloaded and re-analysed without simulating again.

Columns (the contract of :mod:`models.recorder`): ``time``, ``kind``, ``station``,
``job``, ``operation``, ``state``, ``value``, ``product``. Appending stores one tuple
(the cheapest per-event cost in CPython); :meth:`EventLog.column` and
:meth:`EventLog.to_frame` hand out columns as numpy arrays / a pandas frame.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COLUMNS", "EventLog"]

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


class EventLog:
    """Append-only event recorder; two logs with the same rows compare equal.

    ``record`` appends the raw tuple (one allocation, the cheapest hot path in
    CPython); rows are normalised (float time/value, int job/operation, plain ``str``
    for str-enum kinds and states) the first time they are read, in place.
    """

    __slots__ = ("_clean", "_end", "_rows")

    def __init__(self) -> None:
        self._rows: list[tuple[Any, ...]] = []
        self._clean = 0  # rows before this index are normalised
        self._end = (0, 0.0)  # (rows counted, their latest time): cache of end()

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
        self._rows.append((time, kind, station, job, operation, state, value, product))

    # -- reading ------------------------------------------------------------------------

    def _normalised(self) -> list[tuple[Any, ...]]:
        rows = self._rows
        plain = _PLAIN.get
        for i in range(self._clean, len(rows)):
            t, k, s, j, o, st, v, p = rows[i]
            kind = plain(k)
            if kind is None:
                kind = _text(k)
            state = plain(st)
            if state is None:
                state = _text(st)
            rows[i] = (float(t), kind, s, int(j), int(o), state, float(v), p)
        self._clean = len(rows)
        return rows

    def __len__(self) -> int:
        return len(self._rows)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EventLog):
            return NotImplemented
        return self._normalised() == other._normalised()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        end = float(self._rows[-1][0]) if self._rows else 0.0
        return f"EventLog(events={len(self)}, end={end:g})"

    def end(self) -> float:
        """The latest event time: ``column("time").max()`` (NaN if a time is NaN) without
        building a column; 0.0 for an empty log. The maximum over all rows, not the last
        row's time: a log read from a file (an MES export) need not be in time order,
        though a simulated one is (SimPy appends in simulation time order)."""
        rows = self._normalised()
        counted, end = self._end
        if counted != len(rows):
            times = list(map(itemgetter(0), rows))
            total = sum(times)
            if total != total:  # a NaN, or +inf and -inf together: numpy's rules decide
                end = float(np.max(np.asarray(times, dtype=np.float64)))
            else:
                end = max(times)
            self._end = (len(rows), end)
        return end

    def column(self, name: str) -> NDArray[Any]:
        """One column as a numpy array (float64, int64 or object for text)."""
        if name not in COLUMNS:
            raise KeyError(f"unknown column {name!r} (columns: {', '.join(COLUMNS)})")
        i = COLUMNS.index(name)
        values = [row[i] for row in self._normalised()]
        if name in _FLOAT:
            return np.asarray(values, dtype=np.float64)
        if name in _INT:
            return np.asarray(values, dtype=np.int64)
        return np.asarray(values, dtype=object)

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """Events as tuples in :data:`COLUMNS` order, in recording order."""
        return iter(self._normalised())

    def where(self, kind: str) -> list[tuple[Any, ...]]:
        """Rows of one kind (e.g. ``"state"``), in recording order."""
        return [row for row in self._normalised() if row[1] == kind]

    def to_frame(self) -> pd.DataFrame:
        """A pandas DataFrame with one row per event."""
        import pandas as pd  # here, not at the top: a simulation never pays pandas' import

        return pd.DataFrame({c: self.column(c) for c in COLUMNS}, columns=list(COLUMNS))

    # -- files -----------------------------------------------------------------------

    def to_csv(self, path: str | Path) -> None:
        """Write ``time,kind,station,job,operation,state,value,product`` (floats as repr,
        so :meth:`read_csv` restores the log exactly)."""
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows(
                (_num(t), k, s, j, o, st, _num(v), p) for t, k, s, j, o, st, v, p in self.rows()
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
        with open(path, "w", encoding="utf-8") as fh:
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


_PLAIN: dict[str, str] = {}


def _text(value: str) -> str:
    """Plain ``str`` of a str or str-enum member, cached (``str(enum)`` is slow)."""
    text = _PLAIN.get(value)
    if text is None:
        text = str(value)
        if len(_PLAIN) < 4096:  # kinds, states and families: a small vocabulary
            _PLAIN[value] = text
    return text


def _num(x: float) -> str:
    """Shortest exact text of a float; integral values without the trailing ``.0``."""
    return str(int(x)) if x.is_integer() and abs(x) < 2**53 else repr(x)
