"""Public FJSP instances for tests: a missing ``../shared/fjsp`` skips, never fails."""

from __future__ import annotations

import pytest

from scheduler import fjsp_dir, read_fjs
from scheduler.problem import ProblemData

needs_data = pytest.mark.skipif(
    not (fjsp_dir() / "bounds.csv").is_file(),
    reason=f"FJSP benchmark data not found at {fjsp_dir()} (set SHOPFLOOR_FJSP_DIR)",
)


def bench(family: str, name: str) -> ProblemData:
    """``family/name.fjs`` from the benchmark folder, or skip the calling test."""
    path = fjsp_dir() / family / f"{name}.fjs"
    if not path.is_file():
        pytest.skip(f"FJSP benchmark instance not found at {path} (set SHOPFLOOR_FJSP_DIR)")
    return read_fjs(path)
