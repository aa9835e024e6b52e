"""How a scenario is run (horizon, seed, scheduling) and its energy coefficients."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, model_validator

from twin.scenario.blocks import Positive, Replications, Scheduling, Seed, StrictModel
from twin.scenario.bounds import MAX_KGCE_PER_KWH, MAX_TIME_LIMIT_SECONDS
from twin.scenario.durations import Duration, Seconds, field_error

__all__ = ["Coefficient", "EnergySpec", "RunSpec", "Targets"]


class RunSpec(StrictModel):
    """How to run: horizon and warm-up in the base unit, ``time_limit`` in seconds."""

    horizon: Annotated[Duration, Field(gt=0)] | None = None
    warmup: Duration = 0.0
    seed: Seed = 0
    replications: Replications = 1
    scheduling: Scheduling = "auto"
    time_limit: Annotated[Seconds, Field(gt=0, le=MAX_TIME_LIMIT_SECONDS)] = 10.0
    breakdowns: bool = True
    variability: bool = True
    #: What a plan minimises: ``makespan``; ``tardiness`` (total weighted tardiness,
    #: weight = order priority); ``tardiness_then_makespan`` (the least weighted
    #: tardiness, then the shortest makespan among such plans); ``makespan_then_tardiness``;
    #: ``auto`` (default): tardiness_then_makespan when an order has a due date, else
    #: makespan.
    objective: Literal[
        "auto", "makespan", "tardiness", "tardiness_then_makespan", "makespan_then_tardiness"
    ] = "auto"
    #: An operation follows its plan when it starts within this of its planned start
    #: (default: 15 minutes, in the base unit).
    adherence_tolerance: Duration | None = None


#: Units a coal-equivalent coefficient may be given in, as kgce/kWh per unit. Chinese
#: statistics often quote the 等价值 as grams (供电煤耗, about 300 gce/kWh).
KGCE_UNITS: dict[str, float] = {"kgce/kWh": 1.0, "gce/kWh": 1e-3, "tce/kWh": 1e3, "tce/MWh": 1.0}


class Coefficient(StrictModel):
    """A dated conversion factor with its source (e.g. 等价值 of a given year), in one of
    :data:`KGCE_UNITS`; :attr:`kgce_per_kwh` is the value the KPIs use."""

    value: Positive
    unit: Literal["kgce/kWh", "gce/kWh", "tce/kWh", "tce/MWh"] = "kgce/kWh"
    source: str = Field(min_length=1)
    date: date

    @model_validator(mode="after")
    def _plausible(self) -> Coefficient:
        if self.kgce_per_kwh > MAX_KGCE_PER_KWH:
            raise field_error(
                "coefficient",
                f"{self.value:g} {self.unit} is {self.kgce_per_kwh:g} kgce/kWh, more than "
                f"{MAX_KGCE_PER_KWH:g} kgce/kWh (generation at 12 % efficiency); check the unit",
            )
        return self

    @property
    def kgce_per_kwh(self) -> float:
        return self.value * KGCE_UNITS[self.unit]


class Targets(StrictModel):
    """What the run is judged against. ``nc_rate``: the 数控化率 target, 70 % by default
    (the MIIT action plan for 两化深度融合 set 70 % for key industries' equipment)."""

    nc_rate: Annotated[float, Field(gt=0.0, le=1.0)] = 0.70
    source: str = "MIIT 信息化和工业化深度融合专项行动计划 (2013-2018): 重点行业装备数控化率 70 %"


class EnergySpec(StrictModel):
    """``kgce_per_kwh``: 当量值 0.1229 (GB/T 2589-2020); the 等价值 primary-energy
    coefficient varies by year and is reported separately when given."""

    kgce_per_kwh: Annotated[Positive, Field(le=MAX_KGCE_PER_KWH)] = 0.1229
    primary_energy_coefficient: Coefficient | None = None
