"""A real OpenLDAP server for the whole run, and configs that point the app at it."""

from __future__ import annotations

import atexit
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.ldap_server import SlapdServer

BASE = "dc=example,dc=com"
GROUPS = f"ou=groups,{BASE}"
LEAD_PATTERN = rf"^cn=(?P<department>[^,]+)-leads,{GROUPS}$"


@pytest.fixture(scope="session")
def slapd() -> Iterator[SlapdServer]:
    server = SlapdServer()
    server.start()
    yield server
    server.stop()


def ldap_config(server: SlapdServer, **overrides: Any) -> dict[str, Any]:
    """App settings for the test directory: search-then-bind over StartTLS, verified."""
    cfg = {
        "LDAP_URL": server.ldap_url,
        "LDAP_START_TLS": True,
        "LDAP_CA_FILE": server.ca_file,
        "LDAP_BIND_DN": server.service_dn,
        "LDAP_BIND_PASSWORD": server.service_password,
        "LDAP_USER_BASE": BASE,
        "LDAP_GROUP_BASE": GROUPS,
        "LDAP_GROUP_MANAGEMENT": [f"cn=management,{GROUPS}"],
        "LDAP_GROUP_ADMIN": [f"cn=admins,{GROUPS}"],
        "LDAP_LEAD_GROUP_PATTERN": LEAD_PATTERN,
        "LDAP_TIMEOUT": 2,
    }
    cfg.update(overrides)
    return cfg


def ad_config(server: SlapdServer, **overrides: Any) -> dict[str, Any]:
    """The Active Directory dialect, against the AD-like entries (our test schema has no objectCategory)."""
    return ldap_config(
        server,
        LDAP_DIALECT="ad",
        LDAP_USER_BASE=f"ou=ad,{BASE}",
        LDAP_USER_FILTER="(objectClass=adUser)",
        LDAP_GROUP_FILTER="(objectClass=groupOfNames)",
        **overrides,
    )


@pytest.fixture
def ldap_app(slapd: SlapdServer, make_app: Any) -> Any:
    return make_app(**ldap_config(slapd))


@pytest.fixture
def ldap_client(ldap_app: Any) -> Any:
    return ldap_app.test_client()


@pytest.fixture
def person(slapd: SlapdServer) -> Iterator[Any]:
    """Add throwaway people to the directory; they are removed after the test."""
    conn = slapd.admin_connection()
    added: list[str] = []

    def add(ou: str = "people", password: str = "temp-pw", **attrs: Any) -> tuple[str, str]:
        uid = f"tmp{uuid.uuid4().hex[:8]}"
        dn = f"uid={uid},ou={ou},{BASE}"
        values = {
            "uid": uid,
            "cn": uid,
            "sn": "Temp",
            "displayName": f"Temp {uid}",
            "departmentNumber": "Engineering",
            "userPassword": password,
            **attrs,
        }
        assert conn.add(dn, ["inetOrgPerson"], values), conn.result
        added.append(dn)
        return uid, dn

    add.conn = conn  # type: ignore[attr-defined]
    add.added = added  # type: ignore[attr-defined]
    yield add
    for dn in added:
        conn.delete(dn)
    conn.unbind()


_HELD: list[socket.socket] = []
atexit.register(lambda: [s.close() for s in _HELD])


def dead_port() -> int:
    """A loopback port nothing listens on, kept bound for the run.

    A port merely freed again can be handed out as the client's own source port, and
    a connection to it then "succeeds" by connecting to itself (TCP simultaneous open).
    """
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    _HELD.append(s)
    return s.getsockname()[1]


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts TCP connections (the kernel does) and never answers a byte."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"ldap://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    sock.close()
