"""Writing run folders and output files so that an interrupt never leaves half a file.

A file is written under a temporary name in its own folder, flushed, then renamed
over the target (``os.replace`` is atomic on one file system). A run folder is
written whole into a temporary sibling folder and swapped in, so ``summary.json``,
``events.csv`` and ``schedule.csv`` always belong to the same run: a crash or Ctrl-C
leaves either the previous folder or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import csv
import json
import numbers
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from twin.errors import TwinError

if TYPE_CHECKING:  # only a type: importing the log's numpy would slow the CLI's start-up
    from twin.eventlog import EventLog

__all__ = [
    "SCHEDULE_COLUMNS",
    "atomic_file",
    "check_file_target",
    "check_run_folder",
    "write_run_folder",
    "write_schedule_csv",
]

# mkdtemp makes a private folder; a run folder gets the permissions of any new folder.
_UMASK = os.umask(0)
os.umask(_UMASK)

#: The columns of ``schedule.csv``: 0-based indices into the scheduler's problem.
SCHEDULE_COLUMNS = ("job", "operation", "machine", "start", "end")


@contextlib.contextmanager
def atomic_file(
    path: str | Path, mode: str = "w", *, permissions: int | None = None, **open_kw: Any
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success it replaces ``path``, on any
    error (or interrupt) it is removed and ``path`` is left as it was.

    The file gets ``permissions``, by default those ``open()`` would give it (0666 less
    the umask); the temporary file stays private (``mkstemp``'s 0600) while written."""
    target = Path(path)
    final = 0o666 & ~_UMASK if permissions is None else permissions
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, mode, **open_kw) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, final)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def check_file_target(path: str | Path, what: str = "--out") -> Path:
    """Fail before any work if ``path`` cannot be written as a file: its folder must
    exist and be writable, and ``path`` must not be a directory."""
    target = Path(path)
    if target.is_dir():
        raise TwinError(f"{what} {target}: is a directory (expected a file name)")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise TwinError(f"{what} {target}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise TwinError(f"{what} {target}: folder {parent} is not writable")
    if target.exists() and not os.access(target, os.W_OK):
        raise TwinError(f"{what} {target}: exists and is not writable")
    return target


def check_run_folder(path: str | Path) -> Path:
    """Fail before any work if ``path`` cannot become a run folder: it may be absent
    (its nearest existing parent must be writable), empty, or an earlier run folder
    (it holds ``summary.json``), which is replaced whole; anything else is refused so
    that no file of the user's is ever deleted."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise TwinError(f"--out {folder}: exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / "summary.json").is_file():
        raise TwinError(
            f"--out {folder}: folder holds other files and no summary.json; "
            "give a new or empty folder (a run folder is replaced whole)"
        )
    parent = folder.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise TwinError(f"--out {folder}: {parent} is not a writable folder")
    return folder


def write_schedule_csv(fh: IO[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """``job,operation,machine,start,end`` rows (0-based indices, file order)."""
    writer = csv.DictWriter(fh, fieldnames=list(SCHEDULE_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)


def _jsonable(value: Any) -> Any:
    if isinstance(value, numbers.Integral):  # numpy integers register here
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_run_folder(
    out: str | Path,
    summary: Mapping[str, Any],
    log: EventLog,
    schedule_rows: Iterable[Mapping[str, Any]],
    extra: Callable[[Path], None] | None = None,
) -> Path:
    """Write ``summary.json``, ``events.csv`` and ``schedule.csv`` into a temporary
    sibling of ``out`` (``extra(folder)`` may add files there), then swap it in."""
    folder = check_run_folder(out)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        text = json.dumps(summary, indent=2, ensure_ascii=False, allow_nan=False, default=_jsonable)
        (tmp / "summary.json").write_text(text + "\n", encoding="utf-8")
        log.to_csv(tmp / "events.csv")
        with (tmp / "schedule.csv").open("w", newline="") as fh:
            write_schedule_csv(fh, schedule_rows)
        if extra is not None:
            extra(tmp)
        _swap_in(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _swap_in(new: Path, folder: Path) -> None:
    """Replace ``folder`` by ``new``: two renames; the old folder is removed last."""
    os.chmod(new, 0o777 & ~_UMASK)
    if not folder.exists():
        os.rename(new, folder)
        return
    old = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    os.rename(folder, old)
    try:
        os.rename(new, folder)
    except BaseException:
        os.rename(old, folder)
        raise
    shutil.rmtree(old, ignore_errors=True)
