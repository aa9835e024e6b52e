"""Files written atomically get the permissions ``open()`` would give them, or the ones
asked for; an interrupted write leaves the old file as it was."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from twin.runs.write import atomic_file


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_atomic_file_has_the_permissions_open_would_give(tmp_path: Path) -> None:
    with atomic_file(tmp_path / "report.html") as fh:
        fh.write("<html></html>")
    with open(tmp_path / "plain.html", "w", encoding="utf-8") as fh:
        fh.write("x")
    assert _mode(tmp_path / "report.html") == _mode(tmp_path / "plain.html")


def test_a_private_file_stays_private(tmp_path: Path) -> None:
    with atomic_file(tmp_path / "users.txt", permissions=0o600) as fh:
        fh.write("secret")
    assert _mode(tmp_path / "users.txt") == 0o600


def test_an_interrupted_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "summary.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt), atomic_file(target) as fh:
        fh.write("new, half")
        raise KeyboardInterrupt
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]
