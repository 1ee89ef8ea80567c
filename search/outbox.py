"""Keeping the index in step with the database, with nothing lost (DESIGN.md invariant 3).

1. At flush, each domain says which documents the flush touched; their keys go into the
   outbox *in the same transaction* (a rollback takes them away with the content).
2. After commit, the request (or CLI command) tries to apply the outbox, waiting at most
   ``SEARCH_LOCK_TIMEOUT`` seconds for Whoosh's single-writer lock.
3. What could not be applied stays in the outbox for the next writer or ``flask search sync``.

Applying reads the database *after* taking the index lock and removes only the outbox rows
it read, so two processes can never leave an older state in the index than the newest
commit they both saw, and a worker killed halfway leaves its rows for the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.orm import Session, SessionTransaction

from intranet.extensions import db

from . import providers
from .backend import Backend, IndexBusy, IndexUnavailable
from .models import OutboxEntry, random_id

log = logging.getLogger(__name__)
_PENDING = "search_outbox_written"


def backend() -> Backend:
    return current_app.extensions["search"]


def init_app(app: Flask) -> None:
    # After each request, and at the end of CLI commands and other app contexts (whichever comes first).
    app.teardown_request(_apply_after_commit)
    app.teardown_appcontext(_apply_after_commit)
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "after_commit", _committed)
        event.listen(Session, "after_soft_rollback", _rolled_back)


def _collect(session: Session, flush_context: object) -> None:
    if not has_app_context() or "search" not in current_app.extensions:
        return
    keys: set[str] = set()
    for provider in providers.PROVIDERS:
        keys |= provider.touched(session)
    if keys:
        rows = [{"id": random_id(), "key": key} for key in sorted(keys)]
        session.connection().execute(insert(OutboxEntry), rows)
        session.info[_PENDING] = True


def _committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: nothing is committed yet
        return
    if session.info.pop(_PENDING, False) and has_app_context():
        g._search_apply = True


def _rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is not None:  # a savepoint or a failed flush inside one: the
        return  # rows flushed before it are still in the transaction
    session.info.pop(_PENDING, None)


def _apply_after_commit(exc: BaseException | None) -> None:
    if not g.pop("_search_apply", False):
        return
    try:
        apply_pending(timeout=float(current_app.config["SEARCH_LOCK_TIMEOUT"]))
    except Exception as error:  # the content is saved; the outbox keeps the work for later
        db.session.rollback()
        log.warning("search index not updated now (%s); the outbox keeps it", type(error).__name__)


def pending_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(OutboxEntry)) or 0)


def apply_pending(timeout: float, limit: int | None = None) -> int:
    """Apply up to ``limit`` outbox rows; 0 when there are none or the index is busy."""
    return _apply(timeout, limit) or 0


def _apply(timeout: float, limit: int | None = None) -> int | None:
    """Apply up to ``limit`` outbox rows: how many, or None when the index stayed busy."""
    limit = limit or int(current_app.config["SEARCH_APPLY_BATCH"])
    db.session.rollback()  # what the caller left uncommitted is not ours to commit (or to index)
    if not db.session.scalar(select(OutboxEntry.id).limit(1)):
        return 0
    # End the check's transaction: under a snapshot (REPEATABLE READ, or SQLite with a BEGIN
    # before reads) it would be older than what another writer applies while we wait for the lock.
    db.session.rollback()
    try:
        with backend().writer(timeout) as writer:
            rows = db.session.execute(select(OutboxEntry.id, OutboxEntry.key).limit(limit)).all()
            for _key, doc in providers.documents({row.key for row in rows}):
                if doc is None:
                    writer.delete(_key)
                else:
                    writer.put(doc)
    except IndexBusy:
        db.session.rollback()
        return None
    db.session.execute(delete(OutboxEntry).where(OutboxEntry.id.in_([row.id for row in rows])))
    db.session.commit()
    return len(rows)


def sync(timeout: float, progress: Callable[[int], None] = lambda n: None) -> int:
    """Apply the outbox until a round finds nothing left to apply (waiting up to ``timeout`` for
    the lock each round); IndexBusy when the lock stayed taken.

    A round can find nothing while rows are listed: another process's writer applied them
    first. Rows that arrive meanwhile are for their own requests to apply (or the next sync).
    """
    done = 0
    while True:
        applied = _apply(timeout)
        if applied is None:
            raise IndexBusy
        if not applied:
            return done
        done += applied
        progress(applied)


def rebuild(progress: Callable[[int], None] = lambda n: None) -> int:
    """Rebuild the index from the database, then apply what changed meanwhile."""
    db.session.rollback()
    count = backend().rebuild(providers.all_documents(), progress)
    db.session.rollback()
    sync(timeout=30.0)
    return count


__all__ = ["IndexBusy", "IndexUnavailable", "apply_pending", "init_app", "pending_count", "rebuild", "sync"]
