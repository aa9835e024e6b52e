"""The live twin: kept in step with the shop by MES events, replanning as it goes.

- :mod:`~twin.live.clock`: model time <-> ISO 8601 wall-clock time;
- :mod:`~twin.live.events`: the MES events (pydantic), JSON and JSON lines;
- :mod:`~twin.live.state`: the facts those events establish;
- :mod:`~twin.live.problem`: what is left to plan now, and the repaired plan;
- :mod:`~twin.live.policy`, :mod:`~twin.live.replan`: when and how to replan;
- :mod:`~twin.live.twin`: :class:`LiveTwin`, with :mod:`~twin.live.view` for its
  snapshot and projected KPIs.

Adapters to MES protocols (JSON-lines files, ISA-95 job orders, OPC UA) are in
:mod:`twin.mes`; docs/LIVE.md describes the mappings.
"""

from twin.live.clock import Clock
from twin.live.events import (
    EventError,
    MachineDown,
    MachineSetup,
    MachineUp,
    MesEvent,
    OperationFinished,
    OperationStarted,
    OperatorAbsent,
    OperatorBack,
    OrderCancelled,
    OrderChanged,
    OrderReleased,
    dump_event,
    parse_event,
    read_events,
    write_events,
)
from twin.live.notices import Rejection, TwinEvent
from twin.live.policy import Policy
from twin.live.replan import Replanner, ReplanReport
from twin.live.state import IngestError
from twin.live.twin import LiveTwin, WhatIf

__all__ = [
    "Clock",
    "EventError",
    "IngestError",
    "LiveTwin",
    "MachineDown",
    "MachineSetup",
    "MachineUp",
    "MesEvent",
    "OperationFinished",
    "OperationStarted",
    "OperatorAbsent",
    "OperatorBack",
    "OrderCancelled",
    "OrderChanged",
    "OrderReleased",
    "Policy",
    "Rejection",
    "ReplanReport",
    "Replanner",
    "TwinEvent",
    "WhatIf",
    "dump_event",
    "parse_event",
    "read_events",
    "write_events",
]
