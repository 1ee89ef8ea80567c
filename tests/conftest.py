"""Fixtures: a real database (SQLite, or a fresh PostgreSQL database per run), the app, a client.

`TEST_DATABASE_URL` picks the database: unset or `sqlite` for a SQLite file,
or a PostgreSQL server URL, on which each run creates (and drops) its own database.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from intranet import create_app
from intranet.config import with_driver
from intranet.extensions import db

SECRET = "test-secret-key-" + "x" * 40


class Databases:
    """Creates throwaway databases on the server the run was given, and drops them at the end."""

    def __init__(self, server_url: str | None, tmp: Path) -> None:
        self.server_url = with_driver(server_url) if server_url else None
        self.tmp = tmp
        self.created: list[str] = []

    @property
    def kind(self) -> str:
        return "postgresql" if self.server_url else "sqlite"

    def create(self) -> str:
        name = f"ting_test_{os.getpid()}_{secrets.token_hex(4)}"
        if not self.server_url:
            return f"sqlite:///{self.tmp / (name + '.sqlite')}"
        self._admin(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        for name in self.created:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        engine = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    dbs = Databases(None if url in ("", "sqlite") else url, tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def database_url(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One database for the run, brought to the newest migration once."""
    from flask_migrate import upgrade

    url = databases.create()
    app = create_app(base_config(url, INDEX_DIR=str(tmp_path_factory.mktemp("index"))))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def base_config(database_url: str, **extra: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": SECRET,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SEARCH_BACKEND": os.environ.get("TEST_SEARCH_BACKEND", "whoosh"),
        # Tests change the data and read the digest at once; the report cache has its own test.
        "DIGEST_REPORT_CACHE_SECONDS": 0,
    }
    cfg.update(extra)
    return cfg


def with_empty_index(app: Flask) -> Flask:
    """Create the app's search index, as `flask search rebuild` does on a new install."""
    app.extensions["search"].rebuild(iter(()), lambda n: None)
    return app


def demo_app(config: dict[str, Any]) -> Flask:
    """An app on a database of its own: migrated, an empty index, the demo company loaded."""
    from flask_migrate import upgrade

    app = create_app(config)
    with app.app_context():
        upgrade()
    with_empty_index(app)
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """Build apps on the run's database and the test's own search index; tables are emptied after."""
    apps: list[Flask] = []

    def make(**config: Any) -> Flask:
        config.setdefault("INDEX_DIR", str(tmp_path / "index"))
        app = with_empty_index(create_app(base_config(database_url, **config)))
        apps.append(app)
        return app

    yield make
    for i, app in enumerate(apps):
        app.extensions["search"].close()
        with app.app_context():
            db.session.remove()
            if i == 0:
                for table in reversed(db.metadata.sorted_tables):
                    db.session.execute(table.delete())
                db.session.commit()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Any) -> Flask:
    """The app with the embedded demo directory."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def login(client: FlaskClient, username: str, password: str, **extra: str) -> Any:
    """POST the login form as a browser would, with its CSRF token."""
    token = csrf_token(client)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token, **extra}
    )


def logout(client: FlaskClient) -> Any:
    token = csrf_token(client, "/profile")
    return client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) on loopback for this test; its `url` is an SMTP_URL."""
    from tests.smtp_server import SmtpServer

    with SmtpServer() as server:
        yield server


@pytest.fixture
def smtp_down_url() -> str:
    """An SMTP_URL where nothing answers: the relay is down."""
    from tests.smtp_server import down_url

    return down_url()
