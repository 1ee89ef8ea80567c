"""What every directory gives the app: entries, errors, and group nesting.

The LDAP implementation lives in ``auth.directory`` (the only module that
imports ldap3); the embedded demo directory in ``auth.demo``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

_UNESCAPED_COMMA = re.compile(r"(?<!\\),")


class DirectoryError(Exception):
    """Base of every directory failure."""


class DirectoryUnavailable(DirectoryError):
    """The directory could not be reached, did not answer in time, or refused our service account."""


class InvalidCredentials(DirectoryError):
    """No login: unknown name, wrong password, disabled, ambiguous. Never says which."""


@dataclass(frozen=True)
class DirectoryEntry:
    """One person as the directory describes them; ``groups`` holds normalised DNs, nesting resolved."""

    directory_id: str
    username: str
    dn: str
    display_name: str
    email: str | None = None
    title: str | None = None
    department: str | None = None
    manager_dn: str | None = None
    groups: frozenset[str] = field(default_factory=frozenset)


class Directory(Protocol):
    kind: str

    def authenticate(self, username: str, password: str) -> DirectoryEntry:
        """The entry for these credentials, or InvalidCredentials / DirectoryUnavailable."""

    def find_by_dn(self, dn: str) -> DirectoryEntry | None:
        """The (enabled) entry at ``dn``, or None."""

    def all_users(self) -> Iterator[DirectoryEntry]:
        """Every enabled user, paged. Raises DirectoryUnavailable rather than ending early."""

    def check(self) -> None:
        """Raise DirectoryUnavailable unless the directory answers."""


def normalize_dn(dn: str) -> str:
    """Case- and spacing-insensitive form of a DN, for comparing group DNs."""
    parts = _UNESCAPED_COMMA.split(dn.strip())
    out = []
    for part in parts:
        attr, _, value = part.partition("=")
        out.append(f"{attr.strip().lower()}={value.strip().lower()}")
    return ",".join(out)


def transitive_groups(dn: str, parents: Callable[[str], Iterable[str]], max_depth: int) -> frozenset[str]:
    """All groups containing ``dn`` directly or through nested groups.

    Walks at most ``max_depth`` levels and visits each group once, so a
    membership cycle or a very deep chain ends the walk instead of the worker.
    """
    seen: set[str] = set()
    frontier = {normalize_dn(dn)}
    for _ in range(max_depth):
        found = {normalize_dn(g) for member in frontier for g in parents(member)} - seen
        if not found:
            break
        seen |= found
        frontier = found
    return frozenset(seen)


def validate_credentials(username: str, password: str) -> str:
    """The trimmed login name; refuses empty names and empty or blank passwords before any bind.

    An empty password is an unauthenticated bind (RFC 4513 5.1.2), which
    directories answer with success.
    """
    name = (username or "").strip()
    if not name or not password or not password.strip():
        raise InvalidCredentials("empty name or password")
    if len(name) > 256 or len(password) > 1024:
        raise InvalidCredentials("name or password too long")
    return name


def account_key(username: str) -> str:
    """One key per account however it is spelt: `Alice`, `CORP\\alice`, `alice@corp.example`."""
    name = (username or "").strip().casefold()
    return name.rsplit("\\", 1)[-1].split("@", 1)[0]
