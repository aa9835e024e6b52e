"""Where the public FJSP benchmark instances live, and their best-known bounds.

The instances are never copied into the project: they are read from
``$SHOPFLOOR_FJSP_DIR`` or, by default, ``../shared/fjsp`` next to the checkout
(or next to the current directory).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ENV_VAR", "Bound", "family_instances", "fjsp_dir", "read_bounds"]

ENV_VAR = "SHOPFLOOR_FJSP_DIR"


def fjsp_dir(override: str | Path | None = None) -> Path:
    """The benchmark folder: ``override``, else ``$SHOPFLOOR_FJSP_DIR``, else ``../shared/fjsp``."""
    if override is not None:
        return Path(override)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    candidates = [
        Path(__file__).resolve().parent.parent.parent / "shared" / "fjsp",
        Path.cwd().parent / "shared" / "fjsp",
    ]
    for cand in candidates:
        if cand.is_dir():
            return cand
    return candidates[0]


@dataclass(frozen=True)
class Bound:
    family: str
    instance: str
    lb: int
    ub: int
    optimal: bool


def read_bounds(root: str | Path | None = None) -> dict[tuple[str, str], Bound]:
    """``bounds.csv`` keyed by (family, instance)."""
    path = fjsp_dir(root) / "bounds.csv"
    out = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            key = (row["family"], row["instance"])
            out[key] = Bound(
                row["family"],
                row["instance"],
                int(row["lb"]),
                int(row["ub"]),
                row["optimal"].strip().lower() == "true",
            )
    return out


def family_instances(family: str, root: str | Path | None = None) -> list[Path]:
    """The ``.fjs`` files of one family, sorted by name."""
    folder = fjsp_dir(root) / family
    if not folder.is_dir():
        known = (
            sorted(p.name for p in fjsp_dir(root).iterdir() if p.is_dir())
            if fjsp_dir(root).is_dir()
            else []
        )
        raise FileNotFoundError(
            f"no benchmark family {family!r} in {fjsp_dir(root)} "
            f"(known: {', '.join(known) or 'none'})"
        )
    return sorted(folder.glob("*.fjs"))
