"""Sweep files: a base scenario, the changes that make each point, replications, costs.

A sweep file is YAML validated like a scenario (unknown keys are errors with a
suggestion; every error names the file, the field path, what was expected and what was
given)::

    name: Upgrade study
    base: ../pilot_workshop.yaml   # relative to this file
    replications: 8                # per point (default: the base's run.replications)
    seed: 42                       # default: the base's run.seed
    baseline: today                # default: the first point
    precision: 0.05                # relative precision for "replications needed"
    currency: CNY
    variants:                      # named points ...
      - name: today
      - name: lathes
        cost: 1.5e6
        set: {stations.cnc_lathe.count: 5, stations.manual_lathe.count: 1}
        add: {stations: [{id: lathe_robot, kind: robot, tends: [cnc_lathe]}]}
        remove: [stations.cnc_lathe.loading]
      - name: lathes+mills
        extends: lathes            # its changes and cost first, then these
        cost: 1.6e6
        set: {...}
    grid:                          # ... and/or a grid (crossed with the variants)
      - path: run.scheduling
        values: [edd, spt]
        costs: [0, 0]              # optional, one per value

Paths are those of :mod:`twin.experiments.paths`. Points are the variants (one
unchanged point when there are none) crossed with every combination of the grid.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any

from pydantic import Field, model_validator

from twin.experiments.paths import Change
from twin.scenario.blocks import Replications, Seed, StrictModel
from twin.scenario.durations import field_error

__all__ = ["Factor", "SweepSpec", "Variant"]

#: Points in one sweep: far above a study, far below what fills a disk.
MAX_POINTS = 10_000
Name = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[^/\\\x00-\x1f]+$")]
Cost = Annotated[float, Field(ge=0.0, le=1e15, allow_inf_nan=False)]


class Variant(StrictModel):
    """A named point: changes to the base (after those of ``extends``) and their cost."""

    name: Name
    description: str = ""
    extends: str | None = None
    cost: Cost = 0.0
    set: dict[str, Any] = Field(default_factory=dict)
    add: dict[str, list[Any]] = Field(default_factory=dict)
    remove: list[str] = Field(default_factory=list)

    def changes(self) -> list[Change]:
        """Its own changes: ``set`` in file order, then ``add``, then ``remove``."""
        out = [Change("set", p, v) for p, v in self.set.items()]
        out += [Change("add", p, v) for p, v in self.add.items()]
        out += [Change("remove", p) for p in self.remove]
        return out


class Factor(StrictModel):
    """A grid factor: one path and the values it takes (and their costs)."""

    path: str = Field(min_length=1)
    label: str | None = None
    values: list[Any] = Field(min_length=1, max_length=MAX_POINTS)
    costs: list[Cost] | None = None

    @model_validator(mode="after")
    def _costs_match(self) -> Factor:
        if self.costs is not None and len(self.costs) != len(self.values):
            raise field_error(
                "costs",
                f"expected one cost per value ({len(self.values)}), got {len(self.costs)}",
            )
        return self

    @property
    def short(self) -> str:
        return self.label or self.path


class SweepSpec(StrictModel):
    """The whole sweep file; :meth:`points` lists (name, changes, cost, description)."""

    name: str = Field(min_length=1)
    description: str = ""
    base: str = Field(min_length=1)
    replications: Replications | None = None
    seed: Seed | None = None
    baseline: str | None = None
    precision: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.05
    currency: str = ""
    variants: list[Variant] = Field(default_factory=list)
    grid: list[Factor] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> SweepSpec:
        seen: dict[str, int] = {}
        for i, variant in enumerate(self.variants):
            if variant.name in seen:
                raise field_error(
                    "unique", f"variants[{i}].name: duplicate point name {variant.name!r}"
                )
            if variant.extends is not None and variant.extends not in seen:
                earlier = ", ".join(seen) or "none"
                raise field_error(
                    "reference",
                    f"variants[{i}].extends: {variant.extends!r} is not an earlier variant "
                    f"(earlier: {earlier})",
                )
            seen[variant.name] = i
        size = max(len(self.variants), 1)
        for factor in self.grid:
            size *= len(factor.values)
        if size > MAX_POINTS:
            raise field_error("size", f"the sweep has {size:,} points, more than {MAX_POINTS:,}")
        names = [p[0] for p in self.points()]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise field_error("unique", f"duplicate point names: {', '.join(duplicates)}")
        if self.baseline is not None and self.baseline not in names:
            raise field_error(
                "reference",
                f"baseline {self.baseline!r} is not a point (points: "
                f"{', '.join(names[:8])}{', ...' if len(names) > 8 else ''})",
            )
        return self

    def _lineage(self, variant: Variant) -> tuple[list[Change], float]:
        by_name = {v.name: v for v in self.variants}
        chain = [variant]
        while chain[-1].extends is not None:
            chain.append(by_name[chain[-1].extends])
        chain.reverse()
        return [c for v in chain for c in v.changes()], sum(v.cost for v in chain)

    def points(self) -> list[tuple[str, list[Change], float, str]]:
        """Every point in order: (name, changes from the base, cost, description)."""
        bases: list[tuple[str, list[Change], float, str]] = [
            (v.name, *self._lineage(v), v.description) for v in self.variants
        ] or [("base", [], 0.0, "")]
        if not self.grid:
            return bases
        out = []
        levels = [range(len(f.values)) for f in self.grid]
        for name, changes, cost, text in bases:
            for combo in itertools.product(*levels):
                parts, extra, more = [], [], 0.0
                for factor, k in zip(self.grid, combo, strict=True):
                    value = factor.values[k]
                    parts.append(f"{factor.short}={value}")
                    extra.append(Change("set", factor.path, value))
                    more += factor.costs[k] if factor.costs is not None else 0.0
                label = ", ".join(parts)
                full = label if not self.variants else f"{name} / {label}"
                out.append((full, changes + extra, cost + more, text))
        return out
