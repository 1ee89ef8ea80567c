"""Several app hosts behind a load balancer, one database, one Redis: nothing lives in one host's memory.

A second "host" is a second process (``other_host``), since the rate limiter is one
object per process: two apps in one process would share it whatever the store.
Redis is the real one on 127.0.0.1:6379; each test counts under its own key prefix.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from intranet import create_app
from intranet.extensions import limiter
from tests.conftest import login
from tests.intranet.test_config import GOOD_PRODUCTION

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
