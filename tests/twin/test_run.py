"""twin.run and `twin run`: the API, replications and the run-folder contract."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.console import Console
from test_build import small_scenario

import twin
import twin.cli.run
from twin.cli import main
from twin.cli.run import kpi_table
from twin.eventlog import COLUMNS, EventLog
from twin.run import aggregate_kpis, kpi_ci95, replicate, simulate, write_run
from twin.runs.read import kpis_with_ci

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SUMMARY_KEYS = {
    "scenario", "scenario_file", "seed", "time_unit", "replications", "kpis", "stations",
    "machines", "jobs", "solver", "kpis_ci95", "kpis_replications",
}  # fmt: skip
KPI_KEYS = {
    "throughput_per_hour", "lead_time_mean", "lead_time_p95", "wip_mean", "makespan",
    "on_time_rate", "tardiness_total", "oee", "availability", "performance", "quality",
    "utilisation", "nc_rate_equipment", "nc_rate_process", "networked_rate", "energy_kwh",
    "energy_kwh_per_part", "energy_kgce",
}  # fmt: skip


def test_public_api_is_exported() -> None:
    """Everything in twin.__all__ resolves, and the MES-facing names are there."""
    for name in twin.__all__:
        assert getattr(twin, name) is not None
    assert {"load_scenario", "simulate", "Run", "KPIs"} <= set(twin.__all__)


def test_simulate_runs_the_scenario_rule_by_default() -> None:
    """A rule in run.scheduling means online dispatch; the run carries all it used."""
    run = simulate(small_scenario())
    assert run.execution.rule == "fifo" and run.plan is None
    assert run.solver["status"] == "online"
    assert run.kpis.jobs_finished == 2
    assert run.machines == ["lathe#1", "lathe#2", "mill"]


def test_simulate_with_a_solver_follows_its_plan() -> None:
    """method=cpsat solves first, then replays; the solver summary is kept."""
    run = simulate(small_scenario(), method="cpsat", time_limit=5, workers=1)
    assert run.plan is not None and run.solver["method"] == "cpsat"
    assert run.solver["status"] in ("optimal", "feasible")
    assert run.kpis.makespan <= run.plan.makespan


def test_replications_share_the_plan_and_differ_by_seed() -> None:
    """Replication 0 is the single run; the others use child seeds and differ."""
    scenario = twin.load_scenario(SCENARIOS / "pilot_workshop.yaml")
    runs = replicate(scenario, 3, seed=4, method="mwkr")
    assert runs[0].log == simulate(scenario, seed=4, method="mwkr").log
    assert runs[1].log != runs[0].log
    per_run = [r.kpis.to_dict() for r in runs]
    agg, half = aggregate_kpis(per_run), kpi_ci95(per_run)
    oees = [k["oee"] for k in per_run]
    assert agg["oee"] == pytest.approx(np.mean(oees)) and min(oees) < agg["oee"] < max(oees)
    assert half["oee"] == pytest.approx(4.303 * np.std(oees, ddof=1) / np.sqrt(3))
    saws = [k["utilisation"]["saw"] for k in per_run]
    assert agg["utilisation"]["saw"] == pytest.approx(np.mean(saws))
    assert half["utilisation"]["saw"] is not None and half["time_unit"] is None
    assert isinstance(agg["nc_rate_equipment_meets_threshold"], bool)


def test_replicated_summary_kpis_are_numbers_with_spread_beside(tmp_path: Path) -> None:
    """MES readers get numbers in ``kpis``; half-widths and every run sit beside them."""
    runs = replicate(SCENARIOS / "pilot_workshop.yaml", 3, seed=4, method="edd")
    doc = write_run(tmp_path, runs)
    kpis, half = doc["kpis"], doc["kpis_ci95"]
    assert set(kpis) >= KPI_KEYS and set(half) == set(kpis)
    for key in KPI_KEYS - {"utilisation"}:
        assert kpis[key] is None or isinstance(kpis[key], float), key
    assert all(isinstance(v, float) for v in kpis["utilisation"].values())
    assert set(half["utilisation"]) == set(kpis["utilisation"])
    assert len(doc["kpis_replications"]) == 3
    assert doc["kpis_replications"][0] == runs[0].kpis.to_dict()
    assert kpis["lead_time_mean"] == pytest.approx(np.mean([r.kpis.lead_time_mean for r in runs]))
    single = write_run(tmp_path / "one", runs[0])
    assert single["kpis"] == runs[0].kpis.to_dict()
    assert single["kpis_ci95"]["oee"] is None and len(single["kpis_replications"]) == 1


def test_write_run_keeps_the_folder_contract(tmp_path: Path) -> None:
    """summary.json keys, events.csv columns (reloads to the same log), schedule.csv."""
    run = simulate(small_scenario(), method="cpsat", time_limit=5, workers=1)
    doc = write_run(tmp_path, run, "tiny.yaml")
    summary = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert summary == doc
    assert set(summary) >= SUMMARY_KEYS
    assert set(summary["kpis"]) >= KPI_KEYS
    assert summary["time_unit"] == "min" and summary["replications"] == 1
    assert summary["machines"] == ["lathe#1", "lathe#2", "mill"]
    assert summary["jobs"][0] == {
        "id": "A", "product": "shaft", "quantity": 4, "release": 0.5, "due": 100.7
    }  # fmt: skip
    lathe = summary["stations"][0]
    assert lathe["units"] == ["lathe#1", "lathe#2"] and lathe["numerically_controlled"]
    header = (tmp_path / "events.csv").read_text().splitlines()[0]
    assert header == ",".join(COLUMNS)
    assert EventLog.read_csv(tmp_path / "events.csv") == run.log
    with (tmp_path / "schedule.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["job", "operation", "machine", "start", "end"]
    assert len(rows) == 3 and int(rows[0]["machine"]) in (0, 1)


def test_twin_run_cli_writes_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`twin run` with replications prints the table and writes mean/CI KPIs."""
    out = tmp_path / "pilot"
    with pytest.raises(SystemExit) as exit_info:
        main(["run", str(SCENARIOS / "pilot_workshop.yaml"), "--method", "edd",
              "--replications", "2", "--seed", "3", "--out", str(out), "--report"])  # fmt: skip
    assert exit_info.value.code == 0
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["replications"] == 2 and len(summary["kpis_replications"]) == 2
    assert isinstance(summary["kpis"]["oee"], float) and summary["kpis_ci95"]["oee"] >= 0
    printed = capsys.readouterr().out
    assert "数控化率" in printed and "±" in printed
    page = (out / "report.html").read_text("utf-8")
    assert len(page) > 10_000 and "mean ± 95 % confidence" in page
    oee, half = summary["kpis"]["oee"], summary["kpis_ci95"]["oee"]
    assert f"{100 * oee:.1f} ± {100 * half:.1f} %" in page


def test_twin_run_cli_reports_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown method is one stderr line and exit code 2."""
    with pytest.raises(SystemExit) as exit_info:
        main(["run", str(SCENARIOS / "pilot_workshop.yaml"), "--method", "fastest"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("twin: error: --method 'fastest'") and "\n" not in err


def test_progress_callback_does_not_change_the_run() -> None:
    """on_progress sees fractions rising to 1; the event log is the same without it."""
    scenario = twin.load_scenario(SCENARIOS / "cnc_line_robot.yaml")
    seen: list[float] = []
    with_bar = simulate(scenario, seed=2, on_progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 49
    assert with_bar.log == simulate(scenario, seed=2).log


def test_kpis_recompute_from_the_saved_event_log(tmp_path: Path) -> None:
    """The event log is the source of truth: KPIs from events.csv equal the run's."""
    scenario = twin.load_scenario(SCENARIOS / "cnc_line_robot.yaml")
    run = simulate(scenario, seed=9)
    write_run(tmp_path, run)
    again = twin.compute_kpis(twin.shop_info(scenario), EventLog.read_csv(tmp_path / "events.csv"))
    assert again.to_dict() == run.kpis.to_dict()


def test_arrivals_are_dispatched_online_even_with_a_solver_method() -> None:
    """Orders that arrive during the run cannot be planned ahead: edd dispatches them."""
    run = simulate(SCENARIOS / "cnc_line_robot.yaml", seed=1, method="cpsat")
    assert run.plan is None and run.execution.rule == "edd"
    assert run.kpis.jobs_released > 100


def test_report_reader_pairs_means_with_their_half_widths() -> None:
    """read_run's display form: mean and CI side by side; single or old runs unchanged."""
    kpis = {"oee": 0.5, "time_unit": "min", "utilisation": {"m": 0.4}, "x": 1.0}
    ci95 = {"oee": 0.02, "time_unit": None, "utilisation": {"m": 0.1}, "x": None}
    summary: dict[str, Any] = {"kpis": kpis, "kpis_ci95": ci95}
    shown = kpis_with_ci(summary)["kpis"]
    assert shown == {"oee": {"mean": 0.5, "ci95": 0.02}, "time_unit": "min",
                     "utilisation": {"m": 0.4}, "x": 1.0}  # fmt: skip
    assert summary["kpis"]["oee"] == 0.5  # the file's summary is not modified
    old = {"kpis": {"oee": {"mean": 0.5, "ci95": 0.02}}}
    assert kpis_with_ci(old) == old


def test_kernels_warm_up_before_the_timed_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    """auto compiles numba kernels before the solver's clock starts; cpsat needs none."""
    import scheduler
    import scheduler.warmup

    calls: list[str] = []
    solve = scheduler.solve

    def warmup() -> float:
        calls.append("warmup")
        return 0.0

    def timed_solve(*args: Any, **kwargs: Any) -> Any:
        calls.append("solve")
        return solve(*args, **kwargs)

    monkeypatch.setattr(scheduler.warmup, "warmup", warmup)
    monkeypatch.setattr(scheduler, "solve", timed_solve)
    simulate(small_scenario(), method="auto", time_limit=1, workers=1)
    assert calls == ["warmup", "solve"]
    calls.clear()
    simulate(small_scenario(), method="cpsat", time_limit=1, workers=1)
    assert calls == ["solve"]


def test_replicate_reports_incumbents_and_progress() -> None:
    """on_solution hears improving plans; on_progress rises to the replication count."""
    incumbents: list[tuple[float, float]] = []
    done: list[float] = []
    runs = replicate(
        small_scenario(), 2, method="auto", time_limit=1, workers=1,
        on_solution=lambda value, seconds: incumbents.append((value, seconds)),
        on_progress=lambda d, n: done.append(d / n),
    )  # fmt: skip
    assert incumbents and incumbents[-1][0] == runs[0].plan.makespan  # type: ignore[union-attr]
    assert done == sorted(done) and done[-1] == 1.0


def test_the_kpi_table_shows_constants_and_counts_plainly() -> None:
    """A KPI equal in every replication is not an estimate: no '± 0.0'; counts print
    as integers."""
    summary = {
        "scenario": "s", "seed": 1, "replications": 3, "time_unit": "min",
        "kpis": {"on_time_rate": 0.906, "jobs_open": 2.0, "oee": 0.5, "makespan": 100.0},
        "kpis_ci95": {"on_time_rate": 0.0, "jobs_open": 0.0, "oee": 0.02, "makespan": 0.0},
    }  # fmt: skip
    console = Console(width=120, record=True)
    console.print(kpi_table(summary))
    text = console.export_text()
    assert "90.6 %" in text and "90.6 ±" not in text
    assert "50.0 ± 2.0 %" in text
    assert "100.00 min" in text and "± 0.00" not in text
    row = next(line for line in text.splitlines() if "Lots open" in line)
    assert row.rstrip(" │").endswith(" 2")
