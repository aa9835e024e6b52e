"""A 3D-print cell: parts are batched onto a build plate and printed together.

Parts submitted with :meth:`PrintCell.submit` wait in a queue. A build starts when the
printer is free, its calendar is on (someone must start it) and either the plate is
full or the oldest waiting part has waited ``max_wait``; it takes up to
``plate_capacity`` parts, oldest first. Then:

- build (state BUSY; events ``build_start``/``build_end``, value = parts on the plate;
  ``op_start`` for each part), running through breaks like any unattended machine;
- cool-down in the printer (state SETUP: the printer is occupied between builds but
  not printing);
- post-processing of each part off the printer (support removal, curing), in
  parallel; each part's ``op_end`` is recorded and its submit event succeeds then.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import simpy

from models.calendar import Calendar
from models.dated_calendar import DatedCalendar
from models.distributions import Distribution, as_distribution
from models.maintenance import MaintenanceCrew, PlannedMaintenance
from models.recorder import EventKind, Recorder, State
from models.unit import Failure, Unit

__all__ = ["BuildTime", "PrintCell"]


@dataclass(frozen=True)
class BuildTime:
    """Build duration of a plate: ``base + per_part * parts + per_layer * layers``.

    Parts print side by side, so the layer count of a plate is that of its tallest
    part: ``layers`` gives the layers per part, as one number for all products, a
    mapping ``product -> layers`` or a callable.
    """

    base: float = 0.0
    per_part: float = 0.0
    per_layer: float = 0.0
    layers: int | Mapping[str, int] | Callable[[str], int] = field(default=0)

    def __post_init__(self) -> None:
        for key in ("base", "per_part", "per_layer"):
            value = getattr(self, key)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"build time {key} must be finite and non-negative, got {value}")

    def layers_of(self, product: str) -> int:
        if callable(self.layers):
            n = self.layers(product)
        elif isinstance(self.layers, Mapping):
            if product not in self.layers:
                raise ValueError(f"no layer count for product {product!r}")
            n = self.layers[product]
        else:
            n = self.layers
        if n < 0:
            raise ValueError(f"negative layer count {n} for product {product!r}")
        return int(n)

    def __call__(self, products: Sequence[str]) -> float:
        t = self.base + self.per_part * len(products)
        if self.per_layer and products:
            t += self.per_layer * max(self.layers_of(p) for p in products)
        return t


class _Part(NamedTuple):
    job: int
    operation: int
    product: str
    submitted: float
    done: simpy.Event


class PrintCell(Unit):
    """A batching additive-manufacturing cell (one printer, one plate at a time).

    Parameters
    ----------
    env, name, recorder, rng, failure, calendar, failures_count_operating_time, idle_state
        As for :class:`Unit`; builds run unattended, the calendar only gates starts.
    maintenance, crew
        As for :class:`Unit` (planned maintenance; the maintenance crew).
    plate_capacity
        Parts per build plate (>= 1).
    max_wait
        Longest a part waits for the plate to fill before a partial build starts
        (``inf``: only full plates; 0: print what is there).
    build_time
        A :class:`BuildTime`, or a callable ``products -> time``.
    cooldown
        Time the plate cools in the printer after the build.
    post_process
        Time per part after cool-down, off the printer (depowdering, support removal).
    post_capacity
        Parts post-processed at once (places at the post-processing bench); ``None``:
        unlimited. A finite bench is where a print cell's output is often limited.
    """

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        recorder: Recorder | None,
        *,
        rng: np.random.Generator,
        plate_capacity: int,
        max_wait: float,
        build_time: BuildTime | Callable[[Sequence[str]], float],
        cooldown: float | Distribution = 0.0,
        post_process: float | Distribution = 0.0,
        failure: Failure | None = None,
        calendar: Calendar | DatedCalendar | None = None,
        failures_count_operating_time: bool = True,
        idle_state: State = State.IDLE,
        post_capacity: int | None = None,
        maintenance: PlannedMaintenance | None = None,
        crew: MaintenanceCrew | None = None,
    ) -> None:
        if not (isinstance(plate_capacity, int | np.integer) and plate_capacity >= 1):
            raise ValueError(
                f"{name}: plate_capacity must be a positive integer, got {plate_capacity}"
            )
        if not max_wait >= 0:
            raise ValueError(f"{name}: max_wait must be non-negative, got {max_wait}")
        super().__init__(
            env,
            name,
            recorder,
            rng=rng,
            calendar=calendar,
            attended=False,
            failure=failure,
            failures_count_operating_time=failures_count_operating_time,
            idle_state=idle_state,
            maintenance=maintenance,
            crew=crew,
        )
        self.plate_capacity = int(plate_capacity)
        self.max_wait = float(max_wait)
        self.build_time = build_time
        self._cooldown = as_distribution(cooldown, "cooldown")
        self._post = as_distribution(post_process, "post_process")
        if post_capacity is not None and not post_capacity >= 1:
            raise ValueError(f"{name}: post_capacity must be >= 1, got {post_capacity}")
        self._bench = None if post_capacity is None else simpy.Resource(env, post_capacity)
        self._queue: list[_Part] = []
        self._arrival: simpy.Event | None = None
        self.builds = 0
        env.process(self._run())

    @property
    def waiting(self) -> int:
        """Parts queued for a plate."""
        return len(self._queue)

    def submit(self, job: int, operation: int, product: str = "") -> simpy.Event:
        """Queue one part; the event succeeds (value: the job) when it is post-processed."""
        done = self.env.event()
        self._queue.append(_Part(job, operation, product, self.env.now, done))
        if self._arrival is not None and not self._arrival.triggered:
            self._arrival.succeed()
        return done

    def _wait_arrival(self) -> simpy.Event:
        self._arrival = self.env.event()
        return self._arrival

    def _run(self) -> Generator[simpy.Event, Any, None]:
        env = self.env
        while True:
            while not self._queue:
                yield self._wait_arrival()
            while len(self._queue) < self.plate_capacity:
                deadline = self._queue[0].submitted + self.max_wait
                if env.now >= deadline:
                    break
                if deadline == math.inf:
                    yield self._wait_arrival()
                else:
                    yield self._wait_arrival() | env.timeout(deadline - env.now)
            yield from self._await_shift()  # a person starts the build; not while down
            yield from self._build()

    def _build(self) -> Generator[simpy.Event, Any, None]:
        env = self.env
        rec = self._rec
        plate = self._queue[: self.plate_capacity]
        del self._queue[: self.plate_capacity]
        n = float(len(plate))
        duration = float(self.build_time([p.product for p in plate]))
        if not (duration >= 0 and math.isfinite(duration)):
            raise ValueError(f"{self.name}: build time {duration} for {len(plate)} parts")
        self._begin_job()
        if rec is not None:
            rec(env.now, EventKind.BUILD_START, self.name, value=n)
            for p in plate:
                rec(
                    env.now,
                    EventKind.OP_START,
                    self.name,
                    job=p.job,
                    operation=p.operation,
                    value=duration,
                    product=p.product,
                )
        yield from self._work(duration, State.BUSY, True, False)
        if rec is not None:
            rec(env.now, EventKind.BUILD_END, self.name, value=n)
        self.builds += 1
        cool = self._cooldown.sample(self.rng)
        if cool > 0:
            yield from self._work(cool, State.SETUP, False, False)
        self._end_job()
        for p in plate:
            post = self._post.sample(self.rng)
            if post > 0:
                env.process(self._finish(p, post))
            else:
                self._done(p)

    def _finish(self, part: _Part, post: float) -> Generator[simpy.Event, Any, None]:
        if self._bench is None:
            yield self.env.timeout(post)
        else:
            with self._bench.request() as place:
                yield place
                yield self.env.timeout(post)
        self._done(part)

    def _done(self, part: _Part) -> None:
        if self._rec is not None:
            self._rec(
                self.env.now,
                EventKind.OP_END,
                self.name,
                job=part.job,
                operation=part.operation,
                product=part.product,
            )
        part.done.succeed(part.job)
