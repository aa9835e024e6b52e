"""SimPy models of shop-floor equipment (the physics). Depends on simpy and numpy only.

Equipment *has* SimPy resources and processes; behaviour is generator methods; every
state change goes to an injected :class:`Recorder` (``None`` records nothing); every
random stream is a numpy ``Generator`` handed in by the caller. Time is float, in the
scenario's unit.

How the twin drives it (each class documents its exact semantics)::

    m = Machine(env, "M1", log, rng=rng, setup_times=matrix, calendar=shifts,
                attended=True, failure=(Exponential(600), LogNormal(30, 0.5)))
    with m.resource.request() as req:          # queue on the machine
        yield req
        yield from robot.load("M1", 0.5, job=j)
        actual = yield from m.process(j, k, work, family=f, product="gear")
        m.set_state(State.BLOCKED)            # while waiting for the next buffer
        yield buffer.put(j)
        m.set_state(State.IDLE)
    yield from fleet.move("M1", "M2", j)
    yield printer.submit(j, k + 1, "bracket")  # succeeds after build + post-processing

Modules: :mod:`models.distributions` (durations), :mod:`models.calendar` (shifts),
:mod:`models.dated_calendar` (holidays, make-up days), :mod:`models.unit` (states, shift
pauses, failures), :mod:`models.machine`, :mod:`models.robot`, :mod:`models.printer`,
:mod:`models.buffer`, :mod:`models.operators` (people in pools with skills and
shifts), :mod:`models.recorder` (the event-log contract).
"""

from models.buffer import Buffer
from models.calendar import Calendar
from models.dated_calendar import DatedCalendar
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
from models.maintenance import MaintenanceCrew, PlannedMaintenance
from models.operators import Operator, Pool, Staff
from models.printer import BuildTime, PrintCell
from models.recorder import (
    EventKind,
    ListRecorder,
    NullRecorder,
    Record,
    Recorder,
    RowWriter,
    State,
    row_writer,
)
from models.robot import Robot
from models.transport import TransportFleet, TravelTime
from models.unit import Failure, Unit

__all__ = [
    "Buffer",
    "BuildTime",
    "CNCMachine",
    "Calendar",
    "Constant",
    "DatedCalendar",
    "Distribution",
    "EventKind",
    "Exponential",
    "Failure",
    "Gamma",
    "ListRecorder",
    "LogNormal",
    "Machine",
    "MaintenanceCrew",
    "ManualMachine",
    "Normal",
    "NullRecorder",
    "Operator",
    "PlannedMaintenance",
    "Pool",
    "PrintCell",
    "Record",
    "Recorder",
    "Robot",
    "RowWriter",
    "SetupTimes",
    "Staff",
    "State",
    "TransportFleet",
    "TravelTime",
    "Triangular",
    "Uniform",
    "Unit",
    "Weibull",
    "as_distribution",
    "row_writer",
    "with_cv",
]
