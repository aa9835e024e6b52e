"""Flexible job-shop scheduling: problem data, solvers and an independent checker.

Pure: depends on numpy, numba and ortools only; never imports simpy, ``twin`` or
``models``.
"""

from scheduler.check import Violation, check, is_feasible
from scheduler.errors import InstanceFormatError, ProblemDataError, SchedulerError
from scheduler.fjs import read_fjs, read_instance, read_json, write_fjs, write_json
from scheduler.instances import family_instances, fjsp_dir, read_bounds
from scheduler.model import Job, Machine, Model, Operation
from scheduler.objective import Objective, evaluate
from scheduler.problem import ProblemData
from scheduler.result import Result, Schedule, Status
from scheduler.solve import KERNEL_METHODS, METHODS, solve

__all__ = [
    "KERNEL_METHODS",
    "METHODS",
    "InstanceFormatError",
    "Job",
    "Machine",
    "Model",
    "Objective",
    "Operation",
    "ProblemData",
    "ProblemDataError",
    "Result",
    "Schedule",
    "SchedulerError",
    "Status",
    "Violation",
    "check",
    "evaluate",
    "family_instances",
    "fjsp_dir",
    "is_feasible",
    "read_bounds",
    "read_fjs",
    "read_instance",
    "read_json",
    "solve",
    "write_fjs",
    "write_json",
]
