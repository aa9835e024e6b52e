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

Methods on ``ShopfloorTwin``: ``IngestEvent(String json) -> String`` feeds one MES
event (:func:`twin.live.events.parse_event`) into the twin and answers ``accepted``,
``duplicate`` or ``rejected: <code>: <message>``; ``Replan() -> String`` replans now
and answers the report as JSON. Variables are read-only to every client.

Security (:mod:`twin.mes.opcua_security`): the server binds to the loopback address
unless told otherwise. Anonymous sessions read, browse and subscribe; a call or a
write needs a user from the users file or a trusted client certificate, else it is
refused with ``BadUserAccessDenied``. With a certificate and key the server offers
``Basic256Sha256`` with ``Sign`` and ``SignAndEncrypt``, and NoSecurity only when
``allow_insecure``; without one it offers NoSecurity alone, which it does only on the
loopback address unless ``allow_insecure``. With a trust folder, a client whose
certificate is not in it is refused (``BadCertificateUntrusted``).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from twin.errors import TwinError
from twin.live.twin import LiveTwin
from twin.live.view import machine_view
from twin.mes import opcua_security as sec
from twin.mes.isa95 import job_id

__all__ = ["NAMESPACE", "TwinServer", "is_loopback", "node_id", "offered_modes", "require_asyncua"]

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


def is_loopback(host: str) -> bool:
    """Whether ``host`` names the loopback address (``localhost``, 127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def offered_modes(
    host: str, *, certificate: str | Path | None = None, private_key: str | Path | None = None,
    users: str | Path | None = None, trust: str | Path | None = None,
    modes: Sequence[str] = ("Sign", "SignAndEncrypt"), allow_insecure: bool = False,
) -> list[str]:  # fmt: skip
    """The message security modes a :class:`TwinServer` with these options offers
    (``None`` for NoSecurity), or a one-line :class:`TwinError` why it must not run."""
    if (certificate is None) != (private_key is None):
        raise TwinError("a server certificate needs its private key and vice versa "
                        "(--cert and --key)")  # fmt: skip
    bad = [m for m in modes if m not in ("Sign", "SignAndEncrypt")]
    if bad or not modes:
        raise TwinError(f"security modes: expected Sign and/or SignAndEncrypt, got "
                        f"{', '.join(bad) or 'none'} (NoSecurity: --allow-insecure)")  # fmt: skip
    local = is_loopback(host)
    if certificate is None:
        if not (local or allow_insecure):
            raise TwinError(f"serving on {host} (not loopback) needs a certificate and key "
                            "for Basic256Sha256 (--cert, --key), or --allow-insecure")  # fmt: skip
        if users is not None and not local:
            raise TwinError(f"--users on {host} without a certificate would send passwords "
                            "in clear: give --cert and --key")  # fmt: skip
        if trust is not None:
            raise TwinError("--trust needs a server certificate (--cert, --key): the secure "
                            "channel is where client certificates are checked")  # fmt: skip
        return ["None"]
    return [*dict.fromkeys(modes), *(["None"] if allow_insecure else [])]


class TwinServer:
    """An OPC UA server showing ``twin``; ``await start()``, ``await refresh()`` after
    the twin changed (or let :meth:`run` do it), ``await stop()``.

    Parameters
    ----------
    certificate, private_key
        The server's certificate (DER or PEM) and unencrypted key: with them the server
        offers ``Basic256Sha256`` in ``modes`` (default ``Sign`` and
        ``SignAndEncrypt``).
    users
        A users file (:func:`twin.mes.opcua_security.add_user`): who may call.
    trust
        A folder of trusted client certificates: only those clients may open a secure
        channel, and they may call.
    allow_insecure
        Also offer NoSecurity (always offered without a certificate, which needs this
        off the loopback address).
    """

    def __init__(
        self, twin: LiveTwin, host: str = "127.0.0.1", port: int = 4840, *,
        certificate: str | Path | None = None, private_key: str | Path | None = None,
        users: str | Path | None = None, trust: str | Path | None = None,
        modes: Sequence[str] = ("Sign", "SignAndEncrypt"), allow_insecure: bool = False,
    ) -> None:  # fmt: skip
        self.twin = twin
        self.endpoint = f"opc.tcp://{host}:{port}/shopfloor-twin/"
        self.server: Any = None
        self.ns = 0
        self._nodes: dict[str, Any] = {}
        self._last: dict[str, Any] = {}
        self.updates = 0  # values written since start
        self.certificate = None if certificate is None else Path(certificate)
        self.private_key = None if private_key is None else Path(private_key)
        self.users = None if users is None else Path(users)
        self.trust = None if trust is None else Path(trust)
        self.modes = offered_modes(host, certificate=certificate, private_key=private_key,
                                   users=users, trust=trust, modes=modes,
                                   allow_insecure=allow_insecure)  # fmt: skip

    async def _security(self, server: Any) -> None:
        """Certificate, users, trust and policies on ``server`` (before it starts)."""
        asyncua = require_asyncua()
        ua = asyncua.ua
        from asyncua.crypto.validator import CertificateValidator
        from asyncua.crypto.validator import CertificateValidatorOptions as Check

        users = sec.read_users(self.users) if self.users is not None else {}
        store = await sec.load_trust(self.trust) if self.trust is not None else None
        server.iserver.set_user_manager(sec.TwinUsers(users, store))
        uri = sec.SERVER_URI
        if self.certificate is not None and self.private_key is not None:
            cert, _ = sec.load_key_pair(self.certificate, self.private_key)
            uri = sec.certificate_uri(cert) or uri
            await server.load_certificate(str(self.certificate))
            await server.load_private_key(str(self.private_key))
            checks = Check.TIME_RANGE | Check.URI | Check.PEER_CLIENT
            if store is not None:
                checks |= Check.TRUSTED | Check.REVOKED
            server.set_certificate_validator(CertificateValidator(checks, store))
        await server.set_application_uri(uri)
        policies = {
            "None": ua.SecurityPolicyType.NoSecurity,
            "Sign": ua.SecurityPolicyType.Basic256Sha256_Sign,
            "SignAndEncrypt": ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
        }
        server.set_security_policy([policies[m] for m in self.modes], sec.TwinRules())

    def _close_unoffered_none(self, server: Any) -> None:
        """asyncua lets a client open a NoSecurity channel for discovery even when the
        server does not offer NoSecurity, and a session on it would pass no permission
        check at all: give such channels a ruleset that refuses every session request."""
        if "None" in self.modes:
            return
        from asyncua.crypto.security_policies import SecurityPolicyFactory, SecurityPolicyNone

        ua = require_asyncua().ua
        policies = server._policies  # the list the binary server selects from
        if server.bserver is None or server.bserver._policies is not policies:
            raise TwinError("asyncua's server internals changed: cannot refuse sessions on "
                            "NoSecurity channels; refusing to serve")  # fmt: skip
        deny = sec.TwinRules(deny_all=True)
        none = ua.MessageSecurityMode.None_
        policies.append(SecurityPolicyFactory(SecurityPolicyNone, none, permission_ruleset=deny))

    async def start(self) -> None:
        asyncua = require_asyncua()
        ua = asyncua.ua
        server = asyncua.Server()
        await server.init()
        server.set_endpoint(self.endpoint)
        server.set_server_name(f"shopfloor-twin: {self.twin.scenario.name}")
        await self._security(server)
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
        string = ua.VariantType.String
        await root.add_method(self._id("IngestEvent"), "IngestEvent", self._ingest_event,
                              [string], [string])  # fmt: skip
        await root.add_method(self._id("Replan"), "Replan", self._replan, [], [string])
        self.server = server
        await server.start()
        try:
            self._close_unoffered_none(server)
        except BaseException:
            await self.stop()
            raise
        await self.refresh()

    # -- methods (the session's role is checked before: see TwinRules) ----------------

    async def _ingest_event(self, parent: Any, payload: Any) -> list[Any]:
        ua = require_asyncua().ua
        text = payload.Value if isinstance(payload, ua.Variant) else payload
        if not isinstance(text, str):
            answer = "rejected: invalid: expected one MES event as JSON text"
        else:
            answer = self.twin.ingest(text)
            if answer == "rejected":
                last = self.twin.rejected[-1]
                answer = f"rejected: {last.code}: {last.message}"
            await self.refresh()
        return [ua.Variant(answer, ua.VariantType.String)]

    async def _replan(self, parent: Any) -> list[Any]:
        ua = require_asyncua().ua
        report = self.twin.replan("opcua")
        await self.refresh()
        return [ua.Variant(json.dumps(report.to_dict(), default=str), ua.VariantType.String)]

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
