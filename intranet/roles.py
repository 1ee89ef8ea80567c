"""Roles, as the directory grants them, and the one way views check permissions.

Roles are computed from directory groups at every login and sync (see
``auth.provisioning``); they are stored on the user so every request can ask
these questions without talking to the directory.
"""

from __future__ import annotations

import enum

from flask import abort

from .models import Department, User


class Role(enum.StrEnum):
    EMPLOYEE = "employee"
    LEAD = "lead"
    MANAGEMENT = "management"
    ADMIN = "admin"


def roles_of(user: User) -> list[Role]:
    roles = [Role.EMPLOYEE]
    if user.led_departments:
        roles.append(Role.LEAD)
    if user.is_management:
        roles.append(Role.MANAGEMENT)
    if user.is_admin:
        roles.append(Role.ADMIN)
    return roles


def is_lead_of(user: User, department: Department | None) -> bool:
    return department is not None and department in user.led_departments


def require(allowed: bool, *, hide: bool = False) -> None:
    """Stop the request unless ``allowed``: 403, or 404 when existence must not leak."""
    if not allowed:
        abort(404 if hide else 403)
