"""Who may do what on the twin's OPC UA server, and the files that say so.

- **Users file** (``--users``): one user a line, ``name:scrypt$N$r$p$salt$hash``
  (salted ``hashlib.scrypt``, hex; never the password); ``#`` starts a comment.
  :func:`add_user` writes it (atomically), :func:`check_password` checks one.
- **Certificates** (:func:`make_certificate`): a self-signed application instance
  certificate (DER) and its private key (PEM, mode 0600) as OPC UA wants them: the
  application URI (:data:`SERVER_URI`, :data:`CLIENT_URI`) and the host names in the
  subject alternative names, server or client use.
- **Roles** (:class:`TwinUsers`, :class:`TwinRules`): an anonymous session reads,
  browses and subscribes; a session that logged in with a user from the users file,
  or whose client certificate is in the trust directory (``--trust``), may also call
  the twin's methods. Nobody adds or deletes nodes.

asyncua is imported inside the functions (the optional ``opcua`` extra).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import socket
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from twin.errors import TwinError
from twin.runs.write import atomic_file

__all__ = [
    "CLIENT_URI",
    "MODES",
    "SERVER_URI",
    "TwinRules",
    "TwinUsers",
    "add_user",
    "certificate_name",
    "certificate_uri",
    "check_password",
    "check_user_name",
    "hash_password",
    "load_certificate",
    "load_key_pair",
    "load_private_key",
    "load_trust",
    "make_certificate",
    "read_users",
    "server_checker",
]

#: Application URIs of the twin's server and client (also in their certificates).
SERVER_URI = "urn:shopfloor-twin:server"
CLIENT_URI = "urn:shopfloor-twin:client"
#: Message security modes by the names the CLI takes.
MODES = ("None", "Sign", "SignAndEncrypt")

_SCRYPT = (2**14, 8, 1)  # N, r, p: ~16 MiB and a few tens of ms per check
_NAME = re.compile(r"^[^\s:#]+$")


# -- passwords -----------------------------------------------------------------------


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` of ``password`` (a fresh random salt by default)."""
    if not password:
        raise TwinError("a password must not be empty")
    n, r, p = _SCRYPT
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a :func:`hash_password` text (constant time)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(digest) // 2)  # fmt: skip
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def read_users(path: str | Path) -> dict[str, str]:
    """Name -> stored hash from a users file; a bad line is a one-line error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TwinError(f"users file {path}: {exc.strerror or exc}") from None
    users: dict[str, str] = {}
    for k, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, stored = line.partition(":")
        parts = stored.split("$")
        if not sep or not _NAME.match(name) or len(parts) != 6 or parts[0] != "scrypt":
            raise TwinError(
                f"users file {path}, line {k}: expected 'name:scrypt$N$r$p$salt$hash' "
                "(make it with 'twin opcua-user')"
            )
        if name in users:
            raise TwinError(f"users file {path}, line {k}: user {name!r} appears twice")
        users[name] = stored
    return users


def check_user_name(name: str) -> str:
    """``name`` if it can be a user name (no spaces, ``:`` or ``#``), else an error."""
    if not _NAME.match(name):
        raise TwinError(f"user name {name!r}: expected no spaces, ':' or '#'")
    return name


def add_user(path: str | Path, name: str, password: str) -> bool:
    """Add ``name`` to a users file (created if missing) or change its password; returns
    whether it was new. The file is replaced atomically and readable by its owner only."""
    check_user_name(name)
    path = Path(path)
    users = read_users(path) if path.exists() else {}
    new = name not in users
    users[name] = hash_password(password)
    with atomic_file(path, encoding="utf-8", permissions=0o600) as fh:
        fh.write("# shopfloor-twin OPC UA users: name:scrypt$N$r$p$salt$hash\n")
        fh.writelines(f"{u}:{h}\n" for u, h in users.items())
    return new


# -- certificates --------------------------------------------------------------------


def make_certificate(
    out: str | Path,
    name: str,
    *,
    client: bool = False,
    hosts: Iterable[str] = (),
    days: int = 365,
    key_size: int = 2048,
) -> tuple[Path, Path]:
    """A self-signed OPC UA application certificate ``OUT/NAME.der`` and its key
    ``OUT/NAME.key.pem`` (mode 0600); returns both paths.

    The certificate names :data:`SERVER_URI` (or :data:`CLIENT_URI` with ``client``),
    ``localhost``, this host and ``hosts`` (names or IP addresses), and is valid for
    ``days``. Keep keys out of trust directories: those hold certificates only.
    """
    from asyncua.crypto import cert_gen
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import ExtendedKeyUsageOID

    out = Path(out)
    if not out.is_dir():
        raise TwinError(f"certificate folder {out}: does not exist")
    if not _NAME.match(name) or "/" in name:
        raise TwinError(f"certificate name {name!r}: expected a plain file name")
    if days < 1 or key_size < 2048:
        raise TwinError(f"expected days >= 1 and key_size >= 2048, got {days} and {key_size}")
    uri = CLIENT_URI if client else SERVER_URI
    names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(uri)]
    for host in dict.fromkeys(["localhost", socket.gethostname(), *hosts]):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    use = [ExtendedKeyUsageOID.CLIENT_AUTH]
    if not client:
        use.insert(0, ExtendedKeyUsageOID.SERVER_AUTH)
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    cert = cert_gen.generate_self_signed_app_certificate(
        key, name, {"organizationName": "shopfloor-twin"}, names, use, days=days
    )
    cert_path, key_path = out / f"{name}.der", out / f"{name}.key.pem"
    with atomic_file(key_path, "wb", permissions=0o600) as fh:
        fh.write(cert_gen.dump_private_key_as_pem(key))
    with atomic_file(cert_path, "wb", permissions=0o644) as fh:  # public
        fh.write(cert.public_bytes(Encoding.DER))
    return cert_path, key_path


def load_certificate(path: str | Path, what: str = "certificate") -> Any:
    """An ``x509.Certificate`` from a DER or PEM file, or a one-line error."""
    from cryptography import x509

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TwinError(f"{what} {path}: {exc.strerror or exc}") from None
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise TwinError(f"{what} {path}: not an X.509 certificate (DER or PEM)") from None


def load_private_key(path: str | Path) -> Any:
    """A private key from a PEM or DER file (unencrypted), or a one-line error."""
    from cryptography.hazmat.primitives import serialization

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TwinError(f"private key {path}: {exc.strerror or exc}") from None
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return serialization.load_pem_private_key(data, password=None)
        return serialization.load_der_private_key(data, password=None)
    except (ValueError, TypeError):
        raise TwinError(
            f"private key {path}: not an unencrypted private key (PEM or DER)"
        ) from None


def load_key_pair(certificate: str | Path, private_key: str | Path) -> tuple[Any, Any]:
    """A certificate and its private key, or a one-line error (also when the key is
    not the certificate's)."""
    cert = load_certificate(certificate, "certificate")
    key = load_private_key(private_key)
    if cert.public_key().public_numbers() != key.public_key().public_numbers():
        raise TwinError(f"private key {private_key}: does not belong to certificate {certificate}")
    return cert, key


async def load_trust(folder: str | Path, what: str = "--trust") -> Any:
    """An asyncua ``TrustStore`` of the certificates (``*.der``, ``*.pem``) in
    ``folder``: each checked first, so a bad file is a one-line error naming it."""
    from asyncua.crypto.truststore import TrustStore

    folder = Path(folder)
    if not folder.is_dir():
        raise TwinError(f"{what} {folder}: expected a folder of trusted certificates")
    files = [p for p in sorted(folder.iterdir()) if re.match(r".*(der|pem)$", p.name.lower())]
    for p in files:
        load_certificate(p, f"{what} {folder}: file")
    if not files:
        raise TwinError(f"{what} {folder}: no certificate (*.der, *.pem) in it")
    store = TrustStore([folder], [])
    await store.load()
    return store


def certificate_name(cert: Any) -> str:
    from cryptography.x509.oid import NameOID

    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(cn[0].value) if cn else f"serial {cert.serial_number:x}"


# -- roles ---------------------------------------------------------------------------


class TwinUsers:
    """asyncua user manager: a user from the users file (right password) or a client
    whose certificate is trusted is a ``User``; any other session is ``Anonymous``, and
    a wrong user name or password refuses the session (``BadUserAccessDenied``)."""

    def __init__(self, users: dict[str, str] | None = None, trust: Any = None) -> None:
        self.users = dict(users or {})
        self.trust = trust  # an asyncua TrustStore, or None: no certificate is trusted
        self._dummy = hash_password("x", salt=b"0" * 16)

    def get_user(
        self, iserver: Any, username: str | None = None, password: str | None = None,
        certificate: Any = None,
    ) -> Any:  # fmt: skip
        from asyncua.crypto.permission_rules import User, UserRole

        if username is not None:  # a user name token, even an empty one
            stored = self.users.get(username)
            # hash even for an unknown name, so timing does not tell names apart
            ok = check_password(password or "", stored or self._dummy)
            return User(role=UserRole.User, name=username) if ok and stored else None
        if certificate and self.trust is not None:
            from cryptography import x509

            cert = x509.load_der_x509_certificate(certificate)
            now = datetime.now(UTC)
            if cert.not_valid_before_utc <= now <= cert.not_valid_after_utc and (
                self.trust.is_trusted(cert)
            ):
                return User(role=UserRole.User, name=f"cert:{certificate_name(cert)}")
        return User(role=UserRole.Anonymous)


class TwinRules:
    """asyncua permission ruleset: anonymous sessions may do what reads (read, browse,
    subscribe); users may also write and call; nobody changes the address space.
    ``TwinRules(deny_all=True)`` refuses every request that needs a session (for a
    NoSecurity channel the server does not offer)."""

    def __init__(self, *, deny_all: bool = False) -> None:
        from asyncua import ua
        from asyncua.crypto.permission_rules import USER_TYPES, UserRole

        nid: Any = ua.NodeId  # numeric ids of request types, as asyncua's own rules
        every = {nid(t) for t in USER_TYPES}
        changing = {
            nid(ua.ObjectIds.WriteRequest_Encoding_DefaultBinary),
            nid(ua.ObjectIds.CallRequest_Encoding_DefaultBinary),
        }
        self.allowed: dict[Any, set[Any]] = {
            UserRole.Anonymous: set() if deny_all else every - changing,
            UserRole.User: set() if deny_all else every,
            UserRole.Admin: set() if deny_all else every,
        }

    def check_validity(self, user: Any, action_type_id: Any, body: Any) -> bool:
        return action_type_id in self.allowed.get(user.role, set())


def certificate_uri(cert: Any) -> str | None:
    """The first application URI in a certificate's subject alternative names."""
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return None
    uris = san.value.get_values_for_type(x509.UniformResourceIdentifier)
    return str(uris[0]) if uris else None


async def server_checker(trusted: str | Path) -> Any:
    """An async ``check(cert, app_description, url)`` that raises :class:`TwinError`
    unless ``cert`` is the trusted server certificate (a file: pinned) or trusted by the
    folder of them, is valid now and names the server's application URI."""
    from cryptography.hazmat.primitives.serialization import Encoding

    trusted = Path(trusted)
    if trusted.is_dir():
        store = await load_trust(trusted, "server_certificate")
        pinned = None
    else:
        store = None
        pinned = load_certificate(trusted, "server_certificate").public_bytes(Encoding.DER)

    async def check(cert: Any, app: Any, url: str) -> None:
        name = certificate_name(cert)
        ok = (
            cert.public_bytes(Encoding.DER) == pinned
            if store is None
            else store.is_trusted(cert) and not store.is_revoked(cert)
        )
        if not ok:
            raise TwinError(f"OPC UA server {url}: its certificate ({name}) is not trusted "
                            f"by {trusted}")  # fmt: skip
        now = datetime.now(UTC)
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise TwinError(f"OPC UA server {url}: its certificate ({name}) has expired "
                            "or is not valid yet")  # fmt: skip
        uri = getattr(app, "ApplicationUri", None)
        if uri and certificate_uri(cert) != uri:
            raise TwinError(f"OPC UA server {url}: its certificate ({name}) names "
                            f"{certificate_uri(cert)!r}, the server says {uri!r}")  # fmt: skip

    return check
