"""KPIs: pure functions of (shop metadata, event log), never of the simulation.

- :mod:`~twin.kpi.scan`: one pass over the event log (state times, lots, busy clocks);
- :mod:`~twin.kpi.formulas`: every KPI's definition and :func:`compute_kpis`;
- :mod:`~twin.kpi.replications`: means and confidence intervals over replications;
- :mod:`~twin.kpi.orders`: per-order lead time, lateness and delay causes;
- :mod:`~twin.kpi.energy_states`: kWh by state, station and product, the load profile;
- :mod:`~twin.kpi.labels`: the one table of KPI names, units and groups that the CLI
  and the report show.

The shop metadata they read (:class:`twin.shopinfo.ShopInfo`) is neutral: the
simulation builds it too, and a run never imports this package to run a shop.
"""

from twin.kpi.energy_states import EnergyStates, LoadProfile, energy_states
from twin.kpi.formulas import (
    NC_RATE_THRESHOLD,
    KPIs,
    compute_kpis,
    energy_kwh,
    nc_rates,
    oee,
    state_times,
)
from twin.kpi.labels import KPI_LABELS
from twin.kpi.orders import CAUSES, OrderDelay, order_delays
from twin.kpi.replications import aggregate_kpis, kpi_ci95

__all__ = [
    "CAUSES",
    "KPI_LABELS",
    "NC_RATE_THRESHOLD",
    "EnergyStates",
    "KPIs",
    "LoadProfile",
    "OrderDelay",
    "aggregate_kpis",
    "compute_kpis",
    "energy_kwh",
    "energy_states",
    "kpi_ci95",
    "nc_rates",
    "oee",
    "order_delays",
    "state_times",
]
