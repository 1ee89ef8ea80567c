"""`flask digest send`: for cron or a systemd timer. Safe to run daily, and on two hosts at once."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import format_date

from intranet.clock import utcnow

from . import months, sending, services
from .presenting import month_label

digest_cli = AppGroup("digest", help="The monthly digest of adopted improvements.")


def _month(value: str | None) -> object:
    if value is None:
        return months.previous(utcnow().date())
    month = months.parse(value)
    if month is None:
        raise click.BadParameter("write the month as YYYY-MM, e.g. 2026-11", param_hint="--month")
    return month


@digest_cli.command("send")
@click.option("--month", "month_text", metavar="YYYY-MM", help="The month to mail (default: the last one).")
@click.option("--resend", is_flag=True, help="Mail a month that was already sent once more, to everyone.")
def send_command(month_text: str | None, resend: bool) -> None:
    """Mail the month's approved digest to INTRANET_DIGEST_TO, once."""
    month = _month(month_text)
    base = current_app.config["BASE_URL"]
    with current_app.test_request_context("/", base_url=base):  # links in the mail point at BASE_URL
        name = month_label(month)
        result = sending.send(month, resend=resend)
        outcome = sending.Outcome
        if result.outcome == outcome.SENT:
            click.echo(f"Mailed the digest for {name} to {result.delivered} recipient(s).")
        elif result.outcome == outcome.ALREADY_SENT:
            sent = services.find(month).sent_at
            click.echo(
                f"{name} was already mailed on {format_date(sent, 'medium')}; --resend mails it again."
            )
        elif result.outcome == outcome.NOT_APPROVED:
            url = f"{base.rstrip('/')}/digest/{months.key(month)}"
            click.echo(f"{name} is not approved yet: nothing sent. Management approves it at {url}")
        elif result.outcome == outcome.BUSY:
            click.echo(f"Another run is mailing {name} right now: nothing sent by this one.")
        elif result.outcome == outcome.NO_RECIPIENTS:
            click.echo("No recipients: set INTRANET_DIGEST_TO (addresses and directory groups).", err=True)
            sys.exit(1)
        else:
            click.echo(
                f"Could not mail {name}: {result.error}. {result.delivered} delivered in this run, "
                f"{result.remaining} still to go; it is not marked sent, and the next run retries.",
                err=True,
            )
            sys.exit(1)
