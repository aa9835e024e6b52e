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

Certificates: against a server that offers ``Basic256Sha256``, pass ``security`` as
asyncua's string ``"Basic256Sha256,SignAndEncrypt,client-cert.der,client-key.pem"``
(asyncua then checks the server's certificate against the endpoint's); the default,
``None``, connects without security (the twin's own server on the loopback address).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from twin.live import events as ev
from twin.mes.opcua_server import NAMESPACE, node_id, require_asyncua

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
    """

    def __init__(
        self,
        url: str,
        machines: list[str],
        *,
        nodes: dict[str, str] | None = None,
        security: str | None = None,
        period_ms: int = 50,
    ) -> None:
        self.url = url
        self.machines = list(machines)
        self.nodes = nodes
        self.security = security
        self.period_ms = period_ms
        self.client: Any = None
        self._by_node: dict[Any, str] = {}
        self._state: dict[str, str] = {}
        self._inbox: list[Any] = []
        self._lock = threading.Lock()

    async def connect(self) -> None:
        asyncua = require_asyncua()
        client = asyncua.Client(url=self.url)
        if self.security:
            await client.set_security_string(self.security)
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
