"""The twin against plain SimPy on a large open job shop (issue 13).

A 20-machine job shop: 20 products, each visiting 5 of the machines (product p visits
machines p, p+4, p+8, p+12, p+16 mod 20, so every machine carries the same load), 10
minutes per operation, Poisson arrivals of one-part lots at 80 % load, FIFO queues, no
calendars, no breakdowns, no variability. Plain SimPy: one ``Resource`` per machine and
one process per lot doing request + timeout per operation. The twin: the same shop as a
scenario with ``arrivals``, run end to end by :func:`twin.simulate` (shop built from the
scenario, online dispatch, full event log, KPIs).

``python benchmarks/twin_scale.py --ops 20000 200000`` prints one JSON line per size:
both median times, their ratio, the ratio of the fastest runs and that of the median
CPU times (``process_time``: less disturbed when other processes share the cores), the
twin's cost per operation, the load average before and after, and the twin's peak RSS measured in a
fresh process (Linux ``VmHWM`` over the interpreter and imports).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import simpy

ROOT = Path(__file__).resolve().parent.parent
MACHINES, PRODUCTS, STEPS, CYCLE, LOAD = 20, 20, 5, 10.0, 0.8
#: mean time between lots so that each machine is busy LOAD of the time
INTERARRIVAL = STEPS * CYCLE / MACHINES / LOAD


def route(p: int) -> list[int]:
    return [(p + 4 * k) % MACHINES for k in range(STEPS)]


def horizon_for(ops: int) -> float:
    """The horizon that brings about ``ops`` operations."""
    return ops / STEPS * INTERARRIVAL


def scenario_dict(ops: int, *, load: float = LOAD, seed: int = 1) -> dict[str, Any]:
    interarrival = STEPS * CYCLE / MACHINES / load
    return {
        "name": f"open job shop, {ops} operations",
        "stations": [{"id": f"m{m:02d}"} for m in range(MACHINES)],
        "products": [
            {"id": f"p{p:02d}",
             "routing": [{"stations": {f"m{m:02d}": CYCLE}} for m in route(p)]}
            for p in range(PRODUCTS)
        ],
        "arrivals": {
            "interarrival": {"dist": "exponential", "mean": interarrival},
            "quantity": 1,
            "mix": {f"p{p:02d}": 1 for p in range(PRODUCTS)},
        },
        "run": {"horizon": ops / STEPS * interarrival, "seed": seed, "breakdowns": False,
                "variability": False, "scheduling": "fifo", "replications": 1},
    }  # fmt: skip


def run_plain(ops: int, seed: int = 1) -> int:
    """The same shop in plain SimPy; returns the operations completed."""
    env = simpy.Environment()
    machines = [simpy.Resource(env, capacity=1) for _ in range(MACHINES)]
    rng = np.random.default_rng(seed)
    horizon = horizon_for(ops)
    done = [0]

    def lot(path: list[int]) -> Any:
        for m in path:
            with machines[m].request() as req:
                yield req
                yield env.timeout(CYCLE)
            done[0] += 1

    def arrivals() -> Any:
        while True:
            yield env.timeout(rng.exponential(INTERARRIVAL))
            if env.now >= horizon:
                return
            env.process(lot(route(int(rng.integers(PRODUCTS)))))

    env.process(arrivals())
    env.run(until=horizon)
    return done[0]


def run_twin(ops: int, seed: int = 1) -> Any:
    """``twin.simulate`` end to end on the scenario (validated from a dict)."""
    import twin
    from twin.scenario import Scenario

    return twin.simulate(Scenario.from_dict(scenario_dict(ops, seed=seed)))


def measure(ops: int, pairs: int = 3) -> dict[str, Any]:
    """Plain SimPy and the twin, interleaved (plain, twin, plain, twin, ...): medians,
    their ratio, the ratio of the fastest runs (the least disturbed by other processes
    on a shared machine) and of the median CPU times, with the load average around the
    timing."""
    run_twin(2000)  # imports and first-call costs out of the timing
    plain, twin_t = [], []
    ops_done = 0
    load = os.getloadavg()[0]
    cpu_plain, cpu_twin = [], []
    for _ in range(pairs):
        t, c = time.perf_counter(), time.process_time()
        ops_done = run_plain(ops)
        plain.append(time.perf_counter() - t)
        cpu_plain.append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        run = run_twin(ops)
        twin_t.append(time.perf_counter() - t)
        cpu_twin.append(time.process_time() - c)
    twin_ops = len(run.log.where("op_end"))
    p, w = float(np.median(plain)), float(np.median(twin_t))
    return {"ops": ops, "pairs": pairs, "plain_ops_done": ops_done, "twin_ops_done": twin_ops,
            "plain_s": round(p, 3), "twin_s": round(w, 3), "ratio": round(p / w, 3),
            "ratio_of_min": round(min(plain) / min(twin_t), 3),
            "cpu_ratio": round(float(np.median(cpu_plain) / np.median(cpu_twin)), 3),
            "twin_us_per_op": round(1e6 * w / max(twin_ops, 1), 1),
            "load_avg": [round(load, 2), round(os.getloadavg()[0], 2)]}  # fmt: skip


_CHILD = """
import sys
sys.path.insert(0, {root!r})
import numpy, simpy, twin, twin.run, twin.scenario
from benchmarks.twin_scale import run_twin

def hwm():  # this address space's peak RSS, kB (ru_maxrss would carry the parent's over fork)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

base = hwm()
run_twin({ops})
print(base, hwm())
"""


def peak_rss_mb(ops: int) -> float:
    """Peak RSS of one twin run in a fresh process over that of the interpreter and
    its imports, in MB (Linux ``VmHWM``)."""
    code = _CHILD.format(root=str(ROOT), ops=ops)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()  # fmt: skip
    base, peak = int(out[0]), int(out[1])
    return round((peak - base) / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--pairs", type=int, default=3, help="interleaved pairs per size")
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args()
    for ops in args.ops:
        row = measure(ops, args.pairs)
        if not args.no_memory:
            row["twin_peak_rss_mb"] = peak_rss_mb(ops)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
