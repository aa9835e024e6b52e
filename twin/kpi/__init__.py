"""KPIs: pure functions of (shop metadata, event log), never of the simulation.

- :mod:`~twin.kpi.scan`: one pass over the event log (state times, lots, busy clocks);
- :mod:`~twin.kpi.formulas`: every KPI's definition and :func:`compute_kpis`;
- :mod:`~twin.kpi.replications`: means and confidence intervals over replications;
- :mod:`~twin.kpi.labels`: the one table of KPI names, units and groups that the CLI
  and the report show.

The shop metadata they read (:class:`twin.shopinfo.ShopInfo`) is neutral: the
simulation builds it too, and a run never imports this package to run a shop.
"""

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
from twin.kpi.replications import aggregate_kpis, kpi_ci95

__all__ = [
    "KPI_LABELS",
    "NC_RATE_THRESHOLD",
    "KPIs",
    "aggregate_kpis",
    "compute_kpis",
    "energy_kwh",
    "kpi_ci95",
    "nc_rates",
    "oee",
    "state_times",
]
