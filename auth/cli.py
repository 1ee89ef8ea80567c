"""`flask directory sync` (for cron) and `flask demo load` (for `make run`).

Both hold the ``directory-sync`` lease (intranet/leases.py): cron on two hosts at once
runs one sync; the other says who is syncing and exits 75.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import click
from flask import current_app
from flask.cli import AppGroup

from intranet.extensions import db
from intranet.leases import exclusive
from intranet.signals import demo_loaded

from . import get_directory, role_rules
from .base import DirectoryEntry, DirectoryUnavailable
from .services import SyncRefused, SyncSummary, sync_directory

directory_cli = AppGroup("directory", help="Work with the corporate directory.")
demo_cli = AppGroup("demo", help="The embedded demo directory.")


def _progress_bar(entries: list[DirectoryEntry]) -> Iterator[DirectoryEntry]:
    with click.progressbar(entries, label="Refreshing users", file=sys.stderr) as bar:
        yield from bar


def _run_sync(show_progress: bool) -> SyncSummary:
    """Sync and commit, or roll back and say why: a failed sync changes nothing."""
    try:
        summary = sync_directory(
            get_directory(), role_rules(), progress=_progress_bar if show_progress else list
        )
    except (DirectoryUnavailable, SyncRefused) as exc:
        db.session.rollback()
        raise click.ClickException(f"Sync failed, nothing was changed: {exc}") from exc
    db.session.commit()
    return summary


def _echo_summary(summary: SyncSummary) -> None:
    click.echo(
        f"{summary.seen} users in the directory: {summary.created} new, {summary.updated} refreshed "
        f"({summary.reactivated} reactivated), {summary.deactivated} deactivated; "
        f"{summary.departments_created} new departments."
    )


@directory_cli.command("sync")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar on stderr.")
def sync_command(progress: bool) -> None:
    """Refresh every user, department and role from the directory (paged)."""
    with exclusive("directory-sync"):
        _echo_summary(_run_sync(progress))


@directory_cli.command("check")
def check_command() -> None:
    """Check that the directory answers and accepts the service account."""
    try:
        get_directory().check()
    except DirectoryUnavailable as exc:
        raise click.ClickException(f"Directory unavailable: {exc}") from exc
    click.echo(f"Directory ({current_app.config['DIRECTORY']}) answers.")


@demo_cli.command("load")
def demo_load_command() -> None:
    """Load the demo staff and departments (idempotent). Only with the demo directory."""
    if get_directory().kind != "demo":
        raise click.ClickException("The demo data loads only with the demo directory (no INTRANET_LDAP_URL).")
    with exclusive("directory-sync"):
        summary = _run_sync(show_progress=False)
        demo_loaded.send(demo_load_command)
        db.session.commit()
    _echo_summary(summary)
