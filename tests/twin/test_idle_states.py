"""Why units are idle: STARVED while released work they could do is still upstream,
NO_ORDER when nothing released needs them; OEE counts only the first as a loss."""

from __future__ import annotations

from typing import Any

import pytest

import twin
from twin.scenario import Scenario


def _line(**run: Any) -> Scenario:
    """A two-station line, one lot of 2 parts released at 10: cut 3/part, then mill 2/part."""
    return Scenario.from_dict(
        {
            "name": "line",
            "stations": [{"id": "saw", "kind": "manual"}, {"id": "mill", "kind": "cnc"}],
            "products": [
                {"id": "p", "routing": [{"stations": {"saw": 3}}, {"stations": {"mill": 2}}]}
            ],
            "orders": [{"id": "O1", "product": "p", "quantity": 2, "release": 10}],
            "run": {"breakdowns": False, "variability": False, **run},
        }
    )


def _states(run: twin.Run, unit: str) -> list[tuple[float, str]]:
    """The unit's states, without those that lasted no time (a lot released and
    started in the same instant makes its unit starved for zero time)."""
    frame = run.log.to_frame()
    rows = frame[(frame["kind"] == "state") & (frame["station"] == unit)]
    seq = list(zip(rows["time"].tolist(), rows["state"].tolist(), strict=True))
    return [(t, s) for i, (t, s) in enumerate(seq) if i + 1 == len(seq) or seq[i + 1][0] > t]


@pytest.mark.parametrize("method", ["fifo", "cpsat"])
def test_downstream_is_starved_while_its_work_is_upstream(method: str) -> None:
    """Before the release both units have no order; the mill is starved while the saw
    cuts; after the lot both have no order again. Same with a plan or a rule."""
    run = twin.simulate(_line(), method=method, time_limit=5)
    assert _states(run, "saw") == [(0, "no_order"), (10, "busy"), (16, "no_order")]
    assert _states(run, "mill") == [(0, "no_order"), (10, "starved"), (16, "busy"),
                                    (20, "no_order")]  # fmt: skip
    times = run.kpis.state_time["mill"]
    assert (times["no_order"], times["starved"], times["busy"]) == (10, 6, 4)
    # loading time = 20 - 10 no-order: availability = busy / loading = 4 / 10
    assert run.kpis.oee_by_unit["mill"]["availability"] == pytest.approx(4 / 10)
    assert run.kpis.oee_by_unit["saw"]["availability"] == pytest.approx(1.0)


def test_no_order_draws_idle_power() -> None:
    data = _line().model_dump()
    data["stations"][1]["power_kw"] = {"idle": 6.0, "busy": 0.0}
    run = twin.simulate(Scenario.from_dict(data), method="fifo")
    # the mill idles 16 minutes (10 no-order + 6 starved) at 6 kW
    assert run.kpis.energy_kwh == pytest.approx(16 / 60 * 6.0)
