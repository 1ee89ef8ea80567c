"""The fuzz suite's site: one database per run with the demo company (`flask demo load`), its
search index, and a logged-in test client per role, shared by every fuzz test.

The site is built once per run (session scope), so hypothesis draws many requests against it
without rebuilding anything; what accepted input writes stays (later examples see it, as a real
site would). Each request is watched on the real engine: :class:`WriteWatch` records the
INSERT/UPDATE/DELETE statements of every transaction that was committed, so a rejected request
that wrote anything (even half of something) is seen.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from sqlalchemy import event, select

from intranet.extensions import db
from tests.conftest import Databases, base_config, csrf_token, demo_app, login

#: One demo account per role (bench/pages.py uses the same ones).
ROLES = {"employee": "zoe", "lead": "bjorn", "management": "ingrid", "admin": "jurgen"}

#: Deterministic and bounded for CI: the same examples every run, no example database in the repo,
#: no deadline (a cold page may take a while on a shared machine). FUZZ_EXAMPLES scales it up locally.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "10")),
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


class WriteWatch:
    """The write statements the app committed since :meth:`start` (rolled-back ones are forgotten)."""

    WRITES = ("INSERT", "UPDATE", "DELETE")

    def __init__(self) -> None:
        self.pending: list[str] = []
        self.committed: list[str] = []

    def attach(self, engine: Any) -> None:
        event.listen(engine, "before_cursor_execute", self._execute)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)

    def start(self) -> None:
        self.pending, self.committed = [], []

    def _execute(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith(self.WRITES):
            self.pending.append(statement.split("\n", 1)[0][:120])

    def _commit(self, conn) -> None:  # noqa: ANN001
        self.committed += self.pending
        self.pending = []

    def _rollback(self, conn) -> None:  # noqa: ANN001
        self.pending = []


@dataclass
class Site:
    app: Flask
    clients: dict[str, FlaskClient]
    tokens: dict[str, str]
    watch: WriteWatch
    #: Existing ids per kind of path parameter, and other valid values the strategies mix in.
    ids: dict[str, list[int]] = field(default_factory=dict)
    receipt: str = ""

    def client(self, role: str) -> FlaskClient:
        return self.clients[role]


def _known_ids(app: Flask) -> dict[str, list[int]]:
    from groups.models import Group, JoinRequest, Post, Thread
    from intranet.models import Department, User
    from intranet.notifications import Notification
    from suggestions.models import Campaign, Suggestion

    kinds = {
        "group_id": Group.id,
        "thread_id": Thread.id,
        "post_id": Post.id,
        "user_id": User.id,
        "request_id": JoinRequest.id,
        "suggestion_id": Suggestion.id,
        "campaign_id": Campaign.id,
        "notification_id": Notification.id,
        "department_id": Department.id,
    }
    with app.app_context():
        return {name: sorted(db.session.scalars(select(col)).all())[:40] for name, col in kinds.items()}


def _anonymous_receipt(app: Flask) -> str:
    """A real receipt code, so the receipt forms are fuzzed past "wrong code" too."""
    from intranet.models import Department
    from suggestions import services

    with app.app_context():
        engineering = db.session.scalar(select(Department).where(Department.name == "Engineering"))
        draft = services.Draft(
            title="Fuzzing receipt",
            body="A suggestion whose receipt the fuzz tests hold.",
            category="tools",
            department=engineering,
        )
        _suggestion, receipt = services.submit_anonymous(draft)
        db.session.commit()
        return str(receipt)


@pytest.fixture(scope="session")
def site(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = databases.create()
    index = tmp_path_factory.mktemp("fuzz-index")
    config = base_config(
        url,
        INDEX_DIR=str(Path(index)),
        # The fuzz must reach the forms, not the rate limits (these have their own tests).
        LOGIN_LIMIT_PER_USER="100000 per minute",
        LOGIN_LIMIT_PER_CLIENT="100000 per minute",
        RECEIPT_LIMIT_PER_CLIENT="100000 per minute",
        ANON_DAILY_LIMIT=100000,
        DIGEST_PUBLIC=True,
    )
    app = demo_app(config)
    runner = app.test_cli_runner()
    receipt = _anonymous_receipt(app)
    assert runner.invoke(args=["search", "rebuild"]).exit_code == 0

    clients, tokens = {}, {}
    for role, username in ROLES.items():
        client = app.test_client()
        assert login(client, username, "demo").status_code == 302
        clients[role] = client
        tokens[role] = csrf_token(client, "/groups/new" if role in ("lead", "admin") else "/suggestions/new")
    anonymous = app.test_client()
    clients["anonymous"] = anonymous
    tokens["anonymous"] = csrf_token(anonymous, "/login")

    watch = WriteWatch()
    with app.app_context():
        watch.attach(db.engine)
    yield Site(app, clients, tokens, watch, _known_ids(app), receipt)
    app.extensions["search"].close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
