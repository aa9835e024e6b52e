"""The four weeks of orders of pilot_workshop.yaml and pilot_workshop_nc70.yaml.

Seeded, so the bundled files can be regenerated exactly: ``python
scenarios/pilot_orders.py > orders.yaml`` prints the ``orders:`` items. Per week and
product, a Poisson number of lots, each released on a random weekday at the start of
the early shift or 2, 4, 8 or 10 hours after; a gamma-distributed quantity (shape 4);
due a product-specific number of working days after release (longer where the routing
includes heat treatment at the subcontractor); priority 1-3 (1 most often).
"""

from __future__ import annotations

import numpy as np

SEED = 2026
WEEKS = 4
# product: (lots per week, mean quantity, due allowance in working days)
MIX = {
    "shaft": (8, 32.4, 8),
    "flange": (12, 36.0, 5),
    "housing": (13, 36.0, 6),
    "gear": (5, 27.0, 9),
    "bracket_am": (2, 14.4, 6),
}
FIRST_ID = 101
DAY = 1440  # minutes


def _duration(minutes: float) -> str:
    days, rest = divmod(int(minutes), DAY)
    hours = rest // 60
    parts = [f"{days}d"] if days else []
    if hours:
        parts.append(f"{hours}h")
    return " ".join(parts) or "0"


def orders() -> list[tuple[float, str, int, float, int]]:
    """``(release, product, quantity, due, priority)`` sorted by release, in minutes."""
    rng = np.random.default_rng(SEED)
    out = []
    for week in range(WEEKS):
        for product, (lots, quantity, allowance) in MIX.items():
            for _ in range(rng.poisson(lots)):
                day = int(rng.integers(0, 5))
                hour = float(rng.choice([0, 2, 4, 8, 10]))
                qty = max(2, round(rng.gamma(4, quantity / 4)))
                release = week * 7 + day
                due = release + allowance + 2 * ((day + allowance) // 5)  # skip weekends
                priority = int(rng.choice([1, 1, 1, 2, 2, 3]))
                out.append((release * DAY + hour * 60, product, qty, due * DAY + hour * 60,
                            priority))  # fmt: skip
    return sorted(out)


def main() -> None:
    for i, (release, product, qty, due, priority) in enumerate(orders()):
        print(
            f"  - {{id: O-{FIRST_ID + i}, product: {product}, quantity: {qty}, "
            f"release: {_duration(release)}, due: {_duration(due)}, priority: {priority}}}"
        )


if __name__ == "__main__":
    main()
