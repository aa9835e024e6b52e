"""The live twin as an OPC UA server (``asyncua``: the optional ``opcua`` extra).

Address space, in the namespace :data:`NAMESPACE`, with string node ids that spell
the browse path (``ns=2;s=Machines.cnc_lathe#2.Monitoring.State``); names follow the
OPC UA for Machine Tools companion specification (OPC 40501-1) where it fits::

    Objects/ShopfloorTwin
      Machines/<unit>/Identification/{Name, Station}
                     /Monitoring/{State, Power, ExpectedUp}
                     /Production/{ActiveJobOrder, PartsGood, PartsScrap}
                     /Production/ProductionPlan/{JobOrders, Count}
      KPIs/{Makespan, Tardiness, LateOrders, OnTimeRate, OpenOrders}
      Clock/{ModelTime, Time}

``State`` is the twin's state name (``off idle busy setup down``); ``ActiveJobOrder``
the ISA-95 job order id (``{order}.{step}``) running, ``""`` when none;
``ProductionPlan/JobOrders`` the unit's queue of planned job orders. Every value
carries the twin's wall-clock time as its source timestamp.

Security: the server binds to the loopback address unless told otherwise, and every
variable is read-only to every client (the address space has no writable variable
and no method), so an anonymous client can read and never change the twin.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from twin.errors import TwinError
from twin.live.twin import LiveTwin
from twin.live.view import machine_view
from twin.mes.isa95 import job_id

__all__ = ["NAMESPACE", "TwinServer", "node_id", "require_asyncua"]

NAMESPACE = "urn:shopfloor-twin:live"


def require_asyncua() -> Any:
    """The ``asyncua`` module, or a clear error naming the extra to install."""
    try:
        import asyncua
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise TwinError(
            "OPC UA needs the optional 'opcua' extra: pip install 'shopfloor-twin[opcua]' "
            f"(asyncua; {exc})"
        ) from None
    return asyncua


def node_id(*path: str) -> str:
    """The string node id of a browse path, e.g. ``Machines.mill.Monitoring.State``."""
    return ".".join(path)


class TwinServer:
    """An OPC UA server showing ``twin``; ``await start()``, ``await refresh()`` after
    the twin changed (or let :meth:`run` do it), ``await stop()``."""

    def __init__(self, twin: LiveTwin, host: str = "127.0.0.1", port: int = 4840) -> None:
        self.twin = twin
        self.endpoint = f"opc.tcp://{host}:{port}/shopfloor-twin/"
        self.server: Any = None
        self.ns = 0
        self._nodes: dict[str, Any] = {}
        self._last: dict[str, Any] = {}
        self.updates = 0  # values written since start

    async def start(self) -> None:
        asyncua = require_asyncua()
        ua = asyncua.ua
        server = asyncua.Server()
        await server.init()
        server.set_endpoint(self.endpoint)
        server.set_server_name(f"shopfloor-twin: {self.twin.scenario.name}")
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        self.ns = await server.register_namespace(NAMESPACE)
        root = await server.nodes.objects.add_object(self._id("ShopfloorTwin"), "ShopfloorTwin")
        machines = await root.add_folder(self._id("Machines"), "Machines")
        snapshot = machine_view(self.twin)
        for m in snapshot:
            unit = m["machine"]
            obj = await machines.add_object(self._id("Machines", unit), unit)
            ident = await obj.add_object(self._id("Machines", unit, "Identification"),
                                         "Identification")  # fmt: skip
            await self._var(ident, ("Machines", unit, "Identification", "Name"), unit)
            await self._var(ident, ("Machines", unit, "Identification", "Station"), m["station"])
            mon = await obj.add_object(self._id("Machines", unit, "Monitoring"), "Monitoring")
            await self._var(mon, ("Machines", unit, "Monitoring", "State"), "")
            await self._var(mon, ("Machines", unit, "Monitoring", "Power"), 0.0)
            await self._var(mon, ("Machines", unit, "Monitoring", "ExpectedUp"), "")
            prod = await obj.add_object(self._id("Machines", unit, "Production"), "Production")
            await self._var(prod, ("Machines", unit, "Production", "ActiveJobOrder"), "")
            await self._var(prod, ("Machines", unit, "Production", "PartsGood"), 0,
                            ua.VariantType.UInt32)  # fmt: skip
            await self._var(prod, ("Machines", unit, "Production", "PartsScrap"), 0,
                            ua.VariantType.UInt32)  # fmt: skip
            plan = await prod.add_object(self._id("Machines", unit, "Production", "ProductionPlan"),
                                         "ProductionPlan")  # fmt: skip
            await self._var(plan, ("Machines", unit, "Production", "ProductionPlan", "JobOrders"),
                            [], ua.VariantType.String)  # fmt: skip
            await self._var(plan, ("Machines", unit, "Production", "ProductionPlan", "Count"), 0,
                            ua.VariantType.UInt32)  # fmt: skip
        kpis = await root.add_object(self._id("KPIs"), "KPIs")
        for name, value, kind in (
            ("Makespan", 0.0, None), ("Tardiness", 0.0, None),
            ("LateOrders", 0, ua.VariantType.UInt32), ("OnTimeRate", 0.0, None),
            ("OpenOrders", 0, ua.VariantType.UInt32),
        ):  # fmt: skip
            await self._var(kpis, ("KPIs", name), value, kind)
        clock = await root.add_object(self._id("Clock"), "Clock")
        await self._var(clock, ("Clock", "ModelTime"), 0.0)
        await self._var(clock, ("Clock", "Time"), self._wall())
        self.server = server
        await server.start()
        await self.refresh()

    def _id(self, *path: str) -> Any:
        ua = require_asyncua().ua
        return ua.NodeId(node_id(*path), self.ns)

    async def _var(self, parent: Any, path: tuple[str, ...], value: Any, kind: Any = None) -> None:
        node = await parent.add_variable(self._id(*path), path[-1], value, kind)
        self._nodes[node_id(*path)] = (node, kind)

    def _wall(self) -> datetime:
        return self.twin.clock.to_wall(self.twin.now).astimezone(UTC)

    def values(self) -> dict[str, Any]:
        """Every variable's value now, by node id (what :meth:`refresh` writes)."""
        twin = self.twin
        queues: dict[str, list[str]] = {}
        for row in sorted(twin.plan_rows(), key=lambda r: r["start"]):
            if (row["order"], row["step"]) not in twin.facts.ops:
                queues.setdefault(row["machine"], []).append(job_id(row["order"], row["step"]))
        out: dict[str, Any] = {}
        for m in machine_view(twin):
            base = ("Machines", m["machine"])
            running = m["running"]
            queue = queues.get(m["machine"], [])
            up = "" if m["expected_up"] is None else twin.clock.iso(m["expected_up"])
            out |= {
                node_id(*base, "Monitoring", "State"): m["state"],
                node_id(*base, "Monitoring", "Power"): m["power_kw"],
                node_id(*base, "Monitoring", "ExpectedUp"): up,
                node_id(*base, "Production", "ActiveJobOrder"):
                    job_id(running[0]["order"], running[0]["step"]) if running else "",
                node_id(*base, "Production", "PartsGood"): m["good"],
                node_id(*base, "Production", "PartsScrap"): m["scrap"],
                node_id(*base, "Production", "ProductionPlan", "JobOrders"): queue,
                node_id(*base, "Production", "ProductionPlan", "Count"): len(queue),
            }  # fmt: skip
        kpis = twin.kpis()
        out |= {
            node_id("KPIs", "Makespan"): float(kpis["makespan"]),
            node_id("KPIs", "Tardiness"): float(kpis["tardiness"]),
            node_id("KPIs", "LateOrders"): int(kpis["late_orders"]),
            node_id("KPIs", "OnTimeRate"): float(kpis["on_time_rate"] or 0.0),
            node_id("KPIs", "OpenOrders"): int(kpis["open_orders"]),
            node_id("Clock", "ModelTime"): float(twin.now),
            node_id("Clock", "Time"): self._wall(),
        }
        return out

    async def refresh(self) -> int:
        """Write every value that changed since the last refresh (source timestamp: the
        twin's clock); returns how many were written."""
        ua = require_asyncua().ua
        stamp = self._wall().replace(tzinfo=None)
        written = 0
        for key, value in self.values().items():
            if self._last.get(key) == value:
                continue
            node, kind = self._nodes[key]
            variant = ua.Variant(value, kind) if kind is not None else ua.Variant(value)
            await self.server.write_attribute_value(
                node.nodeid, ua.DataValue(variant, SourceTimestamp=stamp)
            )
            self._last[key] = value
            written += 1
        self.updates += written
        return written

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None

    async def __aenter__(self) -> TwinServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
