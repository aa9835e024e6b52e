"""A long wait is charged from running totals (twin.kpi.orders._Totals), not state change
by state change: the same time per cause as the walk, far quicker on long runs."""

from __future__ import annotations

import numpy as np
import pytest

import twin.kpi.orders as orders
from twin.eventlog import EventLog
from twin.kpi.orders import CAUSES, order_delays
from twin.shopinfo import JobInfo

STATES = ("busy", "setup", "waiting_operator", "starved", "down", "off", "idle", "blocked")


def _log(seed: int, changes: int) -> EventLog:
    """One lot waiting 1,000 time units for unit m, whose state changes ``changes`` times
    (ties included) meanwhile; then processed on m and finished."""
    rng = np.random.default_rng(seed)
    log = EventLog()
    log.record(0.0, "release", "", job=0, value=1, product="p")
    times = np.sort(np.round(rng.uniform(-50.0, 1_000.0, changes), 1))
    for t, s in zip(times, rng.choice(STATES, changes), strict=True):
        log.record(float(t), "state", "m", state=str(s))
    log.record(1_000.0, "op_start", "m", job=0, operation=0, product="p")
    log.record(1_010.0, "op_end", "m", job=0, operation=0, product="p")
    log.record(1_010.0, "finish", "", job=0, value=1, product="p")
    return log


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_long_waits_match_the_walk_over_every_state_change(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    log, jobs = _log(seed, 2_000), [JobInfo("J0", "p", 1, 0.0, 500.0)]
    looked_up = []
    charged = orders._Totals.charged
    monkeypatch.setattr(
        orders._Totals, "charged", lambda self, *a: looked_up.append(a) or charged(self, *a)
    )
    (fast,) = order_delays(log, jobs)
    assert len(looked_up) == 2  # the wait's two ends, from the totals
    monkeypatch.setattr(orders, "_WALK", 10**9)  # every wait walked change by change
    (walked,) = order_delays(log, jobs)
    assert fast.causes == pytest.approx(walked.causes, abs=1e-9)
    assert fast.causes["processing"] == 10.0
    assert sum(fast.causes.values()) == pytest.approx(fast.lead_time)
    # the wait is spread over the unit's states, not lumped into one cause
    assert sum(fast.causes[c] > 0 for c in CAUSES) >= 6


def test_a_wait_before_the_units_first_state_counts_as_other() -> None:
    """The unit is idle before its first state event: charged to "other"."""
    log = EventLog()
    log.record(0.0, "release", "", job=0, value=1, product="p")
    for k in range(200):  # m's log starts at 100: 0..100 is before it
        log.record(100.0 + 4 * k, "state", "m", state="busy" if k % 2 else "down")
    log.record(900.0, "op_start", "m", job=0, operation=0, product="p")
    log.record(901.0, "op_end", "m", job=0, operation=0, product="p")
    log.record(901.0, "finish", "", job=0, value=1, product="p")
    (lot,) = order_delays(log, [JobInfo("J0", "p", 1, 0.0, None)])
    assert lot.causes["other"] == pytest.approx(100.0)
    assert lot.causes["breakdown"] == pytest.approx(400.0)  # 100 changes of 4 each
    # busy: 100 stretches of 4 (the last from 896 until the operation starts at 900)
    assert lot.causes["machine"] == pytest.approx(400.0)
    assert lot.causes["processing"] == 1.0
