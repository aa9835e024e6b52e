"""Operations split at their pauses: one Gantt bar piece per working stretch.

An operation that runs into the end of a shift (a night, a weekend) or a breakdown
stops and resumes later; the event log shows it as the unit's state ``off``, ``down``
or ``planned_down`` between the operation's ``op_start`` and ``op_end``. Drawn as one
solid bar it looks like days of work. :func:`split_at_pauses` cuts it there, so the
Gantt shows the working stretches and the off-shift band or breakdown between them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["PAUSE_STATES", "split_at_pauses"]

#: Unit states that pause an operation (it resumes afterwards): outside the calendar,
#: broken down, in planned maintenance.
PAUSE_STATES = ("off", "down", "planned_down")


def split_at_pauses(
    ops: pd.DataFrame, states: pd.DataFrame, pause_states: tuple[str, ...] = PAUSE_STATES
) -> pd.DataFrame:
    """One row per working stretch of each operation of ``ops``.

    Parameters
    ----------
    ops
        ``station, start, end`` and any other columns (kept on every piece), as from
        :func:`twin.runs.frames.operation_intervals`.
    states
        ``station, state, start, end``, as from :func:`twin.runs.frames.state_intervals`.

    Returns
    -------
    pandas.DataFrame
        The columns of ``ops`` with ``start``/``end`` those of the piece, plus
        ``op_start``, ``op_end`` (the whole operation), ``piece`` (0, 1, ... in time
        order), ``pieces`` (how many the operation has) and ``worked`` (the operation's
        time outside pauses: the sum of its pieces). An operation without a pause is
        one piece equal to itself; one paused from start to end keeps one zero-length
        piece at its start, so no operation disappears from the chart.
    """
    if ops.empty:
        return ops.assign(
            op_start=ops["start"], op_end=ops["end"], piece=0, pieces=1, worked=0.0
        ).iloc[:0]
    pause = states[states["state"].isin(pause_states)]
    out = []
    for station, idx in ops.groupby("station", sort=False).indices.items():
        mine = pause[pause["station"] == station]
        out.append(_split(ops.iloc[idx], *_merged(mine)))
    return pd.concat(out).sort_values(["start", "station"], kind="stable").reset_index(drop=True)


def _merged(pauses: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of each pause block of one unit: touching pauses (an end of shift
    right after a breakdown) are one block, so no zero-length piece sits between them."""
    if pauses.empty:
        return np.empty(0), np.empty(0)
    start = pauses["start"].to_numpy(dtype=float)
    end = pauses["end"].to_numpy(dtype=float)
    order = np.argsort(start, kind="stable")
    start, end = start[order], end[order]
    reach = np.maximum.accumulate(end)
    new = np.ones(len(start), dtype=bool)
    new[1:] = start[1:] > reach[:-1]
    return start[new], np.maximum.reduceat(end, np.flatnonzero(new))


def _split(ops: pd.DataFrame, p_start: np.ndarray, p_end: np.ndarray) -> pd.DataFrame:
    """The pieces of the operations of one unit, given its sorted, disjoint pauses."""
    start = ops["start"].to_numpy(dtype=float)
    end = ops["end"].to_numpy(dtype=float)
    if not len(p_start):
        return ops.assign(op_start=start, op_end=end, piece=0, pieces=1, worked=end - start)
    # pauses lo..hi-1 overlap the operation: they end after its start, begin before its end
    lo = np.searchsorted(p_end, start, side="right")
    hi = np.searchsorted(p_start, end, side="left")
    n_cut = np.maximum(hi - lo, 0)
    owner = np.repeat(np.arange(len(ops)), n_cut + 1)
    first = np.repeat(np.cumsum(n_cut + 1) - (n_cut + 1), n_cut + 1)
    k = np.arange(len(owner)) - first  # piece number before empty ones are dropped
    cut = lo[owner] + k  # the pause that ends this piece (if k < n_cut)
    last = len(p_start) - 1
    s = np.where(k == 0, start[owner], p_end[np.clip(cut - 1, 0, last)])
    e = np.where(k == n_cut[owner], end[owner], p_start[np.clip(cut, 0, last)])
    s = np.maximum(s, start[owner])
    e = np.maximum(np.minimum(e, end[owner]), s)
    # Pieces left empty by a pause (an operation that starts or ends in one) are dropped;
    # an operation paused throughout keeps its first, so none disappears from the chart.
    keep = e > s
    kept = np.bincount(owner[keep], minlength=len(ops)) > 0
    keep |= (k == 0) & ~kept[owner]
    owner, s, e = owner[keep], s[keep], e[keep]
    pieces = ops.iloc[owner].reset_index(drop=True)
    piece = pieces.groupby(owner).cumcount().to_numpy() if len(owner) else np.empty(0, int)
    count = np.bincount(owner, minlength=len(ops))[owner]
    worked = np.bincount(owner, weights=e - s, minlength=len(ops))[owner]
    return pieces.assign(
        op_start=start[owner],
        op_end=end[owner],
        start=s,
        end=e,
        piece=piece,
        pieces=count,
        worked=worked,
    )
