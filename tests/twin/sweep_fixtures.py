"""A tiny shop and a 2 points x 2 replications sweep over it, written to a folder."""

from __future__ import annotations

from pathlib import Path

TINY_SCENARIO = """\
name: Tiny sweep shop
time_unit: min
stations:
  - {id: lathe, kind: cnc, count: 1, variability_cv: 0.2, mtbf: 30h, mttr: 1h,
     power_kw: {idle: 1.0, busy: 5.0}}
  - {id: mill, kind: manual, count: 1, variability_cv: 0.2, power_kw: {idle: 0.5, busy: 3.0}}
products:
  - id: part
    routing:
      - {name: turn, stations: {lathe: 10min}}
      - {name: mill, stations: {mill: 8min}}
orders:
  - {id: A, product: part, quantity: 4, due: 2h}
  - {id: B, product: part, quantity: 3, due: 3h}
  - {id: C, product: part, quantity: 5, release: 30min, due: 4h}
run: {scheduling: edd, seed: 3}
"""

TINY_SWEEP = """\
name: Tiny sweep
base: tiny.yaml
replications: 2
currency: CNY
variants:
  - name: today
  - name: two lathes
    cost: 100000
    set: {stations.lathe.count: 2}
"""


def write_tiny(folder: Path, sweep: str = TINY_SWEEP) -> Path:
    """``tiny.yaml`` and ``sweep.yaml`` in ``folder``; returns the sweep file."""
    (folder / "tiny.yaml").write_text(TINY_SCENARIO, encoding="utf-8")
    path = folder / "sweep.yaml"
    path.write_text(sweep, encoding="utf-8")
    return path
