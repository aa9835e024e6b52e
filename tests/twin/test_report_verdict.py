"""The report's verdict block, the bottleneck ranking and durations in calendar words."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from tests.twin.plot_fixtures import make_run, write_run, write_twin_run
from twin.plot.bottleneck import bottleneck_bars, processing_units, rank_units
from twin.plot.report import build_report, render_html
from twin.plot.style import clock_text, duration_text
from twin.plot.verdict import run_start, verdict_html
from twin.runs.read import RunData, read_run


@pytest.fixture(scope="module")
def twin_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RunData]:
    """Real twin runs of the pilot (below the 数控化率 target) and its nc70 upgrade."""
    tmp = tmp_path_factory.mktemp("verdict")
    return {
        s: read_run(write_twin_run(tmp / s, s)) for s in ("pilot_workshop", "pilot_workshop_nc70")
    }


def _text(page: str) -> str:
    """The visible text of a page without scripts, styles and plot divs."""
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    page = re.sub(r"<figure\b.*?</figure>", "", page, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_verdict_is_the_first_section_and_scenario_tables_come_last(tmp_path: Path) -> None:
    """Verdict before bottlenecks, KPI tables, figures; the scenario tables at the end."""
    page = build_report(read_run(write_run(tmp_path / "r", make_run(seed=1, n_jobs=12))))
    body = page[page.index("<body>") :]
    order = [
        body.index(m)
        for m in (
            '<section id="verdict"',
            '<h2 id="bottlenecks"',
            '<h2 id="kpis"',
            '<h2 id="figures"',
            '<h2 id="scenario"',
        )
    ]
    assert order == sorted(order)
    assert body.index("<section") == body.index('<section id="verdict"')
    assert "<table" not in body[: order[0]]  # nothing tabular above the verdict


def test_pilot_misses_the_nc_target_and_names_its_bottleneck(
    twin_runs: dict[str, RunData],
) -> None:
    """Pilot: both 数控化率 below 70 % -> FAIL; the bottleneck is named in the verdict."""
    run = twin_runs["pilot_workshop"]
    text = _text(verdict_html(run))
    assert "FAIL" in text and "PASS" not in text and "target 目标 70 %" in text
    state_time = run.summary["kpis"]["state_time"]
    top = rank_units(state_time, processing_units(run.summary["stations"])).bottleneck
    assert top is not None and f"bottleneck 瓶颈: {top.unit}" in text
    assert "Mon 2026-01-05 06:00" in text  # the window starts at the scenario's start


def test_nc70_meets_the_target(twin_runs: dict[str, RunData]) -> None:
    """The upgraded shop passes on equipment and process hours alike."""
    text = _text(verdict_html(twin_runs["pilot_workshop_nc70"]))
    assert text.count("PASS 达标") == 3 and "FAIL" not in text  # headline + two cards


def test_oee_links_to_its_definition(twin_runs: dict[str, RunData]) -> None:
    """The OEE card links to the KPI tables and carries the formula as a title."""
    block = verdict_html(twin_runs["pilot_workshop"])
    assert re.search(r'<a href="#kpis" title="OEE = availability × performance × quality', block)


def test_replicated_verdict_shows_mean_and_half_width(tmp_path: Path) -> None:
    """Replicated KPIs print as mean ± CI and the block says over how many runs."""
    run = make_run(seed=2, n_jobs=6)
    run.summary["replications"] = 3
    run.summary["kpis_ci95"] = {"oee": 0.02, "throughput_per_hour": 0.5}
    text = _text(verdict_html(read_run(write_run(tmp_path / "r", run))))
    assert re.search(r"\d+\.\d ± 2\.0 %", text) and "over 3 replications" in text


def test_missing_or_nan_kpis_never_print_as_nan_or_none(tmp_path: Path) -> None:
    """NaN, None and absent KPIs read 'n/a' or are left out; never 'nan'/'None'."""
    run = make_run(seed=3, n_jobs=6)
    kpis = run.summary["kpis"]
    kpis.update(
        oee=float("nan"),
        on_time_rate=None,
        labour_hours_per_good_part=None,
        lead_time_mean=float("nan"),
        nc_rate_process=None,
    )
    del kpis["nc_rate_process_meets_threshold"]
    page = render_html(read_run(write_run(tmp_path / "r", run)), [])
    text = _text(page)
    assert not re.search(r"\b(nan|NaN|None)\b", text), text
    assert "Labour per good part" not in text


def test_rank_units_orders_by_load_and_lists_never_used_units() -> None:
    """Load = busy / (calendar - off - planned_down), highest first; idle units named."""
    state_time = {
        "mill": {"busy": 60.0, "off": 40.0, "no_order": 0.0, "starved": 0.0},  # 60/60
        "lathe": {"busy": 30.0, "off": 0.0, "planned_down": 20.0, "no_order": 50.0},  # 30/80
        "drill": {"busy": 45.0, "no_order": 55.0},  # 45/100
        "spare": {"off": 50.0, "no_order": 50.0},  # never worked
        "robot": {"busy": 99.0, "idle": 1.0},
    }
    units = {"mill": "M", "lathe": "L", "drill": "D", "spare": "S", "ghost": "G"}
    ranking = rank_units(state_time, units)
    assert [u.unit for u in ranking.units] == ["mill", "drill", "lathe", "ghost", "spare"]
    assert [round(u.load, 3) for u in ranking.units] == [1.0, 0.45, 0.375, 0.0, 0.0]
    assert ranking.never_used == ("ghost", "spare")
    assert ranking.bottleneck is not None and ranking.bottleneck.unit == "mill"
    assert rank_units({"a": {"off": 5.0}}).bottleneck is None


def test_processing_units_leave_out_robots_agvs_operators_and_subcontractors() -> None:
    """Only stations that process parts are ranked."""
    stations = [
        {"id": "cnc", "kind": "cnc", "units": ["cnc#1", "cnc#2"]},
        {"id": "cell_robot", "kind": "robot", "units": ["cell_robot"]},
        {"id": "harden", "kind": "outsourced", "units": ["harden#1"]},
        {"id": "bench", "kind": "manual", "units": ["bench"]},
    ]
    assert processing_units(stations) == {"cnc#1": "cnc", "cnc#2": "cnc", "bench": "bench"}


def test_bottleneck_bars_put_the_bottleneck_on_top() -> None:
    """One horizontal bar per unit; the last category (drawn on top) is the bottleneck."""
    ranking = rank_units({"a": {"busy": 1.0, "idle": 9.0}, "b": {"busy": 5.0, "idle": 5.0}})
    bar = bottleneck_bars(ranking).data[0]
    assert bar.orientation == "h" and list(bar.y) == ["a", "b"]


def test_report_names_never_used_units(tmp_path: Path) -> None:
    """A unit with no busy time is called out in the bottleneck section."""
    run = make_run(seed=4, n_jobs=6)
    unit = run.summary["machines"][0]
    row = run.summary["kpis"]["state_time"][unit]
    row["no_order"] = row.get("no_order", 0.0) + row["busy"]
    row["busy"] = 0.0
    text = _text(render_html(read_run(write_run(tmp_path / "r", run)), []))
    assert re.search(rf"Never worked 未使用 \(1\): {re.escape(unit)}\b", text)


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (10_512.0, "min", "7.3 d"),
        (312.0, "min", "5.2 h"),
        (45.0, "min", "45 min"),
        (0.0, "min", "0 min"),
        (18_720.0, "s", "5.2 h"),
        (90.0, "s", "90 s"),
        (175.2, "h", "7.3 d"),
        (1.5, "h", "1.5 h"),
    ],
)
def test_duration_text_reads_in_hours_or_days(value: float, unit: str, text: str) -> None:
    """Durations in the model unit print in the unit that reads best."""
    assert duration_text(value, unit) == text


def test_clock_text_and_run_start() -> None:
    """Model time from the scenario's start as weekday, date and clock."""
    start = run_start({"start": "2026-01-05T06:00:00"})
    assert start == datetime(2026, 1, 5, 6, 0)
    assert clock_text(start, 0.0, "min") == "Mon 2026-01-05 06:00"
    assert clock_text(start, 4 * 1440 + 600, "min") == "Fri 2026-01-09 16:00"
    assert run_start({"start": None}) is None and run_start({"start": "soon"}) is None


def test_real_summary_carries_the_scenario_start(twin_runs: dict[str, RunData]) -> None:
    """twin run writes the scenario's start into summary.json."""
    path = twin_runs["pilot_workshop"].path
    assert path is not None
    summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    assert summary["start"] == "2026-01-05T06:00:00"
