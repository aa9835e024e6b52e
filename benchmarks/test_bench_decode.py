"""Decoding throughput (operations scheduled per second): numba vs the pure-Python
twin, side by side, on mk10 (240 operations) and a generated 100 x 20 x 10 instance.

Run: ``python -m pytest benchmarks/test_bench_decode.py --benchmark-columns=median,iqr,rounds``
JIT compilation happens in the fixtures, outside the timing. ``extra_info`` holds
``decodes_per_second`` and ``ops_per_second`` from each median.
"""

from __future__ import annotations

import numpy as np
import pytest

from scheduler import read_fjs
from scheduler.generate import generate
from scheduler.instances import fjsp_dir
from scheduler.kernels.decode import decode_many, kernel_data
from scheduler.search.encoding import Decoded, initial_ms, random_os
from tests import naive

POPULATION = 200


def _case(name: str):  # type: ignore[no-untyped-def]
    if name == "mk10":
        data = read_fjs(fjsp_dir() / "brandimarte" / "mk10.fjs")
    else:
        data = generate(100, 20, ops_per_job=10, flexibility=(1, 5), seed=1)
    kd = kernel_data(data)
    rng = np.random.default_rng(0)
    os_rows = np.stack([random_os(data, rng) for _ in range(POPULATION)])
    ms_rows = np.stack([initial_ms(data, rng, "global") for _ in range(POPULATION)])
    buf = Decoded(data, kd)
    buf.run(os_rows[0], ms_rows[0], True)  # compile outside the timing
    buf.run(os_rows[0], ms_rows[0], False)
    return data, kd, buf, os_rows, ms_rows


@pytest.fixture(scope="module", params=["mk10", "gen100x20x10"])
def case(request):  # type: ignore[no-untyped-def]
    return request.param, *_case(request.param)


def _rates(benchmark, data, decodes: int) -> None:  # type: ignore[no-untyped-def]
    per_second = decodes / benchmark.stats.stats.median
    benchmark.extra_info["decodes_per_second"] = round(per_second)
    benchmark.extra_info["ops_per_second"] = round(per_second * data.num_ops)


@pytest.mark.parametrize("active", [True, False], ids=["active", "semi_active"])
@pytest.mark.benchmark(group="decode")
def test_decode_numba_population(benchmark, case, active: bool) -> None:  # type: ignore[no-untyped-def]
    """200 decodes in one kernel call (how a population is evaluated)."""
    name, data, kd, buf, os_rows, ms_rows = case
    out = np.zeros(POPULATION, np.int64)
    args = (kd, os_rows, ms_rows, active, out, buf.start, buf.end, buf.mach, buf.seq, buf.mlen)
    decode_many(*args, buf.work)
    benchmark.group = f"decode-{name}"
    benchmark(decode_many, *args, buf.work)
    assert out.min() > 0
    _rates(benchmark, data, POPULATION)


@pytest.mark.parametrize("active", [True, False], ids=["active", "semi_active"])
@pytest.mark.benchmark(group="decode")
def test_decode_numba_single_calls(benchmark, case, active: bool) -> None:  # type: ignore[no-untyped-def]
    """One Python call per decode (the per-call dispatch cost included)."""
    name, data, _kd, buf, os_rows, ms_rows = case
    benchmark.group = f"decode-{name}"

    def run() -> None:
        for i in range(20):
            buf.run(os_rows[i], ms_rows[i], active)

    benchmark(run)
    _rates(benchmark, data, 20)


@pytest.mark.parametrize("active", [True, False], ids=["active", "semi_active"])
@pytest.mark.benchmark(group="decode")
def test_decode_python(benchmark, case, active: bool) -> None:  # type: ignore[no-untyped-def]
    """The plain-Python twin (tests/naive.py), checked against the kernel's result."""
    name, data, _kd, buf, os_rows, ms_rows = case
    benchmark.group = f"decode-{name}"
    os_list, ms_list = os_rows[0].tolist(), ms_rows[0].tolist()
    result = benchmark.pedantic(
        naive.decode, args=(data, os_list, ms_list, active), rounds=5, iterations=1
    )
    buf.run(os_rows[0], ms_rows[0], active)
    assert result is not None and result[0] == buf.start.tolist()
    _rates(benchmark, data, 1)
