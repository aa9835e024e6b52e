"""What the KPIs know about a shop besides the event log: units, operations, lots.

Plain values (no pydantic, no SimPy), so KPIs can be recomputed from a saved event log or
one reported by a real MES; :func:`twin.sim.build.shop_info` derives them from a scenario.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "HOURS_PER_UNIT",
    "KGCE_PER_KWH",
    "NC_RATE_TARGET",
    "NOT_LOADED",
    "STATES",
    "JobInfo",
    "OpInfo",
    "PlanInfo",
    "ShopInfo",
    "UnitInfo",
]

#: Coal-equivalent of electricity, 当量值 (calorific equivalent): 0.1229 kgce/kWh,
#: GB/T 2589-2020 《综合能耗计算通则》 Appendix A.
KGCE_PER_KWH = 0.1229
#: 数控化率 target by default: 70 %, the MIIT action plan for 两化深度融合 (2013-2018)
#: for key industries' equipment; GB/T 37393-2019 asks the same share of digitised
#: equipment in a digital workshop.
NC_RATE_TARGET = 0.70
HOURS_PER_UNIT = {"s": 1 / 3600, "min": 1 / 60, "h": 1.0}
#: Unit states in the event log (:class:`models.State`); KPIs sum time per state.
STATES = (
    "off", "no_order", "planned_down", "idle", "setup", "busy", "blocked", "starved",
    "waiting_operator", "down",
)  # fmt: skip
#: States outside loading time (负荷时间): off shift, no order released, planned downtime.
NOT_LOADED = ("off", "no_order", "planned_down")


@dataclass(frozen=True)
class UnitInfo:
    """One station unit: what the KPIs need to know about it."""

    name: str
    station: str
    kind: str  # cnc | manual | robot | printer3d | generic | outsourced | agv | operator
    numerically_controlled: bool
    networked: bool
    key_process: bool
    power_kw: Mapping[str, float] = field(default_factory=dict)
    #: A print cell's build model, ``(base, per part)``: a plate of n parts builds in
    #: ``base + per_part * n`` (its nominal time for performance).
    build_time: tuple[float, float] | None = None
    #: ``(handling time per fixture load, parts per load)``: an operation of n parts is
    #: nominally ``n x cycle + ceil(n / parts) x handling`` (loading is part of it).
    handling: tuple[float, int] = (0.0, 1)

    @property
    def processing(self) -> bool:
        """Units that make parts (robots and vehicles only handle them)."""
        return self.kind not in ("robot", "agv", "operator", "outsourced")

    @property
    def equipment(self) -> bool:
        """The shop's equipment (not a person, not a subcontractor): what 数控化率 and
        设备联网率 count."""
        return self.kind not in ("operator", "outsourced")


@dataclass(frozen=True)
class OpInfo:
    """A routing step: key-process flag and cycle time per part on each eligible station."""

    key_process: bool
    cycle: Mapping[str, float]


@dataclass(frozen=True)
class JobInfo:
    """A lot (order) known before the run; arrivals are read from ``release`` events."""

    id: str
    product: str
    quantity: int
    release: float
    due: float | None


@dataclass(frozen=True)
class ShopInfo:
    """Everything the KPIs read besides the event log."""

    name: str
    time_unit: str
    units: Sequence[UnitInfo]
    products: Mapping[str, Sequence[OpInfo]]
    jobs: Sequence[JobInfo] = ()
    warmup: float = 0.0
    horizon: float | None = None
    due_after: float | None = None  # due = release + due_after for arrivals
    primary_energy_coefficient: float | None = None  # 等价值 kgce/kWh, dated, optional
    kgce_per_kwh: float = KGCE_PER_KWH  # 当量值
    nc_rate_target: float = NC_RATE_TARGET


@dataclass(frozen=True)
class PlanInfo:
    """What a run was planned to do: start per (lot, operation), finish per lot, and the
    start tolerance within which an operation counts as on plan."""

    start: Mapping[tuple[int, int], float]
    lot_finish: Mapping[int, float]
    tolerance: float = 0.0
