"""``twin sweep`` and ``twin report --compare``: results, resuming, and one readable line
with a non-zero exit code on bad input."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.twin.sweep_fixtures import TINY_SWEEP, write_tiny


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from twin.cli import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.fixture
def sweep_file(tmp_path: Path) -> Path:
    return write_tiny(tmp_path)


def test_sweep_prints_the_table_and_resumes(
    sweep_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run writes the folder and prints each point; the rerun reuses both points."""
    out = tmp_path / "out"
    code, stdout, err = _cli(["sweep", str(sweep_file), "--out", str(out)], capsys)
    assert code == 0, err
    assert "two lathes" in stdout and "100,000" in stdout and "report.html" in err
    before = (out / "results.csv").read_bytes()
    code, _, _ = _cli(["sweep", str(sweep_file), "--out", str(out), "--no-report"], capsys)
    assert code == 0 and (out / "results.csv").read_bytes() == before


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--workers", "0"], "--workers must be in 1..1024, got 0"),
        (["--executor", "spark"], "--executor 'spark': expected local, dask or a Dask"),
        (["--batch", "0"], "--batch must be >= 1, got 0"),
    ],
)
def test_bad_options_fail_in_one_line(
    sweep_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str],
    message: str,
) -> None:  # fmt: skip
    code, _, err = _cli(["sweep", str(sweep_file), "--out", str(tmp_path / "o"), *extra], capsys)
    assert code == 2 and err.count("\n") == 1 and message in err
    assert not (tmp_path / "o").exists()


def test_a_bad_sweep_file_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_tiny(tmp_path, TINY_SWEEP.replace("stations.lathe.count", "stations.lath.count"))
    code, _, err = _cli(["sweep", str(bad), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith('twin: error: sweep.yaml: variants[1].set["stations.lath.count"]')
    code, _, err = _cli(["sweep", str(tmp_path / "missing.yaml")], capsys)
    assert code == 2 and "missing.yaml: cannot read the file" in err


def test_a_foreign_out_folder_is_refused(
    sweep_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder with other files and no sweep.json is never written into."""
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    code, _, err = _cli(["sweep", str(sweep_file), "--out", str(tmp_path / "mine")], capsys)
    assert code == 2 and "holds other files and no sweep.json" in err


def test_missing_dask_says_how_to_install_it(
    sweep_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    real = builtins.__import__

    def no_dask(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] in ("distributed", "dask"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    argv = ["sweep", str(sweep_file), "--out", str(tmp_path / "o"), "--executor", "dask"]
    code, _, err = _cli(argv, capsys)
    assert code == 2 and err.count("\n") == 1
    assert 'pip install "shopfloor-twin[dask]"' in err


def test_failed_points_exit_1_with_their_errors(
    sweep_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    import twin.run

    real = twin.run.simulate

    def flaky(scenario: Any, *args: Any, **kwargs: Any) -> Any:
        if scenario.station("lathe").count == 2:
            raise RuntimeError("no luck")
        return real(scenario, *args, **kwargs)

    monkeypatch.setattr(twin.run, "simulate", flaky)
    code, _, err = _cli(["sweep", str(sweep_file), "--out", str(tmp_path / "o")], capsys)
    assert code == 1 and "failed: two lathes: RuntimeError: no luck" in err


def test_dask_local_cluster_from_the_command_line(
    sweep_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--executor dask`` starts a two-process LocalCluster: the same results.csv."""
    pytest.importorskip("distributed")
    argv = ["sweep", str(sweep_file), "--no-report", "--quiet", "--workers", "2"]
    assert _cli([*argv, "--out", str(tmp_path / "local")], capsys)[0] == 0
    code, _, err = _cli([*argv, "--out", str(tmp_path / "dask"), "--executor", "dask"], capsys)
    assert code == 0, err
    local = (tmp_path / "local" / "results.csv").read_bytes()
    assert (tmp_path / "dask" / "results.csv").read_bytes() == local


def test_report_compare_takes_run_and_sweep_folders(
    sweep_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sweep folder and a run folder in one offline comparison report."""
    from twin.run import replicate, write_run

    assert _cli(["sweep", str(sweep_file), "--out", str(tmp_path / "s"), "--quiet"], capsys)[0] == 0
    write_run(tmp_path / "run", replicate(tmp_path / "tiny.yaml", 2))
    out = tmp_path / "cmp.html"
    argv = ["report", "--compare", str(tmp_path / "s"), str(tmp_path / "run"), "-o", str(out)]
    code, stdout, err = _cli(argv, capsys)
    assert code == 0, err and "cmp.html" in stdout
    page = out.read_text(encoding="utf-8")
    assert "s/two lathes" in page and "Pareto" in page and "数控化率" in page
    code, _, err = _cli(["report", str(tmp_path / "s"), str(tmp_path / "run")], capsys)
    assert code == 2 and "to compare folders: --compare" in err
    code, _, err = _cli(["report", "--compare", str(tmp_path), "-o", str(out)], capsys)
    assert code == 2 and "neither a run folder" in err


def test_sweep_result_frames_match_the_files(sweep_file: Path, tmp_path: Path) -> None:
    """The API's frames are what the CSV files hold."""
    from twin.experiments import run_sweep

    result = run_sweep(sweep_file, tmp_path / "o", report=False)
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "o" / "summary.csv"), result.summary, check_dtype=False
    )
    assert result.means(["throughput_per_hour"]).index.tolist() == ["today", "two lathes"]
