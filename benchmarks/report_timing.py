"""How long a report takes to open and to zoom its Gantt in headless Chromium.

A copy of the report gets two small scripts: the first, right after the embedded
plotly.js, wraps ``Plotly.newPlot`` to keep each figure's promise; the second, at the
end of the body, waits for every figure to be drawn (and one more animation frame, so
the page has painted), then zooms the Gantt ``ZOOMS`` times to a two-day window in the
middle of the run and back to the whole run (``Plotly.relayout``, what a drag-zoom and
a double-click do), and resolves ``window.__twinDone`` with the timings. Python reads
them over the DevTools protocol on ``--remote-debugging-pipe`` (the standard library is
enough; no puppeteer, no websocket package). Not ``--dump-dom`` with
``--virtual-time-budget``: under virtual time ``performance.now()`` stands still while
scripts run, so every zoom would read 0 ms.

- ``load_ms``: ``performance.now()`` when every figure is drawn and painted: from the
  start of navigation, so it includes reading the file and parsing plotly.js (a report
  with the loader of :mod:`twin.plot.report_js`: once ``__twinReport.drawn`` resolves);
- ``first_screen_ms``: the same for the figures on the first screen (1400 x 1000), and
  ``fcp_ms`` the browser's first contentful paint;
- ``zoom_ms`` / ``unzoom_ms``: each relayout until its promise resolves and the next
  frame is painted;
- with ``--cpu``, ``cpu_ms``: the page's main-thread CPU time until every figure is
  drawn (a Chromium trace): steadier than wall time on a shared machine.

Run (prints one JSON line per report; medians over ``--runs`` fresh browser starts)::

    .venv/bin/python benchmarks/report_timing.py report.html [more.html] --runs 5
    .venv/bin/python benchmarks/report_timing.py --pilot --runs 5   # builds the pilot report
    .venv/bin/python benchmarks/report_timing.py before.html after.html --runs 5 --cpu

``benchmarks/test_bench_report_browser.py`` runs the same under pytest-benchmark.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
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
ZOOMS = 3

_AFTER_PLOTLY = """<script>
window.__plots = [];
if (window.Plotly) { (function () { var np = Plotly.newPlot; Plotly.newPlot = function () {
  var p = np.apply(Plotly, arguments); window.__plots.push(p); return p; }; })(); }
</script>"""

_TAIL = """<script>
function __frame() { return new Promise(function (r) { requestAnimationFrame(function () {
  setTimeout(r, 0); }); }); }
window.__twinDone = new Promise(function (resolve) {
window.addEventListener("load", async function () {
  var out = {errors: [], zoom_ms: [], unzoom_ms: []};
  try {
    var report = window.__twinReport || {};
    if (report.drawn) {  // the report's own loader: first screen, then every figure
      await report.firstScreen; await __frame(); out.first_screen_ms = performance.now();
      await report.drawn; await __frame();
    } else {  // an older report: every figure drawn inline before "load"
      await Promise.all(window.__plots); await __frame();
      out.first_screen_ms = performance.now();
    }
    out.load_ms = performance.now(); performance.mark("twin-drawn");
    var fcp = performance.getEntriesByName("first-contentful-paint")[0];
    out.fcp_ms = fcp ? fcp.startTime : null;
    var plots = Array.prototype.slice.call(document.querySelectorAll(".js-plotly-plot"));
    out.plots = plots.length;
    out.drawn = plots.filter(function (p) { return p.querySelector(".main-svg"); }).length;
    var gd = document.querySelector("#gantt .js-plotly-plot");
    out.gantt_svg_bars = gd ? gd.querySelectorAll(".bars .point").length : 0;
    if (gd) {
      var r = gd._fullLayout.xaxis.range.slice(), mid = (r[0] + r[1]) / 2;
      var span = {s: 2 * 86400, min: 2 * 1440, h: 48}[%UNIT%] || (r[1] - r[0]) / 15;
      for (var i = 0; i < %ZOOMS%; i++) {
        var t = performance.now();
        await Plotly.relayout(gd, {"xaxis.range": [mid - span / 2, mid + span / 2]});
        await __frame(); out.zoom_ms.push(performance.now() - t);
        t = performance.now();
        await Plotly.relayout(gd, {"xaxis.range": r});
        await __frame(); out.unzoom_ms.push(performance.now() - t);
      }
    }
  } catch (e) { out.errors.push(String(e)); }
  resolve(out);
}); });
</script>"""


def probed(page: str, time_unit: str) -> str:
    """The report with the timing scripts put in (plotly.js must be embedded inline)."""
    head_end = page.index("</head>")
    page = page[:head_end] + _AFTER_PLOTLY + page[head_end:]
    tail = _TAIL.replace("%ZOOMS%", str(ZOOMS)).replace("%UNIT%", json.dumps(time_unit))
    return page.replace("</body>", tail + "</body>", 1)


class _Pipe:
    """The DevTools protocol over ``--remote-debugging-pipe`` (fd 3 in, fd 4 out; JSON
    messages ended by a NUL byte): enough of it to open a page and evaluate scripts."""

    def __init__(self, profile: Path, window: str = "1400,1000") -> None:
        to_chrome, self._ours = os.pipe()
        self._theirs, from_chrome = os.pipe()

        def fds() -> None:  # in the child, before exec: the pipe ends become fds 3 and 4
            os.dup2(to_chrome, 3)
            os.dup2(from_chrome, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--window-size={window}",
             "--remote-debugging-pipe", "about:blank"],
            preexec_fn=fds,  # a single-threaded caller: safe before exec
            pass_fds=(3, 4),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_chrome)
        os.close(from_chrome)
        self._buf = b""
        self._n = 0

    def send(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        """Send one command; skip events until its answer; return its ``result``."""
        self._n += 1
        msg: dict[str, Any] = {"id": self._n, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._ours, json.dumps(msg).encode() + b"\0")
        while True:
            while b"\0" not in self._buf:
                chunk = os.read(self._theirs, 1 << 16)
                if not chunk:
                    raise RuntimeError(f"chromium closed the pipe during {method}")
                self._buf += chunk
            raw, self._buf = self._buf.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self._n:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def receive(self) -> dict[str, Any]:
        """The next message (an event or an answer) from the browser."""
        while b"\0" not in self._buf:
            chunk = os.read(self._theirs, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return dict(json.loads(raw))

    def trace_events(self) -> list[dict[str, Any]]:
        """End the trace started by ``Tracing.start`` and return its events."""
        self._n += 1
        os.write(self._ours, json.dumps({"id": self._n, "method": "Tracing.end"}).encode() + b"\0")
        events: list[dict[str, Any]] = []
        while True:
            msg = self.receive()
            if msg.get("method") == "Tracing.dataCollected":
                events += msg["params"]["value"]
            elif msg.get("method") == "Tracing.tracingComplete":
                return events

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._ours)
        os.close(self._theirs)


def main_thread_cpu_ms(events: list[dict[str, Any]]) -> float:
    """CPU time of the page's main thread (the ``tdur`` of its top-level tasks) from the
    start of the trace until the ``twin-drawn`` mark: steadier than wall time on a
    machine shared with other work."""
    marks = [e for e in events if e.get("name") == "twin-drawn"]
    if not marks:
        return math.nan
    thread, until = (marks[0]["pid"], marks[0]["tid"]), marks[0]["ts"]
    tasks = sorted(
        (
            e
            for e in events
            if (e.get("pid"), e.get("tid")) == thread
            and e.get("ph") == "X"
            and e.get("name") in ("ThreadControllerImpl::RunTask", "RunTask")
            and "tdur" in e
        ),
        key=lambda e: e["ts"],
    )
    total, end = 0.0, -1.0
    for e in tasks:  # top-level tasks only (nested ones are inside their parent's time)
        if e["ts"] >= end and e["ts"] < until:
            total += e["tdur"]
            end = e["ts"] + e["dur"]
    return total / 1e3


def open_once(
    report: Path, time_unit: str = "min", timeout: float = 300.0, cpu: bool = False
) -> dict[str, Any]:
    """One fresh headless Chromium: open the probed report, return its timings (and,
    with ``cpu``, ``cpu_ms``: :func:`main_thread_cpu_ms` from a Chromium trace)."""
    with tempfile.TemporaryDirectory(prefix="twin-timing-") as tmp:
        page = Path(tmp) / "probed.html"
        page.write_text(probed(report.read_text(encoding="utf-8"), time_unit), encoding="utf-8")
        cdp = _Pipe(Path(tmp) / "profile")
        try:
            if cpu:
                categories = ["devtools.timeline", "blink.user_timing", "toplevel"]
                cdp.send(
                    "Tracing.start",
                    {"traceConfig": {"includedCategories": categories}},
                )
            target = cdp.send("Target.createTarget", {"url": page.as_uri()})["targetId"]
            session = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            deadline = time.monotonic() + timeout
            while True:  # the timing script sets window.__twinDone once it has run
                ready = cdp.send(
                    "Runtime.evaluate",
                    {"expression": "!!window.__twinDone", "returnByValue": True},
                    session,
                )
                if ready.get("result", {}).get("value"):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{report}: no timings after {timeout:.0f} s")
                time.sleep(0.05)
            done = cdp.send(
                "Runtime.evaluate",
                {"expression": "window.__twinDone", "awaitPromise": True, "returnByValue": True},
                session,
            )
            out = dict(done["result"]["value"])
            if cpu:
                out["cpu_ms"] = main_thread_cpu_ms(cdp.trace_events())
        finally:
            cdp.close()
    return out


def summarise(report: Path, each: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the browser starts in ``each`` (and over every zoom of every one)."""
    zooms = [z for r in each for z in r["zoom_ms"]]
    unzooms = [z for r in each for z in r["unzoom_ms"]]
    return {
        "report": str(report),
        "mb": round(report.stat().st_size / 1e6, 2),
        "runs": len(each),
        "load_ms_median": round(statistics.median(r["load_ms"] for r in each)),
        "first_screen_ms_median": round(statistics.median(r["first_screen_ms"] for r in each)),
        "fcp_ms_median": round(statistics.median(r["fcp_ms"] or 0 for r in each)),
        "load_ms_all": [round(r["load_ms"]) for r in each],
        "cpu_ms_median": (
            round(statistics.median(r["cpu_ms"] for r in each)) if "cpu_ms" in each[0] else None
        ),
        "zoom_ms_median": round(statistics.median(zooms)) if zooms else None,
        "unzoom_ms_median": round(statistics.median(unzooms)) if unzooms else None,
        "zoom_ms_max": round(max(zooms + unzooms)) if zooms else None,
        "plots": each[0]["plots"],
        "drawn": each[0]["drawn"],
        "gantt_svg_bars": each[0]["gantt_svg_bars"],
        "errors": sorted({e for r in each for e in r["errors"]}),
    }


def measure(
    reports: list[Path], runs: int = 5, time_unit: str = "min", cpu: bool = False
) -> list[dict[str, Any]]:
    """Each report opened ``runs`` times in fresh browsers, the reports taking turns (so
    a busy spell on a shared machine hits all of them alike); one summary per report."""
    each: list[list[dict[str, Any]]] = [[] for _ in reports]
    for _ in range(runs):
        for i, report in enumerate(reports):
            each[i].append(open_once(report, time_unit, cpu=cpu))
    return [summarise(r, e) for r, e in zip(reports, each, strict=True)]


def pilot_report(folder: Path, weeks: int = 1) -> Path:
    """A twin run of scenarios/pilot_workshop.yaml (4 weeks of orders, about 36 days
    of simulated time at ``weeks=1``) and its report, in ``folder``."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.twin.plot_fixtures import write_twin_run
    from twin.plot.report import write_report

    run = write_twin_run(folder / "run", "pilot_workshop", weeks=weeks)
    return write_report(run, folder / "report.html")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="*", type=Path)
    parser.add_argument("--pilot", action="store_true", help="build and time the pilot report")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--time-unit", default="min")
    parser.add_argument(
        "--cpu", action="store_true", help="also the page's main-thread CPU time (a trace)"
    )
    args = parser.parse_args(argv)
    reports = list(args.reports)
    with tempfile.TemporaryDirectory(prefix="twin-pilot-") as tmp:
        if args.pilot:
            reports.append(pilot_report(Path(tmp)))
        for line in measure(reports, args.runs, args.time_unit, args.cpu):
            print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
