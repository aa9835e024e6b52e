"""The example MES event stream of pilot_workshop.yaml: ``pilot_events.jsonl``.

Seeded, so the bundled file can be regenerated exactly::

    python scenarios/make_pilot_events.py > scenarios/pilot_events.jsonl

The first working week (Monday 06:00 to Saturday 06:00) of one simulated run of the pilot
(seed :data:`SEED`, breakdowns, variable cycle times and scrap on), as its MES would
report them (:func:`twin.mes.emulate.run_events`: operations started and finished with
actual times and good/scrap, machine breakdowns and repairs, setups) with the releases
of the orders. Planted in it:

- a rush order: ``O-107`` gets an earlier due date and the rush priority on Tuesday;
- an extra order ``X-901`` released on Tuesday (the simulated shop made it too);
- a machinist absent for the Tuesday early shift, then back;
- three duplicates (an event sent again, same id and content): ignored;
- four bad events, ids ``bad-*``: an unknown machine, an unknown order, an event far
  back in time (Monday morning, sent on Wednesday) and one whose time has no zone.
  ``twin replay`` rejects exactly these.

The simulated shop is the pilot with the extra order and the rush (due date and
priority) from the start, so the actual history follows them.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

from twin.live import Clock, dump_event
from twin.live import events as ev
from twin.mes.emulate import release_events, run_events
from twin.run import simulate
from twin.scenario import Order, Scenario, load_scenario

SEED = 7
DAY = 1440  # minutes
END = 5 * DAY  # the stream covers model time 0 .. END (Monday to Saturday 06:00)
EXTRA = {"id": "X-901", "product": "flange", "quantity": 12, "release": DAY + 120,
         "due": 3 * DAY + 480, "priority": 2}  # fmt: skip
RUSH = {"order": "O-107", "at": DAY + 60, "due": 2 * DAY + 960}
ABSENT = {"operator": "machinist.3", "at": DAY, "back": DAY + 480}
DUPLICATES = (12, 60, 150)  # stream positions re-sent two events later


def shop(scenario: Scenario) -> Scenario:
    """The pilot as the simulated shop ran it: with the extra order and the rush."""
    orders = [
        o.model_copy(update={"due": RUSH["due"], "priority": 10}) if o.id == RUSH["order"] else o
        for o in scenario.orders
    ]
    orders.append(Order(**EXTRA))
    return scenario.model_copy(update={"orders": orders})


def stream(scenario: Scenario) -> list[dict[str, Any]]:
    """The records of the stream, in stream order."""
    clock = Clock.for_scenario(scenario)
    run = simulate(shop(scenario), seed=SEED)
    wall = clock.to_wall
    good: list[Any] = [e for e in run_events(run, clock, "mes") if clock.to_model(e.time) <= END]
    if not any(e.type == "machine_down" for e in good):
        raise SystemExit(f"seed {SEED}: no breakdown in the first {END // DAY} days")
    good += release_events(scenario, clock, until=END)
    good += [
        ev.OrderReleased(id=f"rel-{EXTRA['id']}", time=wall(EXTRA["release"]), order=EXTRA["id"],
                         product=EXTRA["product"], quantity=EXTRA["quantity"],
                         due=wall(EXTRA["due"]), priority=EXTRA["priority"]),
        ev.OrderChanged(id=f"rush-{RUSH['order']}", time=wall(RUSH["at"]), order=RUSH["order"],
                        due=wall(RUSH["due"]), rush=True),
        ev.OperatorAbsent(id="absent-1", time=wall(ABSENT["at"]), operator=ABSENT["operator"],
                          until=wall(ABSENT["back"])),
        ev.OperatorBack(id="back-1", time=wall(ABSENT["back"]), operator=ABSENT["operator"]),
    ]  # fmt: skip
    # releases and order changes before what happens at the same instant
    business = ("order_released", "order_changed")
    good.sort(key=lambda e: (clock.to_model(e.time), e.type not in business))
    records = [dump_event(e) for e in good]
    for position in sorted(DUPLICATES, reverse=True):
        records.insert(position + 2, records[position])

    def model(text: str) -> float:
        return clock.to_model(datetime.fromisoformat(text))

    def bad(at: float, record: dict[str, Any]) -> dict[str, Any]:
        return {"type": record.pop("type"), "id": record.pop("id"), "time": wall(at).isoformat(),
                **record}  # fmt: skip

    planted = [
        (1.5 * DAY, bad(1.5 * DAY, {"type": "machine_down", "id": "bad-unknown-machine",
                                    "machine": "laser#1", "reason": "no such machine"})),
        (1.7 * DAY, bad(1.7 * DAY, {"type": "operation_started", "id": "bad-unknown-order",
                                    "order": "O-999", "step": 0, "machine": "saw"})),
        (2.2 * DAY, bad(60, {"type": "machine_setup", "id": "bad-too-old", "machine": "saw",
                             "family": "turned"})),
        (2.5 * DAY, {"type": "operation_finished", "id": "bad-no-zone",
                     "time": wall(2.5 * DAY).replace(tzinfo=None).isoformat(), "order": "O-101",
                     "step": 0, "good": 14}),
    ]  # fmt: skip
    for at, record in planted:  # each after the events up to its sending time
        position = next(
            (i for i, r in enumerate(records)
             if model(r["time"]) > at and not r["id"].startswith("bad-")),
            len(records),
        )  # fmt: skip
        records.insert(position, record)
    return records


def main() -> None:
    scenario = load_scenario("scenarios/pilot_workshop.yaml")
    for record in stream(scenario):
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
