"""Fuzz the instance readers: any mutation of a valid ``.fjs`` or JSON file reads as a
ProblemData or fails with InstanceFormatError, nothing else, and fast.

Mutations replace tokens with weird ones (``--5``, ``+5``, ``1_0``, NaN, non-ASCII
digits, NUL), put in huge numbers, delete and duplicate tokens and lines, truncate,
insert raw bytes (often invalid UTF-8) and, for JSON, swap values for wrong types and
nest values thousands of levels deep. ``FJS_FUZZ_EXAMPLES`` raises the example count;
the tally of mutation kinds is printed at the end (``pytest -s``).
"""

from __future__ import annotations

import copy
import json
import os
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scheduler import InstanceFormatError, ProblemData, read_instance

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scenarios" / "instances" / "demo_shop"
EXAMPLES = int(os.environ.get("FJS_FUZZ_EXAMPLES", "250"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=2000,  # ms per example: every reader is linear, so even nesting is fast
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
TALLY: Counter[str] = Counter()

FJS_SEEDS = [
    DEMO.with_suffix(".fjs").read_text(),
    "2 2 9.75\n1 1 1 3\n2 1 2 4 2 1 1 2 5\n",
    "3 3\n2 2 1 4 3 2 1 2 9\n1 3 1 1 2 1 3 1\n1 1 3 0\n",
]
JSON_SEEDS = [
    json.loads(DEMO.with_suffix(".json").read_text()),
    ProblemData.from_jobs(
        [[[(0, 3), (1, 4)], [(1, 2)]], [[(0, 5)]]],
        num_machines=2,
        release=[0, 2],
        due=[9, -1],
        weight=[1, 3],
        op_family=[0, 1, 1],
        setup=[[[0, 1], [2, 0]], [[0, 1], [1, 0]]],
        transport=[[0, 2], [2, 0]],
        window_ptr=[0, 1, 1],
        window_start=[4],
        window_end=[6],
        fixed_machine=[-1, 1, -1],
        fixed_start=[-1, 3, -1],
        job_names=("a", "b"),
    ).to_dict(),
]

WEIRD_TOKENS = [
    "--5", "-", "+5", "1_0", "5.0", "1e3", "0x10", "\u0663", "\u2460", "\x00", "NaN",
    "Infinity", "-0", "\ufeff7", "0" * 40 + "1", "9" * 30, str(2**63), str(-(2**63)),
    "9" * 5000, "", "\x0c", "\u2028", "\r",
]  # fmt: skip
huge_ints = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 10**9, 10**9 + 1, 10**5, 10**5 + 1, 10**6 + 1, 2**63, 10**400]),
)
WEIRD_VALUES: list[Any] = [
    1.7, 4.0, True, False, None, "5", "", [], {}, [[[[1]]]], 2**63, -(2**63) - 1, 10**30,
    -1, -2, 0, 10**9 + 1, float("inf"), float("nan"), "\ud800", {"a": 1}, [1] * 50,
]  # fmt: skip
weird_values = st.one_of(st.sampled_from(WEIRD_VALUES), huge_ints)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("fuzz")
    print("\nmutations tried by kind:", dict(sorted(TALLY.items())))


def outcome(path: Path, data: bytes) -> None:
    """Read ``data`` as ``path``: a ProblemData or an InstanceFormatError, nothing else."""
    path.write_bytes(data)
    try:
        result = read_instance(path)
    except InstanceFormatError as exc:
        assert str(path) in str(exc)
        TALLY[f"outcome:{path.suffix}:refused"] += 1
        return
    assert isinstance(result, ProblemData)
    TALLY[f"outcome:{path.suffix}:read"] += 1


def note(kind: str) -> None:
    TALLY[kind] += 1
    event(kind)


def mutate_text(text: str, rng: random.Random, kind: str, fill: Any) -> bytes:
    """One text-level mutation (shared by both formats)."""
    tokens = text.split(" ")
    lines = text.split("\n")
    i = rng.randrange(len(tokens))
    if kind == "token:weird":
        tokens[i] = fill
    elif kind == "token:huge":
        tokens[i] = str(fill)
    elif kind == "token:delete":
        del tokens[i]
    elif kind == "token:duplicate":
        tokens.insert(i, tokens[i])
    elif kind == "line:delete":
        del lines[rng.randrange(len(lines))]
        return "\n".join(lines).encode()
    elif kind == "line:duplicate":
        k = rng.randrange(len(lines))
        lines.insert(k, lines[k])
        return "\n".join(lines).encode()
    elif kind == "truncate":
        return text.encode()[: rng.randrange(len(text) + 1)]
    elif kind == "bytes":
        raw = text.encode()
        k = rng.randrange(len(raw) + 1)
        return raw[:k] + fill + raw[k:]
    return " ".join(tokens).encode("utf-8", "surrogatepass")


TEXT_KINDS = [
    "token:weird", "token:huge", "token:delete", "token:duplicate",
    "line:delete", "line:duplicate", "truncate", "bytes",
]  # fmt: skip


def fill_for(kind: str, draw: Any) -> Any:
    if kind == "token:weird":
        return draw(st.sampled_from(WEIRD_TOKENS))
    if kind == "token:huge":
        return draw(huge_ints)
    if kind == "bytes":
        return draw(st.binary(min_size=1, max_size=8))
    return None


@FUZZ
@given(
    seed=st.sampled_from(range(len(FJS_SEEDS))),
    kinds=st.lists(st.sampled_from(TEXT_KINDS), min_size=1, max_size=3),
    rng=st.randoms(use_true_random=False),
    data=st.data(),
)
def test_mutated_fjs_reads_or_is_refused(
    workdir: Path, seed: int, kinds: list[str], rng: random.Random, data: st.DataObject
) -> None:
    """Stacked .fjs mutations never escape as another exception or a hang."""
    raw = FJS_SEEDS[seed].encode()
    for kind in kinds:
        note(f"fjs:{kind}")
        text = raw.decode("utf-8", "replace")
        raw = mutate_text(text, rng, kind, fill_for(kind, data.draw))
    outcome(workdir / "x.fjs", raw)


def _paths(node: Any, loc: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [loc] if loc else []
    if isinstance(node, dict | list):
        for key, value in node.items() if isinstance(node, dict) else enumerate(node):
            out += _paths(value, (*loc, key))
    return out


def mutate_tree(payload: Any, rng: random.Random, kind: str, value: Any) -> Any:
    """One structural JSON mutation at a random place of the payload."""
    loc = rng.choice(_paths(payload))
    parent = payload
    for key in loc[:-1]:
        parent = parent[key]
    last = loc[-1]
    if kind == "json:replace":
        parent[last] = value
    elif kind == "json:delete":
        del parent[last]
    elif kind == "json:duplicate" and isinstance(parent, list):
        parent.insert(last, parent[last])
    elif kind == "json:add_key":
        target = parent if isinstance(parent, dict) else payload
        target[rng.choice(["bogus", "name", "setup", "version", "problem"])] = value
    elif kind == "json:wrap":
        payload = {"problem": payload, "schedule": value}
    return payload


TREE_KINDS = ["json:replace", "json:delete", "json:duplicate", "json:add_key", "json:wrap"]
RAW_KINDS = ["json:nest", "json:huge_literal", "json:truncate", "json:bytes"]


def mutate_json_text(text: str, rng: random.Random, kind: str, fill: Any) -> bytes:
    """One text-level JSON mutation: deep nesting, literal numbers json.dumps cannot
    write, truncation and raw bytes."""
    numbers = [i for i, c in enumerate(text) if c.isdigit() and not text[i - 1].isdigit()]
    at = rng.choice(numbers) if numbers else 0
    if kind == "json:nest":
        depth = fill
        return (text[:at] + "[" * depth + text[at : at + 1] + "]" * depth + text[at + 1 :]).encode()
    if kind == "json:huge_literal":
        return (text[:at] + fill + text[at:]).encode()
    if kind == "json:truncate":
        return text.encode()[: rng.randrange(len(text) + 1)]
    raw = text.encode()
    k = rng.randrange(len(raw) + 1)
    return raw[:k] + fill + raw[k:]


@FUZZ
@given(
    seed=st.sampled_from(range(len(JSON_SEEDS))),
    kinds=st.lists(st.sampled_from(TREE_KINDS + RAW_KINDS), min_size=1, max_size=3),
    rng=st.randoms(use_true_random=False),
    data=st.data(),
)
def test_mutated_json_reads_or_is_refused(
    workdir: Path, seed: int, kinds: list[str], rng: random.Random, data: st.DataObject
) -> None:
    """Stacked JSON mutations never escape as another exception or a hang."""
    payload = json.loads(json.dumps(JSON_SEEDS[seed]))
    # Structural mutations first (they need a tree), then text ones on the dumped text.
    kinds = sorted(kinds, key=lambda k: k in RAW_KINDS)
    raw = None
    for kind in kinds:
        note(kind)
        if kind in TREE_KINDS:
            value = copy.deepcopy(data.draw(weird_values))  # the pool must stay intact
            payload = mutate_tree(payload, rng, kind, value)
            continue
        if raw is None:
            raw = json.dumps(payload, ensure_ascii=True).encode()
        fill = {
            "json:nest": lambda: data.draw(st.sampled_from([1, 3, 50, 999, 5000, 100_000])),
            "json:huge_literal": lambda: data.draw(
                st.sampled_from(["9" * 5000, "-", "1e400", "NaN", "-Infinity", "0.5", "1E5"])
            ),
            "json:bytes": lambda: data.draw(st.binary(min_size=1, max_size=8)),
        }.get(kind, lambda: None)()
        raw = mutate_json_text(raw.decode("utf-8", "replace"), rng, kind, fill)
    if raw is None:
        raw = json.dumps(payload, ensure_ascii=True).encode()
    outcome(workdir / "x.json", raw)
