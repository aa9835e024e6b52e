"""The README opens with the two commands, and CI runs the second one verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _first_block() -> list[str]:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"```bash\n(.*?)```", text, re.S)
    assert match, "README.md has no bash block"
    return [ln for ln in match.group(1).splitlines() if ln.strip()]


def test_readme_starts_with_exactly_two_commands() -> None:
    """The first code block holds two commands: run the main job, run the tests."""
    lines = _first_block()
    assert len(lines) == 2
    assert "twin run scenarios/" in lines[0]
    assert '".[test]"' in lines[1] and "pytest" in lines[1]
    scenario = re.search(r"twin run (\S+)", lines[0])
    assert scenario and (ROOT / scenario.group(1)).is_file()


def test_ci_runs_the_readme_test_command() -> None:
    """`.ci/run` executes the README's second command unchanged."""
    ci = (ROOT / ".ci" / "run").read_text()
    assert _first_block()[1] in ci.splitlines()
