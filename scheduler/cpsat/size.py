"""How large the CP-SAT model of an instance gets, and whether it can be built in time.

The model is built through OR-Tools' Python API, one call per variable and constraint,
so building costs time in proportion to its size: about 0.1 ms per mode (an optional
interval, its literal, its hint and its share of the constraints) and 0.05 ms per
setup-circuit arc (a literal, an enforced precedence and a hint), plus CP-SAT's own
copy of the model when the solve starts (measured on the 2-core test machine, 9.15:
10,000 operations with two modes each took 1.3 s to build; 1,000 operations with
setups on 10 machines had 420,000 arcs, 20 s and 860 MB).

Circuits make setups quadratic: a machine with k eligible operations has about k**2
arcs (8,000 operations on 10 machines: ~26 million). :func:`plan` therefore picks
the setup model before anything is built. When the circuits would not fit the time
limit, each operation's interval is padded with its largest outgoing setup instead,
a stricter model without arcs (every schedule it allows is feasible; it may miss
the best ones). When even that does not fit, it refuses with
:class:`InstanceTooLargeError`, which names the size and the methods that scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scheduler.errors import SchedulerError
from scheduler.problem import ProblemData

__all__ = [
    "CIRCUIT",
    "PADDED",
    "InstanceTooLargeError",
    "ModelSize",
    "UnsupportedByCpsatError",
    "model_size",
    "plan",
    "unsupported",
]

CIRCUIT = "circuit"  # one circuit per machine: exact setups, k**2 arcs
PADDED = "padded"  # intervals padded with their largest setup: no arcs, stricter

# Seconds per unit, to build and hand to CP-SAT (measured, rounded up: see above).
SECONDS_PER_MODE = 1.2e-4
SECONDS_PER_ARC = 5.5e-5
SECONDS_PER_PAIR = 3e-5  # a disjunction of a zero-length operation, a transport lag


class InstanceTooLargeError(SchedulerError):
    """The CP-SAT model cannot be built within the time limit; the message says how
    large it is and which methods handle the instance."""


class UnsupportedByCpsatError(InstanceTooLargeError):
    """The instance has what the CP-SAT model does not express exactly (fixture loads
    run over shift windows); the message names it and the methods that handle it."""


def unsupported(data: ProblemData) -> str:
    """Why CP-SAT cannot model ``data`` exactly, or ``""``. A ``LOADS`` mode's span
    over the windows is a ceiling division of its start: the kernels place it exactly,
    CP-SAT would need it per load."""
    if not data.has_windows:
        return ""
    loads = np.flatnonzero((data.mode_calendar == 4) & (data.mode_duration > 0))
    has_windows = np.diff(data.window_ptr) > 0
    hit = [int(i) for i in loads if has_windows[data.mode_machine[i]]]
    if not hit:
        return ""
    return (
        f"cpsat does not model fixture loads over shift windows ({len(hit)} mode(s) with "
        f"mode_calendar LOADS, e.g. operation {int(data.mode_op[hit[0]])}); use --method "
        "auto, tabu or dispatch (auto runs the search kernels, which place them exactly)"
    )


@dataclass(frozen=True)
class ModelSize:
    """Counts that drive the building time of one model."""

    ops: int
    modes: int
    arcs: int  # setup-circuit arcs (0 without setups or with padded setups)
    pairs: int  # zero-length disjunctions and transport lags enforced per mode pair
    setups: str = CIRCUIT

    @property
    def build_seconds(self) -> float:
        """Estimated seconds to build the model and load it into CP-SAT."""
        return (
            self.modes * SECONDS_PER_MODE
            + self.arcs * SECONDS_PER_ARC
            + self.pairs * SECONDS_PER_PAIR
        )

    def describe(self, data: ProblemData) -> str:
        """``"8,000 operations with setups need ~26M circuit arcs"``-style summary."""
        what = f"{self.ops:,} operations"
        if data.has_setups and self.setups == CIRCUIT:
            return f"{what} with setups need ~{_short(self.arcs)} circuit arcs"
        return f"{what} with {self.modes:,} machine alternatives"


def _short(n: int) -> str:
    for div, unit in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if n >= div:
            return f"{n / div:.0f}{unit}"
    return str(n)


def model_size(data: ProblemData, setups: str = CIRCUIT) -> ModelSize:
    """The counts of the model of ``data`` (fixed machines applied), in O(modes)."""
    active = _active_modes(data)
    machines = data.mode_machine[active]
    per_machine = np.bincount(machines, minlength=data.num_machines).astype(np.int64)
    arcs = 0
    if data.has_setups and setups == CIRCUIT:
        arcs = int((per_machine * (per_machine + 2)).sum())  # pairs, first/last arcs
    pairs = 0
    zero = data.mode_duration[active] == 0
    if zero.any():
        zeros = np.bincount(machines[zero], minlength=data.num_machines)
        windows = np.diff(data.window_ptr)
        pairs += int((zeros * windows).sum())
        if not data.has_setups:
            pairs += int((zeros * (per_machine - zeros)).sum())
    if data.has_transport:
        flex = np.bincount(data.mode_op[active], minlength=data.num_ops)
        follows = np.ones(data.num_ops, bool)
        follows[data.job_op_ptr[:-1]] = False
        pairs += int((flex[1:] * flex[:-1])[follows[1:]].sum())
    return ModelSize(data.num_ops, int(active.sum()), arcs, pairs, setups)


def _active_modes(data: ProblemData) -> np.ndarray:
    """Mask of the modes the model keeps: all, or the fixed machine's only."""
    fixed = data.fixed_machine[data.mode_op]
    return (fixed < 0) | (data.mode_machine == fixed)


def plan(data: ProblemData, seconds: float, share: float = 1.0) -> str:
    """The setup model (:data:`CIRCUIT` or :data:`PADDED`) whose model builds within
    ``share * seconds``; exact circuits whenever they fit.

    Raises
    ------
    InstanceTooLargeError
        When no model fits; padded setups need no fixed starts (a pad could make two
        pinned operations overlap).
    """
    why = unsupported(data)
    if why:
        raise UnsupportedByCpsatError(why)
    budget = share * seconds
    size = model_size(data)
    if size.build_seconds <= budget:
        return CIRCUIT
    padded = model_size(data, PADDED)
    # padded setups have no arcs to carry a calendar's work clock
    can_pad = (
        data.has_setups and not bool(np.any(data.fixed_start >= 0)) and not data.has_calendar_modes
    )
    if can_pad and padded.build_seconds <= budget:
        return PADDED
    smallest = padded if can_pad else size
    raise InstanceTooLargeError(
        f"instance too large for cpsat within {seconds:g} s: {size.describe(data)} "
        f"(~{smallest.build_seconds:.0f} s to build the smallest model); use --method "
        "dispatch or tabu (or auto, which skips CP-SAT when it does not fit)"
    )
