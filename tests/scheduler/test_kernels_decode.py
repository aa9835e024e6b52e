"""The decoder kernel against its Python twin and the independent checker."""

from __future__ import annotations

import numpy as np
import pytest

from scheduler.check import check
from scheduler.kernels import heads_tails, kernel_data, positions
from scheduler.result import Schedule
from scheduler.search.encoding import Decoded, initial_ms, random_os
from tests import naive

CASES = [(seed, extras) for seed in range(12) for extras in (False, True)]
POOL_CASES = (
    [(seed, extras, False, False) for seed, extras in CASES]
    + [(seed, True, True, False) for seed in range(12)]
    + [(seed, True, True, True) for seed in range(24)]
)


@pytest.mark.parametrize(("seed", "extras", "pools", "holds"), POOL_CASES)
@pytest.mark.parametrize("active", [True, False])
def test_decode_matches_naive_twin(
    seed: int, extras: bool, active: bool, pools: bool, holds: bool
) -> None:
    """Kernel and twin give identical starts, ends, machines and machine sequences
    (``pools``: with renewable resources too, over every other extra; ``holds``: some
    modes hold their pool only at the head and tail of each load)."""
    data = naive.random_problem(
        seed, jobs=6, machines=3, extras=extras, resources=pools, holds=holds
    )
    assert data.has_resources == pools
    assert data.has_partial_holds == holds
    rng = np.random.default_rng(seed)
    buf = Decoded(data, kernel_data(data))
    for _ in range(5):
        os_seq = random_os(data, rng)
        ms = initial_ms(data, rng, "random")
        got = buf.run(os_seq, ms, active)
        want = naive.decode(data, os_seq.tolist(), ms.tolist(), active)
        if want is None:
            assert got == -1
            continue
        start, end, mach, seqs = want
        assert got == max(end)
        assert buf.start.tolist() == start
        assert buf.end.tolist() == end
        assert buf.mach.tolist() == mach
        for k, seq in enumerate(seqs):
            lo = int(buf.kd.mach_ptr[k])
            assert buf.seq[lo : lo + buf.mlen[k]].tolist() == seq


@pytest.mark.parametrize(("seed", "extras"), CASES)
def test_every_decoded_schedule_passes_check(seed: int, extras: bool) -> None:
    """Active and semi-active decodes of random genes are feasible schedules (with
    every extra: pools too)."""
    data = naive.random_problem(100 + seed, jobs=7, machines=4, extras=extras, resources=extras)
    rng = np.random.default_rng(seed)
    buf = Decoded(data, kernel_data(data))
    decoded = 0
    for kind in ("global", "local", "random"):
        for active in (True, False):
            if buf.run(random_os(data, rng), initial_ms(data, rng, kind), active) < 0:
                continue
            decoded += 1
            assert check(data, buf.schedule()) == []
    assert decoded > 0


@pytest.mark.parametrize("seed", range(8))
def test_semi_active_starts_are_the_graph_heads(seed: int) -> None:
    """Without extras, semi-active starts equal the heads of the decoded machine order."""
    data = naive.random_problem(200 + seed, jobs=6, machines=3)
    kd = kernel_data(data)
    rng = np.random.default_rng(seed)
    buf = Decoded(data, kd)
    buf.run(random_os(data, rng), initial_ms(data, rng, "global"), active=False)
    n = data.num_ops
    pos, r, q, order, indeg = (np.zeros(n, np.int64) for _ in range(5))
    positions(buf.seq, kd.mach_ptr, buf.mlen, pos)
    p = buf.end - buf.start
    args = (data.op_job, data.release, p, buf.mach, buf.seq, kd.mach_ptr, buf.mlen, pos)
    makespan = heads_tails(*args, r, q, order, indeg)
    assert makespan == buf.end.max()
    assert r.tolist() == buf.start.tolist()


def test_active_decode_fills_an_idle_gap() -> None:
    """A short operation decoded late still starts in the gap left on its machine."""
    from scheduler.problem import ProblemData

    data = ProblemData.from_jobs([[[(0, 2)], [(1, 5)]], [[(1, 3)]], [[(1, 1)]]])
    buf = Decoded(data, kernel_data(data))
    os_seq = np.array([0, 0, 1, 2], np.int64)
    ms = np.arange(data.num_ops, dtype=np.int64)
    buf.run(os_seq, ms, active=True)
    assert buf.schedule() == Schedule([0, 1, 1, 1], [0, 2, 7, 0], [2, 7, 10, 1])
    buf.run(os_seq, ms, active=False)
    assert buf.start.tolist() == [0, 2, 7, 10]


def test_missed_fixed_start_is_reported() -> None:
    """An operation that cannot end before its job's fixed successor makes decode fail."""
    from scheduler.problem import ProblemData

    data = ProblemData.from_jobs(
        [[[(0, 5)], [(1, 1)]], [[(0, 9)]]], fixed_machine=[-1, 1, -1], fixed_start=[-1, 6, -1]
    )
    buf = Decoded(data, kernel_data(data))
    ms = np.arange(data.num_ops, dtype=np.int64)
    assert buf.run(np.array([0, 0, 1], np.int64), ms) == 14
    assert check(data, buf.schedule()) == []
    assert buf.run(np.array([1, 0, 0], np.int64), ms) == -1
