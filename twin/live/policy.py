"""When the live twin replans: ``none``, ``periodic`` (every N) or ``on-event``.

``on-event`` replans on a breakdown (``machine_down``), a rush order (``order_changed``
with ``rush``, or a new order released with a priority at or above the rush
priority), a cancelled or new order, and a deviation: an operation that starts or
ends more than ``deviation`` (model time) away from its plan, or has not started
``deviation`` after its planned start (seen by :meth:`LiveTwin.advance`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from twin.errors import TwinError

__all__ = ["POLICIES", "TRIGGERS", "Policy"]

POLICIES = ("none", "periodic", "on-event")
TRIGGERS = ("breakdown", "rush", "deviation", "new_order", "cancelled")


@dataclass(frozen=True)
class Policy:
    """A rescheduling policy.

    Parameters
    ----------
    kind
        ``none``, ``periodic`` or ``on-event``.
    every
        ``periodic``: replan every this much model time (from time 0).
    deviation
        ``on-event``: the deviation threshold in model time (None: the scenario's
        adherence tolerance, 15 minutes by default).
    triggers
        ``on-event``: which of :data:`TRIGGERS` replan.
    """

    kind: str = "none"
    every: float | None = None
    deviation: float | None = None
    triggers: frozenset[str] = field(default_factory=lambda: frozenset(TRIGGERS))

    def __post_init__(self) -> None:
        if self.kind not in POLICIES:
            raise TwinError(f"unknown policy {self.kind!r} (expected one of {', '.join(POLICIES)})")
        if self.kind == "periodic" and (self.every is None or not self.every > 0):
            raise TwinError(f"a periodic policy needs every > 0, got {self.every}")
        unknown = set(self.triggers) - set(TRIGGERS)
        if unknown:
            raise TwinError(
                f"unknown trigger(s) {sorted(unknown)} (expected {', '.join(TRIGGERS)})"
            )
        if self.deviation is not None and self.deviation < 0:
            raise TwinError(f"deviation threshold must be >= 0, got {self.deviation}")

    @classmethod
    def parse(cls, text: str | Policy, every: float | None = None) -> Policy:
        """``none``, ``on-event``, ``periodic`` (with ``every``) or ``periodic:480``."""
        if isinstance(text, Policy):
            return text
        kind, _, arg = text.partition(":")
        if arg:
            try:
                every = float(arg)
            except ValueError:
                raise TwinError(f"policy {text!r}: {arg!r} is not a number") from None
        return cls(kind.replace("_", "-"), every=every)

    def fires(self, trigger: str) -> bool:
        """Whether an event-driven ``trigger`` replans under this policy."""
        return self.kind == "on-event" and trigger in self.triggers

    def __str__(self) -> str:
        return f"periodic:{self.every:g}" if self.kind == "periodic" else self.kind
