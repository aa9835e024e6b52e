"""``twin validate`` and ``twin schema``: check scenario files, publish their schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from twin.cli.app import app
from twin.cli.options import check_out_file, max_bytes
from twin.errors import ScenarioError
from twin.runs.write import atomic_file
from twin.scenario import Scenario, load_scenario

__all__ = ["scenario_json_schema"]


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (for editors: YAML language servers read it)."""
    schema = Scenario.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


@app.command("validate")
def validate_command(
    files: Annotated[list[Path], typer.Argument(help="Scenario YAML files.")],
    max_size: Annotated[
        float | None, typer.Option("--max-size", help="Largest file read, MB (16).")
    ] = None,
) -> None:
    """Check scenario files: 'ok: NAME (N stations, M orders)' each, or the problems
    (file, field path, expected and given) on stderr and exit code 2."""
    limit = max_bytes(max_size)
    failed = 0
    for path in files:
        try:
            scenario = load_scenario(path, limit)
        except ScenarioError as exc:
            failed += 1
            print(exc, file=sys.stderr)
            continue
        print(f"ok: {path.name} ({scenario.summary()})")
    if failed:
        raise typer.Exit(2)


@app.command("schema")
def schema_command(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the JSON Schema to this file.")
    ] = None,
) -> None:
    """Print the JSON Schema of scenario files (or write it with --out)."""
    text = json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    check_out_file(out)
    with atomic_file(out, encoding="utf-8") as fh:
        fh.write(text)
    print(f"wrote {out}")
