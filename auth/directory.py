"""LDAP and Active Directory, through ldap3. The only module that imports ldap3.

Login is search-then-bind with a service account (or a direct bind from a DN
template): escape every value, require exactly one entry, bind as that entry on
a fresh connection. TLS is verified by default, every call has a timeout,
referrals are never followed, nested groups are resolved here with a depth
bound and a cycle guard (TRUST.md §1).
"""

from __future__ import annotations

import logging
import math
import ssl
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ldap3 import BASE, NONE, SIMPLE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from .base import (
    DirectoryEntry,
    DirectoryUnavailable,
    InvalidCredentials,
    transitive_groups,
    validate_credentials,
)

log = logging.getLogger(__name__)

RESULT_SUCCESS = 0
RESULT_SIZE_LIMIT = 4
RESULT_NO_SUCH_OBJECT = 32
AD_DISABLED_FILTER = "(!(userAccountControl:1.2.840.113556.1.4.803:=2))"


@dataclass(frozen=True)
class Dialect:
    login_attr: str
    id_attr: str
    department_attr: str
    user_filter: str
    group_filter: str
    member_attrs: tuple[str, ...] = ("member",)
    disabled_filter: str = ""


DIALECTS = {
    "openldap": Dialect(
        login_attr="uid",
        id_attr="entryUUID",
        department_attr="departmentNumber",
        user_filter="(objectClass=inetOrgPerson)",
        group_filter="(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))",
        member_attrs=("member", "uniqueMember"),
    ),
    "ad": Dialect(
        login_attr="sAMAccountName",
        id_attr="objectGUID",
        department_attr="department",
        user_filter="(&(objectCategory=person)(objectClass=user))",
        group_filter="(objectClass=group)",
        disabled_filter=AD_DISABLED_FILTER,
    ),
}


@dataclass(frozen=True)
class LdapSettings:
    url: str
    dialect: str = "openldap"
    start_tls: bool = False
    tls_verify: bool = True
    ca_file: str | None = None
    timeout: float = 5
    bind_dn: str | None = None
    bind_password: str | None = None
    user_dn_template: str | None = None
    user_base: str = ""
    user_filter: str | None = None
    login_attr: str | None = None
    id_attr: str | None = None
    department_attr: str | None = None
    group_base: str | None = None
    group_filter: str | None = None
    nesting_depth: int = 10
    page_size: int = 500

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> LdapSettings:
        return cls(
            url=cfg["LDAP_URL"],
            dialect=cfg.get("LDAP_DIALECT") or "openldap",
            start_tls=bool(cfg.get("LDAP_START_TLS")),
            tls_verify=bool(cfg.get("LDAP_TLS_VERIFY", True)),
            ca_file=cfg.get("LDAP_CA_FILE"),
            timeout=float(cfg.get("LDAP_TIMEOUT") or 5),
            bind_dn=cfg.get("LDAP_BIND_DN"),
            bind_password=cfg.get("LDAP_BIND_PASSWORD"),
            user_dn_template=cfg.get("LDAP_USER_DN_TEMPLATE"),
            user_base=cfg.get("LDAP_USER_BASE") or "",
            user_filter=cfg.get("LDAP_USER_FILTER"),
            login_attr=cfg.get("LDAP_LOGIN_ATTR"),
            id_attr=cfg.get("LDAP_ID_ATTR"),
            department_attr=cfg.get("LDAP_DEPARTMENT_ATTR"),
            group_base=cfg.get("LDAP_GROUP_BASE"),
            group_filter=cfg.get("LDAP_GROUP_FILTER"),
            nesting_depth=int(cfg.get("LDAP_GROUP_NESTING_DEPTH") or 10),
            page_size=int(cfg.get("LDAP_PAGE_SIZE") or 500),
        )


@contextmanager
def _guard(action: str) -> Iterator[None]:
    """Turn ldap3's network and protocol errors into one clear DirectoryUnavailable."""
    try:
        yield
    except LDAPException as exc:
        log.warning("directory unavailable during %s: %s", action, exc)
        raise DirectoryUnavailable(f"{action}: {exc}") from exc


def _close(conn: Connection) -> None:
    """Close a connection that failed half-way: ldap3 leaves the socket of a refused connect open."""
    sock = getattr(conn, "socket", None)
    if sock is not None:
        sock.close()
    conn.closed = True


class LdapDirectory:
    kind = "ldap"

    def __init__(self, settings: LdapSettings) -> None:
        self.settings = settings
        d = DIALECTS[settings.dialect]
        self.login_attr = settings.login_attr or d.login_attr
        self.id_attr = settings.id_attr or d.id_attr
        self.department_attr = settings.department_attr or d.department_attr
        self.user_filter = settings.user_filter or d.user_filter
        self.group_filter = settings.group_filter or d.group_filter
        self.disabled_filter = d.disabled_filter
        self.member_attrs = d.member_attrs
        self.is_ad = settings.dialect == "ad"
        self.attributes = sorted(
            {
                self.login_attr,
                self.id_attr,
                self.department_attr,
                "displayName",
                "cn",
                "mail",
                "title",
                "manager",
            }
        )

    # -- connections -----------------------------------------------------------------

    def _server(self) -> Server:
        s = self.settings
        tls = Tls(
            validate=ssl.CERT_REQUIRED if s.tls_verify else ssl.CERT_NONE,
            ca_certs_file=s.ca_file,
        )
        return Server(s.url, connect_timeout=s.timeout, get_info=NONE, tls=tls)

    def _connect(self, dn: str | None, password: str | None) -> tuple[Connection, bool]:
        """Open (and StartTLS) a fresh connection, bind; return it and whether the bind succeeded."""
        conn = Connection(
            self._server(),
            user=dn,
            password=password,
            authentication=SIMPLE if dn else "ANONYMOUS",
            read_only=True,
            # ldap3 packs this into a C struct on Linux: whole seconds only.
            receive_timeout=max(1, math.ceil(self.settings.timeout)),
            auto_referrals=False,
            raise_exceptions=False,
        )
        try:
            conn.open()
            if self.settings.start_tls and not conn.start_tls():
                raise DirectoryUnavailable(f"StartTLS refused: {conn.result.get('description')}")
            return conn, conn.bind()
        except (LDAPException, DirectoryUnavailable):
            _close(conn)
            raise

    def _service_connection(self) -> Connection:
        s = self.settings
        conn, ok = self._connect(s.bind_dn, s.bind_password)
        if not ok:
            conn.unbind()
            log.error("the directory refused the service account: %s", conn.result.get("description"))
            raise DirectoryUnavailable("service account bind failed")
        return conn

    def check(self) -> None:
        with _guard("health check"):
            self._service_connection().unbind()

    # -- login -----------------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> DirectoryEntry:
        name = self._login_name(validate_credentials(username, password))
        with _guard("login"):
            if self.settings.user_dn_template:
                return self._direct_bind(name, password)
            return self._search_then_bind(name, password)

    def _login_name(self, name: str) -> str:
        if self.is_ad and "\\" in name:  # CORP\jdoe: the domain part is not part of the match
            name = name.rsplit("\\", 1)[1]
        if not name:
            raise InvalidCredentials("empty name")
        return name

    def _login_filter(self, name: str) -> str:
        attr = "userPrincipalName" if self.is_ad and "@" in name else self.login_attr
        return f"(&{self.user_filter}({attr}={escape_filter_chars(name)}){self.disabled_filter})"

    def _search_then_bind(self, name: str, password: str) -> DirectoryEntry:
        service = self._service_connection()
        try:
            raw = self._search(service, self.settings.user_base, self._login_filter(name), limit=2)
            if len(raw) != 1:
                # Same kind of work as a real attempt, so unknown names do not answer faster.
                self._bind_ok(f"cn=ting-no-such-user,{self.settings.user_base}", password)
                raise InvalidCredentials("no entry" if not raw else "ambiguous name")
            if not self._bind_ok(raw[0]["dn"], password):
                raise InvalidCredentials("wrong password")
            return self._complete(self._entry(raw[0], service))
        finally:
            service.unbind()

    def _direct_bind(self, name: str, password: str) -> DirectoryEntry:
        template = self.settings.user_dn_template or ""
        dn = template.format(username=escape_rdn(name) if "=" in template else name)
        if not dn.strip():
            raise InvalidCredentials("empty DN")
        conn, ok = self._connect(dn, password)
        try:
            if not ok:
                raise InvalidCredentials("wrong password")
            if "=" in template:
                raw = self._search(conn, dn, f"(&{self.user_filter}{self.disabled_filter})", scope=BASE)
            else:  # e.g. {username}@corp.example.com: find the entry the bind stood for
                raw = self._search(conn, self.settings.user_base, self._login_filter(name), limit=2)
            if len(raw) != 1:
                raise InvalidCredentials("no single entry after bind")
            return self._complete(self._entry(raw[0], conn))
        finally:
            conn.unbind()

    def _bind_ok(self, dn: str, password: str) -> bool:
        if not dn or not password:
            return False
        conn, ok = self._connect(dn, password)
        conn.unbind()
        return ok

    # -- reading ---------------------------------------------------------------------

    def _search(
        self,
        conn: Connection,
        base: str,
        flt: str,
        *,
        limit: int = 0,
        scope: str = SUBTREE,
        attributes: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        conn.search(base, flt, scope, attributes=attributes or self.attributes, size_limit=limit)
        code = conn.result.get("result")
        if code == RESULT_SIZE_LIMIT:
            return [{}] * (limit + 1)  # more than allowed: treated as ambiguous
        if code == RESULT_NO_SUCH_OBJECT:
            return []
        if code != RESULT_SUCCESS:
            raise DirectoryUnavailable(f"search failed: {conn.result.get('description')}")
        # Referrals (searchResRef) are not entries and never count as users.
        return [r for r in conn.response or [] if r.get("type") == "searchResEntry"]

    def find_by_dn(self, dn: str) -> DirectoryEntry | None:
        with _guard("lookup"):
            conn = self._service_connection()
            try:
                raw = self._search(conn, dn, f"(&{self.user_filter}{self.disabled_filter})", scope=BASE)
                return self._entry(raw[0], conn) if len(raw) == 1 else None
            finally:
                conn.unbind()

    def all_users(self) -> Iterator[DirectoryEntry]:
        with _guard("sync"):
            conn = self._service_connection()
            try:
                cache: dict[str, list[str]] = {}
                pages = conn.extend.standard.paged_search(
                    self.settings.user_base,
                    f"(&{self.user_filter}{self.disabled_filter})",
                    SUBTREE,
                    attributes=self.attributes,
                    paged_size=self.settings.page_size,
                    generator=True,
                )
                for raw in pages:
                    if raw.get("type") == "searchResEntry" and (entry := self._entry(raw, conn, cache)):
                        yield entry
                code = conn.result.get("result")
                if code not in (RESULT_SUCCESS, None):
                    raise DirectoryUnavailable(f"sync search failed: {conn.result.get('description')}")
            finally:
                conn.unbind()

    def _parents(self, conn: Connection, cache: dict[str, list[str]], dn: str) -> list[str]:
        """DNs of the groups that list ``dn`` as a member (one level)."""
        if dn not in cache:
            base = self.settings.group_base or self.settings.user_base
            value = escape_filter_chars(dn)
            members = "".join(f"({attr}={value})" for attr in self.member_attrs)
            flt = f"(&{self.group_filter}(|{members}))"
            found = self._search(conn, base, flt, attributes=["cn"])
            cache[dn] = [r["dn"] for r in found]
        return cache[dn]

    def _entry(
        self, raw: dict[str, Any], conn: Connection, cache: dict[str, list[str]] | None = None
    ) -> DirectoryEntry | None:
        """The entry with its groups resolved; None when it lacks a stable id or a login name."""
        attrs = {k.lower(): v for k, v in (raw.get("raw_attributes") or {}).items()}

        def text(name: str) -> str | None:
            values = attrs.get(name.lower()) or []
            if not values:
                return None
            return values[0].decode("utf-8", "replace").strip() or None

        directory_id = self._directory_id(attrs.get(self.id_attr.lower()) or [])
        username = text(self.login_attr)
        if not directory_id or not username:
            log.warning("directory entry without a stable id or login name skipped: %s", raw["dn"])
            return None
        seen: dict[str, list[str]] = {} if cache is None else cache
        groups = transitive_groups(
            raw["dn"], lambda member: self._parents(conn, seen, member), self.settings.nesting_depth
        )
        return DirectoryEntry(
            directory_id=directory_id,
            username=username.lower(),
            dn=raw["dn"],
            display_name=text("displayName") or text("cn") or username,
            email=text("mail"),
            title=text("title"),
            department=text(self.department_attr),
            manager_dn=text("manager"),
            groups=groups,
        )

    @staticmethod
    def _complete(entry: DirectoryEntry | None) -> DirectoryEntry:
        if entry is None:
            raise InvalidCredentials("entry without a stable id or login name")
        return entry

    def _directory_id(self, values: list[bytes]) -> str | None:
        if not values:
            return None
        value = values[0]
        if self.id_attr.lower() == "objectguid" and len(value) == 16:
            return str(uuid.UUID(bytes_le=value))  # AD stores the GUID little-endian
        return value.decode("ascii", "replace").strip().lower() or None
