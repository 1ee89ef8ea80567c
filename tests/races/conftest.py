"""Races: Ting under gunicorn on loopback, its own database with the demo data, real logins over HTTP.

One server per run (several sync workers, so requests really run at once, in separate
processes with separate database connections), on a database of its own created on the
run's server (SQLite file or PostgreSQL, as ``TEST_DATABASE_URL`` says). Each test works
on rows of its own (new suggestions, its own people's requests, its own posts), fires its
requests through a barrier, and ends by reading the database directly. The server's log
must show no exception: a 500 fails the test even when its answer was not looked at.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from intranet.extensions import db
from tests.conftest import Databases, base_config, demo_app
from tests.served import Server, assert_no_exceptions, server_env, start, stop

WORKERS = 4


@pytest.fixture(scope="session")
def server(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """gunicorn with WORKERS sync workers on a database of its own holding the demo (`flask demo load`)."""
    home = tmp_path_factory.mktemp("races")
    url = databases.create()
    config = base_config(url, INDEX_DIR=str(home / "index"))
    app = demo_app(config)
    with app.app_context():
        db.engine.dispose()
    app.extensions["search"].close()

    served = start(app, server_env(url, config, home), home, WORKERS)
    try:
        yield served
    finally:
        stop(served)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(autouse=True)
def no_server_errors(server: Server) -> Iterator[None]:
    """Whatever the answers said, the server logged no exception during the test."""
    offset = server.log.stat().st_size
    yield
    assert_no_exceptions(server.logged_since(offset))


@pytest.fixture
def ctx(server: Server) -> Iterator[None]:
    """An app context on the server's database, for reading (and setting up) rows directly."""
    with server.app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
