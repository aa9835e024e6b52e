"""The simulated shop: build it from a scenario, run orders through it.

- :mod:`~twin.sim.build`: the scheduler's problem and the SimPy shop from one scenario
  (and the plain shop metadata the KPIs read);
- :mod:`~twin.sim.core`: what happens around every operation, whoever chose it (lots,
  durations, robots, transport, buffers and blocking, randomness);
- :mod:`~twin.sim.plan`: following a plan; :mod:`~twin.sim.dispatch`: online dispatch
  with a priority rule;
- :mod:`~twin.sim.execute`: one run of a scenario's orders, either way.

It writes an event log (:mod:`twin.eventlog`) and never imports the KPI or plot code.
"""

from twin.sim.build import build_problem, build_shop, shop_info
from twin.sim.execute import RULES, Execution, execute

__all__ = ["RULES", "Execution", "build_problem", "build_shop", "execute", "shop_info"]
