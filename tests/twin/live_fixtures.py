"""A small dated shop for the live-twin tests: two lathes and a mill, six orders."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from twin.live import LiveTwin, Replanner
from twin.scenario import Scenario

SHOP: dict[str, Any] = {
    "name": "live-tiny",
    "time_unit": "min",
    "start": "2026-01-05T06:00:00+00:00",
    "stations": [
        {"id": "lathe", "kind": "cnc", "count": 2, "variability_cv": 0, "mtbf": "100h",
         "mttr": "20min"},
        {"id": "mill", "kind": "manual", "variability_cv": 0},
    ],
    "operators": [{"id": "op", "count": 2}],
    "products": [
        {"id": "shaft", "routing": [{"name": "turn", "stations": {"lathe": 2.5}},
                                    {"name": "mill", "stations": {"mill": 3}}]},
        {"id": "disc", "routing": [{"name": "face", "stations": {"mill": 1, "lathe": 1.2}}]},
    ],
    "orders": [
        {"id": f"O{i}", "product": ["shaft", "disc"][i % 2], "quantity": 4 + i, "due": 60 + 10 * i}
        for i in range(6)
    ],
    "run": {"scheduling": "cpsat", "breakdowns": False, "variability": False, "time_limit": 2},
}  # fmt: skip


def shop(**changes: Any) -> Scenario:
    data = copy.deepcopy(SHOP)
    data.update(copy.deepcopy(changes))
    return Scenario.from_dict(data, source="live-tiny.yaml")


def live_twin(policy: str = "none", **kwargs: Any) -> LiveTwin:
    """The small shop's live twin, replanning with CP-SAT on one worker."""
    replanner = Replanner(method="cpsat", time_limit=2.0, workers=1)
    return LiveTwin(shop(), policy=policy, replanner=replanner, **kwargs)


def at(twin: LiveTwin, minutes: float) -> str:
    """ISO 8601 wall-clock text of model time ``minutes``."""
    return (twin.clock.origin + timedelta(minutes=minutes)).isoformat()


def event(twin: LiveTwin, kind: str, eid: str, minutes: float, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "id": eid, "time": at(twin, minutes), **fields}


def first_rows(twin: LiveTwin) -> list[dict[str, Any]]:
    """The plan's first operation on each machine, when it is its order's first step,
    earliest first."""
    seen: dict[str, dict[str, Any]] = {}
    for row in sorted(twin.plan_rows(), key=lambda r: (r["start"], r["order"])):
        seen.setdefault(row["machine"], row)
    return sorted((r for r in seen.values() if r["step"] == 0), key=lambda r: r["start"])
