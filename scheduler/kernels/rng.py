"""An explicit xorshift64 random stream for numba kernels.

numba's own generator is global per thread and cannot be seeded from NumPy, so every
kernel that draws random numbers takes a one-element ``uint64`` state array instead:
same seed, same draws, in any thread, with or without JIT.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["make_state", "rand_below", "rand_next"]

_S13 = np.uint64(13)
_S7 = np.uint64(7)
_S17 = np.uint64(17)
_S11 = np.uint64(11)


def make_state(seed: int | np.random.SeedSequence) -> np.ndarray:
    """A fresh state array for ``seed`` (never zero: xorshift would stay at zero)."""
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(int(seed))
    word = seq.generate_state(2, np.uint64)
    value = np.uint64(word[0] ^ (word[1] << np.uint64(1))) or np.uint64(0x9E3779B97F4A7C15)
    return np.array([value], dtype=np.uint64)


@njit(cache=True, nogil=True)
def rand_next(state: np.ndarray) -> np.uint64:
    """Advance ``state`` and return 64 random bits."""
    x = state[0]
    x ^= x << _S13
    x ^= x >> _S7
    x ^= x << _S17
    state[0] = x
    return x


@njit(cache=True, nogil=True)
def rand_below(state: np.ndarray, bound: int) -> int:
    """A uniform integer in ``[0, bound)`` (``bound`` >= 1; modulo bias is negligible)."""
    return int(np.int64((rand_next(state) >> _S11) % np.uint64(bound)))
