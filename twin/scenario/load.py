"""Reading a scenario file: bounded, safe YAML, then validation into a :class:`Scenario`.

:func:`read_yaml` parses with YAML 1.2 scalars (only ``true``/``false`` are booleans,
so ``power_kw: {off: 0}`` keeps its ``off`` key; ``06:00`` stays a string, not the
sexagesimal number 360), rejects duplicate keys, and reports syntax errors with the
line number.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from twin.errors import ScenarioError, ScenarioIssue
from twin.scenario.model import Scenario

__all__ = ["load_scenario", "read_yaml"]

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


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file; raises one :class:`ScenarioError`
    (file name, field path, expected and given) on any problem."""
    path = Path(path)
    data = read_yaml(path)
    return Scenario.from_dict(data, source=path.name)
