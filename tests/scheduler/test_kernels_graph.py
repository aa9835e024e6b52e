"""Heads, tails, critical path and blocks against their Python twins."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from scheduler.kernels import critical_blocks, critical_path, heads_tails, kernel_data, positions
from scheduler.kernels.rng import make_state
from scheduler.search.encoding import Decoded, initial_ms, random_os
from tests import naive

NO_RNG = np.zeros(0, np.uint64)


def _solution(seed: int, shuffle: bool) -> tuple:
    """A decoded random solution; with ``shuffle``, machine orders are permuted (cycles
    become possible)."""
    data = naive.random_problem(seed, jobs=6, machines=3)
    kd = kernel_data(data)
    rng = np.random.default_rng(seed)
    buf = Decoded(data, kd)
    buf.run(random_os(data, rng), initial_ms(data, rng, "random"))
    if shuffle:
        for k in range(data.num_machines):
            lo = int(kd.mach_ptr[k])
            buf.seq[lo : lo + buf.mlen[k]] = rng.permutation(buf.seq[lo : lo + buf.mlen[k]])
    p = (buf.end - buf.start).astype(np.int64)
    return data, kd, buf, p


def _run(data, kd, buf, p):  # type: ignore[no-untyped-def]
    n = data.num_ops
    pos, r, q, order, indeg = (np.zeros(n, np.int64) for _ in range(5))
    positions(buf.seq, kd.mach_ptr, buf.mlen, pos)
    args = (data.op_job, data.release, p, buf.mach, buf.seq, kd.mach_ptr, buf.mlen, pos)
    return heads_tails(*args, r, q, order, indeg), pos, r, q


def _seqs(kd, buf) -> list[list[int]]:  # type: ignore[no-untyped-def]
    out = []
    for k in range(len(buf.mlen)):
        lo = int(kd.mach_ptr[k])
        out.append(buf.seq[lo : lo + buf.mlen[k]].tolist())
    return out


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("shuffle", [False, True])
def test_heads_tails_match_naive_twin(seed: int, shuffle: bool) -> None:
    """Same heads, tails and makespan as naive relaxation; -1 exactly on cycles."""
    data, kd, buf, p = _solution(seed, shuffle)
    makespan, _, r, q = _run(data, kd, buf, p)
    want = naive.heads_tails(data, p.tolist(), _seqs(kd, buf))
    if want is None:
        assert makespan == -1
        return
    assert (r.tolist(), q.tolist(), makespan) == want


@pytest.mark.parametrize("seed", range(20))
def test_critical_path_matches_naive_twin(seed: int) -> None:
    """Same path and arc flags; the path is a chain of total length = makespan."""
    data, kd, buf, p = _solution(seed, False)
    makespan, pos, r, _ = _run(data, kd, buf, p)
    n = data.num_ops
    path, via = np.zeros(n, np.int64), np.zeros(n, np.int64)
    args = (data.op_job, p, buf.mach, buf.seq, kd.mach_ptr, pos, r, makespan)
    length = critical_path(*args, path, via, NO_RNG)
    want_path, want_via = naive.critical_path(data, p.tolist(), _seqs(kd, buf), r, makespan)
    assert path[:length].tolist() == want_path
    assert via[:length].tolist() == want_via
    assert r[path[0]] == data.release[data.op_job[path[0]]]
    assert sum(p[v] for v in path[:length]) + r[path[0]] == makespan


@pytest.mark.parametrize("seed", range(10))
def test_random_critical_path_is_critical_and_blocks_partition_it(seed: int) -> None:
    """A randomly ended path is still tight; blocks are machine runs covering it once."""
    data, kd, buf, p = _solution(300 + seed, False)
    makespan, pos, r, q = _run(data, kd, buf, p)
    n = data.num_ops
    path, via = np.zeros(n, np.int64), np.zeros(n, np.int64)
    args = (data.op_job, p, buf.mach, buf.seq, kd.mach_ptr, pos, r, makespan)
    length = critical_path(*args, path, via, make_state(seed))
    for v in path[:length]:
        assert r[v] + p[v] + q[v] == makespan
    for a, b in pairwise(path[:length].tolist()):
        assert r[a] + p[a] == r[b]
    lo, hi = np.zeros(n, np.int64), np.zeros(n, np.int64)
    nb = critical_blocks(via, length, lo, hi)
    assert lo[0] == 0 and hi[nb - 1] == length
    assert all(hi[b] == lo[b + 1] for b in range(nb - 1))
    for b in range(nb):
        block = path[lo[b] : hi[b]]
        assert len({int(buf.mach[v]) for v in block}) == 1
        assert [int(pos[v]) for v in block] == list(
            range(pos[block[0]], pos[block[0]] + len(block))
        )
