"""`EventLog`: the append-only, columnar record of what happened in a run.

It implements :class:`models.recorder.Recorder`, so SimPy equipment writes into it
directly, and it is the single source of truth for KPIs and plots: a run can be
saved (CSV or JSON lines), reloaded and re-analysed without simulating again.

Columns (the contract of :mod:`models.recorder`): ``time``, ``kind``, ``station``,
``job``, ``operation``, ``state``, ``value``, ``product``. Appending goes to plain
Python lists (the cheapest per-event cost in CPython); :meth:`EventLog.column` and
:meth:`EventLog.to_frame` hand out numpy arrays / a pandas frame.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
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
    """Columnar event recorder; two logs with the same rows compare equal."""

    __slots__ = ("_add", "_cols")

    def __init__(self) -> None:
        self._cols: dict[str, list[Any]] = {c: [] for c in COLUMNS}
        # bound ``append`` of each column, in COLUMNS order: the hot path's only lookups
        self._add = tuple(self._cols[c].append for c in COLUMNS)

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
        """Append one event (``kind``/``state`` may be str enums: stored as plain str)."""
        t, k, s, j, o, st, v, p = self._add
        t(float(time))
        k(_text(kind))
        s(station)
        j(int(job))
        o(int(operation))
        st(_text(state))
        v(float(value))
        p(product)

    # -- reading ------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._cols["time"])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EventLog):
            return NotImplemented
        return self._cols == other._cols

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        end = self._cols["time"][-1] if len(self) else 0.0
        return f"EventLog(events={len(self)}, end={end:g})"

    def column(self, name: str) -> NDArray[Any]:
        """One column as a numpy array (float64, int64 or object for text)."""
        if name not in self._cols:
            raise KeyError(f"unknown column {name!r} (columns: {', '.join(COLUMNS)})")
        values = self._cols[name]
        if name in _FLOAT:
            return np.asarray(values, dtype=np.float64)
        if name in _INT:
            return np.asarray(values, dtype=np.int64)
        return np.asarray(values, dtype=object)

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """Events as tuples in :data:`COLUMNS` order, in recording order."""
        return zip(*(self._cols[c] for c in COLUMNS), strict=True)

    def where(self, kind: str) -> list[tuple[Any, ...]]:
        """Rows of one kind (e.g. ``"state"``), in recording order."""
        k = self._cols["kind"]
        return [row for i, row in enumerate(self.rows()) if k[i] == kind]

    def to_frame(self) -> pd.DataFrame:
        """A pandas DataFrame with one row per event."""
        import pandas as pd

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
