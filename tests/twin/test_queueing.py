"""The twin against queueing theory: M/M/1, M/G/1 (Pollaczek-Khinchine), M/M/c (Erlang C),
a tandem line of M/M/1 stations (Jackson), Little's law, and availability under failures.

Every shop is fed by a Poisson stream of one-part lots (``lambda = 0.1`` per minute),
dispatched ``fifo``, with nothing the queueing model lacks: no calendars, setups,
transport, robots or buffers, and breakdowns only in the failure case. A slow test
replicates a long run (``twin.replicate``: independent child seeds of one seed), takes
one estimate per replication and asserts that the analytic value lies inside the
Student-t 95 % confidence interval of the replication means. The seeds are fixed, so
each outcome is reproducible; with other seeds about one check in twenty would miss by
chance.

Waiting time in queue: ``op_start`` minus the time the lot became ready at the station
(its ``release`` for the first step, the previous ``op_end`` otherwise), over the lots
released in ``[warmup, horizon - TAIL]``: after the warm-up, and early enough that every
one of them has finished by the horizon (checked), so that the cut at the horizon drops
no long waits. ``benchmarks/queueing.py`` runs the same :data:`CASES` and prints the
table of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

import twin
from twin.scenario import Scenario

LAMBDA = 0.1  # lots per minute
WARMUP = 2_000.0  # minutes: many times the relaxation time of the busiest queue here
TAIL = 2_000.0  # minutes: lots released later are not measured (they may not finish)
MINUTES_PER_HOUR = 60.0  # the KPIs give throughput per hour, the scenarios run in minutes
LITTLE_TOLERANCE = 0.01  # per long run; see little_gap
SEED = 2024


# -- statistics ---------------------------------------------------------------------------


def t_quantile95(df: int) -> float:
    """Two-sided 95 % Student-t quantile (no scipy here): bisection on the density
    integrated by the trapezoid rule (error below 1e-6 for ``df >= 2``)."""
    const = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)

    def mass(t: float) -> float:  # P(0 < T < t)
        x = np.linspace(0.0, t, 20_001)
        y = const * (1.0 + x * x / df) ** (-(df + 1) / 2)
        return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)

    lo, hi = 0.0, 50.0
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if mass(mid) < 0.475 else (lo, mid)
    return (lo + hi) / 2


def ci95(values: Sequence[float]) -> tuple[float, float]:
    """Mean and Student-t 95 % half-width of independent replication estimates."""
    x = np.asarray(values, dtype=float)
    return float(x.mean()), t_quantile95(len(x) - 1) * float(x.std(ddof=1)) / math.sqrt(len(x))


# -- theory -------------------------------------------------------------------------------


def mm1_wait(lam: float, mean_service: float) -> float:
    """M/M/1 mean wait in queue: ``rho / (mu - lambda)``."""
    mu = 1.0 / mean_service
    return lam / mu / (mu - lam)


def pk_wait(lam: float, mean_service: float, second_moment: float) -> float:
    """M/G/1 mean wait in queue (Pollaczek-Khinchine): ``lambda E[S^2] / (2 (1 - rho))``."""
    return lam * second_moment / (2.0 * (1.0 - lam * mean_service))


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival waits in M/M/c with offered load ``a = lambda / mu``."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def mmc_wait(lam: float, mean_service: float, c: int) -> float:
    """M/M/c mean wait in queue: ``C(c, a) / (c mu - lambda)``."""
    mu = 1.0 / mean_service
    return erlang_c(c, lam / mu) / (c * mu - lam)


def failure_moments(
    mean_service: float, second_moment: float, mtbf: float, mttr: float, mttr_second: float
) -> tuple[float, float]:
    """First two moments of the completion time of a job on a machine whose failures
    come at rate ``1/mtbf`` of operating time (exponential), repaired in a time with
    mean ``mttr`` and second moment ``mttr_second``, the work resuming after repair:
    ``C = S + R_1 + ... + R_N`` with ``N ~ Poisson(S / mtbf)``."""
    f = 1.0 / mtbf
    first = mean_service * (1.0 + f * mttr)
    second = second_moment * (1.0 + f * mttr) ** 2 + mean_service * f * mttr_second
    return first, second


# -- shops --------------------------------------------------------------------------------


def open_shop(
    stations: list[dict[str, Any]],
    routing: list[dict[str, Any]],
    horizon: float,
    *,
    breakdowns: bool = False,
) -> Scenario:
    """One product with ``routing`` through ``stations``, Poisson lot arrivals."""
    return Scenario.from_dict(
        {
            "name": "queueing",
            "time_unit": "min",
            "stations": stations,
            "products": [{"id": "p", "routing": routing}],
            "arrivals": {
                "interarrival": {"dist": "exponential", "mean": 1.0 / LAMBDA},
                "mix": {"p": 1},
                "quantity": 1,
            },
            "run": {"horizon": horizon, "warmup": WARMUP, "breakdowns": breakdowns},
        }
    )


def step(
    station: str, mean: float, dist: str = "exponential", cv: float | None = None
) -> dict[str, Any]:
    """A routing step of one part with service law ``dist`` of this mean (and cv)."""
    out: dict[str, Any] = {"stations": {station: mean}, "dist": dist}
    if cv is not None:
        out["cv"] = cv
    return out


# -- measurements -------------------------------------------------------------------------


def lot_table(run: twin.Run) -> pd.DataFrame:
    """One row per lot released in ``[warmup, horizon - TAIL]``: ``release``, ``finish``
    and per step ``k`` the columns ``ready_k``, ``start_k``, ``end_k`` from the event log."""
    frame = run.log.to_frame()
    spec = run.scenario.run
    assert spec.horizon is not None
    times = {
        kind: frame[frame["kind"] == kind].set_index("job")["time"]
        for kind in ("release", "finish")
    }
    lots = pd.DataFrame(times)
    lots = lots[(lots["release"] >= spec.warmup) & (lots["release"] <= spec.horizon - TAIL)]
    for name, kind in (("start", "op_start"), ("end", "op_end")):
        wide = frame[frame["kind"] == kind].pivot(index="job", columns="operation", values="time")
        wide.columns = [f"{name}_{k}" for k in wide.columns]  # pivot: one per (lot, op)
        lots = lots.join(wide)
    for k in range(len(run.scenario.products[0].routing)):
        lots[f"ready_{k}"] = lots["release"] if k == 0 else lots[f"end_{k - 1}"]
    unfinished = int(lots["finish"].isna().sum())
    assert unfinished == 0, f"{unfinished} measured lots unfinished at the horizon: raise TAIL"
    return lots


def mean_wait(lots: pd.DataFrame, k: int = 0) -> float:
    """Mean time in queue before step ``k`` (op_start - ready) of the measured lots."""
    return float((lots[f"start_{k}"] - lots[f"ready_{k}"]).mean())


def mean_sojourn(lots: pd.DataFrame) -> float:
    """Mean time in the shop (finish - release) of the measured lots."""
    return float((lots["finish"] - lots["release"]).mean())


def down_share(run: twin.Run, unit: str) -> float:
    """``down / (busy + down)`` of ``unit`` over the KPI window."""
    times = run.kpis.state_time[unit]
    return times["down"] / (times["busy"] + times["down"])


def little_gap(run: twin.Run) -> float:
    """``WIP / (throughput x lead time) - 1`` from the run's KPIs.

    Not exactly 0 on a finite window: the lead times of the lots that finish in it
    include their time before the warm-up ends, and the WIP includes the time of the
    lots still open at the horizon. Each edge is the total age of the lots in the shop
    at that moment: WIP x lead time on average (about 50 lot-minutes here), a few
    hundred when a queue happens to be long, against WIP x window (1e5 to 1e6
    lot-minutes): well under LITTLE_TOLERANCE (1 %) on the long runs; the edges have
    equal means, so the gap has mean about 0 (the "little" case checks that)."""
    k = run.kpis
    rate = k.throughput_lots_per_hour / MINUTES_PER_HOUR
    return k.wip_mean / (rate * k.lead_time_mean) - 1.0


# -- the cases ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A shop, the estimates one run yields, their analytic values and how long to run."""

    name: str
    parameters: str
    shop: Callable[[float], Scenario]  # horizon -> scenario
    labels: tuple[str, ...]
    theory: tuple[float, ...]
    measure: Callable[[twin.Run], tuple[float, ...]]
    reps: int
    horizon: float


# M/M/1, rho = 0.7
MM1_SERVICE = 7.0
# M/G/1 with lognormal service, rho = 0.7, cv 0.5
MG1_SERVICE, MG1_CV = 7.0, 0.5
# M/M/3, rho = 0.7 per server
MMC_SERVICE, MMC_C = 21.0, 3
# Three M/M/1 stations in tandem: rho = 0.7, 0.5, 0.6
TANDEM = (7.0, 5.0, 6.0)
# One machine with exponential failures on operating time and exponential repairs;
# effective load rho = lambda E[C] = 0.6
FAIL_SERVICE, MTBF, MTTR = 5.0, 60.0, 12.0


def _mm1(horizon: float) -> Scenario:
    return open_shop([{"id": "s"}], [step("s", MM1_SERVICE)], horizon)


def _mg1(horizon: float) -> Scenario:
    return open_shop([{"id": "s"}], [step("s", MG1_SERVICE, "lognormal", MG1_CV)], horizon)


def _mmc(horizon: float) -> Scenario:
    return open_shop([{"id": "s", "count": MMC_C}], [step("s", MMC_SERVICE)], horizon)


def _tandem(horizon: float) -> Scenario:
    names = [f"s{i + 1}" for i in range(len(TANDEM))]
    return open_shop(
        [{"id": n} for n in names],
        [step(n, m) for n, m in zip(names, TANDEM, strict=True)],
        horizon,
    )


def _failing(horizon: float) -> Scenario:
    station = {"id": "s", "mtbf": MTBF, "mttr": MTTR}  # plain means: exponential laws
    return open_shop([station], [step("s", FAIL_SERVICE)], horizon, breakdowns=True)


def _little_shop(horizon: float) -> Scenario:
    """A line with a bit of everything: two parallel units, a general service law,
    failures; Little's law does not care."""
    stations: list[dict[str, Any]] = [
        {"id": "a", "count": 2},
        {"id": "b", "mtbf": MTBF, "mttr": MTTR},
        {"id": "c"},
    ]
    routing = [step("a", 12.0, "gamma", 1.5), step("b", 5.0), step("c", 6.0, "lognormal", 0.5)]
    return open_shop(stations, routing, horizon, breakdowns=True)


_FAIL_C1, _FAIL_C2 = failure_moments(FAIL_SERVICE, 2 * FAIL_SERVICE**2, MTBF, MTTR, 2 * MTTR**2)

CASES: dict[str, Case] = {
    "mm1": Case(
        "M/M/1",
        f"lambda={LAMBDA:g}, E[S]={MM1_SERVICE:g}, rho={LAMBDA * MM1_SERVICE:g}",
        _mm1,
        ("Wq", "W"),
        (mm1_wait(LAMBDA, MM1_SERVICE), 1.0 / (1.0 / MM1_SERVICE - LAMBDA)),
        lambda run: (mean_wait(lots := lot_table(run)), mean_sojourn(lots)),
        reps=10,
        horizon=200_000.0,
    ),
    "mg1": Case(
        "M/G/1 (P-K)",
        f"lognormal E[S]={MG1_SERVICE:g}, cv={MG1_CV:g}, rho={LAMBDA * MG1_SERVICE:g}",
        _mg1,
        ("Wq",),
        (pk_wait(LAMBDA, MG1_SERVICE, MG1_SERVICE**2 * (1 + MG1_CV**2)),),
        lambda run: (mean_wait(lot_table(run)),),
        reps=10,
        horizon=150_000.0,
    ),
    "mmc": Case(
        "M/M/c (Erlang C)",
        f"c={MMC_C}, E[S]={MMC_SERVICE:g}, rho={LAMBDA * MMC_SERVICE / MMC_C:g}",
        _mmc,
        ("Wq",),
        (mmc_wait(LAMBDA, MMC_SERVICE, MMC_C),),
        lambda run: (mean_wait(lot_table(run)),),
        reps=10,
        horizon=200_000.0,
    ),
    "tandem": Case(
        "Tandem M/M/1 x3 (Jackson)",
        f"E[S]={'/'.join(f'{m:g}' for m in TANDEM)}, rho="
        f"{'/'.join(f'{LAMBDA * m:g}' for m in TANDEM)}",
        _tandem,
        ("W",),
        (sum(1.0 / (1.0 / m - LAMBDA) for m in TANDEM),),
        lambda run: (mean_sojourn(lot_table(run)),),
        reps=10,
        horizon=100_000.0,
    ),
    "little": Case(
        "Little's law",
        "3-station line: 2 units gamma cv 1.5, failures, lognormal",
        _little_shop,
        ("WIP/(TH x LT)",),
        (1.0,),
        lambda run: (1.0 + little_gap(run),),
        reps=10,
        horizon=50_000.0,
    ),
    "failures": Case(
        "Failures on operating time",
        f"E[S]={FAIL_SERVICE:g}, MTBF={MTBF:g}, MTTR={MTTR:g} (exp.), rho_eff="
        f"{LAMBDA * _FAIL_C1:g}",
        _failing,
        ("down/(busy+down)", "Wq"),
        (MTTR / (MTBF + MTTR), pk_wait(LAMBDA, _FAIL_C1, _FAIL_C2)),
        lambda run: (down_share(run, "s"), mean_wait(lot_table(run))),
        reps=10,
        horizon=150_000.0,
    ),
}


@dataclass
class Outcome:
    """Replication estimates of one case: ``estimates[i]`` per label, Little gaps per run."""

    case: Case
    estimates: list[list[float]]
    little: list[float]

    def interval(self, i: int) -> tuple[float, float]:
        return ci95(self.estimates[i])

    def inside(self, i: int) -> bool:
        mean, half = self.interval(i)
        return abs(mean - self.case.theory[i]) <= half


def run_case(
    case: Case,
    reps: int | None = None,
    horizon: float | None = None,
    seed: int = SEED,
    on_progress: Callable[[float, int], None] | None = None,
) -> Outcome:
    """Replicate the case's shop and measure every run."""
    runs = twin.replicate(
        case.shop(case.horizon if horizon is None else horizon),
        case.reps if reps is None else reps,
        seed=seed,
        method="fifo",
        on_progress=on_progress,
    )
    per_run = [case.measure(run) for run in runs]
    estimates = [[values[i] for values in per_run] for i in range(len(case.labels))]
    return Outcome(case, estimates, [little_gap(run) for run in runs])


def check_case(key: str) -> None:
    """Theory inside every 95 % CI, and Little's law on every run."""
    out = run_case(CASES[key])
    worst = max(out.little, key=abs)
    assert abs(worst) < LITTLE_TOLERANCE, f"Little's law off by {worst:.2%} in one run"
    for i, label in enumerate(out.case.labels):
        mean, half = out.interval(i)
        theory = out.case.theory[i]
        assert out.inside(i), f"{label}: theory {theory:.4g} outside {mean:.4g} +- {half:.3g}"


# -- tests --------------------------------------------------------------------------------


def test_t_quantile_matches_the_tables() -> None:
    """The Student-t quantile used by every CI matches the printed tables."""
    for df, value in ((2, 4.303), (9, 2.262), (19, 2.093), (30, 2.042)):
        assert t_quantile95(df) == pytest.approx(value, abs=1e-3)


def test_littles_law_on_a_short_mm1_run() -> None:
    """Little's law (WIP = throughput x lead time) on a short M/M/1 run, within 2 %."""
    run = twin.simulate(_mm1(20_000.0), seed=SEED, method="fifo")
    assert run.kpis.jobs_finished > 1_500
    assert abs(little_gap(run)) < 0.02


@pytest.mark.slow
def test_mm1_wait_and_sojourn() -> None:
    """M/M/1: Wq = rho / (mu - lambda) and W = 1 / (mu - lambda)."""
    check_case("mm1")


@pytest.mark.slow
def test_mg1_pollaczek_khinchine() -> None:
    """M/G/1, lognormal service: Wq = lambda E[S^2] / (2 (1 - rho)) (Pollaczek-Khinchine)."""
    check_case("mg1")


@pytest.mark.slow
def test_mmc_erlang_c() -> None:
    """M/M/c: Wq = C(c, a) / (c mu - lambda) (Erlang C)."""
    check_case("mmc")


@pytest.mark.slow
def test_tandem_jackson_line() -> None:
    """Tandem M/M/1 stations (Jackson): mean sojourn = sum of 1 / (mu_i - lambda)."""
    check_case("tandem")


@pytest.mark.slow
def test_littles_law_on_a_mixed_line() -> None:
    """Little's law, WIP = throughput x lead time, on every run of a mixed line."""
    check_case("little")


@pytest.mark.slow
def test_failures_on_operating_time() -> None:
    """Failures on operating time: down/(busy+down) = MTTR/(MTBF+MTTR); Wq by P-K on C."""
    check_case("failures")
