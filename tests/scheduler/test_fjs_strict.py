"""Strict, bounded instance readers: each bad input names its line or field and what
was expected, always as an InstanceFormatError, and valid files read as before."""

from __future__ import annotations

import copy
import json
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import scheduler.fjs
from scheduler import (
    InstanceFormatError,
    ProblemData,
    fjsp_dir,
    read_fjs,
    read_instance,
    read_json,
    write_fjs,
    write_json,
)
from scheduler.limits import MAX_BYTES, MAX_DURATION, MAX_MACHINES
from tests.benchdata import needs_data

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scenarios" / "instances" / "demo_shop"
ARRAYS = ("job_op_ptr", "op_mode_ptr", "mode_machine", "mode_duration")


def refused(path: Path, **kwargs: Any) -> str:
    """The message of the InstanceFormatError that reading ``path`` raises."""
    with pytest.raises(InstanceFormatError) as err:
        read_instance(path, **kwargs)
    assert str(path) in str(err.value)
    return str(err.value)


# -- .fjs -------------------------------------------------------------------------------

FJS_CASES = [
    ("1 2\n1 1 1 --5\n", ":2: expected integers, got '--5'"),
    ("1 2\n1 1 1 +5\n", ":2: expected integers, got '+5'"),
    ("1 2\n1 1 1 1_0\n", ":2: expected integers, got '1_0'"),
    ("1 2\n1 1 1 \u0663\n", ":2: expected integers, got '\u0663'"),
    ("1 2\n1 1 1 5.0\n", ":2: expected integers, got '5.0'"),
    ("1 2\n1 1 1 -\n", ":2: expected integers, got '-'"),
    ("1 2\n1 1 1 Infinity\n", ":2: expected integers, got 'Infinity'"),
    ("1 2\n1 1 1 5\x00\n", ":2: expected integers, got '5\\x00'"),
    ("1 --2\n1 1 1 5\n", ":1: expected integers, got '--2'"),
    (
        f"1 2\n1 1 1 {2**63}\n",
        ":2: operation 1: duration 9223372036854775808 exceeds the bound 1000000000",
    ),
    ("1 2\n1 1 1 " + "9" * 5000 + "\n", ":2: number 999999999999...(5000 digits) is out of range"),
    ("1 2\n1 1 1 " + "9" * 4000 + "\n", "duration 999999999999...(4000 digits) exceeds the bound"),
    ("0 2\n", ":1: need >= 1 job and machine, got [0, 2]"),
    ("0 2 0\n", ":1: need >= 1 job and machine, got [0, 2]"),
    ("1 0\n1 1 1 5\n", ":1: need >= 1 job and machine, got [1, 0]"),
    ("1 1000000000\n1 1 1 5\n", ":1: machine count 1000000000 exceeds the bound 100000"),
    ("2000000 2\n1 1 1 5\n", ":1: job count 2000000 exceeds the bound 1000000"),
    ("1\n1 1 1 5\n", ":1: header needs 'jobs machines'"),
    ("1 2 x\n1 1 1 5\n", ":1: header: expected 'jobs machines [average]', got '1 2 x'"),
    ("1 2 1 1\n1 1 1 5\n", ":1: header: expected 'jobs machines [average]'"),
    ("1 2\n0\n", ":2: a job needs >= 1 operation, got 0"),
    ("1 2\n1 0\n", ":2: operation 1 has 0 machines, expected >= 1"),
    ("1 2\n1 3 1 1 2 1 1 1\n", ":2: operation 1 has 3 machines, expected at most 2"),
    ("1 2\n1 2 1 3 1 4\n", ":2: operation 1: machine 1 listed twice"),
    ("1 2\n2 1 1 4\n", ":2: line ends early: expected the machine count of operation 2"),
    (
        "1 2\n1000000000000 1 1 4\n",
        ":2: line ends early: expected the machine count of operation 2",
    ),
    ("1 2\n1 1 2 4 9\n", ":2: 1 extra numbers after the last operation"),
    ("1 2\n1 1 0 4\n", ":2: operation 1: machine 0 outside 1..2"),
    ("1 2\n1 1 1 -4\n", ":2: operation 1: negative duration -4"),
    ("2 2\n1 1 1 3\n", "header declares 2 jobs but 1 job lines follow"),
    ("1 2\n1 1 1 4\n\n3 3\n", ":4: unexpected content after 1 jobs"),
]


@pytest.mark.parametrize(("text", "message"), FJS_CASES)
def test_bad_fjs_names_the_line_and_the_expectation(
    tmp_path: Path, text: str, message: str
) -> None:
    """Each malformed .fjs text is refused with its line and what was expected."""
    path = tmp_path / "bad.fjs"
    path.write_text(text, encoding="utf-8")
    assert message in refused(path)


def test_total_operations_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The running total over jobs is checked on the job line that passes the bound."""
    monkeypatch.setattr(scheduler.fjs, "MAX_OPERATIONS", 3)
    path = tmp_path / "many.fjs"
    path.write_text("3 1\n2 1 1 1 1 1 1\n1 1 1 1\n1 1 1 1\n")
    assert ":4: operations up to this job: 4 exceeds the bound 3" in refused(path)


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    """Files saved by Windows editors read like plain ones."""
    path = tmp_path / "win.fjs"
    path.write_bytes(b"\xef\xbb\xbf1 2 1\r\n1 1 2 7\r\n")
    assert read_fjs(path).modes(0) == [(1, 7)]


# -- JSON -------------------------------------------------------------------------------


def small_payload() -> dict[str, Any]:
    data = ProblemData.from_jobs([[[(0, 3), (1, 4)], [(1, 2)]], [[(0, 5)]]], num_machines=2)
    return data.to_dict()


def setting(path: tuple[str | int, ...], value: object) -> Any:
    """A mutation that puts ``value`` at ``path`` of the payload."""

    def mutate(payload: dict[str, Any]) -> None:
        target: Any = payload
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def dropping(key: str) -> Any:
    return lambda payload: payload.pop(key)


JSON_CASES = [
    (setting(("mode_duration", 1), 1.7), "mode_duration[1]: expected an integer duration, got 1.7"),
    (setting(("mode_duration", 1), 4.0), "mode_duration[1]: expected an integer duration, got 4.0"),
    (
        setting(("mode_duration", 1), True),
        "mode_duration[1]: expected an integer duration, got true",
    ),
    (setting(("mode_duration", 1), "4"), 'mode_duration[1]: expected an integer duration, got "4"'),
    (
        setting(("mode_duration", 1), None),
        "mode_duration[1]: expected an integer duration, got null",
    ),
    (
        setting(("mode_duration", 1), [4]),
        "mode_duration[1]: expected an integer duration, got a list",
    ),
    (
        setting(("mode_duration", 1), 2**63),
        "mode_duration[1]: duration 9223372036854775808 exceeds the bound 1000000000",
    ),
    (setting(("mode_duration", 1), -4), "mode_duration[1]: duration -4 is below 0"),
    (setting(("mode_machine", 0), 7), "operation 0: unknown machine 7 (machines are 0..1)"),
    (setting(("num_machines",), 10**9), "num_machines: machine count 1000000000 exceeds the bound"),
    (setting(("num_machines",), 0), "num_machines: machine count 0 is below 1"),
    (setting(("num_machines",), "2"), 'num_machines: expected an integer machine count, got "2"'),
    (setting(("release",), [0, -1]), "release[1]: release time -1 is below 0"),
    (setting(("due",), [0, -2]), "due[1]: due date -2 is below -1"),
    (setting(("weight",), [1, 10**7]), "weight[1]: weight 10000000 exceeds the bound 1000000"),
    (setting(("transport",), 5), "transport: expected a list, got 5"),
    (setting(("transport",), [[0, 1], [2]]), "transport[1]: expected 2 values like"),
    (
        setting(("setup",), [[[0, [1]]]]),
        "setup[0][0][1]: expected an integer setup time, got a list",
    ),
    (setting(("job_names",), ["a", 1]), "job_names[1]: expected a string, got 1"),
    (setting(("name",), 5), "name: expected a string, got 5"),
    (setting(("name",), "\ud800"), "name: not valid Unicode"),
    (setting(("format",), "other"), "format: expected 'shopfloor-twin/fjsp', got \"other\""),
    (setting(("version",), 2), "version: expected 1, got 2"),
    (setting(("version",), True), "version: expected 1, got true"),
    (setting(("bogus",), 1), "unknown field(s) ['bogus']"),
    (dropping("mode_duration"), "mode_duration: missing"),
    (dropping("num_machines"), "num_machines: missing (required: num_machines, job_op_ptr"),
    (dropping("window_start"), "window_ptr given without window_start and window_end"),
    (
        setting(("job_op_ptr",), [0]),
        "job_op_ptr: expected 2..1000001 values (one more than the jobs, 1..1000000), got 1",
    ),
    (setting(("job_op_ptr", 2), 5), "job_op_ptr must start at 0 and end at the number"),
]


@pytest.mark.parametrize(("mutate", "message"), JSON_CASES)
def test_bad_json_names_the_field_and_the_expectation(
    tmp_path: Path, mutate: Any, message: str
) -> None:
    """Each bad field is refused with its path and what was expected."""
    payload = small_payload()
    mutate(payload)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(payload))
    assert message in refused(path)
    wrapped = tmp_path / "report.json"
    wrapped.write_text(json.dumps({"problem": payload, "schedule": {}}))
    if ":" in message.split(" ")[0]:  # field paths get the wrapper's prefix
        assert f"problem.{message}" in refused(wrapped)


RAW_JSON_CASES = [
    ("[" * 100_000, "invalid JSON: nested too deeply"),
    ('{"num_machines": 2,\n  "x": }', ":2: invalid JSON: Expecting value (column 8)"),
    ('{"num_machines": 1, "num_machines": 2}', "invalid JSON: duplicate key 'num_machines'"),
    ("[1, 2]", "expected a JSON object at the top, got a list"),
    ("", ":1: invalid JSON: Expecting value"),
]


@pytest.mark.parametrize(("text", "message"), RAW_JSON_CASES)
def test_bad_json_text(tmp_path: Path, text: str, message: str) -> None:
    """Syntax, nesting and duplicate keys are refused before any field is read."""
    path = tmp_path / "bad.json"
    path.write_text(text)
    assert message in refused(path)


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ("Infinity", "expected an integer duration, got Infinity"),
        ("-Infinity", "expected an integer duration, got -Infinity"),
        ("NaN", "expected an integer duration, got NaN"),
        ("1e400", "expected an integer duration, got 1e400"),
        ("3.0", "expected an integer duration, got 3.0"),
        ("9" * 5000, "duration 999999999999...(5000 digits) exceeds the bound 1000000000"),
        ("-" + "9" * 5000, "duration -99999999999...(5000 digits) is below 0"),
    ],
)
def test_json_numbers_are_quoted_as_written(tmp_path: Path, literal: str, message: str) -> None:
    """Non-integers and giant integers are named in the file's own spelling."""
    text = json.dumps(small_payload()).replace(
        '"mode_duration": [3,', f'"mode_duration": [{literal},'
    )
    path = tmp_path / "bad.json"
    path.write_text(text)
    assert f"mode_duration[0]: {message}" in refused(path)


# -- files ------------------------------------------------------------------------------


def test_directory_named_like_an_instance(tmp_path: Path) -> None:
    """A directory called x.json is not read as one."""
    (tmp_path / "x.json").mkdir()
    assert "expected a regular file, got a directory" in refused(tmp_path / "x.json")


def test_fifo_does_not_block(tmp_path: Path) -> None:
    """A FIFO with no writer is refused at once instead of waiting forever in open()."""
    fifo = tmp_path / "x.fjs"
    os.mkfifo(fifo)
    messages: list[str] = []
    worker = threading.Thread(target=lambda: messages.append(refused(fifo)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "read_instance blocked on a FIFO"
    assert "expected a regular file, got a FIFO" in messages[0]


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_devices_are_refused(tmp_path: Path) -> None:
    """/dev/zero, directly or through a symlink, is refused before a byte is read."""
    link = tmp_path / "zero.fjs"
    link.symlink_to("/dev/zero")
    for path in (Path("/dev/zero"), link):
        with pytest.raises(InstanceFormatError, match="got a character device"):
            read_fjs(path)


def test_size_cap_and_how_to_raise_it(tmp_path: Path) -> None:
    """Past max_bytes the message says how to raise it; raising it reads the file."""
    path = tmp_path / "a.fjs"
    path.write_text("1 2\n1 1 1 5\n" + " " * 100)
    size = path.stat().st_size
    message = refused(path, max_bytes=size - 1)
    assert (
        f"file is {size} bytes, over the {size - 1}-byte cap; to read it, raise the cap" in message
    )
    assert read_instance(path, max_bytes=size).num_ops == 1
    assert MAX_BYTES == 64 * 2**20


def test_invalid_utf8_names_line_and_byte(tmp_path: Path) -> None:
    """Undecodable bytes are reported with their line and offset."""
    path = tmp_path / "a.fjs"
    path.write_bytes(b"1 2\n1 1 1 \xff5\n")
    assert ":2: not UTF-8 text: byte 0xff at offset 10" in refused(path)
    path = tmp_path / "a.json"
    path.write_bytes(b'\xef\xbb\xbf{"name":\n "\xfe"}')
    assert ":2: not UTF-8 text: byte 0xfe at offset 14" in refused(path)


def test_unopenable_paths(tmp_path: Path) -> None:
    """Missing files and impossible names are InstanceFormatErrors too."""
    assert "no such file" in refused(tmp_path / "nope.json")
    with pytest.raises(InstanceFormatError, match="cannot open: embedded null byte"):
        read_fjs("a\x00b.fjs")
    with pytest.raises(InstanceFormatError, match=r"unknown instance format '\.csv'"):
        read_instance(tmp_path / "a.csv")


def test_bounds_are_documented_constants() -> None:
    """The bounds quoted in messages are module constants."""
    assert (MAX_DURATION, MAX_MACHINES) == (10**9, 100_000)


# -- valid files read exactly as before --------------------------------------------------


def naive_fjs(path: Path) -> list[list[list[tuple[int, int]]]]:
    """A slow, trusting twin of the reader: whitespace-separated integers, one job a line."""
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    jobs = []
    for tokens in lines[1 : int(lines[0][0]) + 1]:
        nums, pos, ops = [int(t) for t in tokens], 1, []
        for _ in range(nums[0]):
            k = nums[pos]
            ops.append([(nums[pos + 1 + 2 * i] - 1, nums[pos + 2 + 2 * i]) for i in range(k)])
            pos += 1 + 2 * k
        jobs.append(ops)
    return jobs


def same(a: ProblemData, b: ProblemData) -> bool:
    da, db = a.to_dict(), b.to_dict()
    da.pop("name"), db.pop("name")
    return da == db


def check_round_trips(path: Path, tmp_path: Path) -> None:
    data = read_fjs(path)
    expected = ProblemData.from_jobs(naive_fjs(path), num_machines=int(path.read_text().split()[1]))
    assert same(data, expected), path
    write_fjs(data, tmp_path / "x.fjs")
    write_json(data, tmp_path / "x.json")
    for back in (read_fjs(tmp_path / "x.fjs"), read_json(tmp_path / "x.json")):
        for key in ARRAYS:
            assert np.array_equal(getattr(back, key), getattr(data, key)), (path, key)
        assert back.num_machines == data.num_machines


@needs_data
def test_every_public_instance_reads_as_before(tmp_path: Path) -> None:
    """All 192 benchmark files equal the naive reading and survive both round trips."""
    files = sorted(fjsp_dir().glob("*/*.fjs"))
    assert len(files) == 192
    for path in files:
        check_round_trips(path, tmp_path)


def test_bundled_demo_reads_as_before(tmp_path: Path) -> None:
    """The demo instance: .fjs as the naive reader sees it, .json as from_dict sees it."""
    check_round_trips(DEMO.with_suffix(".fjs"), tmp_path)
    plain = ProblemData.from_dict(json.loads(DEMO.with_suffix(".json").read_text()))
    assert same(read_json(DEMO.with_suffix(".json")), plain)
    assert plain.name == read_json(DEMO.with_suffix(".json")).name
    wrapped = tmp_path / "report.json"
    wrapped.write_text(json.dumps({"problem": copy.deepcopy(plain.to_dict())}))
    assert same(read_json(wrapped), plain)
