"""Sanity bounds on instance files, and the capped read the readers share.

An instance file comes from outside (a colleague, a generator, an upload), so a bad
one must fail fast with :class:`~scheduler.errors.InstanceFormatError`: never hang on
a FIFO, never allocate for a header that claims a billion machines, never overflow
the int64 arrays the kernels and CP-SAT read. The bounds are far above any real shop
and any public benchmark (at most 18 machines, 300 operations, durations below 1,000),
and low enough that every sum a schedule needs stays well inside int64.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path
from typing import NoReturn

from scheduler.errors import InstanceFormatError

__all__ = [
    "MAX_BYTES",
    "MAX_DURATION",
    "MAX_MACHINES",
    "MAX_MODES",
    "MAX_OPERATIONS",
    "MAX_TIME",
    "MAX_WEIGHT",
    "read_text_capped",
    "show_int",
]

MAX_BYTES = 64 * 2**20
"""Largest file read unless the caller passes ``max_bytes``: 64 MiB of ``.fjs`` holds up to
16 million alternatives, more than any shop and far more than a solver can handle."""

MAX_MACHINES = 100_000
"""Arrays and names per machine are allocated from the header alone, before the rest of
the file confirms it; a plant has thousands of machines at most."""

MAX_OPERATIONS = 1_000_000
"""Operations in all jobs together; each job has at least one, so this bounds jobs too."""

MAX_MODES = 10_000_000
"""(machine, duration) alternatives in all: three int64 arrays of this length are 240 MB.
Per operation the bound is the machine count, since a machine may appear once."""

MAX_DURATION = 10**9
"""Durations, setup and transport times: 10**9 seconds is 31 years. With at most
MAX_OPERATIONS operations every makespan stays below ~3 * 10**15, far inside int64."""

MAX_TIME = 10**12
"""Points in time (releases, due dates, windows, fixed starts): room for a start offset
in seconds since 1970 while sums with durations stay far inside int64."""

MAX_WEIGHT = 10**6
"""Job weights: a weighted tardiness sum must also stay inside int64."""


def show_int(text: str) -> str:
    """A digit string short enough for a message: thousands of digits are elided."""
    if len(text) <= 24:
        return text
    return f"{text[:12]}...({len(text.lstrip('-'))} digits)"


def read_text_capped(path: str | Path, max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text of a regular file of at most ``max_bytes`` bytes.

    The type is checked before opening (a FIFO would block ``open``), again on the open
    descriptor (the path may have been swapped), and at most ``max_bytes + 1`` bytes are
    read, so a growing file or a device cannot exhaust memory.
    """
    if max_bytes < 0:
        raise ValueError(f"max_bytes must be >= 0, got {max_bytes}")
    name = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        _check_regular(name, os.stat(path).st_mode)
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InstanceFormatError(name, None, "no such file") from None
    except OSError as exc:
        raise InstanceFormatError(name, None, f"cannot open: {exc.strerror or exc}") from None
    except ValueError as exc:  # e.g. a NUL byte in the path
        raise InstanceFormatError(name, None, f"cannot open: {exc}") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        _check_regular(name, st.st_mode)
        if st.st_size > max_bytes:
            _too_big(name, f"{st.st_size} bytes", max_bytes)
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise InstanceFormatError(name, None, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        _too_big(name, f"more than {max_bytes} bytes", max_bytes)
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = bom + exc.start
        line = data.count(b"\n", 0, at) + 1
        raise InstanceFormatError(
            name, line, f"not UTF-8 text: byte 0x{data[at : at + 1].hex()} at offset {at}"
        ) from None


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _check_regular(name: str, mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = next((label for test, label in _KINDS if test(mode)), "an irregular file")
        raise InstanceFormatError(name, None, f"expected a regular file, got {kind}")


def _too_big(name: str, size: str, max_bytes: int) -> NoReturn:
    raise InstanceFormatError(
        name,
        None,
        f"file is {size}, over the {max_bytes}-byte cap; to read it, raise the cap "
        "(max_bytes=N in Python, --max-size MB on the command line)",
    )
