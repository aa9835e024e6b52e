"""The report as a person sees it: opened in headless Chromium, offline.

A copy of the report gets a small probe script: it records JavaScript errors from the
first line on and, after load, writes a JSON status (errors, plot containers, drawn
SVGs, bars in the Gantt) into the DOM, which ``chromium --dump-dom`` prints.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.twin.plot_fixtures import make_run, write_run, write_twin_run
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

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PROBE_HEAD = """<script>
window.__errs = [];
function __push(x) { window.__errs.push(String(x)); }
window.addEventListener("error", function (e) { __push(e.message); });
window.addEventListener("unhandledrejection", function (e) { __push(e.reason); });
(function () { var ce = console.error; console.error = function () {
  __push(Array.prototype.join.call(arguments, " ")); ce.apply(console, arguments); }; })();
</script>"""

PROBE_TAIL = """<script>
window.addEventListener("load", function () { setTimeout(function () {
  var plots = Array.prototype.slice.call(document.querySelectorAll(".js-plotly-plot"));
  var status = {
    errors: window.__errs,
    divs: document.querySelectorAll(".plotly-graph-div").length,
    plots: plots.length,
    drawn: plots.filter(function (p) { return p.querySelector(".main-svg"); }).length,
    empty: plots.filter(function (p) { return !p.querySelector(".main-svg"); })
      .map(function (p) { return p.id; }),
    gantt_bars: document.querySelectorAll("#gantt .bars .point").length,
    plotly: typeof window.Plotly
  };
  var pre = document.createElement("pre"); pre.id = "twin-status";
  pre.textContent = JSON.stringify(status); document.body.appendChild(pre);
}, 300); });
</script>"""


def _chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def probe(report: Path, tmp: Path) -> dict[str, Any]:
    """Open a probed copy of ``report`` and return the status the page wrote."""
    page = report.read_text(encoding="utf-8")
    page = page.replace('<meta charset="utf-8">', '<meta charset="utf-8">' + PROBE_HEAD, 1)
    page = page.replace("</body>", PROBE_TAIL + "</body>", 1)
    probed = tmp / "probed.html"
    probed.write_text(page, encoding="utf-8")
    done = _chromium(["--virtual-time-budget=15000", "--dump-dom", probed.as_uri()], tmp)
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
    assert status["gantt_bars"] >= 2 * 100  # executed bars and their plan outlines


def test_report_screenshot_is_written(report: Path, tmp_path: Path) -> None:
    """The page paints into a full-size screenshot."""
    png = screenshot(report, tmp_path / "report.png", tmp_path)
    assert png.exists() and png.stat().st_size > 50_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
