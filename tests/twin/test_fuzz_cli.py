"""Fuzz the CLI with hostile scenario values and flags: every outcome is exit 0 or 2, no
traceback, within bounded time and memory; what `validate` rejects `run` rejects too.

Mutations put extreme values (huge and tiny numbers, NaN, overflowing integers, odd
strings, wrong shapes) at random places of the bundled scenarios. A mutant that
`twin validate` accepts is run by a real `twin run` process under a memory cap and a
timeout; one it rejects must be rejected by `twin run` with the same first line.
``CLI_FUZZ_EXAMPLES`` raises the number of examples.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_cli_scenarios import cli, write
from test_scenario_errors import PATHS, Loc, broken

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("CLI_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
MEMORY = 4 << 30  # bytes of address space for a fuzzed run
TIMEOUT = 120.0  # seconds for a fuzzed run (the slowest accepted mutant takes a few)

hostile_numbers = st.sampled_from(
    [0, -1, 1, 2**31, 2**63, 2**70, 10**400, -(2**63), 1e308, -1e308, 1e-300, 5e-324,
     float("nan"), float("inf"), float("-inf"), 0.5, 1e9, 1e6, 999_999]
)  # fmt: skip
hostile_text = st.sampled_from(
    ["", " ", "--5", "1e400h", "1e-400min", "NaN", "inf", "-3h", "1h 1e308min", "99999999w",
     "06:00", "25:61", "mon", "true", "null", "x" * 5000, "数控", "\x00", "1.7", "0x10"]
)  # fmt: skip
hostile_shapes = st.sampled_from(
    [None, True, False, [], {}, [[]], {"dist": "weibull", "shape": 1e-300, "scale": "1h"},
     {"dist": "lognormal", "mean": "1h", "cv": 1e300}, {"dist": "normal", "mean": 1, "sd": -1},
     [1] * 1000, {"a": {"b": {"c": {"d": 1}}}}]
)  # fmt: skip
hostile = st.one_of(hostile_numbers, hostile_text, hostile_shapes)


def _leaves(name: str) -> list[Loc]:
    return [loc for loc, value in PATHS[name] if not isinstance(value, dict | list)]


mutants = st.sampled_from(sorted(PATHS)).flatmap(
    lambda name: st.tuples(
        st.just(name),
        st.lists(st.tuples(st.sampled_from(_leaves(name)), hostile), min_size=1, max_size=3),
    )
)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _mutate(name: str, changes: list[tuple[Loc, Any]]) -> dict[str, Any]:
    data = broken(name, changes[0][0], changes[0][1])
    for loc, value in changes[1:]:
        node: Any = data
        try:
            for part in loc[:-1]:
                node = node[part]
            node[loc[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change replaced the branch this one would go into
    return data


@FUZZ
@given(mutant=mutants)
def test_hostile_scenarios_never_crash_hang_or_pass_unnoticed(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    mutant: tuple[str, list[tuple[Loc, Any]]],
) -> None:
    name, changes = mutant
    tmp = tmp_path_factory.mktemp("fuzz")
    path = write(tmp, _mutate(name, changes))
    code, out, err = cli(["validate", str(path)], capsys)
    assert code in (0, 2) and "Traceback" not in out + err, err[-2000:]
    out_dir = tmp / "run"
    if code == 2:
        event("rejected by validate")
        r_code, _, r_err = cli(["run", str(path), "--out", str(out_dir), "--quiet"], capsys)
        assert r_code == 2, r_err
        assert r_err.splitlines()[0] == "twin: error: " + err.splitlines()[0]
        assert not out_dir.exists()
        return
    event("accepted by validate: run in a process")
    proc = subprocess.run(
        [sys.executable, "-m", "twin", "run", str(path), "--out", str(out_dir), "--quiet",
         "--replications", "1", "--method", "fifo"],
        cwd=tmp, capture_output=True, text=True, timeout=TIMEOUT, preexec_fn=_limit_memory,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert (out_dir / "summary.json").is_file()


SCENARIO = str(ROOT / "scenarios" / "deterministic_mk01.yaml")
INSTANCE = str(ROOT / "scenarios" / "instances" / "demo_shop.fjs")
flag_values = st.sampled_from(
    ["nan", "inf", "-inf", "-1", "0", str(2**70), "1e400", "", "abc", "1e-300", "0.5", "--5"]
)
COMMANDS: dict[str, tuple[list[str], list[str]]] = {
    "run": (["run", SCENARIO, "--quiet", "--method", "fifo"],
            ["--seed", "--replications", "--time-limit", "--workers", "--max-size"]),
    "schedule": (["schedule", INSTANCE, "--quiet", "--method", "dispatch"],
                 ["--seed", "--time-limit", "--workers", "--max-size"]),
    "generate": (["generate", "--out", "g.fjs"],
                 ["--jobs", "--machines", "--seed", "--ops", "--flexibility", "--durations"]),
    "bench": (["bench", "--family", "kacem", "--method", "dispatch"],
              ["--seeds", "--time-limit", "--workers"]),
    "validate": (["validate", SCENARIO], ["--max-size"]),
}  # fmt: skip


@FUZZ
@given(
    command=st.sampled_from(sorted(COMMANDS)),
    data=st.data(),
)
def test_hostile_flags_fail_in_one_line_or_run(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    data: st.DataObject,
) -> None:
    base, flags = COMMANDS[command]
    chosen = data.draw(st.lists(st.sampled_from(flags), min_size=1, max_size=3, unique=True))
    argv = list(base)
    for flag in chosen:
        argv += [flag, data.draw(flag_values)]
    monkeypatch.chdir(tmp_path_factory.mktemp("flags"))
    code, out, err = cli(argv, capsys)
    event(f"{command}: exit {code}")
    assert code in (0, 2), (argv, err[-2000:])
    assert "Traceback" not in out + err
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err
