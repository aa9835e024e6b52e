"""The offline HTML report and the run-folder reader behind it."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import plotly.offline
import pytest

from tests.twin.plot_fixtures import make_run, write_run
from twin.plot.report import build_report, write_report
from twin.runs.read import RunDirError, read_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_run(tmp_path_factory.mktemp("run"), make_run(seed=1, n_jobs=20))


@pytest.fixture(scope="module")
def page(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = write_report(run_dir, tmp_path_factory.mktemp("out") / "report.html")
    return out.read_text(encoding="utf-8")


def test_report_embeds_plotly_once_and_loads_nothing_from_the_network(page: str) -> None:
    """plotly.js is inline exactly once; no <script src>, no CDN."""
    lib = plotly.offline.get_plotlyjs()
    assert page.count(lib[:2000]) == 1
    rest = page.replace(lib, "")
    assert "<script src" not in rest and "cdn.plot.ly" not in rest and "https://" not in rest
    assert page.count('<meta charset="utf-8">') == 1


def test_report_holds_every_figure_as_a_plot_div(page: str) -> None:
    """One plot container per figure, in report order."""
    figures = json.loads(re.search(r"window.__twinReport = (\{.*?\});", page).group(1))["figures"]
    assert figures[:3] == ["kpi", "gantt", "states"]
    # the orders figure (a plotly table) is written as an HTML table: every other one plots
    tables = page.count('class="table-figure"')
    assert tables == 1 and '<figure id="orders"><div id="fig-orders-' in page
    assert page.count('class="plotly-graph-div"') + tables == len(figures)
    for name in figures:
        assert f'<figure id="{name}">' in page


def test_orders_table_is_html_with_every_order_and_late_rows_shaded(
    run_dir: Path, page: str
) -> None:
    """One row per order, late first and shaded as in the plotly table; text escaped."""
    from twin.plot.orders import orders_table, run_orders

    run = read_run(run_dir)
    orders = run_orders(run)
    table = orders_table(orders, time_unit=run.time_unit)
    assert table is not None
    block = re.search(r'<figure id="orders">(.*?)</figure>', page, re.S)
    assert block is not None
    rows = re.findall(r'<tr(?: style="background:([^"]*)")?><td>([^<]*)</td>', block.group(1))
    assert [name for _, name in rows] == list(table.data[0].cells.values[0]) != []
    late = [name for fill, name in rows if fill == "#fde8e8"]
    is_late = {o.name: o.late for o in orders}
    assert late == [name for _, name in rows if is_late[name]] and len(late) == sum(
        is_late.values()
    )
    assert "<script" not in block.group(1)


def test_report_figures_are_json_drawn_after_the_text(page: str) -> None:
    """Each plot container has its figure as JSON beside it (no raw ``<`` inside, so no
    text can end the script), and plotly.js and the loader come after the report's text."""
    specs = re.findall(
        r'<div id="([^"]+)" class="plotly-graph-div"[^>]*></div>'
        r'<script type="application/json" class="twin-figure" data-div="([^"]+)">(.*?)</script>',
        page,
        re.S,
    )
    assert len(specs) == page.count('class="plotly-graph-div"') > 5
    for div, target, text in specs:
        assert div == target and "<" not in text
        assert set(json.loads(text)) >= {"data", "layout"}
    lib = page.index(plotly.offline.get_plotlyjs()[:2000])
    assert page.index('<h2 id="kpis">') < page.index('<figure id="gantt">') < lib
    assert lib < page.index("report.drawn = report.firstScreen") < page.index("</body>")


def test_report_shows_chinese_labels_with_a_cjk_font_stack(page: str) -> None:
    """设备数控化率 / 工序数控化率 / 设备联网率 are labelled; CJK fonts lead the stack."""
    for label in ("设备数控化率", "工序数控化率", "设备联网率", "数字化车间试点"):
        assert label in page
    assert "Noto Sans CJK SC" in page and "Microsoft YaHei" in page and "PingFang SC" in page


def test_report_kpi_table_formats_shares_and_booleans(run_dir: Path, page: str) -> None:
    """Shares print as percent; threshold booleans as yes/no."""
    kpis = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))["kpis"]
    assert f"{100 * kpis['oee']:.1f} %" in page
    assert "yes ✓" in page or "no ✗" in page
    assert "state_time" not in page.split("<h2>Figures")[0]


def test_report_escapes_names_from_the_run(tmp_path: Path) -> None:
    """A scenario name with markup cannot inject HTML into the report."""
    run = make_run(seed=2, n_jobs=6)
    run.summary["scenario"] = "<script>alert(1)</script>"
    out = write_report(write_run(tmp_path / "r", run), tmp_path / "r.html")
    text = out.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)" in text


def test_report_formats_replicated_kpis_as_mean_and_half_width(tmp_path: Path) -> None:
    """A KPI given as {mean, ci95} prints as 'mean ± half-width unit', with a note."""
    run = make_run(seed=2, n_jobs=6)
    run.summary["kpis"]["oee"] = {"mean": 0.5, "ci95": 0.02, "min": 0.4, "max": 0.6}
    run.summary["kpis"]["lead_time_mean"] = {"mean": 100.0, "ci95": 2.5}
    run.summary["replications"] = 5
    run.summary["warnings"] = ["lot O-7 <late>"]
    page = build_report(read_run(write_run(tmp_path / "r", run)))
    assert "50.0 ± 2.0 %" in page and "100 ± 2.50 min" in page
    assert "over 5 replications" in page
    assert "lot O-7 &lt;late&gt;" in page


def test_read_run_names_the_missing_file_and_bad_column(tmp_path: Path) -> None:
    """Errors name the file, the row and the column."""
    with pytest.raises(RunDirError, match="not a run folder"):
        read_run(tmp_path / "nope")
    d = write_run(tmp_path / "r", make_run(seed=4, n_jobs=4))
    (d / "summary.json").write_text("{", encoding="utf-8")
    with pytest.raises(RunDirError, match=r"summary.json: invalid JSON"):
        read_run(d)
    d = write_run(tmp_path / "r2", make_run(seed=4, n_jobs=4))
    (d / "events.csv").write_text("time,kind\n0,state\n", encoding="utf-8")
    with pytest.raises(RunDirError, match=r"missing column\(s\) \['station'"):
        read_run(d)
    d = write_run(tmp_path / "r3", make_run(seed=4, n_jobs=4))
    lines = (d / "events.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = "soon" + lines[3][lines[3].index(",") :]
    (d / "events.csv").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(RunDirError, match=r"row 2, column 'time': expected a number, got 'soon'"):
        read_run(d)


def test_read_run_without_schedule_still_reports(tmp_path: Path) -> None:
    """schedule.csv is optional: the report shows the executed operations only."""
    d = write_run(tmp_path / "r", make_run(seed=4, n_jobs=4))
    (d / "schedule.csv").unlink()
    run = read_run(d)
    assert run.plan is None
    assert 'id="gantt"' in build_report(run)


# -- CLI: twin report / twin plot ---------------------------------------------------------


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    import twin.cli.report  # noqa: F401  (registers 'report' and 'plot')
    from twin.cli import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def _schedule_json(tmp_path: Path, with_problem: bool) -> tuple[Path, Path]:
    """A 'twin schedule --out x.json' payload for a small instance (serial schedule)."""
    import scheduler

    data = scheduler.ProblemData.from_jobs(
        [[[(0, 3), (1, 4)], [(1, 2)]], [[(1, 5)], [(0, 1)]]], name="mini"
    )
    sched = scheduler.Schedule([0, 1, 1, 0], [0, 3, 5, 10], [3, 5, 10, 11])
    assert scheduler.check(data, sched) == []
    result = scheduler.Result(scheduler.Status.FEASIBLE, "handmade", 11.0, None, 0.0, 0.0, sched)
    payload = {"instance": "mini.json", **result.to_dict(), "rows": sched.to_rows(data)}
    if with_problem:
        payload["problem"] = data.to_dict()
    path = tmp_path / ("with.json" if with_problem else "bare.json")
    path.write_text(json.dumps(payload), encoding="utf-8")
    inst = tmp_path / "mini_instance.json"
    scheduler.write_json(data, inst)
    return path, inst


def test_cli_report_writes_html_next_to_the_run(
    run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'twin report RUN_DIR' writes RUN_DIR/report.html by default."""
    code, out, _ = _cli(["report", str(run_dir)], capsys)
    assert code == 0 and "report.html" in out
    assert (run_dir / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_report_rejects_bad_output_and_folder(
    tmp_path: Path, run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A non-HTML name or a missing run folder is one line on stderr, exit 2."""
    code, _, err = _cli(["report", str(run_dir), "-o", str(tmp_path / "r.pdf")], capsys)
    assert code == 2 and "expected a .html" in err and err.count("\n") == 1
    code, _, err = _cli(["report", str(tmp_path / "missing")], capsys)
    assert code == 2 and "not a run folder" in err


def test_cli_plot_schedule_json_with_and_without_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The JSON's own problem is used; without it --instance is required."""
    with_problem, inst = _schedule_json(tmp_path, True)
    bare, _ = _schedule_json(tmp_path, False)
    out = tmp_path / "gantt.html"
    code, _, err = _cli(["plot", str(with_problem), "-o", str(out)], capsys)
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    assert "makespan 11" in page and '<meta charset="utf-8"' in page
    code, _, err = _cli(["plot", str(bare), "-o", str(out)], capsys)
    assert code == 2 and "--instance" in err
    code, _, err = _cli(["plot", str(bare), "-o", str(out), "--instance", str(inst)], capsys)
    assert code == 0, err


def test_cli_plot_schedule_csv_with_instance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 'twin schedule --out x.csv' file plots with --instance."""
    _, inst = _schedule_json(tmp_path, False)
    csv_path = tmp_path / "plan.csv"
    csv_path.write_text(
        "job,operation,machine,start,end\n0,0,0,0,3\n0,1,1,3,5\n1,0,1,5,10\n1,1,0,10,11\n",
        encoding="utf-8",
    )
    out = tmp_path / "g.html"
    code, _, err = _cli(["plot", str(csv_path), "-o", str(out), "--instance", str(inst)], capsys)
    assert code == 0, err
    assert "makespan 11" in out.read_text(encoding="utf-8")


def test_cli_plot_image_without_kaleido_names_the_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """-o x.png without kaleido: one line naming the [image] extra, exit 2."""
    import twin.cli.report as cli_report

    real = cli_report.importlib.util.find_spec
    monkeypatch.setattr(
        cli_report.importlib.util,
        "find_spec",
        lambda n, *a: None if n == "kaleido" else real(n, *a),
    )
    with_problem, _ = _schedule_json(tmp_path, True)
    code, _, err = _cli(["plot", str(with_problem), "-o", str(tmp_path / "g.png")], capsys)
    assert code == 2
    assert 'pip install "shopfloor-twin[image]"' in err and err.count("\n") == 1


def test_cli_plot_one_figure_of_a_run(
    tmp_path: Path, run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'twin plot RUN_DIR --figure states' writes that figure; unknown names are refused."""
    out = tmp_path / "states.html"
    code, _, err = _cli(["plot", str(run_dir), "-o", str(out), "--figure", "states"], capsys)
    assert code == 0, err
    # Figure JSON escapes non-ASCII text (\uXXXX); the browser test checks it renders.
    assert json.dumps("设备状态")[1:-1] in out.read_text(encoding="utf-8")
    code, _, err = _cli(["plot", str(run_dir), "-o", str(out), "--figure", "pie"], capsys)
    assert code == 2 and "expected one of" in err


@pytest.mark.parametrize("scenario", ["pilot_workshop", "additive_cell", "deterministic_mk01"])
def test_report_of_a_real_twin_run(tmp_path: Path, scenario: str) -> None:
    """A bundled scenario run by the twin: every figure, one Gantt bar per working
    stretch of each executed operation."""
    from tests.twin.plot_fixtures import write_twin_run
    from twin.plot import FIGURE_NAMES, run_figures
    from twin.plot.gantt_hover import HOVER_FIELDS
    from twin.plot.pauses import split_at_pauses
    from twin.runs.frames import operation_intervals, state_intervals

    run = read_run(write_twin_run(tmp_path / scenario, scenario))
    figures = {f.name: f.figure for f in run_figures(run)}
    assert set(figures) >= set(FIGURE_NAMES) - {"oee_stations", "replications"}
    n_ops = int((run.events["kind"] == "op_start").sum())
    pieces = split_at_pauses(operation_intervals(run.events), state_intervals(run.events))
    assert int((pieces["piece"] == 0).sum()) == n_ops  # each operation starts one piece
    actual = [t for t in figures["gantt"].data if t.type == "bar" and t.meta == "actual"]
    assert sum(len(t.x) for t in actual) == len(pieces) >= n_ops > 0
    page = build_report(run)
    tables = page.count('class="table-figure"')  # the orders, as an HTML table
    assert page.count('class="plotly-graph-div"') + tables == len(figures)
    assert html.escape(str(run.summary["scenario"])) in page
    # hover names each operation by its routing step, and the lot's due time if any
    steps = {name for names in run.summary["products"].values() for name in names}
    op, due = HOVER_FIELDS.index("operation"), HOVER_FIELDS.index("due")
    hover_ops = {str(row[op]) for t in actual for row in t.customdata}
    assert hover_ops and hover_ops <= steps
    dated = any(job.get("due") is not None for job in run.summary["jobs"])
    assert any(" · due " in str(row[due]) for t in actual for row in t.customdata) == dated


def test_cli_plot_run_gantt_stacked_by_job(
    tmp_path: Path, run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--mode stacked --color-by job: plan and actual on two axes; bad values refused."""
    out = tmp_path / "g.html"
    argv = ["plot", str(run_dir), "-o", str(out), "--mode", "stacked", "--color-by", "job"]
    code, _, err = _cli(argv, capsys)
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    assert '"yaxis":"y2"' in page.replace(" ", "")
    code, _, err = _cli([*argv[:4], "--mode", "sideways"], capsys)
    assert code == 2 and "overlay or stacked" in err


def test_report_of_an_empty_or_partial_log_still_renders(tmp_path: Path) -> None:
    """No events, or an operation still running: a valid page, no crash."""
    d = tmp_path / "r"
    d.mkdir()
    (d / "summary.json").write_text(json.dumps({"scenario": "empty", "kpis": {}}), encoding="utf-8")
    header = "time,kind,station,job,operation,state,value,product\n"
    (d / "events.csv").write_text(header, encoding="utf-8")
    assert "<h1>" in build_report(read_run(d))
    (d / "events.csv").write_text(
        header
        + "0,release,,0,-1,,1,p\n0,op_start,m1,0,0,,0,p\n5,state,m1,-1,-1,busy,0,\n"
        + "9,buffer,b1,-1,-1,,2,\n",
        encoding="utf-8",
    )
    page = build_report(read_run(d))
    assert 'id="gantt"' in page and 'id="states"' in page


@pytest.mark.browser
def test_cli_plot_png_and_svg_with_kaleido(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the [image] extra installed, -o x.png / x.svg write real images."""
    pytest.importorskip(
        "kaleido", reason='needs the image extra: pip install "shopfloor-twin[image]"'
    )
    with_problem, _ = _schedule_json(tmp_path, True)
    for name, magic in (("g.png", b"\x89PNG"), ("g.svg", b"<svg")):
        code, _, err = _cli(["plot", str(with_problem), "-o", str(tmp_path / name)], capsys)
        assert code == 0, err
        assert (tmp_path / name).read_bytes()[:4] == magic


def test_time_axes_read_in_calendar_time_when_the_run_has_a_start(tmp_path: Path) -> None:
    """The pilot starts Monday 2026-01-05 06:00: the first tick of its time axes is the
    next midnight, 18 h = 1,080 min in, labelled by weekday and date; a run without a
    start keeps model time."""
    from tests.twin.plot_fixtures import write_twin_run
    from twin.plot import run_figures
    from twin.plot.style import calendar_axis

    run = read_run(write_twin_run(tmp_path / "pilot", "pilot_workshop"))
    assert run.summary["start"] == "2026-01-05T06:00:00"
    figures = {f.name: f.figure for f in run_figures(run, ("gantt", "states", "wip"))}
    for name, fig in figures.items():
        axis = fig.layout.xaxis
        assert axis.tickvals[0] == pytest.approx(1080.0), name
        assert axis.ticktext[0] == "Tue 01-06" and axis.ticktext[1] == "Wed 01-07", name
        assert axis.tickvals[1] - axis.tickvals[0] == pytest.approx(1440.0)
    mk01 = read_run(write_twin_run(tmp_path / "mk01", "deterministic_mk01"))
    assert mk01.summary["start"] is None
    gantt = next(f.figure for f in run_figures(mk01, ("gantt",)))
    assert gantt.layout.xaxis.tickvals is None
    # past 60 days: Mondays only
    from datetime import datetime

    import plotly.graph_objects as go

    fig = calendar_axis(go.Figure(), "h", datetime(2026, 1, 7, 12), 24 * 90)
    assert all(t.startswith("Mon") for t in fig.layout.xaxis.ticktext)
    # a log that runs on for 65 years (3,393 weekly labels took Chromium minutes to draw):
    # at most 60 labels, every few Mondays, with the year; the grid thinned the same way
    from twin.plot.style import time_axis

    long = calendar_axis(
        time_axis(go.Figure(), "min", 34_204_590), "min", datetime(2026, 1, 5), 34_204_590
    )
    ticks = long.layout.xaxis.ticktext
    assert (
        50 <= len(ticks) <= 60 and ticks[0] == "Mon 2026-01-05" and ticks[-1].startswith("Mon 209")
    )
    assert 34_204_590 / long.layout.xaxis.minor.dtick <= 400
