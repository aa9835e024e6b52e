"""Monte Carlo evaluation of a fixed plan (numba kernel).

The plan fixes each operation's machine and the order on every machine; only times
move. An operation starts at the latest of: its job's release (and its pinned start,
if any), the end of its job predecessor plus transport, and the end of its machine
predecessor plus setup (which pauses in windows); it then meets the unavailability
windows as its calendar kind says (:mod:`scheduler.calendar`: pushed past them,
pausing in them, starting outside them, or ignoring them). With no variability this
is the plan's left-shifted schedule.

Durations (mean = nominal, coefficient of variation ``cv``):

- ``DIST_FIXED``: the nominal duration, no draw;
- ``DIST_LOGNORMAL``: ``nominal * exp(sigma * z - sigma^2 / 2)`` with
  ``sigma^2 = ln(1 + cv^2)`` and ``z`` standard normal (Box-Muller, two draws);
- ``DIST_TRIANGULAR``: symmetric on ``nominal +- w`` with ``w = cv * nominal * sqrt(6)``
  (one draw; ``cv <= 1/sqrt(6)`` keeps durations non-negative).

Breakdowns: a machine ages only while it processes. Its time to failure is exponential
with mean ``mtbf[m]`` (``0`` = never fails), counted in processing time; a failure
interrupts the running operation for an exponential repair with mean ``mttr[m]``, and
the operation resumes (its processing is not lost). A fresh time to failure is drawn
after each repair. The clock carries over from one operation to the next on the same
machine. Setups and idle time do not age a machine.

Random numbers: :func:`uniform`, doubles from the stream of :mod:`scheduler.kernels.rng`.
Draw order (the pure-Python twin follows it): per sample, first one time to failure per
failing machine (machine order), then per operation in plan order its duration draws
followed by its failure draws (repair, next time to failure, ...).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from scheduler.kernels.calendar import BLOCK, FREE, LOADS, loads_end, on_time, place, setup_done
from scheduler.kernels.rng import rand_next

__all__ = [
    "DIST_FIXED",
    "DIST_LOGNORMAL",
    "DIST_TRIANGULAR",
    "montecarlo_kernel",
    "skip_windows",
    "uniform",
]

DIST_FIXED = 0
DIST_LOGNORMAL = 1
DIST_TRIANGULAR = 2

_S11 = np.uint64(11)
_INV_2_53 = 1.0 / 9007199254740992.0


@njit(cache=True)
def uniform(state: np.ndarray) -> float:
    """A double in [0, 1) from the top 53 bits of the next ``rand_next`` output."""
    return float(rand_next(state) >> _S11) * _INV_2_53


@njit(cache=True)
def _exponential(mean: float, state: np.ndarray) -> float:
    return -mean * math.log(1.0 - uniform(state))


@njit(cache=True)
def _sample_duration(nominal: float, dist: int, cv: float, state: np.ndarray) -> float:
    if dist == DIST_LOGNORMAL:
        u1 = uniform(state)
        u2 = uniform(state)
        z = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
        sigma2 = math.log(1.0 + cv * cv)
        return nominal * math.exp(math.sqrt(sigma2) * z - 0.5 * sigma2)
    if dist == DIST_TRIANGULAR:
        u = uniform(state)
        w = cv * nominal * math.sqrt(6.0)
        if u < 0.5:
            return nominal - w + math.sqrt(2.0 * u) * w
        return nominal + w - math.sqrt(2.0 * (1.0 - u)) * w
    return nominal


@njit(cache=True)
def skip_windows(
    t: float, d: float, lo: int, hi: int, window_start: np.ndarray, window_end: np.ndarray
) -> float:
    """Earliest time >= ``t`` at which ``[t, t + d)`` meets none of the sorted windows
    ``lo:hi`` (a zero-length run may touch a window's edges, not sit strictly inside).
    Integer or float times: the dispatch kernel shares it."""
    for w in range(lo, hi):
        ws = window_start[w]
        we = window_end[w]
        if we <= t:
            continue
        if (d > 0 and t + d <= ws) or (d == 0 and t <= ws):
            break
        t = we
    return t


@njit(cache=True)
def montecarlo_kernel(
    order: np.ndarray,
    machine: np.ndarray,
    machine_pred: np.ndarray,
    job_pred: np.ndarray,
    nominal: np.ndarray,
    earliest: np.ndarray,
    op_family: np.ndarray,
    setup: np.ndarray,
    transport: np.ndarray,
    window_ptr: np.ndarray,
    window_start: np.ndarray,
    window_end: np.ndarray,
    job_last: np.ndarray,
    due: np.ndarray,
    weight: np.ndarray,
    dist: int,
    cv: float,
    mtbf: np.ndarray,
    mttr: np.ndarray,
    n_samples: int,
    state: np.ndarray,
    kind: np.ndarray,
    loads: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Makespan and total weighted tardiness of ``n_samples`` runs of one plan.

    ``order`` is a topological order of the plan (e.g. by planned start);
    ``machine_pred``/``job_pred`` are the previous operation on the machine / in the
    job (``-1`` = none); ``earliest[o]`` is the release of the job of ``o`` (its first
    operation only) raised to a pinned start; ``job_last[j]`` is the last operation of
    job ``j``. ``state`` (uint64[1]) is advanced in place. ``kind[o]`` is the calendar
    kind of the planned mode of ``o`` and ``loads[o]`` its number of fixture loads.
    """
    n_ops = order.shape[0]
    n_mach = mtbf.shape[0]
    has_setup = setup.shape[0] > 0
    has_transport = transport.shape[0] > 0
    makespan = np.zeros(n_samples, np.float64)
    tardiness = np.zeros(n_samples, np.float64)
    end = np.zeros(n_ops, np.float64)
    uptime = np.zeros(n_mach, np.float64)
    for s in range(n_samples):
        for m in range(n_mach):
            if mtbf[m] > 0.0:
                uptime[m] = _exponential(mtbf[m], state)
        for idx in range(n_ops):
            o = order[idx]
            m = machine[o]
            d = _sample_duration(float(nominal[o]), dist, cv, state)
            if mtbf[m] > 0.0:
                left = d
                while uptime[m] <= left:
                    left -= uptime[m]
                    d += _exponential(mttr[m], state)
                    uptime[m] = _exponential(mtbf[m], state)
                uptime[m] -= left
            t = float(earliest[o])
            p = job_pred[o]
            if p >= 0:
                lag = float(transport[machine[p], m]) if has_transport else 0.0
                t = max(t, end[p] + lag)
            q = machine_pred[o]
            lo, hi = window_ptr[m], window_ptr[m + 1]
            if q >= 0:
                gap = float(setup[m, op_family[q], op_family[o]]) if has_setup else 0.0
                t = max(t, setup_done(end[q], gap, lo, hi, window_start, window_end))
            k = kind[o]
            if k == FREE:
                end[o] = t + d
            elif k == BLOCK or d == 0.0:
                end[o] = skip_windows(t, d, lo, hi, window_start, window_end) + d
            else:
                c = loads[o]
                if k == LOADS and c > 1:  # sampled durations: loads of d / c each
                    s0 = on_time(t, lo, hi, window_start, window_end)
                    end[o] = loads_end(s0, d / c, c, lo, hi, window_start, window_end)
                else:
                    _, end[o] = place(t, d, k, 1, lo, hi, window_start, window_end)
        cmax = 0.0
        twt = 0.0
        for idx in range(n_ops):
            cmax = max(cmax, end[idx])
        for j in range(job_last.shape[0]):
            if due[j] >= 0:
                twt += weight[j] * max(0.0, end[job_last[j]] - due[j])
        makespan[s] = cmax
        tardiness[s] = twt
    return makespan, tardiness
