"""Reading a scenario file: bounded, safe YAML, then validation into a :class:`Scenario`.

:func:`read_yaml` parses with YAML 1.2 scalars (only ``true``/``false`` are booleans,
so ``power_kw: {off: 0}`` keeps its ``off`` key; ``06:00`` stays a string, not the
sexagesimal number 360), rejects duplicate keys, and reports syntax errors with the
line number.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import yaml

from twin.errors import ScenarioError, ScenarioIssue
from twin.scenario.bounds import MAX_FILE_BYTES, MAX_YAML_NODES
from twin.scenario.model import Scenario

__all__ = ["load_scenario", "read_text", "read_yaml"]

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


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The file's UTF-8 text, read only if it is a regular file of at most ``max_bytes``
    (a FIFO would block, ``/dev/zero`` never ends, a 1 GB file is a mistake)."""

    def fail(reason: str) -> ScenarioError:
        return ScenarioError(str(path), [ScenarioIssue("", reason)])

    try:
        info = path.stat()
    except OSError as exc:
        raise fail(f"cannot read the file: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise fail(f"cannot read the file: {what}")
    too_big = (
        f"the file is larger than {max_bytes / 2**20:g} MiB; if that is right, "
        "raise the limit with --max-size MB"
    )
    if info.st_size > max_bytes:
        raise fail(too_big)
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise fail(f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > max_bytes:  # it grew since stat
        raise fail(too_big)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"cannot read the file: not UTF-8 text (byte {exc.start})") from None


def _check_expansion(text: str, name: str, limit: int = MAX_YAML_NODES) -> None:
    """Refuse a document whose aliases would expand past ``limit`` nodes, counting on
    the parser's events before anything is built (a "billion laughs" of 9 aliases x 9
    levels is a few hundred bytes and 387 million nodes)."""
    sizes: dict[str, int] = {}  # anchor -> nodes it stands for
    open_: list[tuple[str | None, int]] = []  # (anchor, expanded count at its start)
    expanded = 0
    for event in yaml.parse(text, Loader=_SafeBase):
        if isinstance(event, yaml.AliasEvent):
            expanded += sizes.get(event.anchor or "", 1)
        elif isinstance(event, yaml.ScalarEvent):
            expanded += 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            expanded += 1
            open_.append((event.anchor, expanded - 1))
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, start = open_.pop()
            if anchor:
                sizes[anchor] = expanded - start
        if expanded > limit:
            raise ScenarioError(
                name,
                [
                    ScenarioIssue(
                        "",
                        f"YAML aliases expand to more than {limit:,} values; "
                        "write the document out instead of nesting aliases",
                    )
                ],
            )


def read_yaml(path: Path, max_bytes: int = MAX_FILE_BYTES) -> object:
    """The parsed document; :class:`ScenarioError` names the file and the line of a
    syntax error, a duplicate key, alias expansion past the bound, or an unreadable,
    oversized or non-regular file."""
    text = read_text(path, max_bytes)
    try:
        _check_expansion(text, path.name)
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "cannot parse"
        column = f" (column {mark.column + 1})" if mark is not None else ""
        issue = ScenarioIssue("", f"YAML syntax error: {problem}{column}", line)
        raise ScenarioError(path.name, [issue]) from None
    except ScenarioError:
        raise
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a scalar no constructor reads
        raise ScenarioError(path.name, [ScenarioIssue("", f"YAML syntax error: {exc}")]) from None


def load_scenario(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> Scenario:
    """Read and validate a scenario YAML file of at most ``max_bytes``; raises one
    :class:`ScenarioError` (file name, field path, expected and given) on any problem."""
    path = Path(path)
    data = read_yaml(path, max_bytes)
    return Scenario.from_dict(data, source=path.name)
