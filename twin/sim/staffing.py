"""Who loads each machine and who runs it: the operator pools of a scenario, and each
machine's :class:`Handling` (robot, operator or itself; fixture loads)."""

from __future__ import annotations

from dataclasses import dataclass

import simpy

from models import Calendar, DatedCalendar, Machine, Recorder, Robot
from models.operators import Operator, Pool, Staff
from twin.scenario import Scenario

__all__ = ["Handling", "build_staff", "handling_of", "operator_names"]


@dataclass(frozen=True)
class Handling:
    """How lots are processed on one machine when not as one plain span: parts per
    fixture load, the handler's load and unload times, the robot (or None), what an
    operator is needed for (``cycle`` / ``load`` / ``setup``) and the staff that
    provides one (None: nobody modelled)."""

    station: str
    parts: int
    load: float
    unload: float
    robot: Robot | None
    needs: str
    staff: Staff | None

    def loads(self, quantity: int) -> int:
        return max(1, -(-quantity // self.parts))


def operator_names(pool: str, count: int) -> list[str]:
    """The event-log names of a pool's operators: ``{pool}.1`` .. ``{pool}.{count}``."""
    return [f"{pool}.{k}" for k in range(1, count + 1)]


def build_staff(
    env: simpy.Environment,
    scenario: Scenario,
    recorder: Recorder,
    calendars: dict[str, Calendar | DatedCalendar],
) -> Staff | None:
    """The scenario's operator pools (None without an ``operators`` section)."""
    if not scenario.operators:
        return None
    pools = []
    for spec in scenario.operators:
        cal = calendars[spec.calendar] if spec.calendar else None
        people = [
            Operator(
                env, name, recorder, pool=spec.id, capacity=spec.machines_per_operator,
                calendar=cal,
            )
            for name in operator_names(spec.id, spec.count)
        ]  # fmt: skip
        skills = None if spec.skills is None else frozenset(spec.skills)
        pools.append(Pool(spec.id, people, skills))
    return Staff(env, pools)


def handling_of(
    scenario: Scenario,
    machines: dict[str, Machine],
    robot_of: dict[str, tuple[Robot, float]],
    staff: Staff | None,
) -> dict[str, Handling]:
    """Each machine whose lots are not one plain span: robot-tended, handled by an
    operator, with handling times, or attended by load on a shift calendar (a load
    starts only on shift)."""
    out = {}
    for station in scenario.stations:
        for unit in station.unit_names:
            machine = machines.get(unit)
            if machine is None or station.kind == "outsourced":
                continue
            tended = robot_of.get(unit)
            if tended is not None:
                robot, load, unload, needs = tended[0], tended[1], tended[1], "setup"
            else:
                robot, needs = None, station.needs
                load, unload = station.loading.load, station.loading.unload
            crew = staff if staff is not None and staff.can_run(station.id) else None
            has_setups = station.setup.default > 0 or bool(station.setup.families)
            needed = (
                robot is not None
                or load + unload > 0
                or (
                    crew is not None
                    and (needs != "setup" or has_setups or station.setup.per_lot > 0)
                )
                or (needs == "load" and not machine.calendar.is_always)
            )
            if needed:
                out[unit] = Handling(
                    station.id, station.loading.parts, load, unload, robot, needs, crew
                )
    return out
