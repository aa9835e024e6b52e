"""The report as a person sees it: opened in headless Chromium, offline.

A copy of the report gets a small probe script: it records JavaScript errors from the
first line on and, once the report's loader has drawn every figure
(``window.__twinReport.drawn``), runs a check in the page and writes its JSON result
(errors, plot containers, drawn SVGs, bars in the Gantt, hover text, ...) into the DOM,
which ``chromium --dump-dom`` prints. Speed is measured elsewhere
(``benchmarks/report_timing.py``): under ``--virtual-time-budget`` the page's clock
stands still while scripts run.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.report_timing import FLAGS as CHROME_FLAGS
from tests.twin.plot_fixtures import make_run, write_run, write_twin_run
from twin.plot.gantt_hover import HOVER_FIELDS
from twin.plot.report import write_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="needs headless Chromium (/usr/bin/chromium): "
        "apt-get install chromium fonts-noto-cjk",
    ),
]

FLAGS = CHROME_FLAGS  # the same headless Chromium as benchmarks/report_timing.py

PROBE_HEAD = """<script>
window.__errs = [];
function __push(x) { window.__errs.push(String(x)); }
window.addEventListener("error", function (e) { __push(e.message); });
window.addEventListener("unhandledrejection", function (e) { __push(e.reason); });
(function () { var ce = console.error; console.error = function () {
  __push(Array.prototype.join.call(arguments, " ")); ce.apply(console, arguments); }; })();
</script>"""

PROBE_TAIL = """<script>
window.addEventListener("load", function () {
  var report = window.__twinReport || {};
  Promise.resolve(report.drawn).then(function () {
    return new Promise(function (r) { setTimeout(r, 100); });
  }).then(async function () {
    var plots = Array.prototype.slice.call(document.querySelectorAll(".js-plotly-plot"));
    var status = {
      errors: window.__errs,
      divs: document.querySelectorAll(".plotly-graph-div").length,
      plots: plots.length,
      drawn: plots.filter(function (p) { return p.querySelector(".main-svg"); }).length,
      empty: plots.filter(function (p) { return !p.querySelector(".main-svg"); })
        .map(function (p) { return p.id; }),
      gantt_bars: document.querySelectorAll("#gantt .bars .point").length,
      plotly: typeof window.Plotly,
      // a margin plotly had to grow for a label: the figure was drawn twice
      grown: plots.filter(function (p) {
        var m = p._fullLayout.margin, s = p._fullLayout._size;
        return s.l > m.l || s.r > m.r || s.t > m.t || s.b > m.b;
      }).map(function (p) { return p.id; }),
      tables: document.querySelectorAll("figure .table-figure tbody tr").length
    };
    var states = document.querySelector("#states .js-plotly-plot");
    var heat = states && states.data.filter(function (t) { return t.type === "heatmap"; })[0];
    if (heat) status.states_text = [heat.text.length, heat.text[0].length,
      Array.from(new Set([].concat.apply([], heat.text.map(function (r) {
        return Array.prototype.slice.call(r); }))))];
    try { status.check = await (%CHECK%)(document.querySelector("#gantt .js-plotly-plot")); }
    catch (e) { window.__errs.push("check: " + e); }
    var pre = document.createElement("pre"); pre.id = "twin-status";
    pre.textContent = JSON.stringify(status); document.body.appendChild(pre);
  });
});
</script>"""


def _chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def probe(
    report: Path, tmp: Path, check: str = "async function (gd) { return null; }"
) -> dict[str, Any]:
    """Open a probed copy of ``report``; ``check(gd)`` (JavaScript, given the Gantt's plot
    div) runs once every figure is drawn; return the status the page wrote."""
    page = report.read_text(encoding="utf-8")
    page = page.replace('<meta charset="utf-8">', '<meta charset="utf-8">' + PROBE_HEAD, 1)
    page = page.replace("</body>", PROBE_TAIL.replace("%CHECK%", check) + "</body>", 1)
    probed = tmp / "probed.html"
    probed.write_text(page, encoding="utf-8")
    # the window of benchmarks/report_timing.py: margins are fitted to this width
    args = ["--window-size=1400,1000", "--virtual-time-budget=15000", "--dump-dom"]
    done = _chromium([*args, probed.as_uri()], tmp)
    match = re.search(r'<pre id="twin-status">(.*?)</pre>', done.stdout, re.S)
    assert match, f"no status in the DOM; chromium said: {done.stderr[-2000:]}"
    return json.loads(html.unescape(match.group(1)))


def screenshot(report: Path, png: Path, tmp: Path, height: int = 4000) -> Path:
    """A full-width screenshot of the report (look at it: labels, legends, CJK)."""
    _chromium(
        [
            "--virtual-time-budget=15000",
            f"--screenshot={png}",
            f"--window-size=1400,{height}",
            report.as_uri(),
        ],
        tmp,
    )
    return png


@pytest.fixture(scope="module", params=["synthetic", "pilot_workshop"])
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic 40-lot run, and a real twin run of the bundled pilot workshop."""
    tmp = tmp_path_factory.mktemp("browser")
    if request.param == "synthetic":
        run_dir = write_run(tmp / "run", make_run(seed=0, n_jobs=40, ops_per_job=4))
    else:
        run_dir = write_twin_run(tmp / "run", request.param)
    return write_report(run_dir, tmp / "report.html")


def test_report_renders_every_figure_without_javascript_errors(
    report: Path, tmp_path: Path
) -> None:
    """Offline, every plot container draws its SVG and no script error occurs."""
    status = probe(report, tmp_path)
    assert status["errors"] == []
    assert status["plotly"] == "object"
    assert status["divs"] == status["plots"] == status["drawn"] >= 7, status["empty"]
    assert status["gantt_bars"] >= 200  # executed pieces (and plan outlines, when planned)
    # margins fit every label (twin.plot.style.fit_margins): each figure drawn once
    assert status["grown"] == []
    if "pilot" in report.parent.name:  # orders as an HTML table, one row per lot
        summary = json.loads((report.parent / "run" / "summary.json").read_text("utf-8"))
        assert status["tables"] == len(summary["jobs"]) > 0


def test_state_timeline_hover_names_are_rebuilt_in_the_page(tmp_path: Path) -> None:
    """A long run's state timeline (the pilot: 45,000 intervals) is a heatmap whose
    per-cell hover texts are left out of the page (``meta.ztext``) and rebuilt by the
    loader: every row and bin has one, and they are the run's state names."""
    run_dir = write_twin_run(tmp_path / "run", "pilot_workshop")
    from twin.plot.report import build_report
    from twin.runs.read import read_run

    run = read_run(run_dir)
    page = tmp_path / "states.html"
    page.write_text(build_report(run, ("states",)), encoding="utf-8")
    found = re.search(r'class="twin-figure" data-div="[^"]+">(.*?)</script>', page.read_text())
    assert found is not None
    spec = json.loads(found.group(1))
    heat = next(t for t in spec["data"] if t["type"] == "heatmap")
    assert "text" not in heat and heat["meta"]["ztext"][0] == "no log"
    status = probe(page, tmp_path)
    assert status["errors"] == [] and status["drawn"] == 1
    rows, cols, names = status["states_text"]
    z = np.frombuffer(base64.b64decode(heat["z"]["bdata"]), dtype=heat["z"]["dtype"])
    assert rows * cols == z.size and cols == 1500
    assert set(names) == {heat["meta"]["ztext"][k] for k in np.unique(z)}
    assert set(names) <= set(run.events["state"].dropna().unique()) | {"no log"}


def test_report_screenshot_is_written(report: Path, tmp_path: Path) -> None:
    """The page paints into a full-size screenshot."""
    png = screenshot(report, tmp_path / "report.png", tmp_path)
    assert png.exists() and png.stat().st_size > 50_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _size(values: Any) -> int:
    """Length of an array in figure JSON: a list, or plotly.py's ``{dtype, bdata}``."""
    if isinstance(values, dict):
        return len(np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]))
    return len(values)


def _gantt_spec(report: Path) -> dict[str, Any]:
    """The Gantt's figure JSON as the page holds it."""
    page = report.read_text(encoding="utf-8")
    match = re.search(
        r'<figure id="gantt">.*?<script type="application/json" class="twin-figure" '
        r'data-div="[^"]+">(.*?)</script>',
        page,
        re.S,
    )
    assert match, "no Gantt JSON in the page"
    return dict(json.loads(match.group(1)))


@pytest.fixture(scope="module")
def planned_pilot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pilot workshop following a plan (a dispatch-rule schedule, then executed), so
    its Gantt has plan outlines and paused operations split over nights and weekends."""
    tmp = tmp_path_factory.mktemp("planned")
    return write_report(
        write_twin_run(tmp / "run", "pilot_workshop", method="dispatch"), tmp / "r.html"
    )


CLOCK = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) 20\d\d-\d\d-\d\d \d\d:\d\d$")

HOVER_CHECK = """async function (gd) {
  var bars = gd._fullData.filter(function (t) { return t.type === "bar"; });
  var pick = null;
  gd.data.forEach(function (t, i) {
    if (pick || t.meta !== "actual") return;
    for (var j = 0; j < t.customdata.length; j++)
      if (String(t.customdata[j][4]).indexOf("piece 段 2 of") >= 0) { pick = [i, j]; break; }
  });
  Plotly.Fx.hover(gd, [{curveNumber: pick[0], pointNumber: pick[1]}]);
  await new Promise(function (r) { setTimeout(r, 100); });
  var legend = {};
  gd.querySelectorAll(".legend .traces").forEach(function (tr) {
    var point = tr.querySelector(".legendpoints path");
    var name = tr.querySelector(".legendtext").textContent;
    var style = point && getComputedStyle(point);
    legend[name] = style ? [style.fill, style.fillOpacity] : null;
  });
  return {
    bars: bars.reduce(function (n, t) { return n + t.x.length; }, 0),
    drawn: gd.querySelectorAll(".bars .point").length,
    label: Array.prototype.map.call(gd.querySelectorAll(".hoverlayer .hovertext text"),
      function (t) { return t.textContent; }).join(" | "),
    picked: gd.data[pick[0]].customdata[pick[1]],
    legend: legend
  };
}"""


def test_gantt_splits_paused_operations_and_hovers_their_clock_times(
    planned_pilot: Path, tmp_path: Path
) -> None:
    """In the page's Gantt JSON every executed operation is one bar per working stretch,
    and every piece's hover fields name the whole operation: step name, actual start and
    end as weekday + date + clock, working time and piece, planned times, due date. In
    Chromium every piece is drawn, the hover label shows those lines, and the off-shift
    legend swatch is filled with the band's own colour."""
    spec = _gantt_spec(planned_pilot)
    field = {name: i for i, name in enumerate(HOVER_FIELDS)}
    rows = [r for t in spec["data"] if t.get("meta") == "actual" for r in t["customdata"]]
    summary = json.loads((planned_pilot.parent / "run" / "summary.json").read_text("utf-8"))
    events = (planned_pilot.parent / "run" / "events.csv").read_text("utf-8")
    n_ops = events.count(",op_start,")
    assert len(rows) > n_ops > 100  # paused operations are drawn in several pieces
    firsts = [r for r in rows if "piece 段 1 of" in r[field["duration"]]]
    assert firsts and all(r[field["duration"]].split(" ")[1] in ("min", "h", "d") for r in firsts)
    steps = {name for names in summary["products"].values() for name in names}
    assert {r[field["operation"]] for r in rows} <= steps
    assert all(CLOCK.match(r[field["start"]]) and CLOCK.match(r[field["end"]]) for r in rows)
    assert all(r[field["plan"]].startswith("<br>planned 计划 ") for r in rows)
    assert all(r[field["due"]].startswith(" · due 交期 ") for r in rows)  # every lot has one
    plan_slots = sum(_size(t["x"]) for t in spec["data"] if t.get("meta") == "plan")
    schedule = (planned_pilot.parent / "run" / "schedule.csv").read_text("utf-8")
    assert plan_slots == len(schedule.splitlines()) - 1  # every planned (lot, operation)

    status = probe(planned_pilot, tmp_path, HOVER_CHECK)
    assert status["errors"] == []
    check = status["check"]
    # every bar is drawn: pieces, plan outlines, setups, breakdowns (and the swatch's null)
    assert check["drawn"] == check["bars"] > len(rows)
    for text in ("actual 实际", "planned 计划", "piece 段 2 of", "due 交期", check["picked"][1]):
        assert text in check["label"], check["label"]
    band = next(t for t in spec["data"] if t["type"] == "heatmap")
    off_fill = band["colorscale"][3][1].replace(" ", "")  # code 1: off shift
    fill, opacity = check["legend"]["off shift 非班次"]
    swatch = fill.replace(" ", "").replace("rgb(", "rgba(")[:-1] + f",{float(opacity):g})"
    assert swatch == off_fill


LOD_CHECK = """async function (gd) {
  var lod = gd.layout.meta.lod, ov = lod.overview;
  function count() { return gd.querySelectorAll(".bars .point").length; }
  var out = {culled: lod.culled.length, max: lod.max_bars};
  out.overview0 = gd.data[ov].visible; out.bars0 = count();
  var r = gd._fullLayout.xaxis.range.slice(), w = (r[1] - r[0]) / 200;
  var lo = r[0] + 100 * w, hi = lo + w;
  await Plotly.relayout(gd, {"xaxis.range": [lo, hi]});
  out.overview1 = gd.data[ov].visible; out.bars1 = count(); out.outside = 0;
  lod.culled.forEach(function (i) {
    var t = gd.data[i];
    for (var k = 0; k < t.x.length; k++)
      if (!(t.base[k] < hi + w && t.base[k] + t.x[k] > lo - w)) out.outside++;
  });
  await Plotly.relayout(gd, {"xaxis.autorange": true});
  out.overview2 = gd.data[ov].visible; out.bars2 = count();
  return out;
}"""


def test_large_gantt_switches_between_overview_and_the_bars_in_view(tmp_path: Path) -> None:
    """10,000 operations (over 11,000 pieces): the report opens the Gantt on its overview
    image with one bar per trace (for the legend); zoomed to a short window it draws only
    the bars of that window and its neighbours, never more than the budget; reset, it
    shows the overview again."""
    from twin.plot.report import build_report
    from twin.runs.read import read_run

    run = read_run(
        write_run(tmp_path / "run", make_run(seed=5, n_jobs=1000, ops_per_job=10, n_units=20))
    )
    page = tmp_path / "gantt.html"
    page.write_text(build_report(run, ("gantt",)), encoding="utf-8")
    spec = _gantt_spec(page)
    bars = sum(_size(t["x"]) for t in spec["data"] if t["type"] == "bar")
    assert bars > 3 * spec["layout"]["meta"]["lod"]["max_bars"]

    status = probe(page, tmp_path, LOD_CHECK)
    assert status["errors"] == [] and status["drawn"] == status["plots"] == 1
    check = status["check"]
    assert check["overview0"] is True, check and check["bars0"] <= check["culled"]
    assert check["overview1"] is False and 0 < check["bars1"] <= check["max"]
    assert check["outside"] == 0
    assert check["overview2"] is True and check["bars2"] <= check["culled"]
