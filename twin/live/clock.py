"""Model time <-> wall-clock time: the one place the twin converts for MES exchange.

Model time is a float in the scenario's ``time_unit`` counted from the scenario's
``start``; MES messages carry ISO 8601 timestamps with a time zone. A ``start``
without a time zone is shop-floor local time (the calendars read it so); the
:class:`Clock` then needs the shop's zone (``tz``, default UTC) to place it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from twin.errors import TwinError
from twin.scenario import Scenario
from twin.scenario.durations import UNIT_SECONDS

__all__ = ["Clock"]


@dataclass(frozen=True)
class Clock:
    """Converts between model time (float, ``unit`` from ``origin``) and aware datetimes."""

    origin: datetime
    unit: str = "min"

    def __post_init__(self) -> None:
        if self.origin.tzinfo is None:
            raise TwinError(f"clock origin {self.origin.isoformat()} has no time zone")
        if self.unit not in UNIT_SECONDS:
            raise TwinError(f"unknown time unit {self.unit!r}")

    @classmethod
    def for_scenario(
        cls, scenario: Scenario, origin: datetime | None = None, tz: tzinfo | None = None
    ) -> Clock:
        """The clock of ``scenario``: time 0 is ``origin`` if given, else the scenario's
        ``start`` (in ``tz`` when the start has no zone of its own, default UTC).

        Raises
        ------
        TwinError
            If neither ``origin`` nor the scenario's ``start`` is set: MES timestamps
            cannot be placed on the model's time axis.
        """
        if origin is None:
            if scenario.start is None:
                raise TwinError(
                    f"{scenario.source}: the scenario has no 'start', so MES timestamps "
                    "cannot be mapped to model time: set 'start' or give origin="
                )
            origin = scenario.start
        if origin.tzinfo is None:
            origin = origin.replace(tzinfo=tz or UTC)
        return cls(origin, scenario.time_unit)

    @property
    def seconds(self) -> float:
        """Seconds per model time unit."""
        return UNIT_SECONDS[self.unit]

    def to_model(self, when: datetime) -> float:
        """Model time of an aware datetime."""
        if when.tzinfo is None:
            raise TwinError(f"timestamp {when.isoformat()} has no time zone")
        return (when - self.origin).total_seconds() / self.seconds

    def to_wall(self, t: float) -> datetime:
        """The aware datetime (in the origin's zone) of model time ``t``."""
        return self.origin + timedelta(seconds=t * self.seconds)

    def iso(self, t: float) -> str:
        """ISO 8601 text of model time ``t`` (to the millisecond when not whole seconds)."""
        when = self.to_wall(t)
        return when.isoformat(timespec="milliseconds" if when.microsecond else "seconds")
