"""``flask search sync | rebuild | check``: for cron, for IT after a restore, for finding drift."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from intranet.extensions import db

from . import outbox, providers
from .backend import IndexBusy, IndexUnavailable, stamp

search_cli = AppGroup("search", help="Keep the search index in step with the database.")


@search_cli.command("sync")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for the index lock.")
def sync_command(timeout: float) -> None:
    """Apply what the outbox still holds (safe to run from cron at any time)."""
    try:
        done = outbox.sync(timeout)
    except IndexBusy:
        raise click.ClickException("The index stayed busy; the outbox keeps the work. Try again.") from None
    except IndexUnavailable as exc:
        raise click.ClickException(f"The index is {exc}: run `flask search rebuild`.") from None
    click.echo(f"Applied {done} change(s); {outbox.pending_count()} left.")


@search_cli.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the whole index from the database (searches see the old index until it is done)."""
    total = providers.count()
    with click.progressbar(length=total, label="Indexing", show_pos=True) as bar:
        last = 0

        def progress(n: int) -> None:
            nonlocal last
            if n - last >= 500 or n == total:
                bar.update(n - last)
                last = n

        try:
            count = outbox.rebuild(progress)
        except IndexBusy:
            raise click.ClickException("Another process held the index too long. Try again.") from None
        bar.update(max(0, count - last))
    click.echo(f"Indexed {count} document(s).")


@search_cli.command("check")
def check_command() -> None:
    """Compare the index with the database: missing, stale and extra documents. Exit 1 on drift."""
    try:
        indexed = outbox.backend().stamps()
    except IndexUnavailable as exc:
        raise click.ClickException(f"The index is {exc}: run `flask search rebuild`.") from None
    expected = {doc.key: stamp(doc) for doc in providers.all_documents()}
    db.session.rollback()
    missing = sorted(expected.keys() - indexed.keys())
    extra = sorted(indexed.keys() - expected.keys())
    stale = sorted(k for k in expected.keys() & indexed.keys() if expected[k] != indexed[k])
    pending = outbox.pending_count()
    click.echo(
        f"Database: {len(expected)} document(s); index: {len(indexed)}; "
        f"missing {len(missing)}, stale {len(stale)}, extra {len(extra)}; outbox {pending}."
    )
    for label, keys in (("missing", missing), ("stale", stale), ("extra", extra)):
        if keys:
            click.echo(f"  {label}: {', '.join(keys[:20])}{' …' if len(keys) > 20 else ''}")
    if missing or stale or extra:
        click.echo("Run `flask search sync` (or `flask search rebuild` if that leaves drift).")
        raise SystemExit(1)
    click.echo("In step.")
