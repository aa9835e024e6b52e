"""Every name a package exports in ``__all__`` exists, and the README's API example runs."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("package", ["scheduler", "twin", "models"])
def test_all_names_resolve(package: str) -> None:
    """No stale entry in ``__all__``: each exported name can be imported."""
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []
    assert len(set(module.__all__)) == len(module.__all__)


def test_readme_twin_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's Python snippet for the twin works as written (in a temp folder)."""
    text = (ROOT / "README.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "import twin" in b)
    block = block.replace('"scenarios/', f'"{ROOT}/scenarios/')
    monkeypatch.chdir(tmp_path)
    printed: list[tuple[object, ...]] = []
    namespace: dict[str, object] = {"print": lambda *args: printed.append(args)}
    exec(compile(block, "README.md", "exec"), namespace)
    assert (tmp_path / "runs" / "pilot" / "summary.json").is_file()
    nc_rate, oee, kgce = printed[0]
    assert nc_rate == 0.5 and 0 < oee < 1 and kgce > 0  # type: ignore[operator]
