"""Scenario building blocks shared by the station and flow sections: field types and
distributions (validated, in the base unit)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from models import distributions as md
from twin.scenario.bounds import (
    MAX_CAPACITY,
    MAX_COUNT,
    MAX_CV,
    MAX_POWER_KW,
    MAX_PRIORITY,
    MAX_QUANTITY,
    MAX_REPLICATIONS,
    MAX_SEED,
    MIN_WEIBULL_SHAPE,
)
from twin.scenario.durations import (
    Duration,
    field_error,
    to_base_unit,
)

StationKind = Literal["cnc", "manual", "robot", "printer3d", "generic", "outsourced"]
DistKind = Literal[
    "constant", "exponential", "lognormal", "gamma", "triangular", "uniform", "normal", "weibull"
]
#: Laws of an operation's duration around its nominal time (mean = nominal). An
#: ``exponential`` step has cv 1 whatever cv is given (an M/M/1 server, for example).
StepDist = Literal["lognormal", "triangular", "constant", "exponential", "gamma"]
Scheduling = Literal[
    "cpsat", "auto", "tabu", "spt", "lpt", "mwkr", "mor", "edd", "fifo", "random", "ect"
]

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]+$", min_length=1)]
Fraction = Annotated[float, Field(ge=0.0, lt=1.0)]
#: Plain numbers (weights, counts of layers, ...): finite, and at most a billion, so
#: that sums and products of them stay finite.
NonNeg = Annotated[float, Field(ge=0.0, le=1e9, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, le=1e9, allow_inf_nan=False)]
#: A coefficient of variation.
CV = Annotated[float, Field(ge=0.0, le=MAX_CV, allow_inf_nan=False)]
#: Electric power of a unit in one state, kW.
Power = Annotated[float, Field(ge=0.0, le=MAX_POWER_KW, allow_inf_nan=False)]

# Integer fields are strict: ``true`` and ``2.5`` are refused, not read as 1 and 2.
UnitCount = Annotated[int, Field(strict=True, ge=1, le=MAX_COUNT)]
Places = Annotated[int, Field(strict=True, ge=0, le=MAX_CAPACITY)]
PartCount = Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY)]
Priority = Annotated[int, Field(strict=True, ge=0, le=MAX_PRIORITY)]
Seed = Annotated[int, Field(strict=True, ge=0, le=MAX_SEED)]
Replications = Annotated[int, Field(strict=True, ge=1, le=MAX_REPLICATIONS)]


class StrictModel(BaseModel):
    """Every scenario section: unknown keys are errors (with a suggestion), defaults are
    validated like given values."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


# -- distributions ------------------------------------------------------------------

#: Parameter sets that define each distribution (any one of them).
DIST_PARAMETERS: dict[str, tuple[tuple[str, ...], ...]] = {
    "constant": (("mean",),),
    "exponential": (("mean",),),
    "lognormal": (("mean", "cv"),),
    "gamma": (("mean", "cv"),),
    "normal": (("mean", "cv"), ("mean", "sd")),
    "triangular": (("low", "mode", "high"), ("mean", "cv")),
    "uniform": (("low", "high"), ("mean", "cv")),
    "weibull": (("shape", "scale"), ("mean", "cv")),
}
_DIST_FIELDS = ("mean", "cv", "sd", "low", "mode", "high", "shape", "scale")


class Distribution(StrictModel):
    """A random duration: ``{dist: lognormal, mean: 2h, cv: 0.5}``; a plain duration
    means a constant. Parameter sets per ``dist`` are in :data:`DIST_PARAMETERS`
    (normal is truncated at 0; triangular, uniform and weibull may be given by mean and
    cv). :meth:`sampler` builds the matching :mod:`models.distributions` object."""

    dist: DistKind
    mean: Duration | None = None
    cv: CV | None = None
    sd: Duration | None = None
    low: Duration | None = None
    mode: Duration | None = None
    high: Duration | None = None
    shape: Annotated[float, Field(ge=MIN_WEIBULL_SHAPE, le=1e3, allow_inf_nan=False)] | None = None
    scale: Duration | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_scalar(cls, data: Any) -> Any:
        if isinstance(data, Mapping | BaseModel):
            return data
        return {"dist": "constant", "mean": cls._scalar(data)}

    @staticmethod
    def _scalar(value: object) -> float:
        return to_base_unit(value)

    @model_validator(mode="after")
    def _check(self) -> Distribution:
        given = {f for f in _DIST_FIELDS if getattr(self, f) is not None}
        options = DIST_PARAMETERS[self.dist]
        allowed = {f for option in options for f in option}
        sets = " or ".join("(" + ", ".join(o) + ")" for o in options)
        for name in sorted(given - allowed, key=_DIST_FIELDS.index):
            raise field_error(
                "dist", f'"{name}" is not a parameter of a {self.dist} distribution; use {sets}'
            )
        if not any(given == set(option) for option in options):
            missing = min((set(o) - given for o in options), key=len)
            raise field_error(
                "dist",
                f"a {self.dist} distribution needs {sets}; missing "
                + ", ".join(sorted(missing, key=_DIST_FIELDS.index)),
            )
        if self.low is not None and self.high is not None:
            mode = self.low if self.mode is None else self.mode
            if not self.low <= mode <= self.high or self.low == self.high:
                raise field_error(
                    "dist",
                    "expected low <= mode <= high and low < high, "
                    f"got {self.low:g}, {mode:g}, {self.high:g}",
                )
        try:
            self.sampler()
        except (ValueError, ZeroDivisionError) as exc:
            raise field_error("dist", f"invalid {self.dist} distribution: {exc}") from None
        return self

    def sampler(self) -> md.Distribution:
        """The :mod:`models.distributions` object that draws from this distribution."""

        def value(name: str) -> float:
            number = getattr(self, name)
            assert number is not None, name
            return float(number)

        if self.dist == "constant":
            return md.Constant(value("mean"))
        if self.dist == "exponential":
            return md.Exponential(value("mean"))
        if self.mean is not None and self.cv is not None:
            return md.with_cv(self.mean, self.cv, self.dist)
        if self.dist == "normal":
            return md.Normal(value("mean"), value("sd"))
        if self.dist == "weibull":
            return md.Weibull(value("shape"), value("scale"))
        if self.dist == "triangular":
            return md.Triangular(value("low"), value("mode"), value("high"))
        return md.Uniform(value("low"), value("high"))

    @property
    def expected(self) -> float:
        """The expected value (in the field's unit)."""
        if self.mean is not None:
            return self.mean
        if self.dist == "weibull" and self.mean is None:
            assert self.scale is not None and self.shape is not None
            return self.scale * math.gamma(1.0 + 1.0 / self.shape)
        assert self.low is not None and self.high is not None
        if self.dist == "triangular":
            assert self.mode is not None
            return (self.low + self.mode + self.high) / 3.0
        return (self.low + self.high) / 2.0

    @property
    def is_constant(self) -> bool:
        """True if sampling never varies (a constant, or zero spread)."""
        return self.dist == "constant" or (self.cv == 0 and self.sd is None) or self.sd == 0


#: A number of parts (a count distribution's parameter).
Quantity = Annotated[float, Field(ge=0.0, le=MAX_QUANTITY, allow_inf_nan=False)]


class CountDistribution(Distribution):
    """A random count (e.g. an arrival's quantity): same shapes as :class:`Distribution`
    but plain numbers; samples are rounded to an integer >= 1 by the twin."""

    mean: Quantity | None = None
    sd: Quantity | None = None
    low: Quantity | None = None
    mode: Quantity | None = None
    high: Quantity | None = None
    scale: Quantity | None = None

    @staticmethod
    def _scalar(value: object) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 1 <= value <= MAX_QUANTITY
        ):
            raise field_error(
                "count", f"expected a count in 1..{MAX_QUANTITY} or a distribution, got {value!r}"
            )
        return float(value)


def _exponential(value: object) -> object:
    if value is None or isinstance(value, Mapping | BaseModel):
        return value
    return {"dist": "exponential", "mean": to_base_unit(value)}


#: A mean time (mtbf, mttr): a plain duration is the mean of an exponential distribution.
MeanTime = Annotated[Distribution, BeforeValidator(_exponential)]
