"""Figures of runs and schedules: right data in, bounded traces out."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from scheduler import ProblemData, Schedule
from tests.twin.plot_fixtures import make_run
from twin.plot import (
    FIGURE_NAMES,
    STATE_COLORS,
    gantt,
    kpi_dashboard,
    oee_losses_by_station,
    oee_waterfall,
    run_figures,
    schedule_frame,
    schedule_gantt,
    state_shares,
    state_timeline,
    station_oee,
    utilisation_bars,
    wip_throughput,
)
from twin.plot.gantt_hover import HOVER_FIELDS
from twin.plot.pauses import split_at_pauses
from twin.plot.style import clock_text, duration_text
from twin.runs.frames import (
    lead_times,
    operation_intervals,
    plan_intervals,
    state_intervals,
    wip_series,
)
from twin.runs.read import RunData, validate_events, validate_plan


@pytest.fixture(scope="module")
def run() -> RunData:
    r = make_run(seed=3, n_jobs=30, ops_per_job=4)
    return RunData(r.summary, validate_events(r.events), validate_plan(r.plan))


@pytest.fixture(scope="module")
def big_run() -> RunData:
    r = make_run(seed=5, n_jobs=1000, ops_per_job=10, n_units=20)
    return RunData(r.summary, validate_events(r.events), validate_plan(r.plan))


def _bars(fig, layer: str = "") -> int:
    """Number of bars in traces whose meta tag starts with ``layer`` (all bars: "")."""
    return sum(
        len(t.x) for t in fig.data if t.type == "bar" and str(t.meta or "").startswith(layer)
    )


def test_state_intervals_partition_each_unit(run: RunData) -> None:
    """Each unit's state intervals are contiguous and end at the last event."""
    iv = state_intervals(run.events)
    for _, g in iv.groupby("station"):
        g = g.sort_values("start")
        assert np.allclose(g["start"].to_numpy()[1:], g["end"].to_numpy()[:-1])
        assert g["end"].max() == pytest.approx(run.horizon)
        assert (g["state"].to_numpy()[1:] != g["state"].to_numpy()[:-1]).all()


def test_operation_intervals_pair_starts_and_ends(run: RunData) -> None:
    """Every op_start pairs with its op_end; setups attach to the op they precede."""
    ops = operation_intervals(run.events)
    assert len(ops) == 30 * 4
    assert (ops["end"] > ops["start"]).all()
    setups = run.events[run.events["kind"] == "setup_start"]
    assert ops["setup"].sum() == pytest.approx(setups["value"].sum())
    assert (ops["setup"] > 0).sum() == len(setups)


def test_operation_running_at_end_of_log_ends_at_horizon() -> None:
    """An op_start without op_end (still running) is drawn up to the horizon."""
    ev = validate_events(
        pd.DataFrame(
            {
                "time": [0.0, 5.0, 9.0],
                "kind": ["op_start", "state", "state"],
                "station": ["m1", "m1", "m2"],
                "job": [0, -1, -1],
                "operation": [0, -1, -1],
                "state": ["", "busy", "idle"],
                "value": 0.0,
                "product": ["p", "", ""],
            }
        )
    )
    ops = operation_intervals(ev)
    assert ops[["start", "end"]].to_numpy().tolist() == [[0.0, 9.0]]


def test_plan_intervals_name_machines_and_products(run: RunData) -> None:
    """Machine indices become unit names; products come from summary jobs."""
    assert run.plan is not None
    plan = plan_intervals(run.plan, run.summary)
    first = run.plan.iloc[0]
    assert plan["station"].iloc[0] == run.machines[first["machine"]]
    assert plan["product"].iloc[0] == run.job_products[first["job"]]


def test_gantt_draws_every_operation_with_right_extent(run: RunData) -> None:
    """Actual bars: base = start, base + width = end, one bar per operation."""
    ops = operation_intervals(run.events)
    fig = gantt(ops, None, job_names=run.job_names)
    assert _bars(fig) == _bars(fig, "actual") == len(ops)
    for t in fig.data:
        sub = ops[ops["product"] == t.name]
        assert np.allclose(np.asarray(t.base) + np.asarray(t.x), sub["end"].to_numpy())
        assert t.marker.color == fig.data[0].marker.color or t is not fig.data[0]


def test_gantt_hover_names_job_operation_and_setup(run: RunData) -> None:
    """Hover data carries the job name, the operation (named, or counted from 1), start
    and end, the duration (not the end again), setup and, when known, the due time; with
    the scenario's start the times read as weekday, date and clock."""
    ops = operation_intervals(run.events)
    fig = gantt(ops, None, job_names=run.job_names)
    field = {name: i for i, name in enumerate(HOVER_FIELDS)}
    first = ops.iloc[0]
    row = next(t for t in fig.data if t.name == first["product"]).customdata[0]
    assert str(row[field["job"]]).startswith("O") and len(row) == len(HOVER_FIELDS)
    assert row[field["operation"]] == f"op {int(first['operation']) + 1}"
    assert row[field["start"]] == f"t={first['start']:,.1f} min"
    assert row[field["duration"]] == duration_text(first["end"] - first["start"], "min")
    assert "duration 时长" in fig.data[0].hovertemplate
    set_up = ops[ops["setup"] > 0].iloc[0]
    rows = [
        r
        for t in fig.data
        for r in t.customdata
        if r[field["start"]] == f"t={set_up['start']:,.1f} min"
    ]
    assert rows[0][field["setup"]] == "<br>setup before 换型 " + duration_text(
        set_up["setup"], "min"
    )
    named = ops.assign(op_name="turn", due=500.0)
    start = datetime(2026, 1, 5, 6, 0)
    fig = gantt(named, None, job_names=run.job_names, start=start)
    row = next(t for t in fig.data if t.name == first["product"]).customdata[0]
    assert row[field["operation"]] == "turn"
    assert row[field["due"]] == " · due 交期 " + clock_text(start, 500.0, "min")
    assert row[field["start"]] == clock_text(start, first["start"], "min")
    assert row[field["end"]] == clock_text(start, first["end"], "min")


def test_gantt_draws_breakdowns_over_the_operations(run: RunData) -> None:
    ops = operation_intervals(run.events)
    shading = state_intervals(run.events)
    fig = gantt(ops, None, shading=shading)
    metas = [t.meta for t in fig.data]
    assert "shade:down" in metas and "shade:off" in metas  # the fixture has both
    assert metas.index("shade:down") > max(i for i, m in enumerate(metas) if m == "actual")
    assert metas.index("shade:off") < metas.index("actual")


def test_gantt_of_10000_operations_has_bounded_traces(big_run: RunData) -> None:
    """10,000 operations coloured by job (1,000 jobs) stay a handful of traces: one bar
    per working stretch, every plan slot, and the level-of-detail switch (an overview,
    and the indices of the traces the report culls to the visible window)."""
    ops = operation_intervals(big_run.events)
    assert big_run.plan is not None
    plan = plan_intervals(big_run.plan, big_run.summary)
    shading = state_intervals(big_run.events)
    pieces = split_at_pauses(ops, shading)
    assert len(pieces) > len(ops) == 10_000  # the fixture's attended units stop at 16:00
    for color_by in ("job", "product"):
        fig = gantt(ops, plan, shading=shading, color_by=color_by)
        assert len(fig.data) <= 25
        assert _bars(fig, "actual") == len(pieces)
        assert _bars(fig, "plan") == 10_000
        lod = fig.layout.meta["lod"]
        assert fig.data[lod["overview"]].meta == "lod:overview"
        assert fig.data[lod["overview"]].visible is False
        culled = {fig.data[i].meta for i in lod["culled"]}
        assert culled == {"actual", "plan", "shade:setup", "shade:down"}


def test_gantt_stacked_mode_puts_plan_and_actual_on_two_axes(run: RunData) -> None:
    """Stacked mode: plan on the first y axis, actual on the second, shared time."""
    assert run.plan is not None
    fig = gantt(
        operation_intervals(run.events), plan_intervals(run.plan, run.summary), mode="stacked"
    )
    axes = {t.yaxis for t in fig.data}
    assert axes == {"y", "y2"}
    with pytest.raises(ValueError, match="mode"):
        gantt(None, None, mode="sideways")  # type: ignore[arg-type]


def test_gantt_shades_breakdowns_and_off_shift(run: RunData) -> None:
    """Down and off intervals become one shading trace each."""
    shading = state_intervals(run.events)
    fig = gantt(operation_intervals(run.events), None, shading=shading)
    names = [t.name for t in fig.data]
    n_down = int((shading["state"] == "down").sum())
    assert n_down > 0
    down = next(t for t in fig.data if "breakdown" in t.name)
    assert len(down.x) == n_down and names.count(down.name) == 1


def test_schedule_gantt_computes_setups_and_windows() -> None:
    """A bare scheduler result: setup from the family matrix, windows shaded."""
    data = ProblemData.from_jobs(
        [[[(0, 3)]], [[(0, 2)]]],
        op_family=[0, 1],
        setup=[[[0, 4], [4, 0]]],
        window_ptr=[0, 1],
        window_start=[20],
        window_end=[25],
        name="tiny",
    )
    sched = Schedule([0, 0], [0, 7], [3, 9])
    frame = schedule_frame(data, sched)
    assert frame["setup"].tolist() == [0.0, 4.0]
    fig = schedule_gantt(data, sched)
    assert "makespan 9" in fig.layout.title.text
    assert any(t.name.startswith("off") for t in fig.data)
    with pytest.raises(ValueError, match="operations"):
        schedule_frame(data, Schedule([0], [0], [3]))


def test_state_timeline_uses_fixed_colours(run: RunData) -> None:
    """One trace per state, each in its fixed colour."""
    fig = state_timeline(state_intervals(run.events))
    for t in fig.data:
        state = t.name.split()[0]
        assert t.marker.color == STATE_COLORS[state]
    assert len(fig.data) == state_intervals(run.events)["state"].nunique()


def test_utilisation_shares_sum_to_100_percent(run: RunData) -> None:
    """Stacked utilisation bars add up to 100 % per unit."""
    iv = state_intervals(run.events)
    shares = state_shares(iv)
    assert np.allclose(shares.sum(axis=1), 1.0)
    fig = utilisation_bars(iv)
    totals = np.sum([np.asarray(t.x) for t in fig.data], axis=0)
    assert np.allclose(totals, 100.0)


def test_wip_and_lead_time_series(run: RunData) -> None:
    """WIP never negative and ends at 0; every lot finishes; lead = finish - release."""
    s = wip_series(run.events)
    assert (s["wip"] >= 0).all() and s["wip"].iloc[-1] == 0
    assert s["finished"].iloc[-1] == 30
    lead = lead_times(run.events)
    assert np.allclose(lead["lead_time"], lead["finish"] - lead["release"])
    fig = wip_throughput(s)
    assert [t.line.shape for t in fig.data] == ["hv", "hv"]


def test_oee_waterfall_ends_at_a_times_p_times_q() -> None:
    """The losses bring 100 % down to A x P x Q."""
    fig = oee_waterfall(0.8, 0.9, 0.95)
    y = list(fig.data[0].y)
    assert sum(y[:4]) == pytest.approx(100 * 0.8 * 0.9 * 0.95)
    assert y[4] == pytest.approx(100 * 0.8 * 0.9 * 0.95)
    with pytest.raises(ValueError, match="availability"):
        oee_waterfall(2.0, 0.9, 0.9)


def test_station_oee_reads_per_unit_table_and_skips_scalars() -> None:
    """oee_by_unit rows are used; a station dict of plain numbers is not A/P/Q."""
    kpis = {
        "oee_by_unit": {
            "m1": {"availability": 0.5, "performance": 1.0, "quality": 1.0},
            "m2": {"availability": None, "performance": 1.0, "quality": 1.0},
        },
        "oee_by_station": {"s": 0.4},
    }
    assert station_oee(kpis) == {"m1": {"availability": 0.5, "performance": 1.0, "quality": 1.0}}
    assert station_oee({"oee_by_station": {"s": 0.4}}) == {}
    fig = oee_losses_by_station(station_oee(kpis))
    assert sum(t.x[0] for t in fig.data) == pytest.approx(100.0)


def test_kpi_dashboard_threshold_line_and_colours() -> None:
    """Rates under 70 % are orange, over are green; a missing rate says n/a."""
    fig = kpi_dashboard({"nc_rate_equipment": 0.8, "nc_rate_process": 0.5, "oee": 0.6})
    line = fig.layout.shapes[0]
    assert line.y0 == line.y1 == pytest.approx(70.0)
    bars = next(t for t in fig.data if t.type == "bar")
    assert "70 %" in fig.data[-1].name and fig.data[-1].line.dash == "dash"
    assert bars.text == ("80.0 %", "50.0 %", "n/a")
    assert bars.marker.color[0] != bars.marker.color[1]
    assert "设备数控化率" in bars.x[0] and "工序数控化率" in bars.x[1] and "设备联网率" in bars.x[2]
    indicators = [t for t in fig.data if t.type == "indicator"]
    assert indicators[2].value == pytest.approx(60.0)
    assert indicators[0].value is None and "n/a" in indicators[0].title.text


def test_run_figures_builds_all_and_rejects_unknown_names(run: RunData) -> None:
    """A full run yields every figure; unknown names fail with the valid list."""
    names = [f.name for f in run_figures(run)]
    assert names == [n for n in FIGURE_NAMES if n != "replications"]  # a single run
    with pytest.raises(ValueError, match="expected some of"):
        run_figures(run, ("pie",))


def test_run_figures_without_plan_or_kpis_leaves_them_out(run: RunData) -> None:
    """No schedule.csv and no KPIs: the gantt shows actuals only, KPI charts are skipped."""
    bare = RunData({"machines": run.machines}, run.events, None)
    names = [f.name for f in run_figures(bare)]
    assert "kpi" not in names and "oee" not in names and "gantt" in names


def test_gantt_job_legend_follows_job_order_and_labels_few_bars() -> None:
    """Coloured by job: J2 comes before J10 in the legend; small charts label each bar."""
    frame = pd.DataFrame(
        {
            "station": ["M0"] * 11,
            "job": list(range(11)),
            "operation": 0,
            "product": "",
            "start": np.arange(11.0),
            "end": np.arange(11.0) + 1,
            "setup": 0.0,
        }
    )
    names = [f"J{j}" for j in range(11)]
    fig = gantt(frame, None, color_by="job", job_names=names)
    assert [t.name for t in fig.data] == names
    assert fig.data[0].texttemplate == "%{customdata[0]}"


def test_state_timeline_draws_idle_as_one_background_bar_per_unit(run: RunData) -> None:
    """Idle is one span per unit under the other states; other states keep every interval."""
    iv = state_intervals(run.events)
    fig = state_timeline(iv)
    idle = next(t for t in fig.data if t.name.startswith("idle"))
    assert len(idle.x) == iv["station"].nunique()
    busy = next(t for t in fig.data if t.name.startswith("busy"))
    assert len(busy.x) == int((iv["state"] == "busy").sum())


def test_gantt_leaves_out_shading_beyond_the_limit_and_says_so(run: RunData) -> None:
    """Too many off/down intervals: not shaded, and the subtitle names them."""
    shading = state_intervals(run.events)
    n_down = int((shading["state"] == "down").sum())
    fig = gantt(operation_intervals(run.events), None, shading=shading, max_shading=n_down - 1)
    assert not any("breakdown" in (t.name or "") for t in fig.data)
    assert f"breakdown 故障 ({n_down:,} intervals)" in fig.layout.title.text


def test_replication_spread_shows_every_replication(run: RunData) -> None:
    """With replications, one box per varying headline KPI on one shared axis: each
    run's deviation from the KPI's mean in %, its own value in the hover data; a KPI
    equal in every run is listed as a constant instead of drawn."""
    per_run = [dict(run.summary["kpis"], oee=v) for v in (0.2, 0.3, 0.4)]
    replicated = RunData(dict(run.summary, kpis_replications=per_run), run.events, run.plan)
    fig = next(f.figure for f in run_figures(replicated, ("replications",)))
    oee_box = next(t for t in fig.data if t.name.startswith("OEE"))
    assert sorted(oee_box.y) == pytest.approx([-100 / 3, 0.0, 100 / 3])
    assert sorted(oee_box.customdata) == pytest.approx([20.0, 30.0, 40.0])
    assert "n = 3" in fig.layout.title.text
    # the other KPIs are the same in every run: constants, not boxes
    assert [t.name for t in fig.data] == [oee_box.name]
    assert "equal in every replication" in fig.layout.annotations[0].text


def test_setups_attach_by_job_or_to_the_next_operation() -> None:
    """A named setup goes to its (job, operation); an anonymous one to the next op started."""
    rows = [
        (
            0.0,
            "setup_start",
            "m1",
            1,
            0,
            "",
            4.0,
            "p",
        ),  # named: for job 1, although job 0 runs next
        (4.0, "setup_end", "m1", 1, 0, "", 4.0, "p"),
        (4.0, "op_start", "m1", 0, 0, "", 0.0, "p"),
        (6.0, "op_end", "m1", 0, 0, "", 0.0, "p"),
        (6.0, "op_start", "m1", 1, 0, "", 0.0, "p"),
        (8.0, "op_end", "m1", 1, 0, "", 0.0, "p"),
        (8.0, "setup_start", "m1", -1, -1, "", 3.0, ""),  # anonymous: next op on m1
        (11.0, "setup_end", "m1", -1, -1, "", 3.0, ""),
        (12.0, "op_start", "m1", 2, 0, "", 0.0, "p"),
        (13.0, "op_end", "m1", 2, 0, "", 0.0, "p"),
    ]
    cols = ["time", "kind", "station", "job", "operation", "state", "value", "product"]
    ops = operation_intervals(validate_events(pd.DataFrame(rows, columns=cols)))
    assert dict(zip(ops["job"], ops["setup"], strict=True)) == {0: 0.0, 1: 4.0, 2: 3.0}


def test_plan_is_outlined_over_actual_and_filled_when_stacked(run: RunData) -> None:
    """Overlay: hollow plan boxes (transparent fill); stacked: translucent filled bars."""
    assert run.plan is not None
    ops, plan = operation_intervals(run.events), plan_intervals(run.plan, run.summary)
    over = next(t for t in gantt(ops, plan).data if t.meta == "plan")
    assert over.marker.color == "rgba(255,255,255,0)" and over.width == 0.8
    stacked = next(t for t in gantt(ops, plan, mode="stacked").data if t.meta == "plan")
    assert len(stacked.marker.color) == len(plan) and stacked.marker.opacity < 1


def test_state_timeline_of_a_long_run_shows_the_majority_state_per_bin() -> None:
    """Beyond max_bars: one heatmap, each bin in the state with most time in it."""
    iv = pd.DataFrame(
        {
            "station": ["m1", "m1", "m2", "m2"],
            "state": ["busy", "idle", "down", "busy"],
            "start": [0.0, 6.0, 0.0, 3.0],
            "end": [6.0, 10.0, 3.0, 10.0],
        }
    )
    fig = state_timeline(iv, max_bars=0, bins=5)
    heat = fig.data[0]
    assert heat.type == "heatmap" and list(heat.y) == ["m1", "m2"]
    # states in fixed order: busy 1, idle 2, down 3 (0: no log); bins of 2 time units
    assert np.asarray(heat.z).tolist() == [[1, 1, 1, 2, 2], [3, 1, 1, 1, 1]]
    assert heat.meta["ztext"] == ["no log", "busy", "idle", "down"]
    assert np.asarray(heat.text).tolist()[1][:2] == ["down", "busy"]  # hover: state names
    # evenly spaced bins, no gaps between rows (the browser's fast path); rows apart by
    # white lines between them
    assert np.allclose(np.diff(heat.x), 2.0) and not heat.ygap
    assert [s.y0 for s in fig.layout.shapes] == [0.5]
    assert [t.name.split()[0] for t in fig.data[1:]] == ["busy", "idle", "down"]
    assert "5 bins of 2.0" in fig.layout.title.text


def test_loss_waterfall_walks_calendar_time_down_to_valuable_time() -> None:
    """100 h: 40 off, 10 no order -> loading 50; 5 down, 5 setup -> busy 40; P 0.9 (speed
    loss 4), Q 0.5 (quality loss 18) -> valuable 18: OEE 36 %, TEEP 18 %."""
    from twin.plot.kpi import loss_waterfall

    fig = loss_waterfall(
        {"off": 40.0, "no_order": 10.0, "down": 5.0, "setup": 5.0, "busy": 40.0}, 0.9, 0.5
    )
    assert fig is not None
    steps = dict(zip([x.split("<br>")[0] for x in fig.data[0].x], fig.data[0].y, strict=True))
    assert steps["loading time"] == pytest.approx(50.0)
    assert steps["operating time"] == pytest.approx(40.0)
    assert steps["speed loss 速度损失"] == pytest.approx(-4.0)
    assert steps["quality loss"] == pytest.approx(-18.0)
    assert steps["valuable time"] == pytest.approx(18.0)
    assert "OEE = valuable / loading time = 36.0%" in fig.layout.title.text


def test_loss_waterfall_shows_faster_than_nominal_as_a_flagged_gain() -> None:
    from twin.plot.kpi import loss_waterfall

    fig = loss_waterfall({"busy": 10.0, "idle": 10.0}, 1.2, 1.0)
    assert fig is not None
    gain = [y for x, y in zip(fig.data[0].x, fig.data[0].y, strict=True) if "faster" in x]
    assert gain == [pytest.approx(10.0)]  # +2 h of 20: drawn upwards, not as a loss
    assert "check the nominal times" in fig.layout.title.text
