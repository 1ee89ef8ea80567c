"""`flask groups ensure-defaults`: a default open group for every department."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from intranet.extensions import db

from .services import ensure_default_groups

groups_cli = AppGroup("groups", help="Department discussion groups.")


@groups_cli.command("ensure-defaults")
def ensure_defaults_command() -> None:
    """Create the default open group of every department that has none (idempotent)."""
    created = ensure_default_groups()
    db.session.commit()
    click.echo(f"Default groups created: {created}.")
