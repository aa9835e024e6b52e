"""An OPC UA client adapter: machine states on an OPC UA server become MES events.

:class:`OpcUaStates` subscribes to one string variable per machine (by default the
twin's own server layout, ``Machines.<unit>.Monitoring.State`` in
:data:`twin.mes.opcua_server.NAMESPACE`; give ``nodes`` for another server) and turns
each change into an event for the live twin: a value in ``down`` (default ``down``,
``fault``, ``error``, ``alarm``) is ``machine_down``; leaving it, ``machine_up``; a
value in ``setup`` is ``machine_setup``. The event's time is the value's source
timestamp (else the server's, else now); its id ``opcua:<unit>:<time>:<value>``, so
a value delivered twice is applied once. It is a :class:`twin.mes.adapter.MesAdapter`:
:func:`twin.mes.adapter.pump` moves what it received into the twin.

Security: give the client's ``certificate`` and ``private_key`` to connect with
``Basic256Sha256`` (``mode`` ``SignAndEncrypt`` by default, or ``Sign``), and
``server_certificate``, the server's certificate (a file: pinned) or a folder of
trusted server certificates: a server whose certificate is not trusted is refused
before any user name or password is sent. ``user`` and ``password`` log in. Without a
certificate, or with ``verify_server=False``, the server cannot be verified, and the
adapter refuses to connect unless ``verify_server=False`` says that this is meant
(e.g. the twin's own server on the loopback address).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from twin.errors import TwinError
from twin.live import events as ev
from twin.mes import opcua_security as sec
from twin.mes.opcua_server import NAMESPACE, node_id, require_asyncua

log = logging.getLogger(__name__)

__all__ = ["DOWN_VALUES", "SETUP_VALUES", "OpcUaStates"]

DOWN_VALUES = frozenset({"down", "fault", "error", "alarm"})
SETUP_VALUES = frozenset({"setup"})


class OpcUaStates:
    """Subscribe to machine states on ``url``; :meth:`poll` hands out the events.

    Parameters
    ----------
    url
        ``opc.tcp://host:port/path``.
    machines
        The machines (twin unit names) to follow.
    nodes
        Machine -> node id text (``ns=3;s=Line1.Lathe2.State``); default: the twin's own
        server layout.
    certificate, private_key
        The client's certificate and key: connect with ``Basic256Sha256`` in ``mode``.
    server_certificate
        The trusted server certificate (file) or certificates (folder).
    verify_server
        ``False`` connects to a server it cannot verify: without a certificate
        (NoSecurity), or trusting whatever certificate the server presents.
    user, password
        Log in (else anonymous).
    """

    def __init__(
        self, url: str, machines: list[str], *, nodes: dict[str, str] | None = None,
        certificate: str | Path | None = None, private_key: str | Path | None = None,
        server_certificate: str | Path | None = None, mode: str = "SignAndEncrypt",
        verify_server: bool = True, user: str | None = None, password: str | None = None,
        period_ms: int = 50,
    ) -> None:  # fmt: skip
        if (certificate is None) != (private_key is None):
            raise TwinError(
                "OpcUaStates: a client certificate needs its private key and vice versa"
            )
        if mode not in ("Sign", "SignAndEncrypt"):
            raise TwinError(f"OpcUaStates: mode: expected Sign or SignAndEncrypt, got {mode!r}")
        if verify_server and (certificate is None or server_certificate is None):
            raise TwinError(
                "OpcUaStates: verifying the server needs certificate, private_key and "
                "server_certificate (the trusted server certificate or folder); "
                "verify_server=False connects without verifying it"
            )
        self.url = url
        self.machines = list(machines)
        self.nodes = nodes
        self.certificate = certificate
        self.private_key = private_key
        self.server_certificate = server_certificate
        self.mode = mode
        self.verify_server = verify_server
        self.user = user
        self.password = password
        self.period_ms = period_ms
        self.client: Any = None
        self._by_node: dict[Any, str] = {}
        self._state: dict[str, str] = {}
        self._inbox: list[Any] = []
        self._lock = threading.Lock()

    async def _secure(self, client: Any) -> None:
        """Basic256Sha256 with the client's certificate; the server's certificate
        checked against the trusted one(s) before the secure channel opens, and again
        by asyncua when the session is created."""
        asyncua = require_asyncua()
        ua = asyncua.ua
        from asyncua.crypto import security_policies

        assert self.certificate is not None and self.private_key is not None
        cert = sec.load_certificate(self.certificate, "client certificate")
        sec.load_private_key(self.private_key)
        client.application_uri = sec.certificate_uri(cert) or sec.CLIENT_URI
        mode = getattr(ua.MessageSecurityMode, self.mode)
        policy = security_policies.SecurityPolicyBasic256Sha256
        server_cert: Any = None
        if self.verify_server:
            assert self.server_certificate is not None
            check = await sec.server_checker(self.server_certificate)
            from cryptography import x509

            endpoints = await client.connect_and_get_server_endpoints()
            try:
                endpoint = client.find_endpoint(endpoints, mode, policy.URI)
                presented = x509.load_der_x509_certificate(endpoint.ServerCertificate)
            except (ua.UaError, ValueError, TypeError):
                raise TwinError(f"OPC UA server {self.url}: offers no Basic256Sha256 "
                                f"{self.mode} endpoint with a certificate") from None  # fmt: skip
            await check(presented, endpoint.Server, self.url)
            client.certificate_validator = lambda c, app: check(c, app, self.url)
            server_cert = endpoint.ServerCertificate
        else:
            log.warning("OpcUaStates: not verifying the certificate of %s", self.url)
        await client.set_security(policy, str(self.certificate), str(self.private_key),
                                  server_certificate=server_cert, mode=mode)  # fmt: skip

    async def connect(self) -> None:
        asyncua = require_asyncua()
        client = asyncua.Client(url=self.url)
        if self.certificate is not None:
            await self._secure(client)
        if self.user is not None:
            client.set_user(self.user)
            client.set_password(self.password or "")
        await client.connect()
        self.client = client
        nodes = self.nodes
        if nodes is None:
            ns = await client.get_namespace_index(NAMESPACE)
            nodes = {m: f"ns={ns};s={node_id('Machines', m, 'Monitoring', 'State')}"
                     for m in self.machines}  # fmt: skip
        handles = []
        for machine in self.machines:
            node = client.get_node(nodes[machine])
            self._by_node[node.nodeid] = machine
            handles.append(node)
        subscription = await client.create_subscription(self.period_ms, self)
        await subscription.subscribe_data_change(handles)

    async def disconnect(self) -> None:
        if self.client is not None:
            await self.client.disconnect()
            self.client = None

    async def __aenter__(self) -> OpcUaStates:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()

    # -- asyncua's subscription handler ----------------------------------------------

    def datachange_notification(self, node: Any, value: Any, data: Any) -> None:
        machine = self._by_node.get(node.nodeid)
        if machine is None or not isinstance(value, str):
            return
        dv = data.monitored_item.Value
        when = dv.SourceTimestamp or dv.ServerTimestamp or datetime.now(UTC)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        self.on_value(machine, value, when)

    def on_value(self, machine: str, value: str, when: datetime) -> None:
        """One observed state: queue the events it means."""
        state = value.strip().lower()
        before = self._state.get(machine)
        self._state[machine] = state
        eid = f"opcua:{machine}:{when.isoformat()}:{state}"
        out: list[Any] = []
        if state in DOWN_VALUES and before not in DOWN_VALUES:
            out.append(ev.MachineDown(id=eid, time=when, machine=machine, reason=value))
        elif before in DOWN_VALUES and state not in DOWN_VALUES:
            out.append(ev.MachineUp(id=eid, time=when, machine=machine))
        if state in SETUP_VALUES:
            out.append(ev.MachineSetup(id=eid + ":setup", time=when, machine=machine))
        with self._lock:
            self._inbox.extend(out)

    # -- MesAdapter ------------------------------------------------------------------

    def poll(self) -> list[Any]:
        with self._lock:
            out, self._inbox = self._inbox, []
        return out

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        """States only flow in: nothing is written to the server."""
