"""A separate OS process writing to the database and the search index, for tests/search/test_sync.py.

Run as ``python -m tests.search.writer_worker '<json>'`` from the repository root. The JSON
names the database, the index directory, the lock timeout and a ``mode``:

- ``write``: ``count`` changes through the real services (threads, replies, edits, hides,
  deletes, moves, suggestions, comments, status changes), each committed in a request
  context of its own, whose end applies the outbox as a real request's does. Prints a JSON
  summary: how many changes, and how many times the index was busy.
- ``stall-in-writer``: commits ``count`` replies in one transaction; applying them blocks
  inside the index writer, after every document was handed to Whoosh and before its commit,
  having touched ``signal``. The test SIGKILLs it there.
- ``stall-after-index-commit``: the same, but blocks after the index commit and before the
  outbox rows are deleted.
- ``apply``: touches ``signal`` when it starts waiting for the index lock (after the outbox
  check), applies with ``timeout``, prints how many rows it applied. ``snapshot`` makes its
  database transactions take one snapshot for their whole length (PostgreSQL REPEATABLE READ;
  on SQLite a BEGIN before the first read, SQLAlchemy's recipe for pysqlite).
"""

from __future__ import annotations

import json
import logging
import random
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from intranet import create_app
from intranet.extensions import db
from intranet.models import User
from search import outbox, providers
from search.backend import IndexBusy
from tests.conftest import base_config

STALL_SECONDS = 60.0


class _Warnings(logging.Handler):
    """Collects the outbox's "not updated now" warnings: an error while applying, never expected here."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _signal(path: str) -> None:
    Path(path).write_text("1")


def _stall(path: str) -> None:
    _signal(path)
    time.sleep(STALL_SECONDS)
    raise SystemExit("not killed in time")


def _use_snapshots(app: Any) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _no_pysqlite_transactions(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def make_app(cfg: dict[str, Any]) -> Any:
    extra: dict[str, Any] = {
        "INDEX_DIR": cfg["index_dir"],
        "SEARCH_LOCK_TIMEOUT": cfg.get("lock_timeout", 0.0),
    }
    if cfg.get("snapshot") and not cfg["database_url"].startswith("sqlite"):
        extra["SQLALCHEMY_ENGINE_OPTIONS"] = {"isolation_level": "REPEATABLE READ"}
    app = create_app(base_config(cfg["database_url"], **extra))
    if cfg.get("snapshot"):
        _use_snapshots(app)
    return app


# -- write: many changes, each its own request --------------------------------------------------------


def _write(app: Any, cfg: dict[str, Any]) -> dict[str, Any]:
    from groups import moderation, posting
    from groups.models import Group, Post, Thread
    from suggestions import services as suggestion_services
    from suggestions import workflow
    from suggestions.models import Suggestion

    rng = random.Random(cfg["seed"])
    tag = cfg["tag"]
    ops = ("thread", "reply", "edit", "suggestion", "comment", "hide", "reply", "move", "delete", "status")
    done: list[str] = []
    for i in range(cfg["count"]):
        op = ops[i % len(ops)]
        with app.test_request_context():
            user = db.session.get(User, cfg["user_id"])
            home, other = (db.session.get(Group, gid) for gid in cfg["group_ids"])
            in_groups = Thread.group_id.in_([home.id, other.id])
            threads = list(db.session.scalars(select(Thread).where(in_groups).order_by(Thread.id)))
            replies = list(
                db.session.scalars(
                    select(Post)
                    .join(Thread, Thread.id == Post.thread_id)
                    .where(in_groups, Post.is_opening.is_(False), Post.deleted_at.is_(None))
                    .order_by(Post.id)
                )
            )
            mine = list(
                db.session.scalars(
                    select(Suggestion).where(Suggestion.author_id == user.id).order_by(Suggestion.id)
                )
            )
            if not threads:
                op = "thread"
            elif op in ("edit", "hide", "delete") and not replies:
                op = "reply"
            elif op == "edit" and all(r.is_hidden for r in replies):
                op = "reply"  # a hidden post is not edited (groups.permissions.can_edit_post)
            elif op in ("comment", "status") and not mine:
                op = "suggestion"
            if op == "thread":
                posting.start_thread(user, home, title=f"{tag} topic {i}", body=f"{tag} opening words {i}")
            elif op == "reply":
                posting.reply(user, rng.choice(threads), f"{tag} reply number {i}")
            elif op == "edit":
                post = rng.choice([r for r in replies if not r.is_hidden])
                posting.edit_post(user, post, f"{post.body} edited {i}", post.version)
            elif op == "hide":
                post = rng.choice(replies)
                if not post.is_hidden:
                    moderation.hide_post(user, post, "Off topic.")
            elif op == "move":
                thread = rng.choice(threads)
                moderation.move_thread(user, thread, other if thread.group_id == home.id else home)
            elif op == "delete":
                posting.delete_post(user, rng.choice(replies))
            elif op == "suggestion":
                draft = suggestion_services.Draft(
                    title=f"{tag} idea {i}", body=f"{tag} idea body {i}", category="workplace"
                )
                suggestion_services.submit_named(user, draft)
            elif op == "comment":
                suggestion_services.add_comment(user, rng.choice(mine), f"{tag} comment {i}")
            elif op == "status":
                idea = rng.choice(mine)
                workflow.change_status(
                    user, idea, idea.status, f"{tag} response {i}", expected_version=idea.status_version
                )
            db.session.commit()
            done.append(op)
    return {"ops": len(done)}


# -- stalling inside the writer, to be killed there -------------------------------------------------------


def _commit_replies(app: Any, cfg: dict[str, Any]) -> None:
    from groups import posting
    from groups.models import Thread

    with app.test_request_context():
        user = db.session.get(User, cfg["user_id"])
        thread = db.session.get(Thread, cfg["thread_id"])
        for i in range(cfg["count"]):
            posting.reply(user, thread, f"batch reply {i}")
        db.session.commit()  # the end of this context applies the outbox


def _stall_in_writer(app: Any, cfg: dict[str, Any]) -> None:
    real = providers.documents

    def documents(keys: Iterable[str]) -> Iterator[Any]:
        yield from real(keys)  # every document is in the Whoosh writer; its commit has not started
        _stall(cfg["signal"])

    providers.documents = documents
    _commit_replies(app, cfg)


class _StallAfterCommit:
    """The app's backend, whose writer stalls after Whoosh committed, before the outbox rows go."""

    def __init__(self, real: Any, signal: str) -> None:
        self._real, self._signal = real, signal

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    @contextmanager
    def writer(self, timeout: float) -> Iterator[Any]:
        with self._real.writer(timeout) as w:
            yield w
        _stall(self._signal)


class _SignalWaiting(_StallAfterCommit):
    """The app's backend, telling the test when the outbox waits for the index lock."""

    def writer(self, timeout: float) -> Any:
        _signal(self._signal)
        return self._real.writer(timeout)


class _CountBusy(_StallAfterCommit):
    """The app's backend, counting the times its writer lock was taken by someone else."""

    busy = 0

    @contextmanager
    def writer(self, timeout: float) -> Iterator[Any]:
        try:
            context = self._real.writer(timeout)
            w = context.__enter__()
        except IndexBusy:
            _CountBusy.busy += 1
            raise
        try:
            yield w
        except BaseException:
            if not context.__exit__(*sys.exc_info()):
                raise
        else:
            context.__exit__(None, None, None)


def main(argv: list[str]) -> int:
    cfg = json.loads(argv[1])
    app = make_app(cfg)
    warnings = _Warnings()
    logging.getLogger("search.outbox").addHandler(warnings)
    mode = cfg["mode"]
    summary: dict[str, Any] = {}
    if mode == "write":
        app.extensions["search"] = _CountBusy(app.extensions["search"], "")
        summary = _write(app, cfg)
        summary["busy"] = _CountBusy.busy
    elif mode == "stall-in-writer":
        _stall_in_writer(app, cfg)
    elif mode == "stall-after-index-commit":
        app.extensions["search"] = _StallAfterCommit(app.extensions["search"], cfg["signal"])
        _commit_replies(app, cfg)
    elif mode == "apply":
        app.extensions["search"] = _SignalWaiting(app.extensions["search"], cfg["signal"])
        with app.app_context():
            summary["applied"] = outbox.apply_pending(timeout=cfg["timeout"])
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    summary["warnings"] = warnings.messages
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
