"""Labour KPIs from the operators' state times (operators are units of kind
``operator`` in the event log: busy, idle, off)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from twin.shopinfo import UnitInfo

__all__ = ["labour_kpis"]


def labour_kpis(
    units: Sequence[UnitInfo],
    times: Mapping[str, Mapping[str, float]],
    good: float,
    hours_per_unit: float,
) -> dict[str, float]:
    """Operators' hours in the window and per good part (NaN without operators).

    - ``labour_hours``: attendance, the hours operators were on shift (their calendar
      time minus ``off``): what the shop pays for;
    - ``labour_hours_worked``: hours they were busy (setups, loads and unloads, manual
      cycles);
    - ``labour_hours_per_good_part`` = labour hours / good parts delivered in the
      window, ``worked_hours_per_good_part`` likewise (direct labour content);
    - ``operator_utilisation`` = worked / attendance hours.

    Labour productivity as hours per good unit is the usual industrial-engineering
    measure (ISO 22400-2 names a related *worker efficiency* = APWT / PWT, actual over
    planned personnel work time).
    """
    people = [u.name for u in units if u.kind == "operator"]
    if not people:
        nan = math.nan
        return dict.fromkeys(
            ("labour_hours", "labour_hours_worked", "labour_hours_per_good_part",
             "worked_hours_per_good_part", "operator_utilisation"), nan,
        )  # fmt: skip
    present = sum(sum(times[p].values()) - times[p].get("off", 0.0) for p in people)
    worked = sum(times[p].get("busy", 0.0) for p in people)
    present_h, worked_h = present * hours_per_unit, worked * hours_per_unit
    return {
        "labour_hours": present_h,
        "labour_hours_worked": worked_h,
        "labour_hours_per_good_part": present_h / good if good > 0 else math.nan,
        "worked_hours_per_good_part": worked_h / good if good > 0 else math.nan,
        "operator_utilisation": worked / present if present > 0 else math.nan,
    }
