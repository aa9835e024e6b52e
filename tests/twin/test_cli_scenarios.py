"""Broken scenario files at the CLI: `twin validate` and `twin run` exit 2 with one readable
first line (file and field path), never a traceback; valid bundled scenarios validate."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_scenario_errors import BASES, PATHS, REQUIRED, Loc, _references, _wrong_type, broken

from twin.cli import main
from twin.scenario.messages import format_loc

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
SETTINGS = settings(
    max_examples=int(os.environ.get("CLI_FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# ``[twin: error: ]file.yaml[:line]: path: message``; the path may hold list indices and
# dict keys (station ids, calendar names).
HEAD = re.compile(r"^(twin: error: )?(?P<file>[\w.\-]+\.yaml)(:\d+)?: (?P<path>[^:\s]+): \S")


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `twin ARGV` in-process; (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def write(tmp: Path, data: object, name: str = "bad.yaml") -> Path:
    path = tmp / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def assert_clean_failure(code: int, out: str, err: str, path: Path, loc: Loc | None) -> None:
    """Exit 2, nothing on stdout, no traceback, a first line naming file and field path."""
    assert code == 2, (code, out, err)
    assert "Traceback" not in out + err
    assert not out.strip(), out
    first = err.splitlines()[0]
    match = HEAD.match(first)
    assert match is not None, first
    assert match["file"] == path.name
    if loc is not None:
        assert format_loc(loc) in err, (format_loc(loc), err)


mutations = st.sampled_from(sorted(BASES)).flatmap(
    lambda name: st.one_of(
        # a value of the wrong type anywhere
        st.sampled_from(PATHS[name]).map(
            lambda lv: (broken(name, lv[0], _wrong_type(lv[1])), lv[0])
        ),
        # a dangling reference
        st.sampled_from(_references(name)).map(lambda loc: (broken(name, loc, "nowhere"), loc)),
        # a negative duration on a routing cycle time
        st.sampled_from(
            [loc for loc, _ in PATHS[name] if "routing" in loc and loc[-2] == "stations"]
        ).map(lambda loc: (broken(name, loc, -5), loc)),
        # an unknown key in a model
        st.sampled_from([loc for loc, v in PATHS[name] if isinstance(v, dict)]).map(
            lambda loc: (broken(name, (*loc, "zzz"), 1), (*loc, "zzz"))
        ),
    )
)


def _without(name: str, loc: Loc) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(BASES[name])
    node: Any = data
    for part in loc[:-1]:
        node = node[part]
    del node[loc[-1]]
    return data


dropped = st.sampled_from([(n, loc) for n, locs in REQUIRED.items() for loc in locs]).map(
    lambda case: (_without(*case), case[1])
)


@SETTINGS
@given(case=mutations | dropped)
def test_validate_reports_a_broken_file_in_one_line(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    case: tuple[dict[str, Any], Loc],
) -> None:
    """`twin validate bad.yaml`: exit 2, first stderr line `bad.yaml: path: ...`."""
    data, loc = case
    path = write(tmp_path_factory.mktemp("v"), data)
    assert_clean_failure(*cli(["validate", str(path)], capsys), path, loc)


@SETTINGS
@given(case=mutations | dropped)
def test_run_reports_a_broken_file_in_one_line(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    case: tuple[dict[str, Any], Loc],
) -> None:
    """`twin run bad.yaml --out DIR`: exit 2 before simulating, nothing written."""
    data, loc = case
    tmp = tmp_path_factory.mktemp("r")
    path = write(tmp, data)
    out_dir = tmp / "run"
    assert_clean_failure(
        *cli(["run", str(path), "--out", str(out_dir), "--quiet"], capsys), path, loc
    )
    assert not out_dir.exists()


@SETTINGS
@given(text=st.text(max_size=60))
def test_arbitrary_text_never_gives_a_traceback(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    """Any text file: exit 2 with a line naming the file (YAML or schema error)."""
    path = tmp_path_factory.mktemp("t") / "junk.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = cli(["validate", str(path)], capsys)
    assert code == 2 and "Traceback" not in out + err
    assert err.splitlines()[0].startswith("junk.yaml")


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_scenarios_validate(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every shipped scenario: `ok: NAME (N stations, ...)` and exit 0."""
    code, out, err = cli(["validate", str(path)], capsys)
    assert (code, err) == (0, "")
    assert out.startswith(f"ok: {path.name} (")


def test_the_dumped_bases_are_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The mutations start from valid files: a plain round trip through YAML validates."""
    paths = [str(write(tmp_path, data, f"{name}.yaml")) for name, data in BASES.items()]
    code, out, _ = cli(["validate", *paths], capsys)
    assert code == 0 and out.count("ok: ") == len(paths)


def test_one_bad_file_among_good_ones_fails_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The good files still say ok; the bad one is named on stderr; exit 2."""
    bad = write(tmp_path, broken("pilot_workshop", ("stations", 3, "mtbf"), -5))
    code, out, err = cli(["validate", str(BUNDLED[0]), str(bad)], capsys)
    assert code == 2 and out.startswith(f"ok: {BUNDLED[0].name}")
    assert err.splitlines()[0] == (
        'bad.yaml: stations[3].mtbf: expected a duration like "120h", got -5'
    )


SUBPROCESS_CASES = [
    (("stations", 3, "mtbf"), -5, "stations[3].mtbf"),
    (("orders", 0, "product"), "shaftt", "orders[0].product"),
    (("time_unit",), "sec", "time_unit"),
]


@pytest.mark.parametrize(("loc", "value", "field"), SUBPROCESS_CASES)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_real_process_fails_cleanly(
    tmp_path: Path, loc: Loc, value: object, field: str, command: str
) -> None:
    """`python -m twin validate|run bad.yaml`: exit 2, one readable line, no traceback."""
    path = write(tmp_path, broken("pilot_workshop", loc, value))
    argv = [sys.executable, "-m", "twin", command, str(path)]
    if command == "run":
        argv += ["--out", str(tmp_path / "run"), "--quiet"]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    first = proc.stderr.splitlines()[0]
    assert HEAD.match(first) is not None and f"bad.yaml: {field}: " in first, first
