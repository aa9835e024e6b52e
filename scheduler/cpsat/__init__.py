"""CP-SAT for the flexible job shop: variables (`model`), one function per constraint
family (`constraints`), objectives, complete hints from a greedy or given schedule,
an improvement callback, the model's size and setup model (`size`, `padded`), stopping
a search from outside (`interrupt`), and `solve_cpsat` (`solver`)."""

from scheduler.cpsat.size import InstanceTooLargeError
from scheduler.cpsat.solver import DEFAULT_PARAMS, solve_cpsat

__all__ = ["DEFAULT_PARAMS", "InstanceTooLargeError", "solve_cpsat"]
