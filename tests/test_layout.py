"""The packages under test are this repository's, and the layering of DESIGN.md holds."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STDLIB = set(sys.stdlib_module_names) | {"__future__"}

# Third-party imports each package may use (DESIGN.md: scheduler is pure, models is physics).
ALLOWED = {
    "scheduler": {"numpy", "numba", "ortools", "scheduler"},
    "models": {"simpy", "numpy", "models"},
}
FORBIDDEN = {"scheduler": {"simpy", "twin", "models"}, "models": {"twin", "scheduler"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["scheduler", "twin", "models"])
def test_packages_resolve_to_this_repository(package: str) -> None:
    """`import scheduler/twin/models` loads this checkout, not a same-named package."""
    module = importlib.import_module(package)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().parent == ROOT / package


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_layering(package: str) -> None:
    """scheduler never imports simpy/twin/models; models never imports twin/scheduler."""
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in _imports(path):
            if name in FORBIDDEN[package] or (name not in STDLIB and name not in ALLOWED[package]):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_importing_scheduler_loads_no_simulation() -> None:
    """A fresh interpreter importing the scheduler pulls in neither simpy nor twin."""
    code = (
        "import sys, scheduler, scheduler.fjs, scheduler.solve;"
        "bad = [m for m in ('simpy', 'twin', 'models') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_import_contracts_hold() -> None:
    """`lint-imports` keeps every contract in pyproject.toml: the layers of twin's rooms,
    the pure scheduler, the physics-only models, and no import cycle in any package."""
    out = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout
