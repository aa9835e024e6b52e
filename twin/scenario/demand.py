"""What flows through the shop: products and their routings, orders, open-ended arrivals."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from twin.scenario.blocks import (
    CV,
    CountDistribution,
    Distribution,
    Fraction,
    Id,
    PartCount,
    Positive,
    Priority,
    StepDist,
    StrictModel,
)
from twin.scenario.durations import Duration

__all__ = ["Arrivals", "Order", "Product", "Rework", "RoutingStep"]


#: A share that may be all of it (unlike :data:`Fraction`).
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class Rework(StrictModel):
    """What becomes of the parts a routing step spoils: ``share`` of them (drawn part
    by part) are reworked, ``cycle`` per part, at a unit of ``station``, and rejoin the
    lot good; the rest are scrap. The lot waits for them before its next step.

    ``station`` is a station no routing step uses (so no plan or rule ever sends work
    to it) and not a robot or a print cell; the reworked parts reach it and come back
    without transport (it stands beside the line). A rework always succeeds.
    """

    station: Id
    cycle: Duration
    share: Share = 1.0


class RoutingStep(StrictModel):
    """One operation: eligible stations with the cycle time PER UNIT on each.

    The scheduler ignores ``rework`` (it is a random disturbance, like scrap and
    breakdowns): only the twin reworks parts and makes the lot wait for them.
    """

    name: str | None = None
    stations: dict[str, Duration] = Field(min_length=1)
    cv: CV | None = None
    #: Share of the parts this operation spoils, drawn part by part (binomial); the
    #: scrap is charged to the unit that did the operation.
    scrap_rate: Fraction = 0.0
    dist: StepDist | None = None
    key_process: bool | None = None
    #: Where the spoiled parts (on the last step, those of the product's final
    #: inspection too) are reworked instead of scrapped; None: all are scrap. Their
    #: quality loss is still charged to the unit that spoiled them.
    rework: Rework | None = None


class Product(StrictModel):
    id: Id
    name: str = ""
    family: str | None = None
    #: Share of parts found bad at final inspection, i.e. spoiled by the last operation
    #: (on top of that step's own ``scrap_rate``), drawn part by part.
    scrap_rate: Fraction = 0.0
    routing: list[RoutingStep] = Field(min_length=1)

    @model_validator(mode="after")
    def _resolve_defaults(self) -> Product:
        if self.family is None:
            self.family = self.id
        for k, step in enumerate(self.routing):
            if step.name is None:
                step.name = f"op{k + 1}"
        return self

    @property
    def family_name(self) -> str:
        return self.family or self.id


class Order(StrictModel):
    """A lot of ``quantity`` parts released at ``release`` and due at ``due`` (absolute
    times from the scenario origin); ``priority`` weighs its tardiness."""

    id: Annotated[str, Field(min_length=1)]
    product: str
    quantity: PartCount = 1
    release: Duration = 0.0
    due: Duration | None = None
    priority: Priority = 1


class Arrivals(StrictModel):
    """Open-ended order arrivals; each arrival is one order of a product drawn from
    ``mix`` (weights, normalised) due ``due_after`` after it arrives."""

    interarrival: Distribution
    mix: dict[str, Positive] = Field(min_length=1)
    quantity: CountDistribution = Field(
        default_factory=lambda: CountDistribution(dist="constant", mean=1.0)
    )
    due_after: Duration | None = None
    priority: Priority = 1

    @property
    def probabilities(self) -> dict[str, float]:
        total = sum(self.mix.values())
        return {product: weight / total for product, weight in self.mix.items()}
