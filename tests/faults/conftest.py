"""Faults: Ting under gunicorn while a part it depends on fails, and what people sent afterwards.

Each test starts its own server (the fault may be the server's own: a killed worker), runs a
load of people replying in one thread (every reply carries a word of its own) and reading it,
breaks something real while the load runs (the database server, a worker, the index files),
mends it, and then checks the ledger against the database and the index: every reply that was
acknowledged (a redirect to the thread) is stored exactly once and is in the index; a reply
that was refused or got no answer is stored at most once, and whole if at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from intranet.extensions import db
from tests.auth.conftest import person, slapd  # noqa: F401 - the real OpenLDAP, for the directory faults
from tests.conftest import base_config, demo_app
from tests.served import Server, assert_no_exceptions, server_env, start, stop


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start gunicorn on a database URL holding the demo (the test's own); stopped afterwards.

    The log must show no exception: a failure the answers did not show still fails the test.
    """
    servers: list[Server] = []

    def serve(url: str, workers: int = 2, **config: str) -> Server:
        home = tmp_path / f"server{len(servers)}"
        home.mkdir()
        cfg = base_config(url, INDEX_DIR=str(home / "index"), **config)
        app = demo_app(cfg)
        with app.app_context():
            db.engine.dispose()
        app.extensions["search"].close()
        extra = {f"INTRANET_{k}": str(v) for k, v in config.items()}
        server = start(app, server_env(url, cfg, home, **extra), home, workers)
        servers.append(server)
        return server

    yield serve
    for server in servers:
        stop(server)
        with server.app.app_context():
            db.engine.dispose()
        assert_no_exceptions(server.log.read_text())
