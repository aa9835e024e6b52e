"""Validation failures as readable lines: ``stations[3].mtbf: expected a duration like
"120h", got -5``: a field path with list indices, what was expected and what was given;
unknown keys and names get the nearest valid one (difflib).
"""

from __future__ import annotations

import difflib
import re
import reprlib
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from twin.errors import ScenarioIssue

__all__ = ["format_loc", "issues_from_validation_error", "shown", "suggest"]


# Bounded on every level: a value built from YAML aliases can stand for millions of
# nodes, and repr() would expand them all before the text could be cut short.
_REPR = reprlib.Repr()  # keyword arguments need Python 3.12
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 3, 60, 60, 40
_REPR.maxdict = _REPR.maxlist = _REPR.maxtuple = _REPR.maxset = 4


def shown(value: object) -> str:
    """A short rendering of a user value: strings in double quotes, ``null`` for None."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = f'"{value[:60]}"'
    else:
        text = _REPR.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def format_loc(loc: Sequence[int | str]) -> str:
    """``("stations", 3, "mtbf")`` -> ``stations[3].mtbf``; odd keys are quoted."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            continue
        elif re.fullmatch(r"[A-Za-z0-9_\-]+", part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _model_at(root: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    tp: Any = root
    for part in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
            info = tp.model_fields.get(part)
            if info is None:
                return None
            tp = info.annotation
        elif origin is list:
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        elif origin is tuple and isinstance(part, int):
            tp = typing.get_args(tp)[part]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _unknown_field(root: type[BaseModel], loc: Sequence[int | str]) -> str:
    model = _model_at(root, loc[:-1])
    valid = list(model.model_fields) if model is not None else []
    close = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.6)
    if close:
        return f'unknown field; did you mean "{close[0]}"?'
    if valid:
        return "unknown field; valid fields: " + ", ".join(valid)
    return "unknown field"


_LIMITS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
_EXPECTED = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "text",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
    "dict_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    "datetime_type": "a date and time like 2026-01-05T06:00:00",
    "datetime_parsing": "a date and time like 2026-01-05T06:00:00",
    "datetime_from_date_parsing": "a date and time like 2026-01-05T06:00:00",
    "date_type": "a date like 2024-01-01",
    "date_parsing": "a date like 2024-01-01",
    "date_from_datetime_parsing": "a date like 2024-01-01",
    "date_from_datetime_inexact": "a date like 2024-01-01",
}


def _describe(error: Any, root: type[BaseModel]) -> str:
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    got = shown(error.get("input"))
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        return _unknown_field(root, error["loc"])
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {got}"
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        text = f"expected one of {', '.join(options)}; got {got}"
        close = difflib.get_close_matches(str(error.get("input")), options, n=1)
        return text + (f'; did you mean "{close[0]}"?' if close else "")
    for key, symbol in _LIMITS.items():
        if key in ctx and kind.startswith(("greater", "less")):
            return f"expected a value {symbol} {ctx[key]}, got {got}"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return (
            f"expected at least {n} item{'s' if n != 1 else ''}, got {ctx.get('actual_length', 0)}"
        )
    if kind == "too_long":
        return f"expected at most {ctx.get('max_length')} items, got {ctx.get('actual_length')}"
    if kind == "string_too_short":
        return f"expected non-empty text, got {got}"
    if kind == "string_pattern_mismatch":
        return f'expected an id of letters, digits, "_", "." or "-", got {got}'
    message = str(error["msg"]).removeprefix("Value error, ")
    if message.startswith("Input should be "):
        return f"expected {message.removeprefix('Input should be ')}, got {got}"
    return message


def issues_from_validation_error(
    exc: ValidationError, root: type[BaseModel]
) -> list[ScenarioIssue]:
    """One :class:`ScenarioIssue` per pydantic error, paths relative to ``root``."""
    issues = [
        ScenarioIssue(format_loc(err["loc"]), _describe(err, root))
        for err in exc.errors(include_url=False)
    ]
    return issues or [ScenarioIssue("", str(exc))]


def suggest(what: str, value: str, known: Sequence[str]) -> str:
    """``unknown station "cnc_lath"; did you mean "cnc_lathe"?`` (or the known names)."""
    close = difflib.get_close_matches(value, list(known), n=1)
    if close:
        return f'unknown {what} "{value}"; did you mean "{close[0]}"?'
    shown_names = ", ".join(list(known)[:8]) + (", ..." if len(known) > 8 else "")
    return f'unknown {what} "{value}" (known: {shown_names or "none"})'
