"""The project's JSON instance format: ``ProblemData.to_dict`` written as JSON.

``json.loads`` alone accepts far too much for a scheduling instance: ``1.7`` or
``true`` would be truncated to an integer by numpy, ``Infinity`` and 20-digit numbers
overflow int64, and deep nesting exhausts the stack. So every field is checked
against its schema here, before any array is built, and the error names the field
path (``mode_duration[3]``) and what was expected.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from scheduler.errors import InstanceFormatError, ProblemDataError
from scheduler.limits import (
    MAX_BYTES,
    MAX_DURATION,
    MAX_MACHINES,
    MAX_MODES,
    MAX_OPERATIONS,
    MAX_TIME,
    MAX_WEIGHT,
    read_text_capped,
    show_int,
)
from scheduler.problem import ProblemData

__all__ = ["read_json", "write_json"]

FORMAT = "shopfloor-twin/fjsp"
_INT = re.compile(r"-?[0-9]+")

# field: (dimensions, smallest, largest, what a value is); null stands for the default.
_ARRAYS: dict[str, tuple[int, int, int, str]] = {
    "job_op_ptr": (1, 0, MAX_OPERATIONS, "operation index"),
    "op_mode_ptr": (1, 0, MAX_MODES, "alternative index"),
    "mode_machine": (1, 0, MAX_MACHINES - 1, "machine"),
    "mode_duration": (1, 0, MAX_DURATION, "duration"),
    "release": (1, 0, MAX_TIME, "release time"),
    "due": (1, -1, MAX_TIME, "due date"),
    "weight": (1, 0, MAX_WEIGHT, "weight"),
    "op_family": (1, 0, MAX_OPERATIONS, "family"),
    "setup": (3, 0, MAX_DURATION, "setup time"),
    "window_ptr": (1, 0, MAX_MODES, "window index"),
    "window_start": (1, 0, MAX_TIME, "window start"),
    "window_end": (1, 0, MAX_TIME, "window end"),
    "transport": (2, 0, MAX_DURATION, "transport time"),
    "fixed_machine": (1, -1, MAX_MACHINES - 1, "machine"),
    "fixed_start": (1, -1, MAX_TIME, "start time"),
    "mode_calendar": (1, 0, 4, "calendar kind (0 block, 1 resume, 2 run, 3 free, 4 loads)"),
    "mode_loads": (1, 1, MAX_DURATION, "number of equal fixture loads"),
    "resource_capacity": (1, 1, MAX_DURATION, "resource capacity"),
    "mode_resource": (1, -1, MAX_MODES, "resource index"),
    "mode_demand": (1, 0, MAX_DURATION, "resource units held"),
    "mode_hold_head": (1, 0, MAX_DURATION, "time a load holds its resource at its start"),
    "mode_hold_tail": (1, 0, MAX_DURATION, "time a load holds its resource at its end"),
}
_REQUIRED = ("num_machines", "job_op_ptr", "op_mode_ptr", "mode_machine", "mode_duration")
# field: (fewest, most, what a value stands for): checked first, so that an empty job
# list or a billion operations are named as such.
_LENGTHS = {
    "job_op_ptr": (2, MAX_OPERATIONS + 1, f"one more than the jobs, 1..{MAX_OPERATIONS}"),
    "op_mode_ptr": (2, MAX_OPERATIONS + 1, f"one more than the operations, 1..{MAX_OPERATIONS}"),
    "mode_machine": (1, MAX_MODES, "one per alternative"),
    "mode_duration": (1, MAX_MODES, "one per alternative"),
    "job_names": (0, MAX_OPERATIONS, "one per job"),
    "machine_names": (0, MAX_MACHINES, "one per machine"),
}


class _Literal:
    """A JSON number kept as written: a fraction, ``NaN``/``Infinity``, or an integer too
    long to convert cheaply. It is never accepted: it is kept for the message."""

    def __init__(self, text: str) -> None:
        self.text = text


class _Refused(Exception):
    """Raised from inside ``json.loads`` hooks; carries the message."""


def _parse_int(text: str) -> int | _Literal:
    return int(text) if len(text) <= 30 else _Literal(text)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _Refused(f"duplicate key {key!r} in an object")
        seen.add(key)
    return dict(pairs)


def read_json(path: str | Path, *, max_bytes: int = MAX_BYTES) -> ProblemData:
    """Read an instance written by :func:`write_json` (or a report's ``problem``).

    Files over ``max_bytes`` bytes are refused; errors name the file, the line (for
    syntax errors) or the field path, and what was expected.
    """
    name = str(path)
    text = read_text_capped(path, max_bytes)
    try:
        payload = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_Literal,
            parse_constant=_Literal,
            object_pairs_hook=_no_duplicates,
        )
    except json.JSONDecodeError as exc:
        raise InstanceFormatError(
            name, exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})"
        ) from None
    except _Refused as exc:
        raise InstanceFormatError(name, None, f"invalid JSON: {exc}") from None
    except RecursionError:
        raise InstanceFormatError(
            name, None, "invalid JSON: nested too deeply (an instance needs at most 5 levels)"
        ) from None
    prefix = ""
    if isinstance(payload, dict) and isinstance(payload.get("problem"), dict):
        payload, prefix = payload["problem"], "problem."
    try:
        _check_payload(payload, prefix)
        return ProblemData.from_dict(payload)
    except ProblemDataError as exc:
        raise InstanceFormatError(name, None, str(exc)) from None


def write_json(data: ProblemData, path: str | Path) -> None:
    Path(path).write_text(json.dumps(data.to_dict(), ensure_ascii=False, indent=1))


def _check_payload(payload: object, prefix: str) -> None:
    """Types, bounds and list lengths of every known field; ``from_dict`` then checks
    the names of the fields and :class:`ProblemData` their consistency."""
    if not isinstance(payload, dict):
        raise ProblemDataError(f"expected a JSON object at the top, got {_show(payload)}")
    for key in _REQUIRED:
        if key not in payload:
            raise ProblemDataError(f"{prefix}{key}: missing (required: {', '.join(_REQUIRED)})")
    if payload.get("format", FORMAT) != FORMAT:
        raise ProblemDataError(
            f"{prefix}format: expected {FORMAT!r}, got {_show(payload['format'])}"
        )
    if "version" in payload and (type(payload["version"]) is not int or payload["version"] != 1):
        raise ProblemDataError(f"{prefix}version: expected 1, got {_show(payload['version'])}")
    for key, (fewest, most, what) in _LENGTHS.items():
        value = payload.get(key)
        if isinstance(value, list) and not fewest <= len(value) <= most:
            raise ProblemDataError(
                f"{prefix}{key}: expected {fewest}..{most} values ({what}), got {len(value)}"
            )
    _int(f"{prefix}num_machines", payload.get("num_machines"), 1, MAX_MACHINES, "machine count")
    for key, (ndim, lo, hi, what) in _ARRAYS.items():
        if payload.get(key) is not None or key in _REQUIRED:
            _ints(f"{prefix}{key}", payload.get(key), ndim, (lo, hi, what))
    for key in ("job_names", "machine_names"):
        if payload.get(key) is not None:
            names = payload[key]
            if not isinstance(names, list):
                raise ProblemDataError(f"{prefix}{key}: expected a list, got {_show(names)}")
            for i, text in enumerate(names):
                _text(f"{prefix}{key}[{i}]", text)
    if "name" in payload:
        _text(f"{prefix}name", payload["name"])


def _ints(path: str, value: object, ndim: int, bound: tuple[int, int, str]) -> None:
    """A rectangular ``ndim``-deep list of integers within ``bound``."""
    if not isinstance(value, list):
        raise ProblemDataError(f"{path}: expected a list, got {_show(value)}")
    lo, hi, what = bound
    if ndim == 1:
        # Fast path: one pass over plain ints, then the extremes; details only on failure.
        if all(type(v) is int for v in value) and (
            not value or (lo <= min(value) and max(value) <= hi)
        ):
            return
        for i, v in enumerate(value):
            _int(f"{path}[{i}]", v, lo, hi, what)
        return
    for i, row in enumerate(value):
        _ints(f"{path}[{i}]", row, ndim - 1, bound)
        if len(row) != len(value[0]):
            raise ProblemDataError(
                f"{path}[{i}]: expected {len(value[0])} values like {path}[0], got {len(row)}"
            )


def _int(path: str, value: object, lo: int, hi: int, what: str) -> None:
    if isinstance(value, _Literal) and _INT.fullmatch(value.text):
        side = f"is below {lo}" if value.text.startswith("-") else f"exceeds the bound {hi}"
        raise ProblemDataError(f"{path}: {what} {show_int(value.text)} {side}")
    if type(value) is not int:
        raise ProblemDataError(f"{path}: expected an integer {what}, got {_show(value)}")
    if value > hi:
        raise ProblemDataError(f"{path}: {what} {value} exceeds the bound {hi}")
    if value < lo:
        raise ProblemDataError(f"{path}: {what} {value} is below {lo}")


def _text(path: str, value: object) -> None:
    if not isinstance(value, str):
        raise ProblemDataError(f"{path}: expected a string, got {_show(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ProblemDataError(f"{path}: not valid Unicode (a lone surrogate escape)") from None


def _show(value: object) -> str:
    """A JSON value as it was written, short: ``1.7``, ``true``, ``Infinity``, ``"5"``."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, _Literal):
        return show_int(value.text) if _INT.fullmatch(value.text) else value.text[:40]
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:37] + "..."
