"""The database goes away under load and comes back: 503s meanwhile, then service as before.

On PostgreSQL the test's own server is stopped as if it had died (``pg_ctl -m immediate``)
and started again; the app is not restarted (``pool_pre_ping`` replaces dead connections).
On SQLite the same is the file being locked by another process past the busy timeout.
"""

from __future__ import annotations

import html
import sqlite3
import time
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from intranet.errors import DATABASE_DOWN
from tests.conftest import Databases
from tests.faults.load import Load, assert_nothing_lost, repliers, thread_of, wait_until
from tests.faults.pg_cluster import Cluster

DOWN_SECONDS = 3


@pytest.fixture
def cluster(databases: Databases) -> Iterator[Cluster]:
    if databases.kind != "postgresql":
        pytest.skip("PostgreSQL's restart runs in the PostgreSQL pass; this pass tests SQLite's lock")
    pg = Cluster()
    pg.start()
    yield pg
    pg.remove()


def test_postgresql_restarted_under_load_answers_503_then_recovers_with_nothing_lost(
    cluster: Cluster, served
) -> None:
    server = served(cluster.url, workers=2)
    thread_id = thread_of(server)
    workers = server.workers()
    with Load(server, thread_id, repliers(server)) as load:
        time.sleep(2)
        down = time.monotonic()
        cluster.stop("immediate")
        time.sleep(DOWN_SECONDS)
        cluster.start()
        up = time.monotonic()
        wait_until(lambda: load.statuses(since=time.monotonic() - 0.5) <= {200, 302}, 30, "recovery")
        time.sleep(2)
    recovered = [a for s in load.replies + load.reads if s.at > up + 5 for a in [s.answer]]

    assert load.statuses() <= {200, 302, 503}, load.statuses()  # no 500, no cut connection
    refused = [a for a in load.answers(since=down, until=up + 1) if a.status == 503]
    assert refused, "the outage was not seen"
    assert all(html.unescape(a.text).count(str(DATABASE_DOWN[1])) == 1 for a in refused)
    assert load.statuses(until=down) <= {200, 302} and {a.status for a in recovered} <= {200, 302}
    assert server.workers() == workers  # recovered without restarting anything
    assert_nothing_lost(server.app, load, thread_id)


def test_sqlite_locked_past_its_timeout_answers_503_then_recovers_with_nothing_lost(
    databases: Databases, served
) -> None:
    if databases.kind != "sqlite":
        pytest.skip("SQLite's lock runs in the SQLite pass; this pass restarts PostgreSQL")
    url = databases.create()
    server = served(url, workers=2)
    thread_id = thread_of(server)
    workers = server.workers()
    path = make_url(url).database
    with Load(server, thread_id, repliers(server)) as load:
        time.sleep(2)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another program holds the file: nobody reads or writes
        down = time.monotonic()
        # Past the 5 s busy timeout for any request that starts now (one already inside a write
        # may finish first: SQLite lets the writer that holds the reserved lock commit).
        time.sleep(12)
        holder.execute("ROLLBACK")
        holder.close()
        up = time.monotonic()
        wait_until(lambda: load.statuses(since=time.monotonic() - 0.5) <= {200, 302}, 30, "recovery")
        time.sleep(2)

    assert load.statuses() <= {200, 302, 503}, load.statuses()
    refused = [a for a in load.answers(since=down, until=up + 6) if a.status == 503]
    timeline = sorted((round(s.at - down, 1), s.answer.status) for s in load.replies + load.reads)
    assert refused, f"the lock was not seen: {[t for t in timeline if -1 < t[0] < 20]}"
    assert all(str(DATABASE_DOWN[1]) in html.unescape(a.text) for a in refused)
    assert server.workers() == workers
    assert_nothing_lost(server.app, load, thread_id)
