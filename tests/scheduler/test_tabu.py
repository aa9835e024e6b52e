"""Tabu search: move kernels against their twins, then the search end to end."""

from __future__ import annotations

import numpy as np
import pytest

from scheduler.check import check
from scheduler.kernels import heads_tails, kernel_data, positions
from scheduler.kernels.tabu import apply_move, estimate_insert, estimate_shift
from scheduler.objective import Objective
from scheduler.result import Status
from scheduler.search.encoding import Decoded, initial_ms, random_os
from scheduler.search.tabu import graph_search_applies, solve_tabu
from tests import naive
from tests.benchdata import bench


def _solution(seed: int):  # type: ignore[no-untyped-def]
    data = naive.random_problem(seed, jobs=6, machines=3)
    kd = kernel_data(data)
    rng = np.random.default_rng(seed)
    buf = Decoded(data, kd)
    ms = initial_ms(data, rng, "random")
    buf.run(random_os(data, rng), ms, active=False)
    n = data.num_ops
    pos, r, q, order, indeg = (np.zeros(n, np.int64) for _ in range(5))
    positions(buf.seq, kd.mach_ptr, buf.mlen, pos)
    p = kd.mode_duration[ms].copy()
    mach = buf.mach.copy()
    args = (data.op_job, data.release, p, mach, buf.seq, kd.mach_ptr, buf.mlen, pos)
    heads_tails(*args, r, q, order, indeg)
    return data, kd, buf, ms.copy(), mach, p, pos, r, q, rng


def _seq(kd, buf, k: int) -> list[int]:  # type: ignore[no-untyped-def]
    lo = int(kd.mach_ptr[k])
    return buf.seq[lo : lo + buf.mlen[k]].tolist()


@pytest.mark.parametrize("seed", range(15))
def test_move_estimates_match_naive_twins(seed: int) -> None:
    """Insertion and shift estimates equal the Python twins for every move."""
    data, kd, buf, _ms, mach, p, pos, r, q, _ = _solution(seed)
    rl, ql, pl = r.tolist(), q.tolist(), p.tolist()
    scratch = np.zeros(4 * data.num_ops + 4, np.int64)
    for v in range(data.num_ops):
        k0 = int(mach[v])
        own = _seq(kd, buf, k0)
        hj = naive.job_head(data, v, rl, pl)
        tj = naive.job_tail(data, v, ql, pl)
        for b in range(len(own)):
            got = estimate_shift(
                v, int(pos[v]), b, int(kd.mach_ptr[k0]), len(own), buf.seq, data.op_job,
                data.release, r, q, p, scratch,
            )  # fmt: skip
            assert got == naive.estimate_shift(data, own, int(pos[v]), b, rl, ql, pl)
        for mi in range(int(data.op_mode_ptr[v]), int(data.op_mode_ptr[v + 1])):
            k = int(data.mode_machine[mi])
            if k == k0:
                continue
            other = _seq(kd, buf, k)
            pk = int(data.mode_duration[mi])
            for i in range(len(other) + 1):
                u = other[i - 1] if i > 0 else -1
                w = other[i] if i < len(other) else -1
                got = estimate_insert(v, pk, u, w, hj, tj, r, q, p)
                assert got == naive.estimate_insert(data, v, pk, other, i, rl, ql, pl)


@pytest.mark.parametrize("seed", range(15))
def test_apply_move_matches_naive_twin(seed: int) -> None:
    """Moving an operation edits modes, sequences and positions like the list twin."""
    data, kd, buf, ms, mach, p, pos, _r, _q, rng = _solution(seed)
    modes = ms.copy()
    for _ in range(20):
        v = int(rng.integers(data.num_ops))
        mi = int(rng.integers(data.op_mode_ptr[v], data.op_mode_ptr[v + 1]))
        k = int(data.mode_machine[mi])
        room = int(buf.mlen[k]) - (1 if k == mach[v] else 0)
        b = int(rng.integers(room + 1))
        seqs = [_seq(kd, buf, kk) for kk in range(data.num_machines)]
        want_modes, want_seqs = naive.apply_move(data, modes.tolist(), seqs, v, mi, b)
        apply_move(
            v, mi, b, modes, mach, p, data.mode_machine, data.mode_duration, buf.seq,
            kd.mach_ptr, buf.mlen, pos,
        )  # fmt: skip
        assert modes.tolist() == want_modes
        assert [_seq(kd, buf, kk) for kk in range(data.num_machines)] == want_seqs
        assert mach.tolist() == [int(data.mode_machine[x]) for x in want_modes]
        assert p.tolist() == [int(data.mode_duration[x]) for x in want_modes]
        for seq in want_seqs:
            assert [int(pos[x]) for x in seq] == list(range(len(seq)))


def _mk(name: str):  # type: ignore[no-untyped-def]
    return bench("brandimarte", name)


def test_tabu_reaches_42_on_mk01_quickly() -> None:
    """A few thousand iterations bring mk01 (optimum 40) to at most 42, feasibly."""
    data = _mk("mk01")
    res = solve_tabu(data, time_limit=60, seed=1, iterations=4000)
    assert res.objective is not None and res.objective <= 42
    assert res.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert check(data, res.schedule) == []


def test_same_seed_same_result_with_one_worker() -> None:
    """With one worker and an iteration budget, a seed fixes the schedule."""
    data = _mk("mk04")
    runs = [solve_tabu(data, time_limit=60, seed=7, iterations=1500, chunk=500) for _ in range(2)]
    assert runs[0].schedule == runs[1].schedule
    assert runs[0].stats["iterations"] == runs[1].stats["iterations"] == 1500


def test_chunking_does_not_change_the_search() -> None:
    """Iterating in chunks of 100 or 1000 gives the same result (state is carried)."""
    data = _mk("mk01")
    a = solve_tabu(data, time_limit=60, seed=3, iterations=1000, chunk=100)
    b = solve_tabu(data, time_limit=60, seed=3, iterations=1000, chunk=1000)
    assert a.schedule == b.schedule


def test_two_workers_return_a_checked_schedule() -> None:
    """Two tabu threads share the work; the better schedule passes the checker."""
    data = _mk("mk02")
    res = solve_tabu(data, time_limit=60, workers=2, seed=0, iterations=1000)
    assert res.stats["iterations"] == 2000
    assert check(data, res.schedule) == []
    assert res.lower_bound is not None and res.objective >= res.lower_bound


def test_tabu_improves_on_its_start_and_reports_improvements() -> None:
    """on_solution sees a decreasing sequence ending at the returned makespan."""
    data = _mk("mk04")
    seen: list[float] = []
    res = solve_tabu(
        data, time_limit=60, seed=0, iterations=2000, chunk=200,
        on_solution=lambda v, _t: seen.append(v),
    )  # fmt: skip
    assert seen == sorted(seen, reverse=True) and len(seen) >= 2
    assert len(set(seen)) == len(seen)
    assert seen[-1] == res.objective


@pytest.mark.parametrize("seed", range(4))
def test_extras_use_the_decoder_search_and_stay_feasible(seed: int) -> None:
    """Setups, transport, windows and fixed starts: decoder search, checked schedules."""
    data = naive.random_problem(seed, jobs=6, machines=3, extras=True)
    assert not graph_search_applies(data, Objective.MAKESPAN)
    res = solve_tabu(data, time_limit=60, seed=seed, iterations=300, workers=1 + seed % 2)
    assert res.stats["search"] == "decoder"
    assert check(data, res.schedule) == []


def test_tardiness_objective_is_minimised_by_decoding() -> None:
    """Total weighted tardiness: the decoder search never ends worse than its start."""
    from scheduler.generate import generate

    data = generate(8, 4, seed=2, due_factor=1.0, weights=(1, 3))
    start = solve_tabu(data, time_limit=60, seed=0, iterations=1, objective="tardiness")
    res = solve_tabu(data, time_limit=60, seed=0, iterations=3000, objective="tardiness")
    assert check(data, res.schedule) == []
    assert res.objective <= start.objective
    assert res.objective == res.schedule.total_weighted_tardiness(data)
