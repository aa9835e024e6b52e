"""``twin serve``: the live twin of a scenario as an OPC UA server (the ``opcua`` extra).

The clock runs at ``--speed`` times real time; what moves the twin is an MES event
stream (``--events FILE.jsonl``, followed as it grows) or, with ``--simulate``, one
simulated run of the scenario standing in for the MES (its events are released as the
clock passes them; open loop: it does not follow the twin's replans). ``--duration``
stops after so many seconds (else Ctrl-C).

Security (docs/LIVE.md): ``--cert``/``--key`` offer ``Basic256Sha256`` (``--security``
``Sign,SignAndEncrypt``), ``--users`` and ``--trust`` say who may call the twin's
methods, ``--allow-insecure`` adds NoSecurity. ``twin opcua-cert`` makes certificates,
``twin opcua-user`` adds a user to a users file.
"""

from __future__ import annotations

import asyncio
import sys
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
    modes = ", ".join("NoSecurity" if m == "None" else f"Basic256Sha256 {m}" for m in server.modes)
    console.print(f"serving {twin.scenario.name} on {server.endpoint} ({modes})")
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
    cert: Annotated[
        Path | None, typer.Option(help="Server certificate (DER/PEM): offer Basic256Sha256.")
    ] = None,
    key: Annotated[Path | None, typer.Option(help="The certificate's private key (PEM).")] = None,
    users: Annotated[
        Path | None, typer.Option(help="Users file (twin opcua-user): who may call methods.")
    ] = None,
    trust: Annotated[
        Path | None,
        typer.Option(help="Folder of trusted client certificates: only they connect securely."),
    ] = None,
    security: Annotated[
        str, typer.Option(help="Basic256Sha256 modes offered: Sign, SignAndEncrypt.")
    ] = "Sign,SignAndEncrypt",
    allow_insecure: Annotated[
        bool, typer.Option(help="Also offer NoSecurity (needed off loopback without --cert).")
    ] = False,
) -> None:
    """Serve the live twin of SCENARIO over OPC UA (machines, job lists, KPIs)."""
    if speed < 0 or interval <= 0:
        raise CliError(f"--speed must be >= 0 and --interval > 0, got {speed} and {interval}")
    if not 0 < port < 65536:
        raise CliError(f"--port must be 1..65535, got {port}")
    from twin.live import LiveTwin
    from twin.mes import opcua_security as sec
    from twin.mes.adapter import JsonLinesMes
    from twin.mes.opcua_server import TwinServer, is_loopback, offered_modes, require_asyncua

    require_asyncua()
    modes = [m.strip() for m in security.split(",") if m.strip()]
    options: dict[str, Any] = {
        "certificate": cert, "private_key": key, "users": users, "trust": trust,
        "modes": modes, "allow_insecure": allow_insecure,
    }  # fmt: skip
    offered = offered_modes(host, **options)
    # every file checked before planning: a bad one is one line, at once
    if cert is not None and key is not None:
        sec.load_key_pair(cert, key)
    if users is not None:
        sec.read_users(users)
    if trust is not None:
        asyncio.run(sec.load_trust(trust))
    if "None" in offered and not is_loopback(host):
        Console(stderr=True).print(f"warning: NoSecurity offered on {host} (--allow-insecure)")
    console = Console(stderr=True)
    with console.status(f"planning {scenario.name} ..."):
        twin = LiveTwin(scenario, policy=policy)
    queue: list[Any] = []
    if simulate:
        from twin.mes.emulate import run_events
        from twin.run import simulate as run_simulation

        queue = run_events(run_simulation(twin.scenario), twin.clock)
    source = JsonLinesMes(events) if events is not None else None
    server = TwinServer(twin, host, port, **options)
    try:
        asyncio.run(_serve(twin, server, source, queue, speed=speed, interval=interval,
                           duration=duration, console=console))  # fmt: skip
    except KeyboardInterrupt:
        console.print("stopped")
    console.print(f"{len(twin.journal)} events accepted, {len(twin.rejected)} rejected, "
                  f"{len(twin.replans)} replans")  # fmt: skip


@app.command("opcua-cert")
def opcua_cert_command(
    out: Annotated[Path, typer.Argument(help="Folder to write NAME.der and NAME.key.pem to.")],
    name: Annotated[str, typer.Option(help="File name and common name.")] = "server",
    client: Annotated[
        bool, typer.Option("--client", help="A client certificate (default: a server's).")
    ] = False,
    host: Annotated[
        list[str] | None, typer.Option(help="Host name or IP address it is for (repeatable).")
    ] = None,
    days: Annotated[int, typer.Option(help="Days it is valid.")] = 365,
) -> None:
    """Make a self-signed OPC UA certificate and key for `twin serve` or a client."""
    from twin.mes.opcua_security import make_certificate

    cert, key = make_certificate(out, name, client=client, hosts=host or [], days=days)
    print(f"certificate {cert}\nprivate key {key} (keep it secret; out of trust folders)")


@app.command("opcua-user")
def opcua_user_command(
    users: Annotated[Path, typer.Argument(help="Users file (created if missing).")],
    name: Annotated[str, typer.Argument(help="User name.")],
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from standard input (one line).")
    ] = False,
) -> None:
    """Add a user (or change its password) in a `twin serve --users` file: salted scrypt
    hashes, never the password."""
    from twin.mes.opcua_security import add_user, check_user_name, read_users

    check_user_name(name)
    if users.exists():
        read_users(users)  # a bad file: say so before asking for a password
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise CliError("the password must not be empty")
    new = add_user(users, name, password)
    print(f"{'added' if new else 'changed'} user {name} in {users}")
