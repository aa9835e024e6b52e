"""twin.live.LiveTwin: robust ingest, replanning policies, forks and what-ifs."""

from __future__ import annotations

from typing import Any

import pytest
from live_fixtures import event, first_rows, live_twin

import scheduler
from twin.errors import TwinError
from twin.live import TwinEvent
from twin.live.problem import repair


def _start_first_ops(twin: Any) -> list[dict[str, Any]]:
    """Report the first planned operation of each machine started on time."""
    rows = first_rows(twin)
    for n, r in enumerate(rows):
        got = twin.ingest(event(twin, "operation_started", f"s{n}", r["start"], order=r["order"],
                                step=r["step"], machine=r["machine"]))  # fmt: skip
        assert got == "accepted", twin.rejected
    return rows


def test_duplicates_are_ignored_and_a_reused_id_is_rejected() -> None:
    """The same event twice changes nothing the second time; another event under a used
    id is rejected, not applied."""
    twin = live_twin()
    e = event(twin, "machine_down", "d1", 5, machine="mill", expected_up=None)
    assert twin.ingest(e) == "accepted"
    before = twin.snapshot()
    assert twin.ingest(dict(e)) == "duplicate"
    assert twin.snapshot() == before and twin.duplicates == 1
    assert twin.ingest(event(twin, "machine_up", "d1", 6, machine="mill")) == "rejected"
    assert twin.rejected[-1].code == "conflict" and "already used" in twin.rejected[-1].message
    assert twin.snapshot() == before


@pytest.mark.parametrize(
    ("kind", "fields", "code"),
    [
        ("machine_down", {"machine": "drill"}, "unknown_machine"),
        ("operation_started", {"order": "X9", "step": 0, "machine": "mill"}, "unknown_order"),
        ("operation_started", {"order": "O0", "step": 7, "machine": "mill"}, "unknown_operation"),
        ("operation_started", {"order": "O0", "step": "grind", "machine": "mill"},
         "unknown_operation"),
        ("operation_started", {"order": "O0", "step": 0, "machine": "mill"}, "conflict"),
        ("operation_started", {"order": "O0", "step": 1, "machine": "mill"}, "conflict"),
        ("operation_finished", {"order": "O0", "step": 0}, "conflict"),
        ("machine_up", {"machine": "mill"}, "conflict"),
        ("operator_absent", {"operator": "op.9"}, "unknown_operator"),
        ("order_released", {"order": "N1", "product": "gear", "quantity": 2}, "unknown_product"),
        ("order_changed", {"order": "O2"}, "invalid"),
    ],
)  # fmt: skip
def test_a_rejected_event_leaves_the_state_unchanged(
    kind: str, fields: dict[str, Any], code: str
) -> None:
    """Unknown machine/order/step, a step on an ineligible machine or before its
    predecessor, a finish never started ...: rejected with a clear code and message,
    reported to subscribers, and the snapshot is exactly as before."""
    twin = live_twin()
    heard: list[TwinEvent] = []
    twin.subscribe(heard.append)
    twin.ingest(event(twin, "machine_setup", "ok", 1, machine="lathe#1"))
    before, facts = twin.snapshot(), repr(twin.facts)
    assert twin.ingest(event(twin, kind, "bad", 2, **fields)) == "rejected"
    assert twin.rejected[-1].code == code and twin.rejected[-1].id == "bad"
    assert heard[-1].kind == "rejected" and heard[-1].data["code"] == code
    assert twin.snapshot() == before and repr(twin.facts) == facts


def test_events_before_the_clock_beyond_the_tolerance_are_rejected() -> None:
    """The clock follows the events; one older than the tolerance is refused."""
    twin = live_twin(tolerance=10)
    twin.ingest(event(twin, "machine_setup", "a", 100, machine="mill"))
    assert twin.now == 100
    before = twin.snapshot()
    assert twin.ingest(event(twin, "machine_down", "b", 85, machine="lathe#1")) == "rejected"
    assert twin.rejected[-1].code == "too_old" and "before the twin's clock" in str(
        twin.rejected[-1].message
    )
    assert twin.snapshot() == before
    assert twin.ingest(event(twin, "machine_down", "c", 95, machine="lathe#1")) == "accepted"


def test_out_of_order_events_within_the_tolerance_apply_in_time_order() -> None:
    """A late event is put in its place: the facts equal those of the stream in time
    order (finished at 40, then told of a breakdown at 12 and the repair at 20), and a
    late event that does not fit in its place is rejected without changes."""
    in_order, shuffled = live_twin(tolerance=30), live_twin(tolerance=30)
    r = first_rows(in_order)[0]
    m, o = r["machine"], r["order"]
    stream = [
        event(in_order, "operation_started", "e1", 10, order=o, step=0, machine=m),
        event(in_order, "machine_down", "e2", 12, machine=m),
        event(in_order, "machine_up", "e3", 20, machine=m),
        event(in_order, "operation_finished", "e4", 40, order=o, step=0, good=3, scrap=1),
    ]
    for e in stream:
        assert in_order.ingest(e) == "accepted"
    for e in (stream[0], stream[3], stream[1], stream[2]):
        assert shuffled.ingest(e) == "accepted", shuffled.rejected
    assert shuffled.now == in_order.now == 40
    assert repr(shuffled.facts) == repr(in_order.facts)
    assert shuffled.facts.ops[(o, 0)].paused == 8  # the repair (12..20) it ran through
    assert repr(shuffled.replay()) == repr(shuffled.facts)
    before = shuffled.snapshot()
    # a start at 25 of another lot on that machine, before the finish at 40, conflicts
    late = event(shuffled, "operation_started", "e5", 25, order="O1", step=0, machine=m)
    assert shuffled.ingest(late) == "rejected"
    assert shuffled.snapshot() == before


def test_a_breakdown_replans_on_event_freezing_what_started() -> None:
    """on-event: a machine going down replans at once; started operations keep their
    machine and start, and nothing else is planned on the down machine before its
    expected repair; the new plan passes scheduler.check."""
    twin = live_twin("on-event")
    started = _start_first_ops(twin)
    victim = started[0]["machine"]
    twin.advance(3)
    up = 45
    e = event(
        twin, "machine_down", "bd", 4, machine=victim, expected_up=event(twin, "x", "x", up)["time"]
    )
    assert twin.ingest(e) == "accepted"
    report = twin.replans[-1]
    assert report.trigger == "breakdown" and report.feasible and report.frozen >= len(started)
    assert report.objective_after is not None and report.objective_before is not None
    assert twin.check() == []
    rows = {(r["order"], r["step"]): r for r in twin.plan_rows()}
    for s in started:
        row = rows[(s["order"], s["step"])]
        assert (row["machine"], row["start"]) == (s["machine"], s["start"])
    running = rows[(started[0]["order"], started[0]["step"])]
    assert running["end"] >= up  # it resumes after the repair
    for key, row in rows.items():
        if row["machine"] == victim and key != (started[0]["order"], started[0]["step"]):
            assert row["start"] >= running["end"] >= up
    res = twin.residual()
    assert res is not None and scheduler.check(res.data, repair(res, twin._plan)) == []


def test_what_if_forks_without_touching_the_live_twin() -> None:
    """A what-if breakdown with a replan changes the fork's projection, not the live
    twin's snapshot, journal or plan."""
    twin = live_twin()
    _start_first_ops(twin)
    before, plan, journal = twin.snapshot(), twin.plan_rows(), list(twin.journal)
    down = event(twin, "machine_down", "w1", 2, machine="mill",
                 expected_up=event(twin, "x", "x", 300)["time"])  # fmt: skip
    result = twin.what_if(down, replan=True)
    assert twin.snapshot() == before and twin.plan_rows() == plan and twin.journal == journal
    assert result.rejected == [] and result.replan is not None
    assert result.outcome["makespan"] > result.baseline["makespan"]
    assert result.fork.facts.machines["mill"].state == "down"
    assert twin.facts.machines["mill"].state != "down"


def test_periodic_policy_replans_every_n() -> None:
    """periodic:20 replans at 20, 40 and 60 on the way to 65."""
    twin = live_twin("periodic:20")
    twin.advance(65)
    assert [(r.trigger, r.time) for r in twin.replans] == [
        ("periodic", 20), ("periodic", 40), ("periodic", 60)
    ]  # fmt: skip
    with pytest.raises(TwinError, match="back"):
        twin.advance(10)


def test_late_start_is_a_deviation_and_an_on_event_trigger() -> None:
    """An operation not started ``deviation`` after its plan is reported; on-event
    replans, putting it at or after now."""
    twin = live_twin("on-event")
    heard: list[TwinEvent] = []
    twin.subscribe(heard.append)
    twin.advance(30)
    late = [h for h in heard if h.kind == "deviation" and h.data["what"] == "late_start"]
    assert late and twin.replans and twin.replans[-1].trigger == "deviation"
    assert all(r["start"] >= 30 for r in twin.plan_rows())
    assert twin.check() == []


def test_new_rush_order_enters_the_plan_and_a_cancel_leaves_it() -> None:
    """A new order released as a rush replans (on-event) with its operations planned;
    a cancelled order's operations that had not started leave the plan."""
    twin = live_twin("on-event")
    new = event(twin, "order_released", "n1", 5, order="R1", product="shaft", quantity=2,
                due=event(twin, "x", "x", 40)["time"], priority=10)  # fmt: skip
    assert twin.ingest(new) == "accepted"
    assert twin.replans[-1].trigger == "rush"
    keys = {(r["order"], r["step"]) for r in twin.plan_rows()}
    assert {("R1", 0), ("R1", 1)} <= keys and twin.check() == []
    assert twin.kpis()["completion"]["R1"] <= 40
    assert twin.ingest(event(twin, "order_cancelled", "c1", 6, order="O5")) == "accepted"
    assert not any(r["order"] == "O5" for r in twin.plan_rows())
    assert twin.replans[-1].trigger == "cancelled" and twin.check() == []
    policy_none = live_twin()
    assert policy_none.ingest(new) == "accepted" and policy_none.replans == []
    assert ("R1", 1) in {(r["order"], r["step"]) for r in policy_none.plan_rows()}
    assert policy_none.check() == []


def test_snapshot_is_plain_data() -> None:
    """The snapshot is JSON-ready and shows machines, queues, running work and the plan."""
    import json

    twin = live_twin()
    rows = _start_first_ops(twin)
    twin.ingest(event(twin, "operator_absent", "a1", 1, operator="op.2"))
    snap = json.loads(json.dumps(twin.snapshot()))
    busy = {m["machine"] for m in snap["machines"] if m["state"] == "busy"}
    assert busy == {r["machine"] for r in rows}
    assert len(snap["running"]) == len(rows) and len(snap["plan"]) == 9
    assert sum(len(q) for q in snap["queues"].values()) == 9 - len(rows)
    assert [o["present"] for o in snap["operators"]] == [True, False]
