"""Local search on the OS + MS encoding and the disjunctive graph (tabu search)."""

from scheduler.search.encoding import (
    Decoded,
    decode_schedule,
    encode_schedule,
    initial_ms,
    random_os,
    shortest_ms,
)
from scheduler.search.tabu import solve_tabu

__all__ = [
    "Decoded",
    "decode_schedule",
    "encode_schedule",
    "initial_ms",
    "random_os",
    "shortest_ms",
    "solve_tabu",
]
