"""Several app hosts behind a load balancer, one database, one Redis: nothing lives in one host's memory.

A second "host" is a second process (``other_host``), since the rate limiter is one
object per process: two apps in one process would share it whatever the store.
Redis is the real one on 127.0.0.1:6379; each test counts under its own key prefix.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import threading
import time as pytime
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import delete, func, select

from auth.cli import sync_command
from intranet import create_app
from intranet.clock import utcnow
from intranet.extensions import db, limiter
from intranet.leases import EXIT_BUSY, JobLease, LeaseBusy, lease, release, take
from intranet.models import User
from suggestions.models import AnonymousQuota, Suggestion
from tests.conftest import login
from tests.groups.conftest import Company, app_with_fresh_globals, company  # noqa: F401 - the fixture, by name
from tests.intranet.test_config import GOOD_PRODUCTION
from tests.suggestions.conftest import staffed  # noqa: F401 - the fixture, by name
from tests.suggestions.test_anonymity import (
    WHISTLEBLOWER_ID,
    browser,
    changes,
    dump,
    idea,
    identity_needles,
    receipt_of,
    text,
    traces,
    whistleblower,
)

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]

OTHER_HOST = """
import json, sys
from intranet import create_app
from tests.conftest import base_config, login
cfg = json.loads(sys.argv[1])
app = create_app(base_config(cfg.pop("url"), **cfg))
client = app.test_client()
print(json.dumps([login(client, sys.argv[2], "wrong").status_code for _ in range(int(sys.argv[3]))]))
"""


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own in the shared Redis; its keys are deleted afterwards."""
    name = f"ting-test-{secrets.token_hex(6)}"
    yield name
    store = redis.Redis.from_url(REDIS)
    keys = list(store.scan_iter(f"*{name}*"))
    if keys:
        store.delete(*keys)
    store.close()


def closed_port_url() -> str:
    """A Redis URL on a loopback port where nothing listens: Redis is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def other_host(
    database_url: str, tmp_path: Path, config: dict[str, Any], username: str, attempts: int
) -> list[int]:
    """Failed logins on a second app host: its own process, the same database and config."""
    cfg = {"url": database_url, "INDEX_DIR": str(tmp_path / "other-index"), **config}
    done = subprocess.run(
        [sys.executable, "-c", OTHER_HOST, json.dumps(cfg), username, str(attempts)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- rate limits in a shared store ---------------------------------------------------------------


def test_failed_logins_on_one_host_count_on_another(database_url, make_app, tmp_path, prefix) -> None:
    shared = {
        "RATELIMIT_STORAGE_URI": REDIS,
        "RATELIMIT_KEY_PREFIX": prefix,
        "LOGIN_LIMIT_PER_USER": "3 per hour",
    }
    host_a = make_app(**shared).test_client()

    assert other_host(database_url, tmp_path, shared, "zoe", 2) == [401, 401]

    assert login(host_a, "zoe", "wrong").status_code == 401  # the third failure, counted on B's two
    assert login(host_a, "zoe", "wrong").status_code == 429
    assert login(host_a, "ingrid", "wrong").status_code == 401  # per person


def test_without_redis_each_host_counts_alone(database_url, make_app, tmp_path) -> None:
    """The control: the test above would see this with per-process limits."""
    alone = {"RATELIMIT_STORAGE_URI": "memory://", "LOGIN_LIMIT_PER_USER": "3 per hour"}
    host_a = make_app(**alone).test_client()

    assert other_host(database_url, tmp_path, alone, "zoe", 2) == [401, 401]

    assert [login(host_a, "zoe", "wrong").status_code for _ in range(4)] == [401, 401, 401, 429]


def test_redis_as_the_shared_url_is_the_limiters_store(make_app) -> None:
    app = make_app(REDIS_URL=REDIS, RATELIMIT_STORAGE_URI=None)
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS
    assert type(limiter.storage).__name__ == "RedisStorage"


def test_each_app_counts_under_its_own_prefix(make_app, prefix) -> None:
    """The limiter is one object per process; the app built last decides its prefix."""
    make_app(RATELIMIT_STORAGE_URI=REDIS, RATELIMIT_KEY_PREFIX="someone-else")
    make_app(RATELIMIT_STORAGE_URI=REDIS, RATELIMIT_KEY_PREFIX=prefix)
    assert limiter._key_prefix == prefix


def test_redis_down_logins_still_answer_and_stay_limited(make_app, caplog) -> None:
    client = make_app(
        RATELIMIT_STORAGE_URI=closed_port_url(), LOGIN_LIMIT_PER_USER="3 per hour"
    ).test_client()

    with caplog.at_level(logging.WARNING, logger="flask-limiter"):
        codes = [login(client, "zoe", "wrong").status_code for _ in range(4)]

    assert codes == [401, 401, 401, 429]  # the same limit, counted in this process's memory
    assert "falling back to in-memory storage" in caplog.text
    assert login(client, "ingrid", "demo").status_code == 302  # and people log in


def test_production_warns_that_memory_limits_are_per_process(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="intranet.shared_state"):
        create_app(GOOD_PRODUCTION)
    assert "counted per worker process" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="intranet.shared_state"):
        create_app({**GOOD_PRODUCTION, "REDIS_URL": REDIS})
    assert "per worker process" not in caplog.text


# --- the anonymous daily quota across hosts --------------------------------------------------------


def suggestion_box(make_app: Any, **config: Any) -> Flask:
    """An app host as the suggestion tests use it: per-request globals really per request."""
    return app_with_fresh_globals(make_app, ANON_DAILY_LIMIT=2, **config)


@pytest.fixture
def app(make_app: Any, prefix: str) -> Flask:
    """Host A, sharing Redis; the ``company`` fixture is built on it."""
    return suggestion_box(make_app, REDIS_URL=REDIS, REDIS_KEY_PREFIX=prefix)


def refused(response: Any) -> bool:
    html = text(unescape(response.get_data(as_text=True)))
    return response.status_code == 422 and "the most anonymous suggestions a day allows" in html


def test_the_anonymous_quota_holds_across_hosts(app, make_app, staffed, prefix) -> None:  # noqa: F811
    host_b = suggestion_box(make_app, REDIS_URL=REDIS, REDIS_KEY_PREFIX=prefix)
    author = whistleblower(staffed)
    on_a, on_b = browser(app, author), browser(host_b, author)
    before = dump()

    receipt_of(on_a.post("/suggestions/new", idea(title="First")))
    receipt_of(on_b.post("/suggestions/new", idea(title="Second")))
    assert refused(on_a.post("/suggestions/new", idea(title="Third")))
    assert refused(on_b.post("/suggestions/new", idea(title="Fourth")))

    db.session.expire_all()
    assert sorted(s.title for s in db.session.scalars(select(Suggestion))) == ["First", "Second"]
    (bucket,) = db.session.scalars(select(AnonymousQuota)).all()
    assert bucket.used == 2
    # Both hosts used the day key in Redis; the database has the bucket, never the key.
    key = redis.Redis.from_url(REDIS).get(f"{prefix}:anon-day-key:{utcnow().date().isoformat()}")
    assert bucket.bucket == hmac.new(key, str(WHISTLEBLOWER_ID).encode(), hashlib.sha256).hexdigest()
    after = dump()
    assert set(changes(before, after)) == {"suggestions", "suggestion_anonymous_quota"}
    needles = [key.hex(), key.decode("latin-1"), *identity_needles(author, on_a.client)]
    needles += identity_needles(author, on_b.client)
    leaks = [
        (name, column, value)
        for name, rows in changes(before, after).items()
        for row in rows
        for column, value in row.items()
        if traces(value, WHISTLEBLOWER_ID, needles)
    ]
    assert leaks == []


def test_the_day_key_in_redis_ends_with_the_day(app, staffed, prefix) -> None:  # noqa: F811
    receipt_of(browser(app, whistleblower(staffed)).post("/suggestions/new", idea()))
    store = redis.Redis.from_url(REDIS)
    (name,) = [k.decode() for k in store.scan_iter(f"{prefix}:*")]
    assert name == f"{prefix}:anon-day-key:{utcnow().date().isoformat()}"
    midnight = datetime.combine(utcnow().date() + timedelta(days=1), time(), tzinfo=UTC)
    left = timedelta(seconds=store.ttl(name))
    assert midnight - utcnow() < left <= midnight - utcnow() + timedelta(minutes=10, seconds=2)


def test_without_redis_each_host_has_its_own_quota(make_app, staffed) -> None:  # noqa: F811
    """The control: one day key per process, so each host counts alone (the old, single-host way)."""
    host_a, host_b = suggestion_box(make_app), suggestion_box(make_app)
    author = whistleblower(staffed)
    on_a, on_b = browser(host_a, author), browser(host_b, author)

    for title in ("A1", "A2"):
        receipt_of(on_a.post("/suggestions/new", idea(title=title)))
    receipt_of(on_b.post("/suggestions/new", idea(title="B1")))
    assert refused(on_a.post("/suggestions/new", idea(title="A3")))


def test_redis_down_the_quota_is_per_process_and_submitting_works(make_app, staffed, caplog) -> None:  # noqa: F811
    host = suggestion_box(make_app, REDIS_URL=closed_port_url())
    author = whistleblower(staffed)
    person = browser(host, author)

    with caplog.at_level(logging.WARNING):
        receipt_of(person.post("/suggestions/new", idea(title="First")))
        receipt_of(person.post("/suggestions/new", idea(title="Second")))
        assert refused(person.post("/suggestions/new", idea(title="Third")))

    assert "anonymous daily quota is counted per process" in caplog.text
    assert not [n for n in identity_needles(author) + [str(WHISTLEBLOWER_ID)] if n in caplog.text]


# --- scheduled jobs on two hosts at once -----------------------------------------------------------


def lease_row(app: Flask, name: str) -> JobLease | None:
    with app.app_context():
        return db.session.get(JobLease, name)


def test_one_of_many_takes_a_lease_at_once(make_app) -> None:
    app = make_app()
    with app.app_context():
        engine = db.engine
    for expired_row in (False, True):  # the INSERT race, then the UPDATE race on a dead holder's row
        if expired_row:
            take(engine, "race", -1, holder="crashed-host:1:dead")
        start = threading.Barrier(8)

        def contend(start: threading.Barrier = start) -> str:
            start.wait()
            try:
                return take(engine, "race", 1).holder
            except LeaseBusy:
                return "busy"

        with ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(lambda _: contend(), range(8)))
        assert outcomes.count("busy") == 7, outcomes
        (winner,) = [o for o in outcomes if o != "busy"]
        assert lease_row(app, "race").holder == winner
        with app.app_context():
            db.session.execute(delete(JobLease))
            db.session.commit()


def test_a_crashed_holders_lease_runs_out(make_app) -> None:
    app = make_app()
    with app.app_context():
        busy = take(db.engine, "test-busy", 5, holder="app1:4242:gone")
        with pytest.raises(LeaseBusy, match=r"already running on another host .*app1:4242:gone, since "):
            take(db.engine, "test-busy", 5)
        take(db.engine, "test-nightly", -0.1, holder="app1:4242:gone")  # ended a few seconds ago
        held = take(db.engine, "test-nightly", 5)
        assert lease_row(app, "test-nightly").holder == held.holder != "app1:4242:gone"
        release(db.engine, busy)
        release(db.engine, held)


def test_a_long_job_keeps_its_lease_and_gives_it_back(make_app) -> None:
    app = make_app()
    with app.app_context(), lease("slow", minutes=0.02) as held:  # 1.2 s, renewed every 0.4 s
        first_end = held.expires_at
        pytime.sleep(2)
        row = lease_row(app, "slow")
        assert row.expires_at > utcnow() and row.expires_at > first_end
        with pytest.raises(LeaseBusy):
            take(db.engine, "slow", 1)
    assert not held.lost
    assert lease_row(app, "slow") is None


def test_a_failed_job_rolls_back_and_gives_the_lease_back(app) -> None:
    with app.app_context():
        with pytest.raises(RuntimeError), lease("doomed"):
            db.session.add(JobLease(name="half-done", holder="x", taken_at=utcnow(), expires_at=utcnow()))
            db.session.flush()
            raise RuntimeError("the job broke")
        assert db.session.scalars(select(JobLease)).all() == []


def test_a_second_directory_sync_refuses_while_the_first_runs(make_app) -> None:
    app = make_app()
    directory = app.extensions["ting.directory"]
    list_everyone, go_on = directory.all_users, threading.Event()

    def slow_listing() -> Any:
        assert go_on.wait(30)
        return list_everyone()

    directory.all_users = slow_listing
    first = threading.Thread(target=run_command, args=(app, sync_command, ["--no-progress"]))
    first.start()
    try:
        assert wait_for(lambda: lease_row(app, "directory-sync") is not None)
        second = app.test_cli_runner().invoke(args=["directory", "sync", "--no-progress"])
        assert second.exit_code == EXIT_BUSY == 75
        since = lease_row(app, "directory-sync").taken_at.strftime("%Y-%m-%d %H:%M:%S")
        assert f"directory-sync is already running on another host or process ({socket.gethostname()}" in (
            second.output
        )
        assert f"since {since} UTC, until " in second.output and "this run did nothing" in second.output
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(User)) == 0  # nothing by the second
    finally:
        go_on.set()
        first.join(30)
    assert lease_row(app, "directory-sync") is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) > 0  # the first one's work
    again = app.test_cli_runner().invoke(args=["directory", "sync", "--no-progress"])
    assert again.exit_code == 0, again.output
    assert "users in the directory" in again.output


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["suggestions", "announce"], "suggestions-announce"),
        (["groups", "ensure-defaults"], "groups-ensure-defaults"),
        (["demo", "load"], "directory-sync"),
    ],
)
def test_cron_commands_wait_their_turn(make_app, args, name) -> None:
    app = make_app()
    with app.app_context():
        held = take(db.engine, name, 5, holder="app2:77:busy")
    busy = app.test_cli_runner().invoke(args=args)
    assert busy.exit_code == EXIT_BUSY, busy.output
    assert "already running on another host or process (app2:77:busy" in busy.output
    with app.app_context():
        release(db.engine, held)
    done = app.test_cli_runner().invoke(args=args)
    assert done.exit_code == 0, done.output
    assert lease_row(app, name) is None


def run_command(app: Flask, command: Any, args: list[str]) -> None:
    """Run a CLI command in this thread as `flask` would (the test runner swaps sys.stdout: one at a time)."""
    with command.make_context(command.name, args, obj=ScriptInfo(create_app=lambda: app)) as ctx:
        command.invoke(ctx)


def wait_for(condition: Any, seconds: float = 10) -> bool:
    end = pytime.monotonic() + seconds
    while pytime.monotonic() < end:
        if condition():
            return True
        pytime.sleep(0.02)
    return False


def test_health_shows_redis_without_failing_on_it(make_app) -> None:
    def health(**config: Any) -> tuple[int, dict[str, str]]:
        response = make_app(**config).test_client().get("/healthz")
        return response.status_code, response.get_json()

    ok = {"status": "ok", "database": "ok", "directory": "ok"}
    assert health(REDIS_URL=REDIS) == (200, {**ok, "redis": "ok"})
    assert health(REDIS_URL=closed_port_url()) == (200, {**ok, "redis": "unavailable"})
    assert "redis" not in health()[1]
