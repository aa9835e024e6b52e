"""twin.mes.opcua_*: the live twin's OPC UA server on the loopback address, read by a
client, and the client adapter feeding machine states into a second twin."""

from __future__ import annotations

import asyncio
import copy
import io
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
    served twin reaches a second twin through the client adapter (NoSecurity on the
    loopback address, so told not to verify the server); an anonymous write is refused
    and changes nothing."""
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
                adapter = OpcUaStates(server.endpoint, ["mill", "lathe#1"], verify_server=False)
                async with adapter:
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


def test_twin_serve_with_certificates_and_users(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``twin opcua-cert`` and ``twin opcua-user`` make what ``twin serve --cert --key
    --users --trust`` needs; it serves Basic256Sha256 only (no NoSecurity unless
    allowed) and the users file holds no password."""
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(yaml.safe_dump(shop_dict()))
    keys, trust, users = tmp_path / "keys", tmp_path / "trust", tmp_path / "users.txt"
    keys.mkdir()
    trust.mkdir()
    for argv in (["opcua-cert", str(keys)], ["opcua-cert", str(keys), "--client", "--name", "cl"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert int(exit_info.value.code or 0) == 0
    (trust / "cl.der").write_bytes((keys / "cl.der").read_bytes())
    monkeypatch.setattr("sys.stdin", io.StringIO("pa55word\n"))
    with pytest.raises(SystemExit) as exit_info:
        main(["opcua-user", str(users), "ann", "--password-stdin"])
    assert int(exit_info.value.code or 0) == 0
    assert users.read_text().count("ann:scrypt$") == 1 and "pa55word" not in users.read_text()
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:  # the client's key is not the server's
        main(["serve", str(scenario), "--cert", str(keys / "server.der"),
              "--key", str(keys / "cl.key.pem")])  # fmt: skip
    assert int(exit_info.value.code or 0) == 2
    assert "does not belong to certificate" in capsys.readouterr().err
    port = _free_port()
    argv = ["serve", str(scenario), "--port", str(port), "--speed", "0", "--interval", "0.1",
            "--duration", "0.5", "--cert", str(keys / "server.der"),
            "--key", str(keys / "server.key.pem"), "--users", str(users),
            "--trust", str(trust)]  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    _, err = capsys.readouterr()
    assert int(exit_info.value.code or 0) == 0, err
    said = " ".join(err.split())  # rich wraps long lines
    assert "(Basic256Sha256 Sign, Basic256Sha256 SignAndEncrypt)" in said
    assert "NoSecurity" not in said


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--cert", "missing.der", "--key", "missing.pem"], "certificate missing.der: No such"),
        (["--cert", "{scenario}", "--key", "{scenario}"], "not an X.509 certificate"),
        (["--users", "{scenario}"], "line 1: expected 'name:scrypt"),
        (["--users", "missing.txt"], "users file missing.txt: No such file"),
        (["--trust", "missing"], "--trust needs a server certificate"),
        (["--host", "0.0.0.0"], "not loopback"),
        (["--security", "None"], "expected Sign and/or SignAndEncrypt"),
    ],
)
def test_twin_serve_refuses_bad_security_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    """Bad certificate, key, users or trust paths and unsafe choices end with one line
    on stderr and exit code 2, before anything is planned or bound."""
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(yaml.safe_dump(shop_dict()))
    argv = ["serve", str(scenario), *[a.format(scenario=scenario) for a in extra]]
    if "--security" in extra:  # modes only matter with a certificate
        argv += ["--cert", "c.der", "--key", "k.pem"]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    _, err = capsys.readouterr()
    assert int(exit_info.value.code or 0) == 2
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_opcua_cert_and_user_refuse_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing certificate folder, a name with ':' or an empty password: one line,
    exit 2, nothing written."""
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    for argv, message in (
        (["opcua-cert", str(tmp_path / "missing")], "does not exist"),
        (["opcua-user", str(tmp_path / "users.txt"), "a:b", "--password-stdin"], "user name"),
        (["opcua-user", str(tmp_path / "users.txt"), "ann", "--password-stdin"], "empty"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        _, err = capsys.readouterr()
        assert int(exit_info.value.code or 0) == 2 and message in err, err
        assert len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
