"""Bad, huge and hostile input: `twin validate` and `twin run` agree, inputs are bounded
before they are read, outputs are checked before any work and written atomically."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from test_cli_scenarios import HEAD, cli, write
from test_scenario_errors import Loc, broken

from twin.errors import TwinError
from twin.eventlog import EventLog
from twin.runs.write import atomic_file, check_run_folder, write_run_folder

ROOT = Path(__file__).resolve().parents[2]
PILOT = ROOT / "scenarios" / "pilot_workshop.yaml"
WEIBULL = {"dist": "weibull", "shape": 1e-300, "scale": "1h"}
ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

# (what, field path, value, what the message must say). Each of these once passed
# `twin validate` and then crashed, hung or was silently accepted by `twin run`.
REJECTIONS: list[tuple[str, Loc, Any, str]] = [
    ("travel time 1e308", ("transport", "travel_time", "default"), 1e308, "at most 10 years"),
    ("setup 1e308", ("stations", 0, "setup", "default"), 1e308, "at most 10 years"),
    ("cycle 1e308", ("products", 0, "routing", 0, "stations", "saw"), 1e308, "at most 10 years"),
    ("cycle 10**400", ("products", 0, "routing", 0, "stations", "saw"), 10**400, "duration"),
    ("weibull shape 1e-300", ("stations", 0, "mttr"), WEIBULL, ">= 0.1"),
    ("seed 2**70", ("run", "seed"), 2**70, "<= 2147483647"),
    ("count 1e6", ("stations", 1, "count"), 1_000_000, "<= 1000"),
    ("count true", ("stations", 1, "count"), True, "expected an integer"),
    ("count 2.0", ("stations", 1, "count"), 2.0, "expected an integer"),
    ("time limit 0", ("run", "time_limit"), 0, "> 0"),
    ("time limit 1e6 s", ("run", "time_limit"), 1e6, "<= 86400"),
    ("horizon 0", ("run", "horizon"), 0, "> 0"),
    ("robot in a routing", ("products", 0, "routing", 1, "stations", "cell_robot"), 5,
     "is a robot"),
    ("quantity 1e9", ("orders", 0, "quantity"), 1_000_000_000, "<= 1000000"),
    ("quantity x cycle > 10 y", ("orders", 0, "quantity"), 999_999, "more than 10 years"),
    ("replications 1e9", ("run", "replications"), 10**9, "<= 10000"),
    ("power 1e308", ("stations", 0, "power_kw", "busy"), 1e308, "<= 100000"),
    ("kgce 1e308", ("energy", "kgce_per_kwh"), 1e308, "<= 1.0"),
    ("coefficient in tce", ("energy", "primary_energy_coefficient", "unit"), "tce/kWh",
     "300 kgce/kWh"),
    ("coefficient unit unknown", ("energy", "primary_energy_coefficient", "unit"), "kgce/m3",
     "expected one of"),
    ("calendar all days off", ("calendars", "two_shift", "days_off"), ALL_DAYS,
     "no working time"),
    ("calendar one long break", ("calendars", "two_shift", "breaks"), [["00:00", "23:59"]],
     "no working time"),
    ("cv 1e6", ("products", 0, "routing", 1, "cv"), 1e6, "<= 10"),
    ("buffer 1e12", ("buffers", 0, "capacity"), 10**12, "<= 1000000"),
    ("priority 2**63", ("orders", 0, "priority"), 2**63, "<= 1000000"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("loc", "value", "fragment"),
    [case[1:] for case in REJECTIONS],
    ids=[case[0] for case in REJECTIONS],
)
def test_what_validate_rejects_run_rejects_the_same_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], loc: Loc, value: Any, fragment: str
) -> None:
    """Both commands: exit 2, one first line `bad.yaml: <path>: ...<bound>`, nothing run."""
    path = write(tmp_path, broken("pilot_workshop", loc, value))
    v_code, v_out, v_err = cli(["validate", str(path)], capsys)
    out_dir = tmp_path / "run"
    r_code, r_out, r_err = cli(
        ["run", str(path), "--out", str(out_dir), "--quiet", "--method", "fifo"], capsys
    )
    for code, out, err in ((v_code, v_out, v_err), (r_code, r_out, r_err)):
        assert code == 2, (code, out, err)
        assert "Traceback" not in out + err
        first = err.splitlines()[0]
        assert HEAD.match(first) is not None, first
        assert fragment in first, first
    assert v_err.splitlines()[0] == r_err.splitlines()[0].removeprefix("twin: error: ")
    assert not out_dir.exists()


def test_the_bounds_leave_the_bundled_scenarios_valid(capsys: pytest.CaptureFixture[str]) -> None:
    """Generous bounds: every shipped scenario still validates."""
    paths = [str(p) for p in sorted((ROOT / "scenarios").glob("*.yaml"))]
    code, out, _ = cli(["validate", *paths], capsys)
    assert code == 0 and out.count("ok: ") == len(paths)


# -- inputs are bounded before they are read ---------------------------------------------

BOMB = "\n".join(
    [f"a: &a [{', '.join(9 * ['x'])}]"]
    + [
        f"{b}: &{b} [{', '.join(9 * ['*' + a])}]"
        for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    + ["name: *i"]
)  # 9 levels x 9 aliases: 387 million values from 300 bytes


def test_an_alias_bomb_is_refused_before_it_expands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    code, _, err = cli(["validate", str(path)], capsys)
    assert code == 2
    assert err.strip() == (
        "bomb.yaml: YAML aliases expand to more than 5,000,000 values; "
        "write the document out instead of nesting aliases"
    )


def test_moderate_aliases_still_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Anchors for shared settings (the usual YAML idiom) are fine."""
    text = PILOT.read_text().replace("power_kw: {off: 0.0, idle: 2.5, setup: 3.0, busy: 11.0, "
                                     "down: 0.5}", "power_kw: &cnc {off: 0.0, idle: 2.5, setup: "
                                     "3.0, busy: 11.0, down: 0.5}", 1)  # fmt: skip
    text = text.replace("power_kw: {off: 0.0, idle: 2.5, setup: 3.0, busy: 11.0, down: 0.5}",
                        "power_kw: *cnc")  # fmt: skip
    assert "*cnc" in text
    path = tmp_path / "anchors.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = cli(["validate", str(path)], capsys)
    assert (code, err) == (0, "") and out.startswith("ok: anchors.yaml")


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_only_regular_files_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """A FIFO would block forever and /dev/zero never ends: both are refused unread."""
    if kind == "fifo":
        path = tmp_path / "pipe.yaml"
        os.mkfifo(path)
        assert stat.S_ISFIFO(path.stat().st_mode)
        expected = "not a regular file"
    elif kind == "folder":
        path = tmp_path / "dir.yaml"
        path.mkdir()
        expected = "a folder"
    else:
        path = Path("/dev/zero")
        expected = "not a regular file"
    for command in ("validate", "run"):
        code, _, err = cli([command, str(path)], capsys)
        assert code == 2 and expected in err and "Traceback" not in err


def test_oversized_files_are_refused_unless_the_limit_is_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Over --max-size (default 16 MB) the file is refused without being parsed; a
    higher limit reads it."""
    path = tmp_path / "big.yaml"
    path.write_text(PILOT.read_text(encoding="utf-8") + "#" * (2 * 2**20) + "\n", encoding="utf-8")
    code, _, err = cli(["validate", "--max-size", "1", str(path)], capsys)
    assert code == 2
    assert "larger than 1 MiB" in err and "--max-size" in err
    code, out, _ = cli(["validate", "--max-size", "4", str(path)], capsys)
    assert code == 0 and out.startswith("ok: big.yaml")


def test_error_messages_truncate_before_they_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A huge value in a wrong place is shown cut short, not expanded in full."""
    path = write(tmp_path, broken("pilot_workshop", ("name",), [[list(range(1000))] * 1000]))
    code, _, err = cli(["validate", str(path)], capsys)
    assert code == 2 and len(err.splitlines()[0]) < 200, err[:300]


# -- flags ------------------------------------------------------------------------------

FLAG_CASES = [
    (["run", str(PILOT), "--time-limit", "nan"], "--time-limit"),
    (["run", str(PILOT), "--time-limit", "inf"], "--time-limit"),
    (["run", str(PILOT), "--seed", str(2**70)], "--seed"),
    (["run", str(PILOT), "--replications", "0"], "--replications"),
    (["run", str(PILOT), "--workers", "0"], "--workers"),
    (["run", str(PILOT), "--max-size", "-1"], "--max-size"),
    (["schedule", "x.fjs", "--time-limit", "nan"], "--time-limit"),
    (["schedule", "x.fjs", "--time-limit", "-1"], "--time-limit"),
    (["schedule", "x.fjs", "--seed", "-3"], "--seed"),
    (["bench", "--family", "brandimarte", "--seeds", "5-2"], "--seeds"),
    (["bench", "--family", "brandimarte", "--seeds", ""], "--seeds"),
    (["bench", "--family", "brandimarte", "--time-limit", "nan"], "--time-limit"),
    (["generate", "--out", "x.fjs", "--jobs", "1000000000"], "--jobs"),
    (["generate", "--out", "x.fjs", "--machines", "0"], "--machines"),
]


@pytest.mark.parametrize(
    ("argv", "flag"), FLAG_CASES, ids=[" ".join(c[0][:1] + c[0][-2:]) for c in FLAG_CASES]
)
def test_bad_flags_fail_at_once_in_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    flag: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(argv, capsys)
    assert code == 2, (out, err)
    assert err.startswith("twin: error: ") and flag in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing written


# -- outputs are checked before the work and written atomically -------------------------


def test_run_checks_its_out_folder_before_simulating(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An existing file, or a folder holding someone else's files, is refused first."""
    import twin.run

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("simulated although --out was unusable")

    monkeypatch.setattr(twin.run, "replicate", never)
    a_file = tmp_path / "taken"
    a_file.write_text("mine")
    code, _, err = cli(["run", str(PILOT), "--out", str(a_file), "--quiet"], capsys)
    assert code == 2 and "exists and is not a folder" in err
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("precious")
    code, _, err = cli(["run", str(PILOT), "--out", str(foreign), "--quiet"], capsys)
    assert code == 2 and "no summary.json" in err
    assert (foreign / "thesis.docx").read_text() == "precious"
    assert a_file.read_text() == "mine"


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["schedule", "{demo}", "--out", "{tmp}/taken.csv"], "is a directory"),
        (["schedule", "{demo}", "--out", "{tmp}/missing/x.csv"], "does not exist"),
        (["report", "{tmp}", "--out", "{tmp}/missing/r.html"], "does not exist"),
        (["plot", "{demo}", "--out", "{tmp}"], "expected a .html"),
        (["bench", "--family", "brandimarte", "--out", "{tmp}/no/x.csv"], "does not exist"),
        (["schema", "--out", "{tmp}"], "is a directory"),
    ],
)
def test_other_commands_check_out_before_the_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    demo = ROOT / "scenarios" / "instances" / "demo_shop.fjs"
    (tmp_path / "taken.csv").mkdir()
    args = [a.format(tmp=tmp_path, demo=demo) for a in argv]
    code, out, err = cli(args, capsys)
    assert code == 2 and fragment in err and "Traceback" not in err, err
    assert "makespan" not in out  # no solve happened


def _log() -> EventLog:
    log = EventLog()
    log.record(0.0, "state", "m1", state="idle")
    return log


def test_an_interrupted_run_folder_write_keeps_the_previous_folder(tmp_path: Path) -> None:
    """The folder is written beside and swapped in: an interrupt mid-write leaves the
    previous run whole and no temporary folder behind."""
    folder = tmp_path / "run"
    write_run_folder(folder, {"run": 1}, _log(), [])
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def interrupt(tmp: Path) -> None:
        assert (tmp / "summary.json").is_file()  # the new files exist, not yet swapped in
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_run_folder(folder, {"run": 2}, _log(), [], extra=interrupt)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    write_run_folder(folder, {"run": 3}, _log(), [])
    assert '"run": 3' in (folder / "summary.json").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_an_interrupted_file_write_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "schedule.csv"
    target.write_text("old\n")
    with pytest.raises(KeyboardInterrupt), atomic_file(target) as fh:
        fh.write("half a new file")
        raise KeyboardInterrupt
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schedule.csv"]


def test_a_run_folder_may_replace_only_a_run_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert check_run_folder(tmp_path / "empty") == tmp_path / "empty"
    assert check_run_folder(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "a.txt").write_text("x")
    with pytest.raises(TwinError, match=r"no summary\.json"):
        check_run_folder(tmp_path / "other")


# -- run folders and schedules read back ---------------------------------------------------


def _run_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "run"
    code, _, err = cli(
        ["run", str(ROOT / "scenarios" / "deterministic_mk01.yaml"), "--method", "mwkr",
         "--out", str(folder), "--quiet"], capsys,
    )  # fmt: skip
    assert code == 0, err
    return folder


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [("machine", -1, "index -1 outside"), ("machine", 10_000, "index 10000 outside"),
     ("job", 99_999, "index 99999 outside"), ("start", "x", "expected a number")],
)  # fmt: skip
def test_reports_refuse_plans_that_point_outside_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], column: str, value: object, fragment: str
) -> None:
    """`machine = -1` used to be drawn on the last machine; now it is an error line."""
    folder = _run_folder(tmp_path, capsys)
    plan = (folder / "schedule.csv").read_text().splitlines()
    header = plan[0].split(",")
    row = plan[1].split(",")
    row[header.index(column)] = str(value)
    (folder / "schedule.csv").write_text("\n".join([plan[0], ",".join(row), *plan[2:]]) + "\n")
    for argv in (["report", str(folder)], ["plot", str(folder), "-o", str(tmp_path / "g.html")]):
        code, _, err = cli(argv, capsys)
        assert code == 2 and fragment in err and "Traceback" not in err, err
