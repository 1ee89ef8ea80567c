"""The Whoosh index deleted, corrupted or locked while people post: every reply is saved, search
says it is degraded (503 with a message, never a 500), and `flask search rebuild` heals it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intranet.extensions import db
from search.models import OutboxEntry
from tests.conftest import Databases
from tests.faults.load import Load, assert_nothing_lost, repliers, thread_of, wait_until
from tests.served import ROOT, Server

DEGRADED = "Search is not available right now"
pytestmark = pytest.mark.skipif(
    os.environ.get("TEST_SEARCH_BACKEND", "whoosh") != "whoosh", reason="the Whoosh index's files"
)


def flask(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    """The command an operator would run, with the server's settings."""
    command = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", *args]
    return subprocess.run(command, env=server.env, cwd=ROOT, capture_output=True, text=True, timeout=300)


def index_dir(server: Server) -> Path:
    return Path(server.env["INTRANET_INDEX_DIR"])


def delete(path: Path) -> None:
    while path.exists():  # a worker's commit may add or remove a file meanwhile
        shutil.rmtree(path, ignore_errors=True)


def corrupt(path: Path) -> None:
    for file in path.iterdir():
        if file.name != "MAIN_WRITELOCK" and file.is_file():  # not a commit's temp directory
            try:
                file.write_bytes(b"not an index")
            except FileNotFoundError:  # a commit just removed it
                continue


@pytest.mark.parametrize("damage", [delete, corrupt], ids=["deleted", "corrupted"])
def test_a_damaged_index_keeps_every_reply_degrades_search_and_rebuild_heals(
    databases: Databases, served, damage
) -> None:
    server = served(databases.create(), workers=2)
    thread_id = thread_of(server)
    with Load(server, thread_id, repliers(server), search=True) as load:
        time.sleep(1.5)
        damaged = time.monotonic()
        damage(index_dir(server))
        time.sleep(3)
        repaired = time.monotonic()
        rebuilt = flask(server, "search", "rebuild")
        assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
        healed = time.monotonic()
        wait_until(lambda: load.searches[-1].at > healed + 2, 30, "searches after the rebuild")

    during = [s for s in load.replies if damaged + 0.5 < s.at < repaired]
    assert during and all(s.answer.status == 302 for s in during)  # posting goes on
    degraded = [s.answer for s in load.searches if damaged + 0.5 < s.at < repaired]
    assert degraded and all(a.status == 503 and DEGRADED in a.text for a in degraded)
    after = [s for s in load.searches if s.at > healed + 1]
    assert after and all(s.answer.status == 200 and s.word in s.answer.text for s in after)
    assert load.statuses() <= {200, 302, 503} and {s.answer.status for s in load.reads} == {200}
    assert flask(server, "search", "check").returncode == 0
    assert_nothing_lost(server.app, load, thread_id)
    for sent in during[:3]:  # replies sent while it was broken are found now
        found = server.visitor("zoe").get(f"/search/?q={sent.word}")
        assert found.status == 200 and sent.word in found.text


def test_a_locked_index_keeps_posting_and_searching_and_catches_up_by_itself(
    databases: Databases, served
) -> None:
    server = served(databases.create(), workers=2)
    thread_id = thread_of(server)
    engine = server.app.extensions["search"]
    with Load(server, thread_id, repliers(server), search=True) as load:
        time.sleep(1)
        with server.app.app_context(), engine.writer(timeout=5):  # another process's long commit
            locked = time.monotonic()
            time.sleep(3)
            released = time.monotonic()
        time.sleep(2)  # the next replies' requests apply what waited in the outbox
    engine.close()

    during = [s for s in load.replies if locked < s.at < released]
    assert during and all(s.answer.status == 302 for s in during)
    searched = [s.answer for s in load.searches if locked < s.at < released]
    assert searched and all(a.status == 200 for a in searched)  # reading needs no lock
    with server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxEntry)) == 0  # nobody ran sync
        db.session.remove()
    assert load.statuses() <= {200, 302}
    assert_nothing_lost(server.app, load, thread_id)
