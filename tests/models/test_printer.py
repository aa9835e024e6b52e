"""3D-print cell stories: batching by plate capacity and by max wait, exact times."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy
from model_checks import assert_consistent, events, spans, states

from models.calendar import Calendar
from models.printer import BuildTime, PrintCell
from models.recorder import ListRecorder


def feed(
    env: simpy.Environment, cell: PrintCell, arrivals: list[tuple[float, str]]
) -> list[tuple[int, float]]:
    """Submit part j at arrivals[j]; return (job, time done) in completion order."""
    done: list[tuple[int, float]] = []

    def part(j: int, t: float, product: str) -> Generator[Any, Any, None]:
        yield env.timeout(t)
        job = yield cell.submit(j, 0, product)
        done.append((job, env.now))

    for j, (t, product) in enumerate(arrivals):
        env.process(part(j, t, product))
    return done


def test_full_plates() -> None:
    """Capacity 3, no time limit: builds start when a plate is full and the printer free."""
    env = simpy.Environment()
    rec = ListRecorder()
    cell = PrintCell(
        env,
        "P1",
        rec,
        rng=np.random.default_rng(0),
        plate_capacity=3,
        max_wait=float("inf"),
        build_time=BuildTime(base=10, per_part=2),
        cooldown=4,
        post_process=1,
    )
    done = feed(env, cell, [(t, "a") for t in range(7)])
    env.run(until=200)
    assert spans(rec, "build_start", "build_end", "P1") == [(2, 18), (22, 38)]
    assert [r.value for r in events(rec, "build_start")] == [3, 3]
    assert sorted(done) == [(0, 23), (1, 23), (2, 23), (3, 43), (4, 43), (5, 43)]
    assert cell.waiting == 1  # the seventh part waits for two more
    assert states(rec, "P1") == [
        (0, "idle"),
        (2, "busy"),
        (18, "setup"),
        (22, "idle"),
        (22, "busy"),
        (38, "setup"),
        (42, "idle"),
    ]
    assert_consistent(rec, ops_hold_state=False)


def test_partial_plate_after_max_wait() -> None:
    """The oldest part's wait caps at max_wait; build time follows the tallest part."""
    env = simpy.Environment()
    rec = ListRecorder()
    bt = BuildTime(base=1, per_layer=0.5, layers={"tall": 20, "flat": 4})
    cell = PrintCell(
        env, "P1", rec, rng=np.random.default_rng(0), plate_capacity=4, max_wait=10, build_time=bt
    )
    done = feed(env, cell, [(0, "flat"), (3, "tall"), (12, "flat")])
    env.run(until=100)
    # plate 1 at 10 with 2 parts: 1 + 0.5 * 20 = 11; plate 2: part from 12 waits to 22
    assert spans(rec, "build_start", "build_end", "P1") == [(10, 21), (22, 25)]
    assert [r.value for r in events(rec, "build_end")] == [2, 1]
    assert done == [(0, 21), (1, 21), (2, 25)]


def test_zero_wait_prints_at_once() -> None:
    """max_wait 0 prints whatever is there as soon as the printer is free."""
    env = simpy.Environment()
    rec = ListRecorder()
    cell = PrintCell(
        env,
        "P1",
        rec,
        rng=np.random.default_rng(0),
        plate_capacity=5,
        max_wait=0,
        build_time=lambda products: 3.0 * len(products),
    )
    done = feed(env, cell, [(0, "a"), (1, "a"), (2, "a")])
    env.run()
    assert spans(rec, "build_start", "build_end", "P1") == [(0, 3), (3, 9)]
    assert done == [(0, 3), (1, 9), (2, 9)]


def test_build_waits_for_the_shift_then_runs_through_the_night() -> None:
    """A plate ready at night starts with the shift; the build runs past its end."""
    env = simpy.Environment()
    rec = ListRecorder()
    shift = Calendar(24, [(8, 16)])
    cell = PrintCell(
        env,
        "P1",
        rec,
        rng=np.random.default_rng(0),
        plate_capacity=1,
        max_wait=0,
        build_time=BuildTime(base=12),
        calendar=shift,
    )
    done = feed(env, cell, [(2, "a")])
    env.run(until=40)
    assert spans(rec, "build_start", "build_end", "P1") == [(8, 20)]
    assert done == [(0, 20)]
    assert states(rec, "P1") == [(0, "off"), (8, "idle"), (8, "busy"), (20, "off"), (32, "idle")]


def test_bad_print_cell() -> None:
    """Invalid capacities and build-time parameters are refused with the value named."""
    env = simpy.Environment()
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="plate_capacity must be a positive integer, got 0"):
        PrintCell(env, "P", None, rng=rng, plate_capacity=0, max_wait=1, build_time=BuildTime())
    with pytest.raises(ValueError, match="per_part must be finite and non-negative, got -1"):
        BuildTime(per_part=-1)
    with pytest.raises(ValueError, match="no layer count for product 'x'"):
        BuildTime(per_layer=1, layers={"a": 3})(["x"])


def test_breakdown_during_build_resumes() -> None:
    """A printer failing 5 units into a 10-unit build resumes after the 2-unit repair."""
    env = simpy.Environment()
    rec = ListRecorder()
    cell = PrintCell(
        env,
        "P1",
        rec,
        rng=np.random.default_rng(0),
        plate_capacity=1,
        max_wait=0,
        build_time=BuildTime(base=10),
        failure=(5, 2),
    )
    done = feed(env, cell, [(0, "a")])
    env.run(until=30)
    assert spans(rec, "build_start", "build_end", "P1") == [(0, 12)]
    assert spans(rec, "failure", "repair", "P1") == [(5, 7)]
    assert done == [(0, 12)]
    assert states(rec, "P1") == [(0, "idle"), (0, "busy"), (5, "down"), (7, "busy"), (12, "idle")]


@pytest.mark.parametrize(
    ("places", "finished"), [(None, [23, 23, 23]), (1, [23, 24, 25]), (2, [23, 23, 24])]
)
def test_post_processing_places_limit_the_output(places: int | None, finished: list[int]) -> None:
    """Three parts off one plate at 22, one time unit of post-processing each: all at
    once on an unlimited bench, one after the other on a single place."""
    env = simpy.Environment()
    cell = PrintCell(
        env, "P1", ListRecorder(), rng=np.random.default_rng(0), plate_capacity=3,
        max_wait=float("inf"), build_time=BuildTime(base=10, per_part=2), cooldown=4,
        post_process=1, post_capacity=places,
    )  # fmt: skip
    done = feed(env, cell, [(t, "a") for t in range(3)])
    env.run(until=100)
    assert sorted(t for _, t in done) == finished


def test_a_bench_needs_a_place() -> None:
    with pytest.raises(ValueError, match="post_capacity must be >= 1"):
        PrintCell(
            simpy.Environment(), "P1", None, rng=np.random.default_rng(0), plate_capacity=1,
            max_wait=0, build_time=BuildTime(per_part=1), post_capacity=0,
        )  # fmt: skip
