"""Loading a sweep file: validate it, apply each point's changes to the base scenario's
document and validate every resulting scenario, before anything runs.

Errors are :class:`~twin.errors.ScenarioError` (the scenario's machinery), so they read
the same: ``study.yaml: variants[2].set["stations.cnc_lathee.count"]: unknown item
"cnc_lathee"; did you mean "cnc_lathe"?`` for a path that does not resolve, and
``study.yaml, point "lathes" on pilot_workshop.yaml: stations[1].count: expected a
value >= 1, got 0`` for a change that makes an invalid scenario.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from twin.errors import ScenarioError, ScenarioIssue
from twin.experiments.paths import Change, PathError, apply_changes
from twin.experiments.spec import SweepSpec
from twin.run import choose_method
from twin.scenario import Scenario
from twin.scenario.bounds import MAX_FILE_BYTES
from twin.scenario.load import read_yaml
from twin.scenario.messages import format_loc, issues_from_validation_error

__all__ = ["Point", "Sweep", "load_sweep", "sweep_from_dict"]


@dataclass(frozen=True)
class Point:
    """One point of a sweep: its scenario document (the base with ``changes`` applied,
    already validated), what it costs and how it is run."""

    index: int
    name: str
    changes: tuple[Change, ...]
    cost: float
    description: str
    data: dict[str, Any] = field(repr=False)
    source: str = ""
    #: A solver plans once per point (all its replications run in one task).
    planned: bool = False

    def fingerprint(self, seed: int) -> str:
        """Hash of the scenario document and seed: a finished point is reused only when
        both are unchanged."""
        text = json.dumps({"scenario": self.data, "seed": seed}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: its points, replications, seed and baseline."""

    spec: SweepSpec
    path: Path | None
    base_path: Path | None
    points: tuple[Point, ...]
    replications: int
    seed: int
    baseline: str
    time_unit: str = "min"
    nc_target: float = 0.7

    @property
    def name(self) -> str:
        return self.spec.name

    def point(self, name: str) -> Point:
        for p in self.points:
            if p.name == name:
                return p
        raise KeyError(name)


def _change_loc(spec: SweepSpec, change: Change, point: str) -> str:
    """Where a change comes from in the sweep file, e.g. ``variants[2].set["a.b"]``."""
    for i, variant in enumerate(spec.variants):
        if change in variant.changes():
            if change.op == "remove":
                return format_loc(["variants", i, "remove", variant.remove.index(change.path)])
            return format_loc(["variants", i, change.op, change.path])
    for i, factor in enumerate(spec.grid):
        if factor.path == change.path:
            return format_loc(["grid", i, "path"])
    return f'point "{point}"'


def sweep_from_dict(
    data: object,
    base: object,
    source: str = "<dict>",
    base_source: str = "<base>",
    path: Path | None = None,
    base_path: Path | None = None,
) -> Sweep:
    """Validate a parsed sweep document against the parsed ``base`` scenario document."""
    if not isinstance(data, Mapping):
        got = "nothing" if data is None else type(data).__name__
        raise ScenarioError(source, [ScenarioIssue("", f"expected a mapping of fields, got {got}")])
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, issues_from_validation_error(exc, SweepSpec)) from None
    base_scenario = Scenario.from_dict(base, source=base_source)
    assert isinstance(base, Mapping)  # from_dict refuses anything else
    points = []
    for index, (name, changes, cost, text) in enumerate(spec.points()):
        try:
            doc = apply_changes(base, changes)
        except PathError as exc:
            # find the failing change: apply one at a time
            where = _failing_change(spec, base, changes, name)
            raise ScenarioError(source, [ScenarioIssue(where, str(exc))]) from None
        label = f'{source}, point "{name}" on {base_source}'
        scenario = Scenario.from_dict(doc, source=label)
        planned = choose_method(scenario, None)[0] is not None
        points.append(Point(index, name, tuple(changes), cost, text, doc, label, planned))
    replications = spec.replications or base_scenario.run.replications
    seed = base_scenario.run.seed if spec.seed is None else spec.seed
    baseline = spec.baseline or points[0].name
    return Sweep(
        spec,
        path,
        base_path,
        tuple(points),
        replications,
        seed,
        baseline,
        base_scenario.time_unit,
        base_scenario.targets.nc_rate,
    )


def _failing_change(
    spec: SweepSpec, base: Mapping[str, Any], changes: list[Change], point: str
) -> str:
    for k in range(len(changes)):
        try:
            apply_changes(base, changes[: k + 1])
        except PathError:
            return _change_loc(spec, changes[k], point)
    return f'point "{point}"'


def load_sweep(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> Sweep:
    """Read and validate a sweep file and every point's scenario; raises one
    :class:`ScenarioError` naming the file, the field path and the problem."""
    path = Path(path)
    data = read_yaml(path, max_bytes)
    base: object = None
    base_path: Path | None = None
    if isinstance(data, Mapping) and isinstance(data.get("base"), str) and data["base"].strip():
        base_path = path.parent / data["base"]
        if not base_path.is_file():
            where = path.parent if str(path.parent) else Path(".")
            issue = ScenarioIssue("base", f'no scenario file "{data["base"]}" in {where}/')
            raise ScenarioError(path.name, [issue])
        base = read_yaml(base_path, max_bytes)
    return sweep_from_dict(
        data,
        base,
        source=path.name,
        path=path,
        base_path=base_path,
        base_source=base_path.name if base_path is not None else "<base>",
    )
