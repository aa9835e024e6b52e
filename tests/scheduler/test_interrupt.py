"""Stopping a solve: the ``stop`` event ends every method within a fraction of a second
with its best schedule so far, and Ctrl-C reaches Python while CP-SAT searches."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import scheduler
from scheduler import ProblemData, Result, check
from scheduler.cpsat import DEFAULT_PARAMS
from scheduler.generate import generate
from scheduler.warmup import warmup

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def _compiled() -> None:
    warmup()  # numba compilation must not count as reaction time


def medium() -> ProblemData:
    """540 operations: no method finishes it within 30 s."""
    return generate(60, 10, ops_per_job=(8, 10), seed=0)


def with_setups(data: ProblemData, families: int = 4) -> ProblemData:
    rng = np.random.default_rng(0)
    m = data.num_machines
    return data.replace(
        op_family=rng.integers(0, families, data.num_ops),
        setup=rng.integers(0, 9, (m, families, families)),
    )


def stop_after(
    data: ProblemData, method: str, after: float, limit: float = 30, **kwargs: Any
) -> tuple[Result, float]:
    """Solve in a thread with a ``limit`` s limit, set the event ``after`` seconds in;
    the result and the seconds from setting the event to the solve's return."""
    stop = threading.Event()
    box: dict[str, Result] = {}

    def run() -> None:
        box["result"] = scheduler.solve(
            data, method, time_limit=limit, workers=2, seed=0, stop=stop, **kwargs
        )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(after)
    assert thread.is_alive(), f"{method} ended before it could be stopped"
    stop.set()
    sent = time.perf_counter()
    thread.join(30)
    return box["result"], time.perf_counter() - sent


@pytest.mark.parametrize("method", ["cpsat", "tabu", "auto"])
def test_stop_ends_every_search_with_its_best_schedule(method: str) -> None:
    """Half a second into a 30 s solve, the event ends it within a second, with a
    checked schedule flagged as interrupted."""
    data = medium()
    result, took = stop_after(data, method, 0.5)
    assert took < 1.0, f"{method} took {took:.2f} s to stop"
    assert result.schedule is not None and check(data, result.schedule) == []
    assert result.stats["interrupted"] is True
    assert result.status is scheduler.Status.FEASIBLE


def test_stop_ends_dispatch_best_between_rules() -> None:
    """``rule="best"`` on 37,000 operations (a pass takes a fraction of a second) stops
    after the pass in hand; the single pass of one rule is never cut."""
    data = generate(5000, 10, seed=0)
    result, took = stop_after(data, "dispatch", 0.5, rule="best")
    assert took < 1.5
    assert result.stats["interrupted"] is True and result.stats["rules_tried"] < 8
    assert result.schedule is not None and check(data, result.schedule) == []


@pytest.mark.parametrize(
    ("method", "limit"), [("auto", 4.0), ("cpsat", 30.0)], ids=["auto-cpsat-phase", "cpsat-lns"]
)
def test_stop_reaches_cpsat_inside_auto_and_its_lns(method: str, limit: float) -> None:
    """With setups, 2 s in: auto (decoder shares, 4 s) is in its CP-SAT phase, CP-SAT
    alone (30 s) in its LNS. Both end at once."""
    data = with_setups(medium())
    result, took = stop_after(data, method, 2.0, limit)
    assert took < 1.5
    assert result.stats["interrupted"] is True
    assert result.schedule is not None and check(data, result.schedule) == []


def test_stop_before_the_solve_returns_a_start_at_once() -> None:
    """An event already set: every method returns its first schedule, interrupted."""
    data = medium()
    stop = threading.Event()
    stop.set()
    for method in ("cpsat", "tabu", "auto", "dispatch"):
        t0 = time.perf_counter()
        result = scheduler.solve(data, method, time_limit=30, workers=2, stop=stop)
        assert time.perf_counter() - t0 < 2.0, method
        assert result.stats["interrupted"] is True, method
        assert result.schedule is not None and check(data, result.schedule) == [], method


def test_cpsat_leaves_sigint_to_python() -> None:
    """CP-SAT's own SIGINT handler is off for every solve."""
    assert DEFAULT_PARAMS["catch_sigint_signal"] is False


def _child(code: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _signal_when_ready(proc: subprocess.Popen[str], after: float) -> dict[str, Any]:
    """Wait for the child's ``ready`` line, SIGINT it ``after`` seconds later; its
    JSON report (it must end within 10 s of the signal)."""
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(after)
    assert proc.poll() is None, "the solve ended before the signal"
    os.kill(proc.pid, signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("no exit within 10 s of SIGINT")
    assert proc.returncode == 0, err
    report: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return report


CHILD_SETUP = """
    import json, signal, threading, time
    import scheduler
    from scheduler import check
    from scheduler.generate import generate
    from scheduler.warmup import warmup
    data = generate(60, 10, ops_per_job=(8, 10), seed=0)
    warmup()
    scheduler.solve(generate(3, 2, flexibility=1), "cpsat", time_limit=1)  # imports
"""


def test_sigint_handler_stops_a_cpsat_solve_in_a_subprocess() -> None:
    """A script that maps SIGINT to the stop event gets its schedule within a second
    of Ctrl-C, 1.5 s into a 20 s CP-SAT solve."""
    proc = _child(
        CHILD_SETUP
        + """
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready", flush=True)
    t0 = time.perf_counter()
    result = scheduler.solve(data, "cpsat", time_limit=20, workers=2, stop=stop)
    print(json.dumps({
        "seconds": time.perf_counter() - t0,
        "interrupted": result.stats["interrupted"],
        "clean": result.schedule is not None and check(data, result.schedule) == [],
    }))
    """
    )
    report = _signal_when_ready(proc, 1.5)
    assert report["interrupted"] and report["clean"]
    assert report["seconds"] < 1.5 + 1.0


@pytest.mark.parametrize("method", ["cpsat", "auto", "tabu"])
def test_sigint_without_a_handler_raises_keyboard_interrupt_promptly(method: str) -> None:
    """Without a handler Ctrl-C raises KeyboardInterrupt during the search (not after
    it), Python's handler is still installed afterwards, and the process exits
    cleanly (it aborts if it exits while a CP-SAT thread is still searching)."""
    proc = _child(
        CHILD_SETUP
        + f"""
    print("ready", flush=True)
    t0 = time.perf_counter()
    try:
        scheduler.solve(data, "{method}", time_limit=20, workers=2)
        raised = False
    except KeyboardInterrupt:
        raised = True
    print(json.dumps({{
        "seconds": time.perf_counter() - t0,
        "raised": raised,
        "handler_kept": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
    }}))
    """
    )
    report = _signal_when_ready(proc, 1.5)
    assert report["raised"] and report["handler_kept"]
    assert report["seconds"] < 1.5 + 1.0
