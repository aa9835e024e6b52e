"""The digital twin: scenarios, simulation of plans, KPIs, plots and the CLI.

The Python API (what an MES plugs into) is re-exported here and imported lazily, so
``import twin`` and the CLI's start-up stay fast::

    import twin
    run = twin.simulate(twin.load_scenario("scenarios/pilot_workshop.yaml"), seed=1)
    run.kpis.to_dict()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from twin.eventlog import EventLog
    from twin.kpi import KPIs, compute_kpis
    from twin.run import Run, replicate, simulate, write_run
    from twin.scenario import Scenario, load_scenario
    from twin.sim.build import build_problem, shop_info

__all__ = [
    "EventLog",
    "KPIs",
    "Run",
    "Scenario",
    "build_problem",
    "compute_kpis",
    "load_scenario",
    "replicate",
    "shop_info",
    "simulate",
    "write_run",
]

_HOME = {
    "EventLog": "twin.eventlog",
    "KPIs": "twin.kpi",
    "Run": "twin.run",
    "Scenario": "twin.scenario",
    "build_problem": "twin.sim.build",
    "compute_kpis": "twin.kpi",
    "load_scenario": "twin.scenario",
    "replicate": "twin.run",
    "shop_info": "twin.sim.build",
    "simulate": "twin.run",
    "write_run": "twin.run",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'twin' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
