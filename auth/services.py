"""Login, logout and provisioning: the directory's word turned into users, departments and roles.

Services flush and never commit: the view (or CLI command) commits once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import Department, User
from intranet.signals import departments_changed
from intranet.text import slugify

from .base import Directory, DirectoryEntry, normalize_dn


@dataclass(frozen=True)
class RoleRules:
    """Which directory groups make someone management, admin, or lead of a department."""

    management: frozenset[str] = frozenset()
    admin: frozenset[str] = frozenset()
    lead_groups: Mapping[str, str] = field(default_factory=dict)
    lead_pattern: re.Pattern[str] | None = None

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> RoleRules:
        pattern = cfg.get("LDAP_LEAD_GROUP_PATTERN")
        return cls(
            management=frozenset(normalize_dn(d) for d in cfg.get("LDAP_GROUP_MANAGEMENT") or []),
            admin=frozenset(normalize_dn(d) for d in cfg.get("LDAP_GROUP_ADMIN") or []),
            lead_groups={normalize_dn(dn): dept for dn, dept in (cfg.get("LDAP_LEAD_GROUPS") or {}).items()},
            lead_pattern=re.compile(pattern, re.IGNORECASE) if pattern else None,
        )

    def led_departments(self, groups: Iterable[str]) -> set[str]:
        """Department names (or slugs) whose lead groups are among ``groups``."""
        names = set()
        for dn in groups:
            if dn in self.lead_groups:
                names.add(self.lead_groups[dn])
            elif self.lead_pattern and (m := self.lead_pattern.match(dn)):
                names.add(m.group("department"))
        return names


@dataclass
class SyncSummary:
    seen: int = 0
    created: int = 0
    updated: int = 0
    reactivated: int = 0
    deactivated: int = 0
    departments_created: int = 0


class SyncRefused(Exception):
    """The directory listed nobody: never read as 'everyone left'."""


def department_for(name: str, summary: SyncSummary | None = None) -> Department:
    """The department with this name (matched by slug), created if new."""
    slug = slugify(name) or "department"
    dept = db.session.scalar(select(Department).where(Department.slug == slug))
    if dept is None:
        label = name if name != name.lower() else name.replace("-", " ").title()
        dept = Department(name=label, slug=slug)
        db.session.add(dept)
        db.session.flush()
        if summary:
            summary.departments_created += 1
    return dept


def find_by_dn(dn: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.dn) == dn.lower()))


def provision(
    entry: DirectoryEntry,
    rules: RoleRules,
    *,
    now: datetime | None = None,
    lookup_manager: Callable[[str], DirectoryEntry | None] | None = None,
    summary: SyncSummary | None = None,
) -> User:
    """Create or refresh the user for ``entry``, keyed on its stable directory id."""
    now = now or utcnow()
    user = db.session.scalar(select(User).where(User.directory_id == entry.directory_id))
    if user is None:
        user = User(directory_id=entry.directory_id, created_at=now)
        db.session.add(user)
        if summary:
            summary.created += 1
    else:
        if summary:
            summary.updated += 1
            summary.reactivated += int(user.is_deactivated)
    user.username = entry.username
    user.dn = entry.dn
    user.display_name = entry.display_name
    user.email = entry.email
    user.title = entry.title
    user.department = department_for(entry.department, summary) if entry.department else None
    user.is_management = bool(entry.groups & rules.management)
    user.is_admin = bool(entry.groups & rules.admin)
    user.led_departments = sorted(
        {department_for(name, summary) for name in rules.led_departments(entry.groups)},
        key=lambda d: d.name,
    )
    user.is_deactivated = False
    user.deactivated_at = None
    user.synced_at = now
    db.session.flush()
    user.manager = _manager(entry, rules, now, lookup_manager)
    return user


def _manager(
    entry: DirectoryEntry,
    rules: RoleRules,
    now: datetime,
    lookup: Callable[[str], DirectoryEntry | None] | None,
) -> User | None:
    if not entry.manager_dn:
        return None
    manager = find_by_dn(entry.manager_dn)
    if manager is None and lookup is not None:
        found = lookup(entry.manager_dn)
        if found is not None and found.directory_id != entry.directory_id:
            manager = provision(found, rules, now=now)  # one level: no lookup for theirs
    return manager


def log_in(directory: Directory, rules: RoleRules, username: str, password: str) -> User:
    """Check the credentials with the directory and refresh the user; raises the directory's errors."""
    entry = directory.authenticate(username, password)
    now = utcnow()
    user = provision(entry, rules, now=now, lookup_manager=directory.find_by_dn)
    user.last_login_at = now
    db.session.flush()
    departments_changed.send(log_in)
    return user


def log_out(user: User) -> None:
    """Invalidate every session this user holds, server-side."""
    user.session_version += 1
    db.session.flush()


def sync_directory(
    directory: Directory,
    rules: RoleRules,
    *,
    progress: Callable[[Iterable[DirectoryEntry]], Iterable[DirectoryEntry]] = lambda it: it,
    now: datetime | None = None,
) -> SyncSummary:
    """Refresh every user and department; deactivate (never delete) users the directory no longer lists.

    The whole listing is read before anything changes, so a directory error
    mid-way raises and deactivates nobody.
    """
    now = now or utcnow()
    entries = list(directory.all_users())
    active = db.session.scalar(select(func.count()).where(User.is_deactivated.is_(False)))
    if not entries and active:
        raise SyncRefused("the directory listed no users; refusing to deactivate everyone")
    summary = SyncSummary(seen=len(entries))
    for entry in progress(entries):
        provision(entry, rules, now=now, summary=summary)
    # Managers may come later in the listing than their staff: link them once everyone exists.
    everyone = db.session.scalars(select(User)).all()
    by_id = {u.directory_id: u for u in everyone}
    by_dn = {e.dn.lower(): by_id[e.directory_id] for e in entries}
    for entry in entries:
        by_id[entry.directory_id].manager = by_dn.get((entry.manager_dn or "").lower())
    listed = {e.directory_id for e in entries}
    for user in everyone:
        if user.directory_id not in listed and not user.is_deactivated:
            user.is_deactivated = True
            user.deactivated_at = now
            summary.deactivated += 1
    db.session.flush()
    departments_changed.send(sync_directory)
    return summary


def group_addresses(directory: Directory, dn: str) -> list[str]:
    """Email addresses of the enabled users in the group ``dn`` (directly or through nested groups), sorted.

    Scans every user, since entries carry their groups already resolved; raises
    DirectoryUnavailable rather than answering from a partial list.
    """
    group = normalize_dn(dn)
    found = {entry.email.strip() for entry in directory.all_users() if group in entry.groups and entry.email}
    return sorted((a for a in found if a), key=str.casefold)
