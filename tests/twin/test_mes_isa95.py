"""twin.mes: ISA-95 job orders out and job responses in, the adapters and the pump."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from live_fixtures import event, first_rows, live_twin

from twin.live import EventError
from twin.mes.adapter import FakeMes, JsonLinesMes, MesAdapter, pump
from twin.mes.isa95 import (
    job_orders,
    job_responses,
    parse_job_id,
    read_job_responses,
)


def test_job_orders_follow_the_plan() -> None:
    """One JobOrder per operation not finished, B2MML-shaped, times with a zone, the
    planned unit as equipment; first steps are Released, later ones Pending."""
    twin = live_twin()
    doc = job_orders(twin)["JobList"]
    plan = {(r["order"], r["step"]): r for r in twin.plan_rows()}
    assert len(doc["JobOrder"]) == len(plan) == 9
    for jo in doc["JobOrder"]:
        key = parse_job_id(jo["ID"])
        row = plan[key]
        assert jo["EquipmentRequirement"][0]["EquipmentID"] == row["machine"]
        start = datetime.fromisoformat(jo["StartTime"])
        assert start.tzinfo is not None and twin.clock.to_model(start) == row["start"]
        assert twin.clock.to_model(datetime.fromisoformat(jo["EndTime"])) == row["end"]
        assert jo["DispatchStatus"] == ("Released" if key[1] == 0 else "Pending")
        assert jo["WorkMasterID"].startswith(twin.facts.orders[key[0]].product + ".")
    assert parse_job_id("O-1.2.3") == ("O-1.2", 3)


def test_job_responses_round_trip_into_another_twin() -> None:
    """The actuals of one twin, written as JobResponses and read into a second, give
    the second the same facts (times, units, parts good and scrap)."""
    a, b = live_twin(), live_twin()
    rows = first_rows(a)
    for n, r in enumerate(rows):
        a.ingest(event(a, "operation_started", f"s{n}", r["start"], order=r["order"],
                       step=0, machine=r["machine"]))  # fmt: skip
    done = rows[0]
    a.ingest(event(a, "operation_finished", "f0", done["end"] + 2, order=done["order"], step=0,
                   good=3, scrap=1))  # fmt: skip
    responses = json.loads(json.dumps({"JobResponse": job_responses(a)}))
    events = read_job_responses(responses)
    assert not [e for e in events if isinstance(e, EventError)]
    counts = b.ingest_many(events)
    assert counts == {"accepted": len(events), "duplicate": 0, "rejected": 0}
    assert repr(b.facts.ops) == repr(a.facts.ops)
    assert [m.good for m in b.facts.machines.values()] == [
        m.good for m in a.facts.machines.values()
    ]
    assert b.facts.ops[(done["order"], 0)].scrap == 1
    assert b.ingest_many(read_job_responses(responses))["duplicate"] == len(events)


def test_executing_the_job_orders_as_planned_closes_them() -> None:
    """Job orders answered Completed at their planned times and units are applied and
    leave the job list; the next step of each lot becomes Released."""
    twin = live_twin()
    first = [jo for jo in job_orders(twin)["JobList"]["JobOrder"] if jo["ID"].endswith(".0")]
    responses = [
        {"ID": f"r{n}", "JobOrderID": jo["ID"], "JobState": "Completed",
         "StartTime": jo["StartTime"], "EndTime": jo["EndTime"],
         "EquipmentActual": [{"EquipmentID": jo["EquipmentRequirement"][0]["EquipmentID"]}],
         "MaterialActual": [{"MaterialUse": "Produced", "Quantity": {"QuantityString": "4"}}]}
        for n, jo in enumerate(first)
    ]  # fmt: skip
    counts = twin.ingest_many(read_job_responses(responses))
    assert counts["rejected"] == 0, twin.rejected
    after = {jo["ID"]: jo for jo in job_orders(twin)["JobList"]["JobOrder"]}
    assert not any(jo["ID"] in after for jo in first)
    assert after["O0.1"]["DispatchStatus"] == "Released"
    assert twin.check() == []


def test_unreadable_job_responses_are_reported_not_dropped() -> None:
    """A response with an unsupported state or no equipment becomes an EventError that
    the twin reports as rejected; Waiting gives no event at all."""
    twin = live_twin()
    bad = [
        {"JobOrderID": "O0.0", "JobState": "Aborted", "StartTime": "2026-01-05T06:00:00Z"},
        {"JobOrderID": "O0.0", "JobState": "Running", "StartTime": "2026-01-05T06:00:00Z"},
        {"JobOrderID": "nonsense", "JobState": "Running"},
        {"JobOrderID": "O1.0", "JobState": "Waiting"},
    ]
    events = read_job_responses(bad)
    assert len(events) == 3 and all(isinstance(e, EventError) for e in events)
    assert twin.ingest_many(events) == {"accepted": 0, "duplicate": 0, "rejected": 3}
    assert "Aborted" in twin.rejected[0].message and "EquipmentID" in twin.rejected[1].message


def test_fake_mes_pump_publishes_events_and_the_new_job_list() -> None:
    """The in-memory MES is an adapter; a breakdown pumped in under on-event sends the
    twin's events and a fresh job list back out."""
    twin = live_twin("on-event")
    mes = FakeMes()
    assert isinstance(mes, MesAdapter)
    mes.send(event(twin, "machine_down", "d1", 3, machine="mill"), {"type": "nonsense"})
    assert pump(twin, mes) == {"accepted": 1, "duplicate": 0, "rejected": 1}
    topics = [t for t, _ in mes.published]
    assert topics.count("job_orders") == 1 and "twin_event" in topics
    kinds = [p["kind"] for t, p in mes.published if t == "twin_event"]
    assert {"accepted", "rejected", "replanned", "machine_state"} <= set(kinds)
    assert pump(twin, mes) == {"accepted": 0, "duplicate": 0, "rejected": 0}


def test_json_lines_adapter_follows_a_growing_file(tmp_path: Path) -> None:
    """Each poll reads the complete lines added since the last; output goes to a file."""
    twin = live_twin()
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    first = json.dumps(event(twin, "machine_setup", "a", 1, machine="mill"))
    second = json.dumps(event(twin, "machine_down", "b", 2, machine="mill"))
    source.write_text(first + "\n" + second[:10])
    mes = JsonLinesMes(source, out)
    assert pump(twin, mes)["accepted"] == 1
    with open(source, "a") as fh:
        fh.write(second[10:] + "\n")
    assert pump(twin, mes)["accepted"] == 1 and twin.facts.machines["mill"].state == "down"
    mes.close()
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["payload"]["kind"] for line in lines].count("accepted") == 2
