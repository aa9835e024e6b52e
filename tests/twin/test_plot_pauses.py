"""Gantt bars split at pauses, the off-shift band and its swatch, hover texts, the plan."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from tests.twin.plot_fixtures import make_run
from twin.plot import gantt, run_figures
from twin.plot.gantt_fast import BAND_STATES, band_traces, lod_overview, rgba
from twin.plot.gantt_hover import HOVER_FIELDS
from twin.plot.pauses import split_at_pauses
from twin.plot.style import STATE_COLORS, clock_text
from twin.runs.frames import operation_intervals, state_intervals
from twin.runs.read import RunData, validate_events, validate_plan

COLS = ["time", "kind", "station", "job", "operation", "state", "value", "product"]


def _log(rows: list[tuple[float, str, str, int, int, str]]) -> pd.DataFrame:
    """An event log from (time, kind, station, job, operation, state) rows."""
    frame = pd.DataFrame(
        [(t, k, s, j, o, st, 0.0, "p") for t, k, s, j, o, st in rows], columns=COLS
    )
    return validate_events(frame.sort_values("time", kind="stable").reset_index(drop=True))


def _states(
    unit: str, changes: list[tuple[float, str]]
) -> list[tuple[float, str, str, int, int, str]]:
    return [(t, "state", unit, -1, -1, state) for t, state in changes]


@pytest.fixture
def paused() -> pd.DataFrame:
    """M1 runs one operation from 0 to 30, stopped by a night (10-20) and a breakdown
    (25-27); M2 runs one from 0 to 8 without a pause while M1 is off."""
    return _log(
        [
            (0.0, "op_start", "M1", 0, 0, ""),
            (30.0, "op_end", "M1", 0, 0, ""),
            (0.0, "op_start", "M2", 1, 0, ""),
            (8.0, "op_end", "M2", 1, 0, ""),
            *_states("M1", [(0, "busy"), (10, "off"), (20, "busy"), (25, "down"), (27, "busy")]),
            *_states("M1", [(30, "idle")]),
            *_states("M2", [(0, "busy"), (8, "idle"), (12, "off"), (18, "idle"), (40, "idle")]),
        ]
    )  # fmt: skip


def test_a_paused_operation_is_one_piece_per_working_stretch(paused: pd.DataFrame) -> None:
    """Three working stretches, whose total is the operation's busy time; every piece
    keeps the whole operation's start and end."""
    states = state_intervals(paused)
    pieces = split_at_pauses(operation_intervals(paused), states)
    m1 = pieces[pieces["station"] == "M1"]
    assert list(zip(m1["start"], m1["end"], strict=True)) == [(0, 10), (20, 25), (27, 30)]
    busy = states[(states["station"] == "M1") & (states["state"] == "busy")]
    assert (m1["end"] - m1["start"]).sum() == (busy["end"] - busy["start"]).sum() == 18
    assert m1["pieces"].tolist() == [3, 3, 3] and m1["piece"].tolist() == [0, 1, 2]
    assert set(m1["worked"]) == {18.0} and set(m1["op_start"]) == {0} and set(m1["op_end"]) == {30}


def test_an_operation_without_a_pause_stays_one_bar(paused: pd.DataFrame) -> None:
    """M2's operation ends before its unit goes off: one piece equal to itself."""
    pieces = split_at_pauses(operation_intervals(paused), state_intervals(paused))
    m2 = pieces[pieces["station"] == "M2"]
    assert len(m2) == 1
    assert (m2["start"].item(), m2["end"].item(), m2["pieces"].item()) == (0.0, 8.0, 1)


def test_pieces_skip_pauses_at_the_ends_and_between_touching_pauses() -> None:
    """An operation that starts in a pause begins after it; an end of shift right after a
    breakdown is one pause (no empty piece between); one paused throughout keeps a
    single empty piece, so no operation vanishes."""
    ops = pd.DataFrame(
        {"station": ["A", "A", "B"], "job": [0, 1, 2], "operation": 0,
         "start": [5.0, 40.0, 3.0], "end": [30.0, 60.0, 4.0]}
    )  # fmt: skip
    states = pd.DataFrame(
        [("A", "off", 0.0, 8.0), ("A", "down", 12.0, 15.0), ("A", "off", 15.0, 22.0),
         ("A", "planned_down", 45.0, 50.0), ("B", "off", 0.0, 10.0), ("A", "starved", 22.0, 24.0)],
        columns=["station", "state", "start", "end"],
    )  # fmt: skip
    pieces = split_at_pauses(ops, states)
    spans = {j: list(zip(g["start"], g["end"], strict=True)) for j, g in pieces.groupby("job")}
    assert spans[0] == [(8, 12), (22, 30)]  # starved (22-24) is not a pause
    assert spans[1] == [(40, 45), (50, 60)]  # planned maintenance is
    assert spans[2] == [(3, 3)] and pieces.loc[pieces["job"] == 2, "worked"].item() == 0


def test_split_matches_a_slow_reference_on_random_logs() -> None:
    """Each operation's pieces are its span minus its unit's pause intervals (a plain
    interval subtraction, one operation at a time)."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        units = ["U0", "U1", "U2"]
        states = []
        for u in units:
            t = 0.0
            while t < 200:
                d = float(rng.integers(1, 15))
                states.append((u, str(rng.choice(["busy", "off", "down", "idle"])), t, t + d))
                t += d
        st = pd.DataFrame(states, columns=["station", "state", "start", "end"])
        s = rng.uniform(0, 180, 25).round(1)
        ops = pd.DataFrame(
            {"station": rng.choice(units, 25), "job": np.arange(25), "operation": 0,
             "start": s, "end": s + rng.uniform(0, 40, 25).round(1)}
        )  # fmt: skip
        pieces = split_at_pauses(ops, st)
        for op in ops.itertuples():
            free = [(op.start, op.end)]
            pause = st[(st["station"] == op.station) & st["state"].isin(["off", "down"])]
            for p in pause.itertuples():
                free = [
                    part
                    for a, b in free
                    for part in ((a, min(b, p.start)), (max(a, p.end), b))
                    if part[1] > part[0]
                ]
            got = pieces[pieces["job"] == op.job]
            expect = free or [(op.start, op.start)]
            flat = np.column_stack([got["start"], got["end"]]).ravel()
            assert flat == pytest.approx(np.ravel(expect))
            assert got["worked"].iloc[0] == pytest.approx(sum(b - a for a, b in free))


def test_gantt_draws_the_pieces_and_every_hover_names_the_whole_operation(
    paused: pd.DataFrame,
) -> None:
    """One bar per piece; each piece's hover gives the operation's own start and end in
    clock time, its working time and which piece it is. Without ``split``: one bar."""
    start = datetime(2026, 1, 5, 6, 0)
    ops, states = operation_intervals(paused), state_intervals(paused)
    fig = gantt(ops, None, shading=states, start=start, time_unit="min")
    bars = [t for t in fig.data if t.meta == "actual"]
    assert sum(len(t.x) for t in bars) == 4
    f = {name: i for i, name in enumerate(HOVER_FIELDS)}
    m1 = [row for t in bars for row, y in zip(t.customdata, t.y, strict=True) if y == "M1"]
    assert len(m1) == 3
    assert (
        {row[f["start"]] for row in m1}
        == {clock_text(start, 0.0, "min")}
        == {"Mon 2026-01-05 06:00"}
    )
    assert {row[f["end"]] for row in m1} == {"Mon 2026-01-05 06:30"}
    assert [row[f["duration"]].split("<br>")[-1] for row in m1] == [
        "piece 段 1 of 3", "piece 段 2 of 3", "piece 段 3 of 3",
    ]  # fmt: skip
    assert m1[0][f["duration"]].startswith("18 min working over 30 min, paused 12 min")
    one = gantt(ops, None, shading=states, split=False)
    assert sum(len(t.x) for t in one.data if t.meta == "actual") == 2


def test_off_shift_is_one_band_whose_legend_swatch_has_its_colour(paused: pd.DataFrame) -> None:
    """Off-shift time is one heatmap under the bars (a cell per unit and interval), and the
    legend swatch that names it is filled with exactly the band's colour; breakdowns are
    see-through in their fill colour (the legend ignores marker.opacity)."""
    states = state_intervals(paused)
    fig = gantt(operation_intervals(paused), None, shading=states)
    band = next(t for t in fig.data if t.type == "heatmap")
    assert list(fig.data).index(band) == 0  # under everything
    edges, z = np.asarray(band.x), np.asarray(band.z)
    row = {s: i for i, s in enumerate(band.y)}
    for unit, a, b in [("M1", 10, 20), ("M2", 12, 18)]:
        cells = (edges[:-1] >= a) & (edges[1:] <= b)
        assert (z[row[unit], cells] == 1).all() and (z[row[unit], ~cells] == 0).all()
    fill = rgba(STATE_COLORS["off"], BAND_STATES["off"][1])
    assert fill in [c for _, c in band.colorscale]
    swatch = next(t for t in fig.data if t.meta == "band:off")
    assert swatch.marker.color == fill and swatch.legendgroup == band.legendgroup
    down = next(t for t in fig.data if t.meta == "shade:down")
    assert down.marker.color == rgba(STATE_COLORS["down"], 0.45) and down.marker.opacity is None


def test_band_closes_tiny_gaps_and_coarsens_to_fit_its_cell_budget() -> None:
    """A robot's one-unit moves in a long break do not add columns for every unit; past
    the cell budget the instants are rounded until the heatmap fits."""
    rows = [("R", "off", 100.0 + 2 * k, 101.0 + 2 * k) for k in range(50)]
    rows += [(f"U{u}", "off", 100.0, 200.0) for u in range(5)]
    rows += [("U0", "off", 0.0, 1.0), ("U0", "off", 19_999.0, 20_000.0)]  # a 20,000-unit run
    shading = pd.DataFrame(rows, columns=["station", "state", "start", "end"])
    order = ["R", *(f"U{u}" for u in range(5))]
    (band, _swatch), _ = band_traces(shading, order)
    assert len(band.x) == 7  # 0, 1, 100, 199 (the robot's last off end), 200, 19,999, 20,000
    many = pd.DataFrame(
        [("U0", "off", 10.0 * k, 10.0 * k + 5) for k in range(2000)],
        columns=["station", "state", "start", "end"],
    )
    (coarse, _), _ = band_traces(many, ["U0"], max_cells=500)
    assert len(coarse.x) - 1 <= 500 and np.asarray(coarse.z).any()


def test_lod_overview_shows_the_colour_with_most_time_per_bin() -> None:
    """Two bins: the first mostly red, the second mostly blue; an idle unit stays clear."""
    frame = pd.DataFrame(
        {"station": ["A", "A", "A"], "start": [0.0, 6.0, 10.0], "end": [6.0, 10.0, 20.0]}
    )
    heat = lod_overview(frame, ["red", "blue", "blue"], ["A", "B"], bins=2)
    z = np.asarray(heat.z)
    assert z[0].tolist() == [1, 2] and z[1].tolist() == [0, 0]
    assert heat.visible is False and heat.meta == "lod:overview"


@pytest.fixture(scope="module")
def synthetic() -> RunData:
    r = make_run(seed=4, n_jobs=12, ops_per_job=3)
    return RunData(r.summary, validate_events(r.events), validate_plan(r.plan))


def test_planned_times_in_the_hover_only_when_the_run_followed_a_plan(synthetic: RunData) -> None:
    """A planned run: plan outlines, and each executed operation's hover gives its
    planned start and end. Dispatched online (schedule.csv then holds what was done):
    no plan layer and no planned times."""
    planned = next(f.figure for f in run_figures(synthetic, ("gantt",)))
    assert any(t.meta == "plan" for t in planned.data)
    plan_field = HOVER_FIELDS.index("plan")
    rows = [r for t in planned.data if t.meta == "actual" for r in t.customdata]
    assert rows and all(str(r[plan_field]).startswith("<br>planned 计划 ") for r in rows)
    summary = dict(synthetic.summary, solver={"method": "edd", "status": "online"})
    online = RunData(summary, synthetic.events, synthetic.plan)
    fig = next(f.figure for f in run_figures(online, ("gantt",)))
    assert not any(t.meta == "plan" for t in fig.data)
    assert all(r[plan_field] == "" for t in fig.data if t.meta == "actual" for r in t.customdata)
