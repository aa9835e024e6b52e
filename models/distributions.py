"""Duration distributions: one ``sample(rng)`` API over numpy's generators.

Every stream is a :class:`numpy.random.Generator` passed in by the caller (the twin
spawns one per unit from a single ``SeedSequence``); nothing here owns a random state.
:class:`Constant` never touches the generator, so a run without randomness is exact and
does not shift the other streams. ``mean`` is the true mean of what ``sample`` returns
(for :class:`Normal`, of the normal truncated at 0), which is what KPIs and the
scheduler's nominal durations should use.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = [
    "Constant",
    "Distribution",
    "Exponential",
    "Gamma",
    "LogNormal",
    "Normal",
    "Triangular",
    "Uniform",
    "Weibull",
    "as_distribution",
    "with_cv",
]


@runtime_checkable
class Distribution(Protocol):
    """A non-negative duration law: ``sample(rng)`` draws one value, ``mean`` is exact."""

    @property
    def mean(self) -> float: ...

    def sample(self, rng: np.random.Generator) -> float: ...


def _check(name: str, value: float, *, positive: bool = False) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        kind = "positive" if positive else "non-negative"
        raise ValueError(f"{name} must be finite and {kind}, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class Constant:
    """Always ``value``; draws nothing from the generator."""

    value: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _check("value", self.value))

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator) -> float:
        return self.value


@dataclass(frozen=True, slots=True)
class Exponential:
    """Memoryless; the classic law of times between failures (cv = 1)."""

    mean_value: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean_value", _check("mean", self.mean_value, positive=True))

    @property
    def mean(self) -> float:
        return self.mean_value

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.exponential(self.mean_value))


@dataclass(frozen=True, slots=True)
class LogNormal:
    """Right-skewed, parametrised by its own mean and coefficient of variation."""

    mean_value: float
    cv: float
    _mu: float = field(init=False, repr=False, compare=False)
    _sigma: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check("mean", self.mean_value, positive=True)
        _check("cv", self.cv)
        s2 = math.log1p(self.cv * self.cv)
        object.__setattr__(self, "_mu", math.log(self.mean_value) - s2 / 2)
        object.__setattr__(self, "_sigma", math.sqrt(s2))

    @property
    def mean(self) -> float:
        return float(self.mean_value)

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.lognormal(self._mu, self._sigma))


@dataclass(frozen=True, slots=True)
class Gamma:
    """Gamma law by mean and cv (shape ``1/cv**2``); cv = 1 is the exponential."""

    mean_value: float
    cv: float

    def __post_init__(self) -> None:
        _check("mean", self.mean_value, positive=True)
        _check("cv", self.cv, positive=True)

    @property
    def mean(self) -> float:
        return float(self.mean_value)

    def sample(self, rng: np.random.Generator) -> float:
        shape = 1.0 / (self.cv * self.cv)
        return float(rng.gamma(shape, self.mean_value / shape))


@dataclass(frozen=True, slots=True)
class Triangular:
    """Bounded three-point estimate (low, most likely, high), as planners quote them."""

    low: float
    mode: float
    high: float

    def __post_init__(self) -> None:
        _check("low", self.low)
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError(
                f"triangular needs low <= mode <= high and low < high, "
                f"got ({self.low}, {self.mode}, {self.high})"
            )
        _check("high", self.high)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3.0

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.triangular(self.low, self.mode, self.high))


@dataclass(frozen=True, slots=True)
class Uniform:
    """Any value in ``[low, high)`` equally likely."""

    low: float
    high: float

    def __post_init__(self) -> None:
        _check("low", self.low)
        _check("high", self.high)
        if not self.low < self.high:
            raise ValueError(f"uniform needs low < high, got ({self.low}, {self.high})")

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2.0

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))


def _phi(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _big_phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


@dataclass(frozen=True, slots=True)
class Normal:
    """Normal(``loc``, ``sd``) truncated at 0 by redrawing (durations are never negative).

    ``loc`` must be positive, so at least half the draws are accepted; ``mean`` is the
    mean of the truncated law, slightly above ``loc`` when ``sd`` is large.
    """

    loc: float
    sd: float

    def __post_init__(self) -> None:
        _check("mean", self.loc, positive=True)
        _check("sd", self.sd)

    @property
    def mean(self) -> float:
        if self.sd == 0:
            return float(self.loc)
        a = -self.loc / self.sd
        return self.loc + self.sd * _phi(a) / (1.0 - _big_phi(a))

    def sample(self, rng: np.random.Generator) -> float:
        while True:
            x = float(rng.normal(self.loc, self.sd))
            if x >= 0.0:
                return x


@dataclass(frozen=True, slots=True)
class Weibull:
    """Weibull(``shape``, ``scale``): shape > 1 models wear-out failures, < 1 infant ones."""

    shape: float
    scale: float

    def __post_init__(self) -> None:
        _check("shape", self.shape, positive=True)
        _check("scale", self.scale, positive=True)

    @property
    def mean(self) -> float:
        return self.scale * math.gamma(1.0 + 1.0 / self.shape)

    def sample(self, rng: np.random.Generator) -> float:
        return float(self.scale * rng.weibull(self.shape))


def _weibull_cv(shape: float) -> float:
    g1 = math.gamma(1.0 + 1.0 / shape)
    return math.sqrt(max(math.gamma(1.0 + 2.0 / shape) / (g1 * g1) - 1.0, 0.0))


def _weibull_shape(cv: float) -> float:
    """Shape whose cv is ``cv`` (cv decreases with shape): bisection on log(shape)."""
    lo, hi = math.log(0.2), math.log(1e4)
    if not _weibull_cv(math.exp(hi)) <= cv <= _weibull_cv(math.exp(lo)):
        raise ValueError(f"weibull cannot reach cv {cv}")
    for _ in range(100):
        mid = (lo + hi) / 2
        if _weibull_cv(math.exp(mid)) > cv:
            lo = mid
        else:
            hi = mid
    return math.exp((lo + hi) / 2)


_KINDS = ("lognormal", "gamma", "normal", "triangular", "uniform", "weibull", "exponential")


def with_cv(mean: float, cv: float, kind: str = "lognormal") -> Distribution:
    """A distribution of the given ``kind`` with this mean and coefficient of variation.

    ``cv == 0`` gives :class:`Constant` for every kind, so switching variability off
    makes a run exact. Bounded kinds must stay non-negative: symmetric triangular needs
    ``cv <= 1/sqrt(6)``, uniform ``cv <= 1/sqrt(3)``; exponential needs ``cv == 1``.
    ``normal`` sets ``loc = mean`` (truncation lifts the mean a little at large cv).
    """
    mean = _check("mean", mean)
    cv = _check("cv", cv)
    if kind not in _KINDS:
        raise ValueError(f"unknown distribution kind {kind!r}; expected one of {_KINDS}")
    if cv == 0 or mean == 0:
        return Constant(mean)
    if kind == "lognormal":
        return LogNormal(mean, cv)
    if kind == "gamma":
        return Gamma(mean, cv)
    if kind == "normal":
        return Normal(mean, cv * mean)
    if kind == "exponential":
        if abs(cv - 1.0) > 1e-9:
            raise ValueError(f"exponential has cv 1, got cv {cv}")
        return Exponential(mean)
    if kind == "weibull":
        shape = _weibull_shape(cv)
        return Weibull(shape, mean / math.gamma(1.0 + 1.0 / shape))
    half = cv * mean * (math.sqrt(6.0) if kind == "triangular" else math.sqrt(3.0))
    if half > mean * (1 + 1e-12):
        limit = "1/sqrt(6)" if kind == "triangular" else "1/sqrt(3)"
        raise ValueError(f"{kind} with cv {cv} > {limit} would go negative (mean {mean})")
    low, high = max(mean - half, 0.0), mean + half
    if kind == "triangular":
        return Triangular(low, mean, high)
    return Uniform(low, high)


def as_distribution(
    value: float | np.integer | np.floating | Distribution, name: str = "duration"
) -> Distribution:
    """Numbers become :class:`Constant` (validated); distributions pass through."""
    if isinstance(value, numbers.Real):
        if value < 0:
            raise ValueError(f"negative {name} {value}")
        return Constant(float(value))
    if not isinstance(value, Distribution):
        raise TypeError(f"{name} must be a number or a Distribution, got {type(value).__name__}")
    return value
