"""`flask groups ensure-defaults`: a default open group for every department (one host at a time)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from intranet.extensions import db
from intranet.leases import exclusive

from .services import ensure_default_groups

groups_cli = AppGroup("groups", help="Department discussion groups.")


@groups_cli.command("ensure-defaults")
def ensure_defaults_command() -> None:
    """Create the default open group of every department that has none (idempotent)."""
    with exclusive("groups-ensure-defaults"):  # two at once could both create a department's group
        created = ensure_default_groups()
        db.session.commit()
    click.echo(f"Default groups created: {created}.")
