"""Reading scenario YAML and turning validation failures into readable issues.

Three jobs, all about what the user sees when a scenario is wrong:

- :func:`read_yaml` parses with YAML 1.2 scalars (only ``true``/``false`` are booleans,
  so ``power_kw: {off: 0}`` keeps its ``off`` key; ``06:00`` stays a string, not the
  sexagesimal number 360), rejects duplicate keys, and reports syntax errors with the
  line number.
- :func:`issues_from_validation_error` rewrites pydantic's errors as
  ``stations[3].mtbf: expected a duration like "120h", got -5``: a field path with
  list indices, what was expected and what was given; unknown keys get the nearest
  valid key (difflib).
- :func:`cross_check` finds what no single field can: dangling references, duplicate
  ids, fields of the wrong station kind, no demand, an unconnected transport layout.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ValidationError

from twin.errors import ScenarioError, ScenarioIssue

if TYPE_CHECKING:
    from twin.scenario import Scenario, Transport

__all__ = ["cross_check", "format_loc", "issues_from_validation_error", "read_yaml", "shown"]

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"


# libyaml's parser when available (10x faster); the constructor and resolver stay Python.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeBase):  # type: ignore[valid-type,misc]
    """SafeLoader with YAML 1.2 core-schema scalars and duplicate-key detection."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable key: the base class reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f'duplicate key "{key}" (first at line {seen[key].start_mark.line + 1})',
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(_INT, re.compile(r"^[-+]?[0-9][0-9_]*$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def _construct_int(loader: yaml.BaseLoader, node: yaml.Node) -> int:
    """Decimal only (YAML 1.2): ``08`` is 8, not an octal error."""
    assert isinstance(node, yaml.ScalarNode)
    return int(str(loader.construct_scalar(node)).replace("_", ""))


_Loader.add_constructor(_INT, _construct_int)


def read_yaml(path: Path) -> object:
    """The parsed document; :class:`ScenarioError` names the file and the line of a
    syntax error, a duplicate key or an unreadable file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ScenarioError(
            str(path), [ScenarioIssue("", f"cannot read the file: {reason}")]
        ) from None
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "cannot parse"
        column = f" (column {mark.column + 1})" if mark is not None else ""
        issue = ScenarioIssue("", f"YAML syntax error: {problem}{column}", line)
        raise ScenarioError(path.name, [issue]) from None
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a scalar no constructor reads
        raise ScenarioError(path.name, [ScenarioIssue("", f"YAML syntax error: {exc}")]) from None


def shown(value: object) -> str:
    """A short rendering of a user value: strings in double quotes, ``null`` for None."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = f'"{value}"'
    else:
        text = repr(value)
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


# -- cross-checks (run by Scenario's validator after every field is valid) -----------

Loc = tuple[str | int, ...]
#: (field path, error kind, message, offending value)
Problem = tuple[Loc, str, str, object]


def suggest(what: str, value: str, known: Sequence[str]) -> str:
    """``unknown station "cnc_lath"; did you mean "cnc_lathe"?`` (or the known names)."""
    close = difflib.get_close_matches(value, list(known), n=1)
    if close:
        return f'unknown {what} "{value}"; did you mean "{close[0]}"?'
    shown_names = ", ".join(list(known)[:8]) + (", ..." if len(known) > 8 else "")
    return f'unknown {what} "{value}" (known: {shown_names or "none"})'


class _Problems(list[Problem]):
    def add(self, loc: Loc, message: str, value: object = None, kind: str = "scenario") -> None:
        self.append((loc, kind, message, value))

    def ref(self, loc: Loc, what: str, value: str, known: Sequence[str]) -> None:
        if value not in known:
            self.add(loc, suggest(what, value, known), value, "reference")

    def unique(self, key: str, ids: Sequence[str]) -> None:
        first: dict[str, int] = {}
        for i, value in enumerate(ids):
            if value in first:
                self.add(
                    (key, i, "id"), f'duplicate id "{value}" (also {key}[{first[value]}])', value
                )
            first.setdefault(value, i)


def cross_check(s: Scenario) -> list[Problem]:
    """Every problem no single field can see, in document order. Also resolves each
    routing step's ``key_process`` default (it depends on the stations)."""
    from twin.scenario_station import PRINTER_FIELDS, ROBOT_FIELDS

    found = _Problems()
    for key in ("stations", "buffers", "products", "orders"):
        found.unique(key, [item.id for item in getattr(s, key)])
    stations = {st.id: st for st in s.stations}
    products = list(dict.fromkeys(p.id for p in s.products))
    families = sorted({p.family_name for p in s.products})
    kind_fields = [(f, "printer3d") for f in PRINTER_FIELDS] + [(f, "robot") for f in ROBOT_FIELDS]
    for i, st in enumerate(s.stations):
        at: Loc = ("stations", i)
        if st.calendar is not None:
            found.ref((*at, "calendar"), "calendar", st.calendar, list(s.calendars))
        for name, kind in kind_fields:
            if st.kind != kind and getattr(st, name) is not None:
                message = f"only a {kind} station has {name} (this one is {st.kind})"
                found.add((*at, name), message, getattr(st, name))
        if st.kind == "printer3d" and st.build_time is None:
            found.add((*at, "build_time"), "missing required field (printer3d stations)")
        others = [x for x in stations if x != st.id]
        for k, target in enumerate(st.tends or []):
            found.ref((*at, "tends", k), "station", target, others)
        if (st.mtbf is None) != (st.mttr is None):
            found.add(
                (*at, "mttr" if st.mttr is None else "mtbf"), "missing (mtbf and mttr go together)"
            )
        for src, targets in st.setup.families.items():
            found.ref((*at, "setup", "families", src), "product family", src, families)
            for dst in targets:
                found.ref((*at, "setup", "families", src, dst), "product family", dst, families)
    for i, buf in enumerate(s.buffers):
        found.ref(("buffers", i, "after"), "station", buf.after, list(stations))
        if buf.id in stations or buf.id in s.unit_station:
            found.add(("buffers", i, "id"), f'buffer id "{buf.id}" is also a station name', buf.id)
    for i, product in enumerate(s.products):
        for k, step in enumerate(product.routing):
            for station_id in step.stations:
                at = ("products", i, "routing", k, "stations", station_id)
                found.ref(at, "station", station_id, list(stations))
            if step.dist == "triangular":
                _check_triangular(found, s, i, k)
            if step.key_process is None:
                step.key_process = any(
                    stations[x].is_key_process for x in step.stations if x in stations
                )
    for i, order in enumerate(s.orders):
        found.ref(("orders", i, "product"), "product", order.product, products)
        if order.due is not None and order.due < order.release:
            message = f"due ({order.due:g}) is before release ({order.release:g})"
            found.add(("orders", i, "due"), message, order.due)
    if s.arrivals is not None:
        for product_id in s.arrivals.mix:
            found.ref(("arrivals", "mix", product_id), "product", product_id, products)
        if s.run.horizon is None:
            found.add(("run", "horizon"), "missing required field (needed with arrivals)")
    if not s.orders and s.arrivals is None:
        found.add(("orders",), "no orders and no arrivals: give at least one of them")
    if s.run.horizon is not None and s.run.warmup >= s.run.horizon > 0:
        message = f"warmup ({s.run.warmup:g}) must be shorter than the horizon ({s.run.horizon:g})"
        found.add(("run", "warmup"), message, s.run.warmup)
    if s.transport is not None:
        _check_transport(found, s, s.transport)
    return found


def _check_triangular(found: _Problems, s: Scenario, i: int, k: int) -> None:
    """A symmetric triangular law around the nominal time goes negative past cv 1/sqrt(6)."""
    product, step = s.products[i], s.products[i].routing[k]
    known = {station.id for station in s.stations}
    for station_id in step.stations:
        if station_id not in known:
            continue  # reported as a dangling reference
        _, cv = s.operation_variability(product.id, k, station_id)
        if cv > 6**-0.5:
            at: Loc = ("products", i, "routing", k, "cv")
            message = f"a triangular operation needs cv <= 0.408 (1/sqrt(6)), got {cv:g}"
            found.add(at, message + f" on station {station_id}", cv)
            return


def _check_transport(found: _Problems, s: Scenario, transport: Transport) -> None:
    names = [st.id for st in s.stations]
    if transport.travel_time is not None and transport.layout is not None:
        found.add(("transport", "layout"), "give travel_time or layout, not both")
        return
    if transport.travel_time is not None:
        for k, (a, b, _) in enumerate(transport.travel_time.pairs):
            found.ref(("transport", "travel_time", "pairs", k, 0), "station", a, names)
            found.ref(("transport", "travel_time", "pairs", k, 1), "station", b, names)
    if transport.layout is None:
        return
    import networkx as nx

    graph = transport.layout.graph()
    at: Loc = ("transport", "layout", "edges")
    for i, product in enumerate(s.products):
        for k in range(1, len(product.routing)):
            need = f"products[{i}].routing[{k}]"
            for a in product.routing[k - 1].stations:
                for b in product.routing[k].stations:
                    missing = [x for x in (a, b) if x not in graph]
                    if missing:
                        found.add(at, f'station "{missing[0]}" is not in the layout ({need})')
                        return
                    if a != b and not nx.has_path(graph, a, b):
                        found.add(at, f'no path from "{a}" to "{b}" ({need} needs one)')
                        return
