"""A gunicorn worker killed mid-request: that request is cut, nothing half-written stays, the
master starts a new worker, and no acknowledged reply is missing."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import func, select

from groups.models import Post
from intranet.config import with_driver
from intranet.extensions import db
from tests.conftest import Databases
from tests.faults.load import (
    Load,
    assert_nothing_lost,
    repliers,
    reply_body,
    thread_of,
    wait_until,
)
from tests.served import NO_ANSWER, Answer, Server

WORKERS = 2


@contextmanager
def posts_write_locked(url: str, kind: str) -> Iterator[None]:
    """Another connection holds the posts table (PostgreSQL) or the file (SQLite) for writing:
    a reply's transaction waits at its INSERT, half done, while reads go on."""
    engine = sa.create_engine(with_driver(url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        if kind == "postgresql":
            conn.execute(sa.text("LOCK TABLE posts IN EXCLUSIVE MODE"))
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.rollback()
    engine.dispose()


def busy_with(server: Server, path: str) -> int | None:
    alive = server.workers()
    return next((pid for pid, doing in server.busy().items() if doing == path and pid in alive), None)


def stored(server: Server, word: str) -> int:
    with server.app.app_context():
        count = db.session.scalar(select(func.count()).where(Post.body == reply_body(word)))
        db.session.remove()
    return int(count or 0)


def test_a_worker_killed_inside_a_replys_transaction_leaves_nothing_and_is_replaced(
    databases: Databases, served
) -> None:
    url = databases.create()
    server = served(url, workers=WORKERS)
    thread_id = thread_of(server)
    zoe = server.visitor("zoe", cut_ok=True)
    path = f"/groups/threads/{thread_id}/reply"
    answers: list[Answer] = []
    with posts_write_locked(url, databases.kind):
        sending = threading.Thread(target=lambda: answers.append(zoe.post(path, body=reply_body("killed"))))
        sending.start()
        wait_until(lambda: busy_with(server, path) is not None, 10, "the reply to reach a worker")
        time.sleep(0.5)  # past the reads, waiting at the INSERT
        victim = busy_with(server, path)
        assert victim is not None
        os.kill(victim, signal.SIGKILL)
        sending.join(timeout=30)
    assert [a.status for a in answers] == [NO_ANSWER]  # cut: not acknowledged
    assert stored(server, "killed") == 0  # its transaction died with it

    wait_until(
        lambda: len(server.workers()) == WORKERS and victim not in server.workers(), 30, "a new worker"
    )
    again = zoe.post(path, body=reply_body("again"))  # the same session, on whichever worker
    assert again.status == 302 and stored(server, "again") == 1
    assert zoe.get(f"/groups/threads/{thread_id}").status == 200


def test_workers_killed_at_random_under_load_lose_no_acknowledged_reply(databases: Databases, served) -> None:
    url = databases.create()
    server = served(url, workers=WORKERS)
    thread_id = thread_of(server)
    killed: list[int] = []
    with Load(server, thread_id, repliers(server), pause=0.0) as load:
        time.sleep(1)
        deadline = time.monotonic() + 60  # a new worker loads the app first (a second or two)
        while len(killed) < 5 and time.monotonic() < deadline:
            alive = server.workers()
            victim = next((pid for pid in server.busy() if pid in alive), None)
            if victim is not None and len(alive) == WORKERS:
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
            time.sleep(0.4)
        wait_until(lambda: len(server.workers()) == WORKERS, 30, "the workers to be replaced")
        time.sleep(2)
    assert len(killed) == 5
    assert load.statuses() <= {200, 302, NO_ANSWER}, load.statuses()  # cut, never a 500
    assert NO_ANSWER in load.statuses(), "no request was cut: the kills missed"
    assert not set(killed) & server.workers()
    assert_nothing_lost(server.app, load, thread_id)
