"""The anonymity promises of the suggestion box (TRUST.md §2, A1–A13), each tested where it could fail.

Most tests go through HTTP as a browser would (one app context per request,
see ``tests.groups.test_journeys.Browser``) and compare the whole database
before and after: what must not be stored is searched for in every table.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import inspect
import json
import logging
import re
from datetime import UTC, date, datetime, time, timedelta
from html import unescape
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Date, DateTime, func, select, update
from sqlalchemy import inspect as sa_inspect
from werkzeug.security import check_password_hash
from werkzeug.test import TestResponse

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import User
from intranet.notifications import Notification
from suggestions import anonymity, queries, services, workflow
from suggestions.lifecycle import Status
from suggestions.models import (
    AnonymousQuota,
    Comment,
    CommentKind,
    Follow,
    StatusChange,
    Suggestion,
    Vote,
)
from tests.conftest import SECRET, csrf_token
from tests.groups.conftest import Company, make_user
from tests.groups.test_journeys import Browser
from tests.suggestions.conftest import draft, review, submit

RECEIPT_RE = re.compile(r'<code id="receipt-code">([^<]*)</code>')
RECEIPT_SHAPE = re.compile(r"^(\d+)-(\d{4})-(\d{4})-(\d{4})-(\d{4})$")
WRONG_RECEIPT = "That receipt code does not open any suggestion. Check it and try again."

# Someone nobody could mistake for anything else in a table, a log or a page.
WHISTLEBLOWER_ID = 987654321
WHISTLEBLOWER_LOGIN = "quillon.vexmarrow"
WHISTLEBLOWER_NAME = "Quillon Vexmarrow"
WHISTLEBLOWER_IP = "203.0.113.217"
WHISTLEBLOWER_AGENT = "Mozilla/5.0 (X11; Zephyrine-Browser-7731)"

IDEA = {
    "title": "Night shift needs a second forklift",
    "body": "The single forklift on nights breaks down weekly; we stand idle for hours.",
    "category": "workplace",
}

# The columns of a suggestion and of everything attached to one (A1). A new column here
# (author_ip, session_id, user_agent, submitted_at…) must be a decision, taken with TRUST.md §2.
SUGGESTION_SCHEMA = {
    "suggestions": {
        "id",
        "title",
        "body",
        "expected_benefit",
        "category",
        "department_id",
        "campaign_id",
        "is_anonymous",
        "author_id",
        "credited_id",
        "receipt_hash",
        "status",
        "status_version",
        "submitted_on",
        "first_response_at",
        "decided_at",
        "adopted_on",
        "duplicate_of_id",
        "vote_count",
        "comment_count",
        "announced",
    },
    "suggestion_votes": {"suggestion_id", "user_id", "created_at"},
    "suggestion_follows": {"suggestion_id", "user_id"},
    "suggestion_comments": {"id", "suggestion_id", "kind", "author_id", "body", "created_at"},
    "suggestion_status_changes": {
        "id",
        "suggestion_id",
        "from_status",
        "to_status",
        "response",
        "actor_id",
        "duplicate_of_id",
        "created_at",
    },
    "suggestion_adoptions": {
        "suggestion_id",
        "what_was_done",
        "department_id",
        "estimated_money",
        "estimated_hours",
        "actual_money",
        "actual_hours",
        "benefit_notes",
        "recorded_by_id",
        "updated_at",
    },
    "suggestion_anonymous_quota": {"bucket", "day", "used"},
    # A manager highlighted it in a month's digest: no person, no time.
    "digest_highlights": {"digest_id", "suggestion_id"},
}


# --- helpers -------------------------------------------------------------------------------------


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def whistleblower(company: Company) -> User:
    user = make_user(WHISTLEBLOWER_LOGIN, company.sales, id=WHISTLEBLOWER_ID, display_name=WHISTLEBLOWER_NAME)
    db.session.commit()
    return user


def browser(app: Flask, user: User, *, ip: str = "127.0.0.1", agent: str = "Werkzeug") -> Browser:
    person = Browser(app, user)
    person.client.environ_base.update(REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)
    return person


def idea(target: object = "company", identity: str = "anonymous", **changes: str) -> dict[str, str]:
    target = target if isinstance(target, str) else str(target.id)
    return {**IDEA, "target": target, "identity": identity, **changes}


def receipt_of(response: TestResponse) -> str:
    assert response.status_code == 200, response.status_code
    match = RECEIPT_RE.search(response.get_data(as_text=True))
    assert match, "no receipt on the page answering the anonymous submission"
    return match.group(1)


def receipt_code(suggestion_id: int, digits: str) -> anonymity.Receipt:
    return anonymity.Receipt(suggestion_id, digits)


def one_suggestion(*conditions: Any) -> Suggestion:
    db.session.expire_all()
    return db.session.scalars(select(Suggestion).where(*conditions)).one()


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def midnight_today() -> datetime:
    return datetime.combine(utcnow().date(), time(), tzinfo=UTC)


Dump = dict[str, dict[tuple, dict[str, Any]]]


def dump() -> Dump:
    """Every row of every table, by table name and primary key, read on a connection of its own."""
    tables: Dump = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            key = [c.name for c in table.primary_key.columns] or [c.name for c in table.columns]
            rows = conn.execute(select(table)).mappings().all()
            tables[table.name] = {tuple(row[k] for k in key): dict(row) for row in rows}
    return tables


def changes(before: Dump, after: Dump) -> dict[str, list[dict[str, Any]]]:
    """Rows added or changed (their new values) and rows deleted (their old values), per table."""
    diff: dict[str, list[dict[str, Any]]] = {}
    for name, rows in after.items():
        old = before.get(name, {})
        touched = [row for key, row in rows.items() if old.get(key) != row]
        touched += [row for key, row in old.items() if key not in rows]
        if touched:
            diff[name] = touched
    return diff


def all_values(tables: Dump) -> list[tuple[str, str, Any]]:
    return [
        (name, column, value)
        for name, rows in tables.items()
        for row in rows.values()
        for column, value in row.items()
    ]


def traces(value: Any, number: int, needles: list[str]) -> bool:
    """Does this stored value hold the number, or any needle (case-insensitive, also inside JSON)?"""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int) and value == number:
        return True
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        value = str(value)
    folded = value.casefold()
    return any(needle.casefold() in folded for needle in [str(number), *needles])


def identity_needles(user: User, client: Any = None) -> list[str]:
    needles = [user.username, user.display_name, user.directory_id, user.dn, WHISTLEBLOWER_IP]
    needles.append(WHISTLEBLOWER_AGENT)
    cookie = client.get_cookie("session") if client is not None else None
    return needles + ([cookie.value] if cookie is not None else [])


def has_external_reference(html: str) -> bool:
    """A src/href/action pointing off this site (scheme-relative included)."""
    pattern = r"""(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//"""
    return bool(re.search(pattern, html, re.I)) or "@import" in html or "url(http" in html


def assert_private_page(response: TestResponse) -> None:
    """A10 and A11: strict same-origin CSP, nothing fetched from elsewhere, nothing kept by the browser."""
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert directives.get("default-src") == "'self'", csp
    for name, sources in directives.items():
        assert "*" not in sources and "http" not in sources and "//" not in sources, (name, sources)
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, (name, sources)
    assert "no-store" in response.headers.get("Cache-Control", ""), response.headers.get("Cache-Control")
    assert not has_external_reference(response.get_data(as_text=True))


# --- A1 and A5: nothing stored links the suggestion to a person; no side-channel writes ------------


def test_anonymous_submission_over_http_stores_no_trace_of_the_person(app: Flask, staffed: Company) -> None:
    author = whistleblower(staffed)
    person = browser(app, author, ip=WHISTLEBLOWER_IP, agent=WHISTLEBLOWER_AGENT)
    person.page("/suggestions/new")
    before = dump()

    receipt = receipt_of(person.post("/suggestions/new", idea(staffed.sales)))

    after = dump()
    diff = changes(before, after)
    # A5: the new suggestion and today's quota counter, nothing else: no user row (last_seen,
    # last_login_at…), no notification, no activity, no audit row.
    assert set(diff) == {"suggestions", "suggestion_anonymous_quota"}, sorted(diff)
    assert after["users"] == before["users"]
    for name, rows in diff.items():
        assert len(rows) == 1, (name, rows)
    (row,) = diff["suggestions"]
    assert row["is_anonymous"] and row["author_id"] is None and row["credited_id"] is None
    assert row["title"] == IDEA["title"] and receipt.startswith(f"{row['id']}-")
    # A1: no column of what was written holds the id, login, name, directory id, DN, IP,
    # user agent or session cookie of the person, not even inside a longer string.
    needles = identity_needles(author, person.client)
    leaks = [
        (name, column, value)
        for name, rows in diff.items()
        for row in rows
        for column, value in row.items()
        if traces(value, WHISTLEBLOWER_ID, needles)
    ]
    assert leaks == []


def test_the_columns_of_a_suggestion_and_all_attached_to_it_are_the_allowed_ones(app: Flask) -> None:
    with app.app_context():
        schema = sa_inspect(db.engine)
        names = set(schema.get_table_names())
        attached = {
            name
            for name in names
            if any(fk["referred_table"] == "suggestions" for fk in schema.get_foreign_keys(name))
        }
        # A new table pointing at suggestions (say, suggestion_authors) needs a line in the allow-list.
        assert attached | {"suggestions", "suggestion_anonymous_quota"} == set(SUGGESTION_SCHEMA)
        in_database = {name: {c["name"] for c in schema.get_columns(name)} for name in SUGGESTION_SCHEMA}
        in_models = {name: {c.name for c in db.metadata.tables[name].columns} for name in SUGGESTION_SCHEMA}
    assert in_database == SUGGESTION_SCHEMA
    assert in_models == SUGGESTION_SCHEMA


# --- A3: the receipt ----------------------------------------------------------------------------------


def test_receipt_is_sixteen_random_digits_shown_once_and_stored_only_as_a_scrypt_hash(
    app: Flask, staffed: Company
) -> None:
    author = browser(app, staffed.member)
    codes = [receipt_of(author.post("/suggestions/new", idea(title=f"Idea {i}"))) for i in range(2)]
    secrets_ = []
    for code in codes:
        match = RECEIPT_SHAPE.match(code)
        assert match, code
        secret = "".join(match.groups()[1:])
        assert len(secret) >= 16
        secrets_.append(secret)
        suggestion = one_suggestion(Suggestion.id == int(match.group(1)))
        assert suggestion.receipt_hash.startswith("scrypt:")
        assert check_password_hash(suggestion.receipt_hash, secret)
        # Shown once: not on the suggestion's page, the lists or the follow-up form, not even to the author.
        for url in (
            f"/suggestions/{suggestion.id}",
            "/suggestions/",
            "/suggestions/receipt",
            "/suggestions/new",
        ):
            assert secret not in author.page(url), url
    assert secrets_[0] != secrets_[1]
    assert len({s.receipt_hash for s in db.session.scalars(select(Suggestion))}) == 2  # salted

    # Never stored in plaintext: no table holds the digits, with or without their dashes.
    needles = secrets_ + codes
    stored = [(t, c, v) for t, c, v in all_values(dump()) if any(n in str(v) for n in needles)]
    assert stored == []


def _same_shape(html: str) -> str:
    """The page without what differs between two requests of the same kind (CSRF token, echoed input)."""
    html = re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r'\1"', html)
    html = re.sub(r'(id="receipt"[^>]*value=")[^"]*"', r'\1"', html)
    return re.sub(r'(<input[^>]*name="receipt"[^>]*) value="[^"]*"', r"\1", html)


def test_every_kind_of_wrong_receipt_gets_the_same_answer(
    app: Flask, staffed: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["RECEIPT_LIMIT_PER_CLIENT"] = "1000 per hour"
    anonymous, receipt = services.submit_anonymous(draft("Anonymous idea"))
    named = services.submit_named(staffed.colleague, draft("Named idea"))
    db.session.commit()
    wrong_digits = "1111222233334444" if receipt.secret != "1111222233334444" else "4444333322221111"
    wrong = {
        "wrong code": str(receipt_code(anonymous.id, wrong_digits)),
        "no such suggestion": str(receipt_code(anonymous.id + 1, receipt.secret)),
        "a named suggestion": str(receipt_code(named.id, receipt.secret)),
        "malformed": "my code was something like 1234",
        "too few digits": f"{anonymous.id}-1234-5678",
    }
    checks: list[str] = []
    real_check = anonymity.check_password_hash

    def counted(stored: str, secret: str) -> bool:
        checks.append(secret)
        return real_check(stored, secret)

    monkeypatch.setattr(anonymity, "check_password_hash", counted)
    person = browser(app, staffed.member)
    routes = {
        "/suggestions/receipt": {},
        "/suggestions/receipt/answer": {"body": "Here is more detail."},
        "/suggestions/receipt/withdraw": {"note": ""},
        "/suggestions/receipt/claim": {},
    }
    pages = set()
    for route, extra in routes.items():
        for kind, code in wrong.items():
            checks.clear()
            response = person.post(route, {"receipt": code, **extra})
            html = response.get_data(as_text=True)
            assert response.status_code == 422, (route, kind, response.status_code)
            assert WRONG_RECEIPT in text(html), (route, kind)
            # One slow hash check whatever was wrong: a wrong id costs the time a wrong code does.
            assert len(checks) == 1, (route, kind, len(checks))
            pages.add(_same_shape(html))
    assert len(pages) == 1, "the answers differ by the kind of mistake"
    # Nothing changed on either suggestion.
    assert one_suggestion(Suggestion.id == anonymous.id).status == Status.SUBMITTED
    assert count(Comment) == 0 and count(StatusChange) == 0
    # And the real code opens the suggestion.
    assert person.post("/suggestions/receipt", {"receipt": str(receipt)}).status_code == 200


def _receipt_client(make_app: Any, limit: str) -> tuple[Flask, Browser]:
    app = make_app(RECEIPT_LIMIT_PER_CLIENT=limit)
    with app.app_context():
        user = make_user("guesser", None)
        db.session.commit()
        return app, browser(app, user)


def test_receipt_lookups_are_rate_limited_per_client(make_app: Any) -> None:
    app, guesser = _receipt_client(make_app, "3 per hour")
    code = "123456789012-1111-2222-3333-4444"
    for _ in range(3):
        assert guesser.post("/suggestions/receipt", {"receipt": code}).status_code == 422
    refused = guesser.post("/suggestions/receipt", {"receipt": code})
    assert refused.status_code == 429
    assert "Too many attempts" in text(refused.get_data(as_text=True))
    # Per client: another address still gets its answer.
    guesser.client.environ_base["REMOTE_ADDR"] = "198.51.100.4"
    assert guesser.post("/suggestions/receipt", {"receipt": code}).status_code == 422


def test_all_receipt_routes_share_one_lookup_budget(make_app: Any) -> None:
    """Every receipt route checks a code: RECEIPT_LIMIT_PER_CLIENT is the number of guesses, in total."""
    app, guesser = _receipt_client(make_app, "3 per hour")
    code = {"receipt": "123456789012-1111-2222-3333-4444"}
    assert guesser.post("/suggestions/receipt", code).status_code == 422
    assert guesser.post("/suggestions/receipt/answer", {**code, "body": "x"}).status_code == 422
    assert guesser.post("/suggestions/receipt/withdraw", code).status_code == 422
    statuses = [
        guesser.post(route, code).status_code
        for route in ("/suggestions/receipt/claim", "/suggestions/receipt", "/suggestions/receipt/answer")
    ]
    assert statuses == [429, 429, 429], f"{statuses}: each receipt route has a budget of its own"


# --- A4: nothing in the logs --------------------------------------------------------------------------


def _capture_everything(caplog: pytest.LogCaptureFixture) -> None:
    """Every record: root and the web loggers at DEBUG, SQLAlchemy at its production level.

    SQLAlchemy at INFO is SQL echo, a debugging switch that prints every query's parameters
    (the logged-in user's id among them, when the session loads the user): not a log Ting keeps.
    """
    caplog.set_level(logging.DEBUG)
    for name in ("werkzeug", "flask", "flask_limiter", "flask_wtf", "intranet", "suggestions"):
        caplog.set_level(logging.DEBUG, logger=name)
    caplog.set_level(logging.WARNING, logger="sqlalchemy")


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return caplog.text + "\n".join(str(vars(record)) for record in caplog.records)


def test_anonymous_submission_logs_nobody_and_writes_no_audit_row(
    app: Flask, staffed: Company, caplog: pytest.LogCaptureFixture
) -> None:
    author = whistleblower(staffed)
    person = browser(app, author, ip=WHISTLEBLOWER_IP, agent=WHISTLEBLOWER_AGENT)
    with app.app_context():
        token = csrf_token(person.client, "/suggestions/new")
    caplog.clear()
    _capture_everything(caplog)

    with app.app_context():
        response = person.client.post("/suggestions/new", data={"csrf_token": token, **idea()})
    receipt = receipt_of(response)

    logged = _logged(caplog).casefold()
    needles = [WHISTLEBLOWER_LOGIN, WHISTLEBLOWER_NAME, str(WHISTLEBLOWER_ID), WHISTLEBLOWER_IP]
    needles += [WHISTLEBLOWER_AGENT, receipt, receipt.split("-", 1)[1]]
    assert [n for n in needles if n.casefold() in logged] == []
    assert count(StatusChange) == 0


@pytest.mark.parametrize("failure", ["in the app", "in the database"])
def test_a_failing_anonymous_submission_reports_neither_person_nor_text(
    app: Flask,
    staffed: Company,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
) -> None:
    """The error report of a failed anonymous submission names nobody and does not quote the suggestion.

    "In the database" stands for any refusal by the database (a lock timeout, a full disk, a
    serialization failure): here a row the database rejects, on SQLite and PostgreSQL alike.
    """
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error is logged, a page shown
    submit_anonymous = services.submit_anonymous

    def broken(draft: services.Draft) -> Any:
        if failure == "in the app":
            raise RuntimeError("the service broke")
        return submit_anonymous(dataclasses.replace(draft, category=None))  # NOT NULL: refused

    monkeypatch.setattr(services, "submit_anonymous", broken)
    author = whistleblower(staffed)
    person = browser(app, author, ip=WHISTLEBLOWER_IP, agent=WHISTLEBLOWER_AGENT)
    with app.app_context():
        token = csrf_token(person.client, "/suggestions/new")
    caplog.clear()
    _capture_everything(caplog)

    with app.app_context():
        response = person.client.post("/suggestions/new", data={"csrf_token": token, **idea()})

    assert response.status_code == 500
    logged = _logged(caplog)
    assert "Exception on /suggestions/new [POST]" in logged  # the error itself is reported…
    needles = [WHISTLEBLOWER_LOGIN, WHISTLEBLOWER_NAME, str(WHISTLEBLOWER_ID), WHISTLEBLOWER_IP]
    needles += [WHISTLEBLOWER_AGENT, IDEA["body"], IDEA["title"]]
    assert [n for n in needles if n.casefold() in logged.casefold()] == []  # …but not who, nor what
    db.session.expire_all()
    assert count(Suggestion) == 0 and count(AnonymousQuota) == 0


def test_a_nul_character_in_an_anonymous_suggestion_is_no_server_error(
    app: Flask, staffed: Company, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL refuses NUL in text: the form must answer in words, not with a 500 that logs the text."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    person = browser(app, staffed.member)
    caplog.clear()
    _capture_everything(caplog)

    response = person.post("/suggestions/new", idea(body="Forklift\x00 keys go missing on the night shift."))

    assert response.status_code in (200, 422), response.status_code
    assert "keys go missing" not in _logged(caplog)


# --- A6: no timing correlation ------------------------------------------------------------------------


def test_submission_date_is_a_day_without_a_time(app: Flask, staffed: Company) -> None:
    receipt_of(browser(app, staffed.member).post("/suggestions/new", idea()))
    column = {c["name"]: c for c in sa_inspect(db.engine).get_columns("suggestions")}["submitted_on"]
    assert isinstance(column["type"], Date) and not isinstance(column["type"], DateTime)
    (row,) = dump()["suggestions"].values()
    assert type(row["submitted_on"]) is date and row["submitted_on"] == utcnow().date()
    # Nothing else on the new row carries a moment.
    assert [c for c, v in row.items() if isinstance(v, datetime)] == []


def test_ids_and_the_newest_list_do_not_follow_the_order_of_submission(app: Flask, staffed: Company) -> None:
    inserted = [
        submit(None if i % 2 else staffed.member, f"Idea {i:02d}", department=staffed.sales).id
        for i in range(30)
    ]
    assert min(inserted) >= 10**9  # random ids: they do not count suggestions either
    assert inserted not in (sorted(inserted), sorted(inserted, reverse=True))
    newest = [s.id for s in db.session.scalars(queries.listing(staffed.colleague, queries.Filters()))]
    assert sorted(newest) == sorted(inserted)
    assert newest not in (inserted, inserted[::-1])


@pytest.mark.parametrize("what", ["answer", "withdrawal"])
def test_the_order_of_rows_does_not_date_what_the_anonymous_author_did(
    app: Flask, staffed: Company, what: str
) -> None:
    """The anonymous author's rows carry only the day; their place among timed rows must not say more.

    Between a colleague's comment (or a reviewer's status change) at 10:02 and another at
    10:07, an answer whose id falls between theirs was written between 10:02 and 10:07.
    """
    rounds, between = 6, 0
    elsewhere = submit(staffed.outsider, "Elsewhere")
    for i in range(rounds):
        mine = submit(None, f"Anonymous {i}")
        if what == "answer":
            before = services.add_comment(staffed.colleague, elsewhere, f"Note {i}")
            own = services.answer_as_author(mine, f"Answer {i}")
            after = services.add_comment(staffed.outsider, elsewhere, f"Later note {i}")
        else:
            before = review(staffed.management, submit(staffed.member, f"Before {i}"), Status.UNDER_REVIEW)
            own = anonymous_withdrawal(mine)
            after = review(staffed.management, submit(staffed.member, f"After {i}"), Status.UNDER_REVIEW)
        db.session.commit()
        assert own.created_at == midnight_today() and before.created_at > own.created_at
        between += before.id < own.id < after.id
    assert between < rounds, f"every anonymous {what} sits, by id, between the timed rows around it"


def anonymous_withdrawal(suggestion: Suggestion) -> StatusChange:
    return workflow.withdraw(suggestion, "", author=None, expected_version=suggestion.status_version)


def test_reviewers_hear_of_new_suggestions_only_in_the_next_days_batch(app: Flask, staffed: Company) -> None:
    person = browser(app, staffed.member)
    receipt_of(person.post("/suggestions/new", idea(staffed.sales)))
    assert person.post("/suggestions/new", idea(identity="named", title="Signed")).status_code == 302
    assert count(Notification) == 0  # nobody is told at the moment of submission

    def announce() -> str:
        with app.app_context():
            result = app.test_cli_runner().invoke(args=["suggestions", "announce"])
        assert result.exit_code == 0, result.output
        db.session.expire_all()
        return result.output

    assert announce().startswith("0 ")  # the same day: still nothing
    assert count(Notification) == 0
    yesterday = utcnow().date() - timedelta(days=1)
    db.session.execute(update(Suggestion).values(submitted_on=yesterday))
    db.session.commit()

    assert announce().startswith("2 ")
    told = {n.user_id: n for n in db.session.scalars(select(Notification))}
    assert set(told) == {staffed.management.id, staffed.lead.id}
    assert told[staffed.management.id].params == {"count": 2}  # the whole company's and sales'
    assert told[staffed.lead.id].params == {"count": 1}  # sales only
    assert all(n.kind == "suggestions.new_batch" and n.link == "/suggestions/review" for n in told.values())
    assert announce().startswith("0 ")  # told once


# --- A7: small groups -----------------------------------------------------------------------------------


@pytest.mark.parametrize("departed", [False, True])
def test_a_department_of_four_is_refused_as_anonymous_target(
    app: Flask, company: Company, departed: bool
) -> None:
    if departed:  # five on the books, four still here
        make_user("gone", company.sales, is_deactivated=True)
        db.session.commit()
    person = browser(app, company.member)
    assert "Sales (too small for anonymous suggestions)" in person.page("/suggestions/new")

    refused = person.post("/suggestions/new", idea(company.sales))

    assert refused.status_code == 422
    html = unescape(refused.get_data(as_text=True))
    assert "Sales is too small for an anonymous suggestion to stay anonymous" in text(html)
    assert f'value="{IDEA["title"]}"' in html and IDEA["body"] in html  # the text is kept
    assert count(Suggestion) == 0 and count(AnonymousQuota) == 0
    # Signed, it goes to sales; anonymous, to the whole company.
    assert person.post("/suggestions/new", idea(company.sales, identity="named")).status_code == 302
    receipt_of(person.post("/suggestions/new", idea("company")))
    db.session.expire_all()
    kinds = {(s.department_id, s.is_anonymous) for s in db.session.scalars(select(Suggestion))}
    assert kinds == {(company.sales.id, False), (None, True)}


# --- A8: the daily quota ---------------------------------------------------------------------------


def test_quota_counts_under_an_unlinkable_key_and_stops_at_the_limit(app: Flask, staffed: Company) -> None:
    app.config["ANON_DAILY_LIMIT"] = 2
    author = whistleblower(staffed)
    yesterday = utcnow().date() - timedelta(days=1)
    db.session.add(AnonymousQuota(bucket="f" * 64, day=yesterday, used=2))
    db.session.commit()
    person = browser(app, author)

    receipt_of(person.post("/suggestions/new", idea(title="First")))
    receipt_of(person.post("/suggestions/new", idea(title="Second")))
    refused = person.post("/suggestions/new", idea(title="Third"))

    assert refused.status_code == 422
    html = unescape(refused.get_data(as_text=True))
    assert "You have sent the most anonymous suggestions a day allows" in text(html)
    assert 'value="Third"' in html and IDEA["body"] in html
    db.session.expire_all()
    assert sorted(s.title for s in db.session.scalars(select(Suggestion))) == ["First", "Second"]
    (bucket,) = db.session.scalars(select(AnonymousQuota)).all()  # yesterday's row is gone
    assert bucket.day == utcnow().date() and bucket.used == 2
    # The key cannot be recomputed from the id, nor from the id and the secret key.
    assert re.fullmatch(r"[0-9a-f]{64}", bucket.bucket)
    uid = str(WHISTLEBLOWER_ID).encode()
    assert bucket.bucket not in (
        hashlib.sha256(uid).hexdigest(),
        hmac.new(SECRET.encode(), uid, hashlib.sha256).hexdigest(),
        hmac.new(SECRET.encode() + utcnow().date().isoformat().encode(), uid, hashlib.sha256).hexdigest(),
    )
    # Its columns are a key, a day and a count (the schema test); the key holds no suggestion id
    # and not the person's id.
    rows = list(dump()["suggestion_anonymous_quota"].values())
    assert [set(row) for row in rows] == [{"bucket", "day", "used"}]
    ids = [s.id for s in db.session.scalars(select(Suggestion))] + [WHISTLEBLOWER_ID]
    assert [i for i in ids if traces(rows[0]["bucket"], i, [])] == []

    # Signing still works, and the limit is per person.
    assert person.post("/suggestions/new", idea(identity="named", title="Signed")).status_code == 302
    receipt_of(browser(app, staffed.colleague).post("/suggestions/new", idea(title="Colleague's")))
    db.session.expire_all()
    assert sorted(q.used for q in db.session.scalars(select(AnonymousQuota))) == [1, 2]


# --- A9: the service never sees who -----------------------------------------------------------------


def test_the_anonymous_submit_service_takes_no_user(app: Flask) -> None:
    signature = inspect.signature(services.submit_anonymous)
    assert list(signature.parameters) == ["draft"]
    assert "Draft" in str(signature.parameters["draft"].annotation)
    hints = {f.name: str(f.type) for f in dataclasses.fields(services.Draft)}
    assert not [name for name, hint in hints.items() if "User" in hint or name in ("author", "user")]
    # It works with no request and nobody logged in: it never asks who.
    with app.app_context():
        suggestion, receipt = services.submit_anonymous(draft("From nowhere"))
        db.session.commit()
        assert suggestion.author_id is None and str(receipt).startswith(str(suggestion.id))


# --- A10 and A11: headers ------------------------------------------------------------------------------


def test_anonymous_pages_keep_to_the_site_and_out_of_the_browser_cache(app: Flask, staffed: Company) -> None:
    app.config["RECEIPT_LIMIT_PER_CLIENT"] = "1000 per hour"
    person = browser(app, staffed.member)
    responses = {"form": person.get("/suggestions/new")}
    responses["receipt"] = person.post("/suggestions/new", idea())
    code = receipt_of(responses["receipt"])
    responses["refused"] = person.post("/suggestions/new", idea(title=""))
    responses["open form"] = person.get("/suggestions/receipt")
    responses["follow-up"] = person.post("/suggestions/receipt", {"receipt": code})
    responses["wrong code"] = person.post("/suggestions/receipt", {"receipt": "nope"})
    responses["answer"] = person.post("/suggestions/receipt/answer", {"receipt": code, "body": "More."})
    responses["claim"] = person.post("/suggestions/receipt/claim", {"receipt": code})
    responses["withdraw"] = person.post("/suggestions/receipt/withdraw", {"receipt": code})
    expected = {"refused": 422, "wrong code": 422, "claim": 409}
    for name, response in responses.items():
        assert response.status_code == expected.get(name, 200), (name, response.status_code)
        assert_private_page(response)


# --- A13: no automatic vote or subscription ----------------------------------------------------------


def test_authors_are_neither_voted_for_nor_subscribed(app: Flask, staffed: Company) -> None:
    person = browser(app, staffed.member)
    before = dump()
    assert person.post("/suggestions/new", idea(identity="named", title="Signed")).status_code == 302
    receipt_of(person.post("/suggestions/new", idea(title="Unsigned")))
    after = dump()
    assert after["suggestion_votes"] == before["suggestion_votes"] == {}
    assert after["suggestion_follows"] == before["suggestion_follows"] == {}
    assert [s["vote_count"] for s in after["suggestions"].values()] == [0, 0]
    assert count(Vote) == 0 and count(Follow) == 0


# --- The anonymous author's follow-up, end to end ------------------------------------------------------


def test_anonymous_author_follows_up_with_the_receipt_alone(app: Flask, staffed: Company) -> None:
    app.config["RECEIPT_LIMIT_PER_CLIENT"] = "1000 per hour"
    author = whistleblower(staffed)
    me, lead = browser(app, author), browser(app, staffed.lead)
    readers = [lead, browser(app, staffed.colleague), browser(app, staffed.management)]
    code = receipt_of(me.post("/suggestions/new", idea(staffed.sales)))
    suggestion = one_suggestion(Suggestion.title == IDEA["title"])
    sid = suggestion.id

    def status(target: str, response: str, **extra: str) -> None:
        version = str(one_suggestion(Suggestion.id == sid).status_version)
        data = {"status": target, "response": response, "version": version, "responsible": "", **extra}
        assert lead.post(f"/suggestions/{sid}/status", data).status_code == 302

    def follow_up(route: str = "", **data: str) -> tuple[int, str]:
        response = me.post(f"/suggestions/receipt{route}", {"receipt": code, **data})
        return response.status_code, text(response.get_data(as_text=True))

    # A reviewer answers officially and asks the author a question; no one can be notified.
    status("under_review", "We are pricing a second forklift.")
    question = {"body": "Which nights are worst?", "as_question": "1"}
    assert lead.post(f"/suggestions/{sid}/comments", question).status_code == 302
    assert count(Notification) == 0

    # With the receipt, the author reads both and answers, as "the author", with no person stored.
    http, page = follow_up()
    assert http == 200
    assert "We are pricing a second forklift." in page and "Which nights are worst?" in page
    http, page = follow_up("/answer", body="Fridays, after the late delivery.")
    assert http == 200 and "Your anonymous answer is posted." in page
    answer = db.session.scalars(select(Comment).where(Comment.kind == CommentKind.AUTHOR)).one()
    assert answer.author_id is None and answer.body == "Fridays, after the late delivery."
    assert answer.created_at == midnight_today()  # the day, never the time (A6)
    for reader in readers:
        page = text(reader.page(f"/suggestions/{sid}"))
        assert "The author (anonymous)" in page and "Fridays, after the late delivery." in page
        assert "By Anonymous" in page
        assert WHISTLEBLOWER_NAME not in page and WHISTLEBLOWER_LOGIN not in page
    for url in ("/suggestions/", f"/suggestions/?department={staffed.sales.id}", "/suggestions/review"):
        assert WHISTLEBLOWER_NAME not in lead.page(url), url

    # Credit only once adopted.
    http, page = follow_up("/claim")
    assert http == 409 and "Credit can be claimed once the suggestion is adopted." in page
    status("accepted", "We will buy one.")
    status("adopted", "Bought and in use.", what_was_done="A second forklift for nights.")
    assert one_suggestion(Suggestion.id == sid).credited_id is None
    http, page = follow_up("/claim")
    assert http == 200 and "now credits you by name" in page
    claimed = one_suggestion(Suggestion.id == sid)
    assert claimed.credited_id == WHISTLEBLOWER_ID and claimed.author_id is None and claimed.is_anonymous
    assert f"{WHISTLEBLOWER_NAME} (sent anonymously, credit claimed)" in text(
        lead.page(f"/suggestions/{sid}")
    )
    http, page = follow_up("/claim")
    assert http == 409 and "already been claimed" in page
    http, _ = follow_up("/withdraw")
    assert http == 409  # adopted: final

    # A second anonymous suggestion, withdrawn with its own receipt.
    code = receipt_of(me.post("/suggestions/new", idea(title="Move the smoking area")))
    other = one_suggestion(Suggestion.title == "Move the smoking area")
    http, page = follow_up("/withdraw", note="Already done, I see.")
    assert http == 200 and "Your suggestion is withdrawn." in page
    change = db.session.scalars(select(StatusChange).where(StatusChange.suggestion_id == other.id)).one()
    assert change.to_status == Status.WITHDRAWN and change.actor_id is None
    assert change.created_at == midnight_today() and change.response == "Already done, I see."
    page = text(readers[1].page(f"/suggestions/{other.id}"))
    assert "Withdrawn" in page and "the author" in page and "Already done, I see." in page
    assert WHISTLEBLOWER_NAME not in page
