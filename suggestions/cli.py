"""`flask suggestions …`: jobs for cron, one host at a time (intranet/leases.py; a second run exits 75)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from intranet.extensions import db
from intranet.leases import exclusive

suggestions_cli = AppGroup("suggestions", help="The suggestion box.")


@suggestions_cli.command("announce")
def announce() -> None:
    """Tell reviewers, in one notification each, about suggestions submitted before today."""
    from .announce import announce_new

    # Two runs at once would both read the same unannounced suggestions and tell reviewers twice.
    with exclusive("suggestions-announce"), current_app.test_request_context():  # links as in a request
        written = announce_new()
        db.session.commit()
    click.echo(f"{written} reviewer notification(s) written.")
