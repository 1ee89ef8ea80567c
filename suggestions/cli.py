"""`flask suggestions …`: jobs for cron."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from intranet.extensions import db

suggestions_cli = AppGroup("suggestions", help="The suggestion box.")


@suggestions_cli.command("announce")
def announce() -> None:
    """Tell reviewers, in one notification each, about suggestions submitted before today."""
    from .announce import announce_new

    with current_app.test_request_context():  # links are built like in a request
        written = announce_new()
    db.session.commit()
    click.echo(f"{written} reviewer notification(s) written.")
