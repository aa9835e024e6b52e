"""Twin speed at scale (issue 13): ``twin.simulate`` end to end against plain SimPy on
the open job shop of :mod:`benchmarks.twin_scale` (20 machines, 5 operations per lot,
Poisson arrivals at 80 % load, FIFO), at 20,000 and 200,000 operations.

The two are timed interleaved in one run (plain, twin, plain, twin, ...: the cores are
shared and noisy), medians compared; ``extra_info`` holds both medians, the ratio
(plain / twin: 1 would be as fast as plain SimPy; target >= 0.5), the ratio of the
fastest runs (the least disturbed), the load average around the timing, the twin's cost
per operation (flat from 20,000 to 200,000 operations: no super-linear term). Peak
memory comes from ``python benchmarks/twin_scale.py``, one fresh process per size.
Run::

    python -m pytest benchmarks/test_bench_twin_scale.py --benchmark-only \
        --benchmark-columns=median,rounds --benchmark-json=/tmp/bench_scale.json
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import pytest

from benchmarks.twin_scale import run_plain, run_twin


@pytest.mark.parametrize(("ops", "rounds"), [(20_000, 5), (200_000, 2)])
def test_twin_against_plain_simpy(benchmark: Any, ops: int, rounds: int) -> None:
    run_twin(2_000)  # imports and first calls out of the timing
    plain: list[float] = []
    twin: list[float] = []
    done = 0

    def both() -> None:
        nonlocal done
        t = time.perf_counter()
        run_plain(ops)
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        run = run_twin(ops)
        twin.append(time.perf_counter() - t)
        done = run.kpis.jobs_finished * 5

    benchmark.group = "twin-scale"
    load = os.getloadavg()[0]
    benchmark.pedantic(both, rounds=rounds, iterations=1)
    p, w = statistics.median(plain), statistics.median(twin)
    benchmark.extra_info.update(
        ops=ops, plain_median_s=round(p, 3), twin_median_s=round(w, 3),
        ratio=round(p / w, 3), ratio_of_min=round(min(plain) / min(twin), 3),
        twin_us_per_op=round(1e6 * w / ops, 1),
        load_avg=[round(load, 2), round(os.getloadavg()[0], 2)],
    )  # fmt: skip
    assert done > 0.9 * ops  # the twin did the work it was timed on
