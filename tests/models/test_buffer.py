"""Buffer stories: a full buffer blocks the producer, an empty one starves the consumer."""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import pytest
import simpy
from model_checks import events

from models.buffer import Buffer
from models.recorder import ListRecorder


def test_blocking_and_starving() -> None:
    """Capacity 2: the third put waits for the first get; the fifth get waits forever."""
    env = simpy.Environment()
    rec = ListRecorder()
    buf = Buffer(env, "B1", rec, capacity=2)
    put_done: list[float] = []
    got: list[tuple[float, int]] = []

    def producer() -> Generator[Any, Any, None]:
        for i in range(4):
            yield env.timeout(1)
            yield buf.put(i)
            put_done.append(env.now)

    def consumer() -> Generator[Any, Any, None]:
        yield env.timeout(10)
        while True:
            item = yield buf.get()
            got.append((env.now, item))
            yield env.timeout(5)

    env.process(producer())
    env.process(consumer())
    env.run(until=100)
    assert put_done == [1, 2, 10, 15]
    assert got == [(10, 0), (15, 1), (20, 2), (25, 3)]
    level_at = {r.time: r.value for r in events(rec, "buffer", "B1")}  # last record wins
    assert level_at == {0: 0, 1: 1, 2: 2, 10: 2, 15: 2, 20: 1, 25: 0}
    assert buf.level == 0 and not buf.is_full


def test_infinite_buffer_never_blocks() -> None:
    """An unbounded buffer accepts every put at once."""
    env = simpy.Environment()
    buf = Buffer(env, "B", None)
    events_ = [buf.put(i) for i in range(1000)]
    env.run()
    assert all(e.processed for e in events_) and buf.level == 1000
    assert buf.items[:3] == [0, 1, 2]


@pytest.mark.parametrize("capacity", [0, -1, 2.5])
def test_bad_capacity(capacity: float) -> None:
    """Capacities other than positive integers or inf are refused."""
    with pytest.raises(ValueError, match=f"buffer B: capacity must be .* got {capacity}"):
        Buffer(simpy.Environment(), "B", None, capacity=capacity)
    assert Buffer(simpy.Environment(), "B", None, capacity=math.inf).capacity == math.inf
