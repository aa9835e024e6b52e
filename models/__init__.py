"""SimPy models of shop-floor equipment (the physics). Depends on simpy and numpy only.

Equipment *has* SimPy resources and processes; behaviour is generator methods; every
state change goes to an injected :class:`Recorder`; every random stream is a numpy
``Generator`` handed in by the caller. See each module for the semantics:
:mod:`models.distributions`, :mod:`models.calendar`, :mod:`models.unit` (states,
shifts, failures), :mod:`models.machine`, :mod:`models.robot`, :mod:`models.printer`,
:mod:`models.buffer`.
"""

from models.buffer import Buffer
from models.calendar import Calendar
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
from models.machine import CNCMachine, Machine, ManualMachine, SetupTimes
from models.printer import BuildTime, PrintCell
from models.recorder import EventKind, ListRecorder, NullRecorder, Record, Recorder, State
from models.robot import Robot, TransportFleet, TravelTime
from models.unit import Failure, Unit

__all__ = [
    "Buffer",
    "BuildTime",
    "CNCMachine",
    "Calendar",
    "Constant",
    "Distribution",
    "EventKind",
    "Exponential",
    "Failure",
    "Gamma",
    "ListRecorder",
    "LogNormal",
    "Machine",
    "ManualMachine",
    "Normal",
    "NullRecorder",
    "PrintCell",
    "Record",
    "Recorder",
    "Robot",
    "SetupTimes",
    "State",
    "TransportFleet",
    "TravelTime",
    "Triangular",
    "Uniform",
    "Unit",
    "Weibull",
    "as_distribution",
    "with_cv",
]
