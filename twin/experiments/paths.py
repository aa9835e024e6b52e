"""Changes to a scenario's raw YAML document, addressed by path.

A path walks the parsed document: ``stations.cnc_lathe.count``,
``products.housing.routing.mill.stations.manual_mill``, ``operators.machinist.count``,
``run.scheduling``. In a mapping a segment is a key; in a list a segment names the item
whose ``id`` (or, for routing steps, ``name``) it equals, a text item equal to it (a
skill in ``operators.machinist.skills``), or else is a 0-based index.
An id with a dot in it goes in brackets: ``stations[m1.2].count``.

Three operations, applied in order to a deep copy of the document:

``set``
    Replace the value at the path. Every segment but the last must exist; the last may
    be a new key of a mapping (the scenario's own validation refuses unknown fields).
``add``
    Append items to the list at the path (a new station, a transport pair).
``remove``
    Delete the key or the list item at the path.

A path that does not resolve raises :class:`PathError` naming the segment, what was
there and the nearest valid names, so that a sweep file's typo fails before anything
runs.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from twin.scenario.messages import shown, suggest

__all__ = ["Change", "PathError", "apply_changes", "parse_path"]

#: Keys that name an item of a list of mappings, tried in this order.
ITEM_KEYS = ("id", "name")

_SEGMENT = re.compile(r"\[([^\]]+)\]|([^.\[\]]+)")


class PathError(ValueError):
    """A path that does not resolve in the document (the message says where and why)."""


@dataclass(frozen=True)
class Change:
    """One operation on the document: ``op`` at ``path`` with ``value`` (``set``: the
    new value; ``add``: the list of items to append; ``remove``: unused)."""

    op: Literal["set", "add", "remove"]
    path: str
    value: Any = None

    def describe(self) -> str:
        """``stations.cnc_lathe.count = 5``, ``+ stations: lathe_robot``, ``- x.y``."""
        if self.op == "set":
            value = self.value
            if isinstance(value, Mapping):
                return f"{self.path} = {{{', '.join(str(k) for k in value)}}}"
            return f"{self.path} = {value}"
        if self.op == "add":
            names = [_item_name(v) or shown(v) for v in self.value]
            return f"+ {self.path}: {', '.join(names)}"
        return f"- {self.path}"


def parse_path(path: str) -> list[str]:
    """``"stations[m1.2].count"`` -> ``["stations", "m1.2", "count"]``; raises
    :class:`PathError` on an empty or malformed path."""
    if not isinstance(path, str) or not path.strip():
        raise PathError(f"expected a path like stations.cnc_lathe.count, got {shown(path)}")
    segments: list[str] = []
    pos = 0
    while pos < len(path):
        match = _SEGMENT.match(path, pos)
        if match is None:
            raise PathError(f"malformed path {shown(path)} at character {pos + 1}")
        segments.append((match.group(1) or match.group(2)).strip())
        pos = match.end()
        if pos < len(path) and path[pos] == ".":
            pos += 1
            if pos == len(path):
                raise PathError(f"malformed path {shown(path)}: ends with a dot")
    return segments


def _item_name(item: Any) -> str | None:
    if isinstance(item, Mapping):
        for key in ITEM_KEYS:
            if isinstance(item.get(key), str):
                return str(item[key])
    return None


def _list_index(items: list[Any], segment: str, where: str) -> int:
    """The index of the item named ``segment`` (by id or name), else ``segment`` as an
    integer index."""
    for i, item in enumerate(items):
        if _item_name(item) == segment or (isinstance(item, str) and item == segment):
            return i
    if re.fullmatch(r"\d+", segment) and int(segment) < len(items):
        return int(segment)
    names = [n for n in (_item_name(item) for item in items) if n is not None]
    if names:
        raise PathError(f"{where}: " + suggest("item", segment, names))
    raise PathError(f"{where}: no item {segment} (the list has {len(items)})")


def _child(node: Any, segment: str, where: str) -> tuple[Any, Any]:
    """(container key or index, child) of ``segment`` in ``node``."""
    if isinstance(node, dict):
        if segment not in node:
            keys = [str(k) for k in node]
            raise PathError(f"{where}: " + suggest("key", segment, keys))
        return segment, node[segment]
    if isinstance(node, list):
        index = _list_index(node, segment, where)
        return index, node[index]
    raise PathError(f"{where}: {shown(node)} is not a mapping or a list")


def _walk(doc: dict[str, Any], segments: Sequence[str]) -> Any:
    node: Any = doc
    for depth, segment in enumerate(segments):
        _, node = _child(node, segment, ".".join(segments[: depth + 1]))
    return node


def _apply(doc: dict[str, Any], change: Change) -> None:
    segments = parse_path(change.path)
    parent = _walk(doc, segments[:-1])
    last, where = segments[-1], change.path
    if change.op == "set":
        if isinstance(parent, dict):
            parent[last] = copy.deepcopy(change.value)
        elif isinstance(parent, list):
            index, _ = _child(parent, last, where)
            parent[index] = copy.deepcopy(change.value)
        else:
            raise PathError(f"{where}: {shown(parent)} is not a mapping or a list")
        return
    if change.op == "add":
        _, target = _child(parent, last, where)
        if not isinstance(target, list):
            raise PathError(f"{where}: expected a list to add to, got {shown(target)}")
        target.extend(copy.deepcopy(list(change.value)))
        return
    key, _ = _child(parent, last, where)
    del parent[key]


def apply_changes(doc: Mapping[str, Any], changes: Sequence[Change]) -> dict[str, Any]:
    """A deep copy of ``doc`` with ``changes`` applied in order; the first change that
    does not resolve raises :class:`PathError` (prefixed with its path)."""
    out = copy.deepcopy(dict(doc))
    for change in changes:
        _apply(out, change)
    return out
