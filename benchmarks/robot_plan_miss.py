"""Solver against published times on a planned scenario: how much of the solver's plan
a calm twin run keeps, over all operations and on robot-tended units (issue 14: robots
as resources of the plan). One JSON line::

    python benchmarks/robot_plan_miss.py scenarios/pilot_workshop.yaml --method auto --time 10
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from twin.run import plan_scenario  # noqa: E402
from twin.scenario import load_scenario  # noqa: E402
from twin.sim.build import build_problem, tending  # noqa: E402
from twin.sim.timing import plan_times  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("scenario", type=Path)
ap.add_argument("--method", default="auto")
ap.add_argument("--time", type=float, default=10.0, help="solver seconds")
args = ap.parse_args()
method, limit = args.method, args.time
sc = load_scenario(args.scenario)
p = build_problem(sc)
plan, info = plan_scenario(sc, p, method, time_limit=limit, seed=0, workers=2)
t = plan_times(sc, p, plan, np.random.SeedSequence(0, spawn_key=(0,)))
names = p.machine_names
tended = set(tending(sc))
robot_units = {i for i, n in enumerate(names) if n.split("#")[0] in tended}
d = np.asarray(t.start) - plan.start
rob = np.array([m in robot_units for m in plan.machine])
if plan is None or t is None:
    sys.exit(f"no plan to compare: {info.get('status')}")
print(
    json.dumps(
        {
            "method": method,
            "solver_makespan": int(plan.makespan),
            "published": round(float(t.makespan), 1),
            "miss_pct": round(100 * (t.makespan - plan.makespan) / plan.makespan, 2),
            "ops_kept_exactly": round(float(np.mean(np.abs(d) < 1e-6)), 3),
            "robot_ops": int(rob.sum()),
            "robot_ops_kept": round(float(np.mean(np.abs(d[rob]) < 1e-6)), 3),
            "mean_abs_start_shift_min": round(float(np.mean(np.abs(d))), 1),
        }
    )
)
