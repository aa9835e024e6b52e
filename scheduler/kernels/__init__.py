"""numba kernels on flat int64 arrays: decoding, the disjunctive graph, tabu search.

Every kernel is ``@njit(cache=True)``, takes arrays and scalars only and has a plain
Python twin in ``tests/naive.py``; random draws come from an explicit state array
(:mod:`scheduler.kernels.rng`).
"""

from scheduler.kernels.decode import KernelData, decode, kernel_data, machine_capacity
from scheduler.kernels.graph import critical_blocks, critical_path, heads_tails, positions
from scheduler.kernels.rng import make_state, rand_below, rand_next

__all__ = [
    "KernelData",
    "critical_blocks",
    "critical_path",
    "decode",
    "heads_tails",
    "kernel_data",
    "machine_capacity",
    "make_state",
    "positions",
    "rand_below",
    "rand_next",
]
