"""``twin serve``: the live twin of a scenario as an OPC UA server (the ``opcua`` extra).

The clock runs at ``--speed`` times real time; what moves the twin is an MES event
stream (``--events FILE.jsonl``, followed as it grows) or, with ``--simulate``, one
simulated run of the scenario standing in for the MES (its events are released as the
clock passes them; open loop: it does not follow the twin's replans). ``--duration``
stops after so many seconds (else Ctrl-C).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from twin.cli.app import app
from twin.cli.errors import CliError


async def _serve(
    twin: Any, server: Any, source: Any, queue: list[Any], *, speed: float, interval: float,
    duration: float | None, console: Console,
) -> None:  # fmt: skip
    from twin.mes.adapter import pump

    await server.start()
    console.print(f"serving {twin.scenario.name} on {server.endpoint}")
    seconds_per_unit = twin.clock.seconds
    started = time.monotonic()
    try:
        while duration is None or time.monotonic() - started < duration:
            await asyncio.sleep(interval)
            target = twin.now + interval * speed / seconds_per_unit
            while queue and twin.clock.to_model(queue[0].time) <= target:
                twin.ingest(queue.pop(0))
            if source is not None:
                pump(twin, source)
            if target > twin.now:
                twin.advance(target)
            await server.refresh()
    finally:
        await server.stop()


@app.command("serve")
def serve_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML.")],
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="OPC UA port.")] = 4840,
    speed: Annotated[float, typer.Option(help="Model time per real time (0: events only).")] = 60.0,
    events: Annotated[Path | None, typer.Option(help="MES events to follow (JSON lines).")] = None,
    simulate: Annotated[
        bool, typer.Option(help="Stand in for the MES with the twin's own simulation.")
    ] = False,
    policy: Annotated[str, typer.Option(help="none | on-event | periodic:N")] = "on-event",
    interval: Annotated[float, typer.Option(help="Seconds between updates.")] = 0.5,
    duration: Annotated[float | None, typer.Option(help="Stop after this many seconds.")] = None,
) -> None:
    """Serve the live twin of SCENARIO over OPC UA (machines, job lists, KPIs)."""
    if speed < 0 or interval <= 0:
        raise CliError(f"--speed must be >= 0 and --interval > 0, got {speed} and {interval}")
    if not 0 < port < 65536:
        raise CliError(f"--port must be 1..65535, got {port}")
    from twin.live import LiveTwin
    from twin.mes.adapter import JsonLinesMes
    from twin.mes.opcua_server import TwinServer, require_asyncua

    require_asyncua()
    console = Console(stderr=True)
    with console.status(f"planning {scenario.name} ..."):
        twin = LiveTwin(scenario, policy=policy)
    queue: list[Any] = []
    if simulate:
        from twin.mes.emulate import run_events
        from twin.run import simulate as run_simulation

        queue = run_events(run_simulation(twin.scenario), twin.clock)
    source = JsonLinesMes(events) if events is not None else None
    server = TwinServer(twin, host, port)
    try:
        asyncio.run(_serve(twin, server, source, queue, speed=speed, interval=interval,
                           duration=duration, console=console))  # fmt: skip
    except KeyboardInterrupt:
        console.print("stopped")
    console.print(f"{len(twin.journal)} events accepted, {len(twin.rejected)} rejected, "
                  f"{len(twin.replans)} replans")  # fmt: skip
