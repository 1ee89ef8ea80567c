"""The fault suite's load and ledger: people replying in one thread, and what must be stored afterwards.

Each test starts its own server (the fault may be the server's own: a killed worker), runs a
load of people replying in one thread (every reply carries a word of its own) and reading it,
breaks something real while the load runs (the database server, a worker, the index files),
mends it, and then checks the ledger against the database and the index: every reply that was
acknowledged (a redirect to the thread) is stored exactly once and is in the index; a reply
that was refused or got no answer is stored at most once, and whole if at all.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from flask import Flask
from sqlalchemy import select

from groups.models import Post, Thread
from intranet.extensions import db
from search.outbox import backend, sync
from tests.served import Answer, Server, Visitor

#: Engineering's open group, where these people may reply.
REPLIERS = ("zoe", "amelie", "sanna", "kenji")
THREAD_TITLE = "How do I get access to the staging database?"


def reply_body(word: str) -> str:
    return f"Fault check {word}: the staging database answered again."


@dataclass
class Sent:
    word: str
    answer: Answer
    at: float


@dataclass
class Load:
    """People replying in a thread and reading it, each in a thread of their own, until stopped."""

    server: Server
    thread_id: int
    visitors: list[Visitor]
    pause: float = 0.05
    search: bool = False  # each round also searches for the reply just sent
    replies: list[Sent] = field(default_factory=list)
    reads: list[Sent] = field(default_factory=list)
    searches: list[Sent] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def _person(self, visitor: Visitor) -> None:
        while not self._stop.is_set():
            word = uuid.uuid4().hex
            answer = visitor.post(f"/groups/threads/{self.thread_id}/reply", body=reply_body(word))
            self.replies.append(Sent(word, answer, time.monotonic()))
            page = visitor.get(f"/groups/threads/{self.thread_id}")
            self.reads.append(Sent("", page, time.monotonic()))
            if self.search:
                found = visitor.get(f"/search/?q={word}")
                self.searches.append(Sent(word, found, time.monotonic()))
            time.sleep(self.pause)

    def __enter__(self) -> Load:
        for visitor in self.visitors:
            thread = threading.Thread(target=self._person, args=(visitor,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def answers(self, since: float = 0.0, until: float = float("inf")) -> list[Answer]:
        return [s.answer for s in self.replies + self.reads if since <= s.at <= until]

    def statuses(self, since: float = 0.0, until: float = float("inf")) -> set[int]:
        return {a.status for a in self.answers(since, until)}


def wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.1)


def assert_nothing_lost(app: Flask, load: Load, thread_id: int) -> None:
    """Acknowledged replies stored once and indexed; the others stored at most once, whole."""
    with app.app_context():
        sync(timeout=30)  # what a reply's own request could not index (the outbox kept it)
        bodies = db.session.scalars(select(Post.body).where(Post.thread_id == thread_id)).all()
        keys = {
            f"post:{pid}"
            for pid in db.session.scalars(
                select(Post.id).where(Post.thread_id == thread_id, Post.body.like("Fault check %"))
            )
        }
        indexed = set(backend().stamps())
        backend().close()
        db.session.remove()
    stored: dict[str, int] = {}
    for body in bodies:
        if body.startswith("Fault check "):
            word = body.removeprefix("Fault check ").split(":", 1)[0]
            stored[word] = stored.get(word, 0) + 1
            assert body == reply_body(word)  # whole
    acknowledged = [s.word for s in load.replies if s.answer.status == 302]
    others = [s.word for s in load.replies if s.answer.status != 302]
    assert acknowledged, "no reply was acknowledged: the load did not run"
    lost = [w for w in acknowledged if stored.get(w) != 1]
    assert not lost, f"{len(lost)} acknowledged replies not stored exactly once"
    assert all(stored.get(w, 0) <= 1 for w in others)
    assert keys <= indexed, f"{len(keys - indexed)} stored replies are not in the index"


def thread_of(server: Server) -> int:
    with server.app.app_context():
        found = db.session.scalars(select(Thread.id).where(Thread.title == THREAD_TITLE)).one()
        db.session.remove()
    return found


def repliers(server: Server) -> list[Visitor]:
    return [server.visitor(name, cut_ok=True) for name in REPLIERS]
