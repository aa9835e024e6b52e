"""OPC UA security of the live twin's server and client: anonymous sessions read and
never change the twin; users and trusted certificates may call; Basic256Sha256 with
Sign and SignAndEncrypt; the client adapter refuses servers it cannot verify."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import threading
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any

import pytest
from live_fixtures import event, live_twin

pytest.importorskip("asyncua")

from asyncua import Client, ua

from twin.errors import TwinError
from twin.live import LiveTwin
from twin.mes import opcua_security as sec
from twin.mes.opcua_client import OpcUaStates
from twin.mes.opcua_server import NAMESPACE, TwinServer, offered_modes

PASSWORD = "correct horse"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Server, trusted client and stranger certificates, a trust folder of the trusted
    client's certificate, one of the server's, and a users file with one user."""
    root = tmp_path_factory.mktemp("pki")
    keys, trust, servers = root / "keys", root / "trusted-clients", root / "trusted-servers"
    for d in (keys, trust, servers):
        d.mkdir()
    out: dict[str, Path] = {"trust": trust, "servers": servers, "users": root / "users.txt"}
    out["server"], out["server_key"] = sec.make_certificate(keys, "server")
    out["client"], out["client_key"] = sec.make_certificate(keys, "client", client=True)
    out["stranger"], out["stranger_key"] = sec.make_certificate(keys, "stranger", client=True)
    out["impostor"], out["impostor_key"] = sec.make_certificate(keys, "impostor")
    shutil.copy(out["client"], trust)
    shutil.copy(out["server"], servers)
    sec.add_user(out["users"], "operator", PASSWORD)
    return out


class Served:
    """A TwinServer running on its own event loop in a thread, so that one server
    (asyncua's start takes seconds) serves several tests, each with its own loop."""

    def __init__(self, twin: LiveTwin, **options: Any) -> None:
        self.twin = twin
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = TwinServer(twin, port=_free_port(), **options)
        self.run(self.server.start())

    def run(self, coro: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)  # type: ignore[arg-type]

    def close(self) -> None:
        self.run(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def served(pki: dict[str, Path]) -> Iterator[Served]:
    """The small shop's twin behind a server with every option: certificate, users,
    trusted clients, NoSecurity allowed (loopback)."""
    served = Served(live_twin(), certificate=pki["server"], private_key=pki["server_key"],
                    users=pki["users"], trust=pki["trust"], allow_insecure=True)  # fmt: skip
    yield served
    served.close()


@pytest.fixture(scope="module")
def strict(pki: dict[str, Path]) -> Iterator[Served]:
    """A twin behind a server with the impostor's certificate, users, SignAndEncrypt only."""
    served = Served(live_twin(), certificate=pki["impostor"], private_key=pki["impostor_key"],
                    users=pki["users"], modes=["SignAndEncrypt"])  # fmt: skip
    yield served
    served.close()


def state_of(twin: LiveTwin) -> tuple[Any, int, int]:
    return twin.snapshot(), len(twin.journal), len(twin.rejected)


def down_event(twin: LiveTwin, eid: str, machine: str, minutes: float = 5) -> str:
    return json.dumps(event(twin, "machine_down", eid, minutes, machine=machine))


async def call_ingest(client: Client, text: str) -> str:
    ns = await client.get_namespace_index(NAMESPACE)
    root = client.get_node(f"ns={ns};s=ShopfloorTwin")
    return str(await root.call_method(ua.NodeId("IngestEvent", ns), text))


async def secure_client(server: TwinServer, cert: Path, key: Path, mode: str) -> Client:
    client = Client(server.endpoint)
    client.application_uri = sec.CLIENT_URI
    await client.set_security_string(f"Basic256Sha256,{mode},{cert},{key},{server.certificate}")
    return client


def test_anonymous_reads_and_is_refused_writes_and_calls(served: Served) -> None:
    """An anonymous session reads a state; its write and its IngestEvent call are
    refused with BadUserAccessDenied and the twin is unchanged."""
    twin = served.twin
    before = state_of(twin)

    async def check() -> None:
        async with Client(served.server.endpoint) as client:
            ns = await client.get_namespace_index(NAMESPACE)
            state = client.get_node(f"ns={ns};s=Machines.lathe#1.Monitoring.State")
            assert await state.read_value() == "idle"
            with pytest.raises(ua.uaerrors.BadUserAccessDenied):
                await state.write_value("down")
            with pytest.raises(ua.uaerrors.BadUserAccessDenied):
                await call_ingest(client, down_event(twin, "anon", "lathe#1"))
            assert await state.read_value() == "idle"

    asyncio.run(check())
    assert state_of(twin) == before


def test_wrong_password_and_unknown_user_are_refused(served: Served, pki: dict[str, Path]) -> None:
    """Logging in with a wrong password or an unknown name fails with
    BadUserAccessDenied (over SignAndEncrypt too) and the twin is unchanged."""
    twin = served.twin
    before = state_of(twin)

    async def check() -> None:
        for user, password, secure in (("operator", "wrong", False), ("nobody", PASSWORD, False),
                                       ("operator", "wrong", True)):  # fmt: skip
            if secure:
                client = await secure_client(served.server, pki["client"], pki["client_key"],
                                             "SignAndEncrypt")  # fmt: skip
            else:
                client = Client(served.server.endpoint)
            client.set_user(user)
            client.set_password(password)
            with pytest.raises(ua.uaerrors.BadUserAccessDenied):
                await client.connect()
            await client.disconnect()

    asyncio.run(check())
    assert state_of(twin) == before


def test_untrusted_client_certificate_is_refused(served: Served, pki: dict[str, Path]) -> None:
    """A client whose certificate is not in the trust folder cannot open a session
    (BadCertificateUntrusted); the trusted client's session may call."""
    twin = served.twin
    before = state_of(twin)

    async def check() -> None:
        for mode in ("Sign", "SignAndEncrypt"):
            client = await secure_client(served.server, pki["stranger"], pki["stranger_key"], mode)
            with pytest.raises(ua.uaerrors.BadCertificateUntrusted):
                await client.connect()
            await client.disconnect()
        assert state_of(twin) == before
        client = await secure_client(served.server, pki["client"], pki["client_key"], "Sign")
        async with client:
            assert await call_ingest(client, down_event(twin, "cert", "lathe#2")) == "accepted"

    asyncio.run(check())
    assert twin.facts.machines["lathe#2"].state == "down"
    assert len(twin.journal) == before[1] + 1


def test_a_user_calls_ingest_event_and_replan(served: Served) -> None:
    """A logged-in user's IngestEvent changes the twin (and the served state), a repeat
    is a duplicate, a bad event is rejected with its reason; Replan answers a report."""
    twin = served.twin
    _, journal, rejected = state_of(twin)

    async def check() -> None:
        client = Client(served.server.endpoint)
        client.set_user("operator")
        client.set_password(PASSWORD)
        async with client:
            ns = await client.get_namespace_index(NAMESPACE)
            state = client.get_node(f"ns={ns};s=Machines.mill.Monitoring.State")
            assert await call_ingest(client, down_event(twin, "user", "mill")) == "accepted"
            assert await state.read_value() == "down"
            assert await call_ingest(client, down_event(twin, "user", "mill")) == "duplicate"
            answer = await call_ingest(client, down_event(twin, "bad", "drill"))
            assert answer.startswith("rejected: ") and "drill" in answer
            root = client.get_node(f"ns={ns};s=ShopfloorTwin")
            report = json.loads(await root.call_method(ua.NodeId("Replan", ns)))
            assert report["trigger"] == "opcua" and report["feasible"]

    asyncio.run(check())
    assert [e.id for _, _, e in twin.journal[journal:]] == ["user"]
    assert twin.facts.machines["mill"].state == "down" and len(twin.rejected) == rejected + 1


@pytest.mark.parametrize("mode", ["Sign", "SignAndEncrypt"])
def test_secure_session_reads_and_the_adapter_follows_states(
    served: Served, pki: dict[str, Path], mode: str
) -> None:
    """Over Basic256Sha256 a client reads values, and the adapter, verifying the pinned
    server certificate, brings a state change (a user's call) into a second twin."""
    from twin.mes.adapter import pump

    mirror, server, twin = live_twin(), served.server, served.twin
    when = twin.now + 5  # after whatever the other tests did
    parts = twin.facts.machines["lathe#1"].good

    async def check() -> None:
        client = await secure_client(server, pki["client"], pki["client_key"], mode)
        async with client:
            ns = await client.get_namespace_index(NAMESPACE)
            good = client.get_node(f"ns={ns};s=Machines.lathe#1.Production.PartsGood")
            assert await good.read_value() == parts
        adapter = OpcUaStates(server.endpoint, ["lathe#1"], certificate=pki["client"],
                              private_key=pki["client_key"], server_certificate=pki["server"],
                              mode=mode)  # fmt: skip
        async with adapter:
            await asyncio.sleep(0.1)
            assert pump(mirror, adapter)["accepted"] == 0  # idle: nothing to report yet
            operator = await secure_client(server, pki["client"], pki["client_key"], mode)
            operator.set_user("operator")
            operator.set_password(PASSWORD)
            async with operator:
                down = down_event(twin, f"adapter-{mode}", "lathe#1", minutes=when)
                assert await call_ingest(operator, down) == "accepted"
            loop = asyncio.get_running_loop()
            end = loop.time() + 5
            while pump(mirror, adapter)["accepted"] == 0:
                assert loop.time() < end, "no state change arrived"
                await asyncio.sleep(0.02)
            up = json.dumps(event(twin, "machine_up", f"up-{mode}", when + 1, machine="lathe#1"))
            async with operator:
                assert await call_ingest(operator, up) == "accepted"

    asyncio.run(check())
    assert mirror.facts.machines["lathe#1"].state == "down"
    assert mirror.facts.machines["lathe#1"].down_since == pytest.approx(when)


def test_the_adapter_refuses_a_server_it_does_not_trust(
    strict: Served, pki: dict[str, Path]
) -> None:
    """A server presenting a certificate other than the pinned one, or not in the trust
    folder, is refused, and so is one without the mode asked for; verify_server=False
    connects all the same; without certificates the adapter insists on it."""
    url = strict.server.endpoint

    async def check() -> None:
        for trusted in (pki["server"], pki["servers"]):
            adapter = OpcUaStates(
                url, ["mill"], certificate=pki["client"], private_key=pki["client_key"],
                server_certificate=trusted,
            )  # fmt: skip
            with pytest.raises(TwinError, match=r"\(impostor\) is not trusted"):
                await adapter.connect()
            await adapter.disconnect()
        sign = OpcUaStates(url, ["mill"], certificate=pki["client"], private_key=pki["client_key"],
                           server_certificate=pki["impostor"], mode="Sign")  # fmt: skip
        with pytest.raises(TwinError, match="offers no Basic256Sha256 Sign endpoint"):
            await sign.connect()
        lax = OpcUaStates(url, ["mill"], certificate=pki["client"],
                          private_key=pki["client_key"], verify_server=False)  # fmt: skip
        async with lax:
            assert lax.client is not None

    asyncio.run(check())
    with pytest.raises(TwinError, match="verify_server=False"):
        OpcUaStates(url, ["mill"])


def test_no_session_on_an_unoffered_nosecurity_channel(strict: Served) -> None:
    """asyncua opens NoSecurity channels for discovery even when NoSecurity is not
    offered; a session forced onto one can neither read nor call."""
    twin, server = strict.twin, strict.server
    before = state_of(twin)

    async def check() -> None:
        client = Client(server.endpoint)
        await client.connect_socket()
        await client.send_hello()
        await client.open_secure_channel()
        endpoints = await client.get_endpoints()
        assert {e.SecurityMode for e in endpoints} == {ua.MessageSecurityMode.SignAndEncrypt}
        params = ua.CreateSessionParameters(
            ClientNonce=b"0" * 32, EndpointUrl=server.endpoint, SessionName="forced",
            RequestedSessionTimeout=60000,
            ClientDescription=ua.ApplicationDescription(ApplicationType=ua.ApplicationType.Client),
        )  # fmt: skip
        await client.uaclient.create_session(params)
        token = ua.AnonymousIdentityToken(PolicyId="anonymous")
        await client.uaclient.activate_session(
            ua.ActivateSessionParameters(UserIdentityToken=token)
        )
        state = client.get_node(f"ns={server.ns};s=Machines.mill.Monitoring.State")
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await state.read_value()
        root = client.get_node(f"ns={server.ns};s=ShopfloorTwin")
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await root.call_method(ua.NodeId("IngestEvent", server.ns),
                                   down_event(twin, "forced", "mill"))  # fmt: skip
        client.disconnect_socket()

    asyncio.run(check())
    assert state_of(twin) == before


def test_offered_modes_follow_the_address_and_the_options(pki: dict[str, Path]) -> None:
    """NoSecurity alone without a certificate, only on loopback unless allowed; with one,
    Sign and SignAndEncrypt, NoSecurity only when allowed; bad combinations refused."""
    cert = {"certificate": pki["server"], "private_key": pki["server_key"]}
    assert offered_modes("127.0.0.1") == ["None"]
    assert offered_modes("localhost") == ["None"]
    assert offered_modes("0.0.0.0", allow_insecure=True) == ["None"]
    assert offered_modes("0.0.0.0", **cert) == ["Sign", "SignAndEncrypt"]
    assert offered_modes("127.0.0.1", **cert, allow_insecure=True)[-1] == "None"
    assert offered_modes("::1", **cert, modes=["SignAndEncrypt"]) == ["SignAndEncrypt"]
    for host, options, message in (
        ("0.0.0.0", {}, "not loopback"),
        ("10.0.0.5", {"users": pki["users"], "allow_insecure": True}, "in clear"),
        ("127.0.0.1", {"trust": pki["trust"]}, "--trust needs"),
        ("127.0.0.1", {"certificate": pki["server"]}, "private key"),
        ("127.0.0.1", {**cert, "modes": ["None"]}, "--allow-insecure"),
    ):
        with pytest.raises(TwinError, match=message):
            offered_modes(host, **options)


def test_users_file_keeps_salted_hashes_only(tmp_path: Path) -> None:
    """add_user writes a salted scrypt hash (two users' hashes of one password differ),
    readable by the owner only; a bad line is a one-line error naming it."""
    users = tmp_path / "users.txt"
    assert sec.add_user(users, "ann", "s3cret") and sec.add_user(users, "bob", "s3cret")
    assert not sec.add_user(users, "ann", "n3w")
    text = users.read_text()
    assert "s3cret" not in text and "n3w" not in text
    table = sec.read_users(users)
    assert sec.check_password("n3w", table["ann"]) and not sec.check_password(
        "s3cret", table["ann"]
    )
    assert sec.check_password("s3cret", table["bob"])
    assert table["bob"].split("$")[4] != sec.hash_password("s3cret").split("$")[4]
    assert users.stat().st_mode & 0o077 == 0
    users.write_text("ann:plaintext\n")
    with pytest.raises(TwinError, match="line 1: expected 'name:scrypt"):
        sec.read_users(users)
