"""Report generation: wall time and HTML size, pilot-size and 10,000-operation runs.

Run: ``python -m pytest benchmarks/test_bench_report.py --benchmark-columns=median,iqr,rounds``
``extra_info`` holds the HTML size (total and without the embedded plotly.js, which is
the same ~4.8 MB for every report), the event count and the figure count. Each
benchmark also checks that every figure made it into the page and that the Gantt has
one bar per working stretch of every operation, so speed cannot hide a missing chart.
"""

from __future__ import annotations

from pathlib import Path

import plotly.offline
import pytest

from tests.twin.plot_fixtures import make_run, write_run, write_twin_run
from twin.plot import FIGURE_NAMES, run_figures
from twin.plot.pauses import split_at_pauses
from twin.plot.report import write_report
from twin.runs.frames import operation_intervals, state_intervals
from twin.runs.read import read_run

SIZES = {
    # Synthetic (tests/twin/plot_fixtures.make_run): 7 units, 60 lots x 5 operations;
    # 20 units, 1,000 lots x 10 operations.
    "synthetic-300-ops": dict(n_jobs=60, ops_per_job=5, n_units=None),
    "synthetic-10k-ops": dict(n_jobs=1000, ops_per_job=10, n_units=20),
    # Real twin runs of scenarios/pilot_workshop.yaml (mwkr dispatch): its one week of
    # orders (~130 operations), and the same orders repeated for 80 weeks (~11,700).
    "twin-pilot-1-week": dict(weeks=1),
    "twin-pilot-80-weeks": dict(weeks=80),
}
PLOTLY_JS = len(plotly.offline.get_plotlyjs().encode("utf-8"))


@pytest.fixture(scope="module", params=sorted(SIZES))
def run_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = SIZES[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    if request.param.startswith("twin-"):
        return write_twin_run(folder, "pilot_workshop", **spec)
    return write_run(folder, make_run(seed=0, **spec))


@pytest.mark.benchmark(group="report")
def test_report_generation(benchmark, run_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Read the run folder, build every figure, write one self-contained HTML file."""
    out = tmp_path / "report.html"
    path = benchmark.pedantic(write_report, args=(run_dir, out), rounds=3, iterations=1)
    page = path.read_text(encoding="utf-8")
    run = read_run(run_dir)
    n_ops = len(operation_intervals(run.events))
    figures = page.count('class="plotly-graph-div"') + page.count('class="table-figure"')
    assert figures == len(FIGURE_NAMES) - 1  # one replication; the orders as an HTML table
    gantt = next(f.figure for f in run_figures(run, ("gantt",)))
    actual = [t for t in gantt.data if t.type == "bar" and t.meta == "actual"]
    # one bar per working stretch: each operation split where its unit paused
    pieces = split_at_pauses(operation_intervals(run.events), state_intervals(run.events))
    assert sum(len(t.x) for t in actual) == len(pieces) >= n_ops
    size = path.stat().st_size
    benchmark.extra_info.update(
        operations=n_ops,
        events=len(run.events),
        html_mb=round(size / 1e6, 2),
        html_mb_without_plotlyjs=round((size - PLOTLY_JS) / 1e6, 2),
        gantt_traces=len(gantt.data),
    )
