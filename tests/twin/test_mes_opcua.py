"""twin.mes.opcua_*: the live twin's OPC UA server on the loopback address, read by a
client, and the client adapter feeding machine states into a second twin."""

from __future__ import annotations

import asyncio
import copy
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from live_fixtures import SHOP, event, live_twin

pytest.importorskip("asyncua")

from asyncua import Client, ua

from twin.cli import main
from twin.mes.adapter import pump
from twin.mes.opcua_client import OpcUaStates
from twin.mes.opcua_server import NAMESPACE, TwinServer, node_id


def shop_dict() -> dict[str, Any]:
    return copy.deepcopy(SHOP)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _wait_for(check: Any, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not check():
        if loop.time() > end:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


def test_server_shows_machine_states_and_the_client_feeds_another_twin() -> None:
    """A client reads a machine's state and parts off the server; a breakdown in the
    served twin reaches a second twin through the client adapter; an anonymous write
    is refused and changes nothing."""
    shop, mirror = live_twin(), live_twin()

    async def scenario() -> None:
        async with TwinServer(shop, port=_free_port()) as server:
            client = Client(server.endpoint)
            async with client:
                ns = await client.get_namespace_index(NAMESPACE)
                path = node_id("Machines", "mill", "Monitoring", "State")
                state = client.get_node(f"ns={ns};s={path}")
                assert await state.read_value() in ("idle", "off")
                good = client.get_node(f"ns={ns};s=Machines.mill.Production.PartsGood")
                assert await good.read_value() == 0
                queue = client.get_node(
                    f"ns={ns};s=Machines.mill.Production.ProductionPlan.JobOrders"
                )
                assert len(await queue.read_value()) >= 1
                with pytest.raises(ua.UaStatusCodeError):
                    await state.write_value("down")
                await server.refresh()
                assert await state.read_value() in ("idle", "off")
                assert shop.facts.machines["mill"].state == "idle"
                async with OpcUaStates(server.endpoint, ["mill", "lathe#1"]) as adapter:
                    shop.ingest(event(shop, "machine_down", "d1", 7, machine="mill"))
                    assert await server.refresh() > 0
                    assert await state.read_value() == "down"
                    await _wait_for(lambda: pump(mirror, adapter)["accepted"] > 0)
                    assert mirror.facts.machines["mill"].state == "down"
                    assert mirror.facts.machines["mill"].down_since == pytest.approx(7)
                    shop.ingest(event(shop, "machine_up", "u1", 9, machine="mill"))
                    await server.refresh()
                    await _wait_for(lambda: pump(mirror, adapter)["accepted"] > 0)
                    assert mirror.facts.machines["mill"].state == "idle"
                    assert mirror.rejected == []

    asyncio.run(scenario())


def test_twin_serve_runs_a_simulated_shop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``twin serve --simulate`` serves on the loopback address, moves the clock, ingests
    the simulated shop's events and stops after --duration."""
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(yaml.safe_dump(shop_dict()))
    port = _free_port()
    argv = ["serve", str(scenario), "--port", str(port), "--simulate", "--speed", "3000",
            "--interval", "0.1", "--duration", "1", "--policy", "on-event"]  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    _, err = capsys.readouterr()
    assert int(exit_info.value.code or 0) == 0, err
    assert f"opc.tcp://127.0.0.1:{port}/" in err
    accepted = int(err.split(" events accepted")[0].split()[-1])
    assert accepted > 0 and " 0 rejected" in err
