"""Duration distributions: exact means, no hidden randomness, checked inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.distributions import (
    Constant,
    Distribution,
    Exponential,
    Gamma,
    LogNormal,
    Normal,
    Triangular,
    Uniform,
    Weibull,
    as_distribution,
    with_cv,
)

N = 200_000

LAWS: list[Distribution] = [
    Exponential(4.0),
    LogNormal(10.0, 0.3),
    Gamma(10.0, 0.5),
    Triangular(2.0, 3.0, 7.0),
    Uniform(1.0, 5.0),
    Normal(5.0, 1.0),
    Normal(1.0, 2.0),  # heavily truncated: the mean moves up
    Weibull(1.5, 100.0),
]


@pytest.mark.parametrize("law", LAWS, ids=repr)
def test_sample_mean_matches_mean(law: Distribution) -> None:
    """The mean of many draws is the declared mean, within 4 standard errors."""
    rng = np.random.default_rng(7)
    x = np.array([law.sample(rng) for _ in range(N)])
    assert x.min() >= 0
    assert abs(x.mean() - law.mean) < 4 * x.std() / math.sqrt(N)


@pytest.mark.parametrize(
    "kind", ["lognormal", "gamma", "normal", "triangular", "uniform", "weibull"]
)
def test_with_cv_hits_mean_and_cv(kind: str) -> None:
    """with_cv gives the asked mean and coefficient of variation."""
    law = with_cv(20.0, 0.25, kind)
    rng = np.random.default_rng(11)
    x = np.array([law.sample(rng) for _ in range(N)])
    assert law.mean == pytest.approx(20.0, rel=1e-3)
    assert x.mean() == pytest.approx(20.0, rel=0.01)
    assert x.std() / x.mean() == pytest.approx(0.25, rel=0.03)


def test_constant_uses_no_randomness() -> None:
    """A Constant returns its value and leaves the generator untouched."""
    rng = np.random.default_rng(3)
    before = rng.bit_generator.state
    assert [Constant(2.5).sample(rng) for _ in range(5)] == [2.5] * 5
    assert rng.bit_generator.state == before


def test_zero_cv_is_constant() -> None:
    """Switching variability off yields a Constant for every kind."""
    for kind in ("lognormal", "gamma", "normal", "triangular", "uniform", "weibull"):
        assert with_cv(5.0, 0.0, kind) == Constant(5.0)


def test_same_seed_same_draws() -> None:
    """Two generators from the same seed give the same draws."""
    law = LogNormal(3.0, 0.5)
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    assert [law.sample(a) for _ in range(10)] == [law.sample(b) for _ in range(10)]


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Constant(-1.0), "value must be finite and non-negative, got -1.0"),
        (lambda: Exponential(0.0), "mean must be finite and positive"),
        (lambda: Triangular(3.0, 2.0, 5.0), "low <= mode <= high"),
        (lambda: Uniform(4.0, 4.0), "low < high"),
        (lambda: with_cv(10.0, 0.5, "triangular"), "would go negative"),
        (lambda: with_cv(10.0, 0.5, "exponential"), "exponential has cv 1"),
        (lambda: with_cv(10.0, 0.5, "cauchy"), "unknown distribution kind 'cauchy'"),
        (lambda: as_distribution(-3, "setup time"), "negative setup time -3"),
    ],
)
def test_bad_parameters_are_named(make: object, match: str) -> None:
    """Invalid parameters raise ValueError naming the field and value."""
    with pytest.raises(ValueError, match=match):
        make()  # type: ignore[operator]


def test_as_distribution() -> None:
    """Numbers (numpy ones too) become Constants; other objects are refused."""
    assert as_distribution(np.int64(4)) == Constant(4.0)
    law = Exponential(2.0)
    assert as_distribution(law) is law
    with pytest.raises(TypeError, match="must be a number or a Distribution"):
        as_distribution("5")  # type: ignore[arg-type]
