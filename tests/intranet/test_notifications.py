"""The notification inbox: only mine, read on opening, never a redirect off Ting, CSRF on read-all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from intranet.extensions import db
from intranet.models import Department, User
from intranet.notifications import KINDS, Notification, notify, unread_count
from tests.conftest import csrf_token
from tests.groups.conftest import login_as, make_user

KIND = "test.hello"


@dataclass
class People:
    alice: User
    bob: User
    lead: User
    admin: User


@pytest.fixture(autouse=True)
def test_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(KINDS, KIND, "%(person)s says hello about %(topic)s.")


@pytest.fixture
def people(app: Flask) -> Iterator[People]:
    """Two plain users, a department lead and an admin, in an app context open for the test."""
    with app.test_request_context():
        sales = Department(name="Sales", slug="sales")
        db.session.add(sales)
        p = People(
            alice=make_user("alice", sales),
            bob=make_user("bob", sales),
            lead=make_user("lead", sales),
            admin=make_user("admin", None, is_admin=True),
        )
        p.lead.led_departments = [sales]
        db.session.commit()
        yield p


def hello(user: User, topic: str = "lunch", link: str = "/profile") -> Notification:
    notify([user.id], KIND, link, person="Zoe", topic=topic)
    db.session.commit()
    return db.session.scalars(
        db.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())
    ).first()


def html(response: Any) -> str:
    return response.get_data(as_text=True)


def test_inbox_lists_only_my_notifications(client: FlaskClient, people: People):
    hello(people.alice, topic="mine")
    hello(people.bob, topic="theirs")
    page = html(login_as(client, people.alice).get("/notifications"))
    assert "Zoe says hello about mine." in page
    assert "theirs" not in page


def test_inbox_marks_unread_in_words_and_links_through_the_opener(client: FlaskClient, people: People):
    unread = hello(people.alice, topic="new one")
    read = hello(people.alice, topic="old one")
    read.read_at = read.created_at
    db.session.commit()
    page = html(login_as(client, people.alice).get("/notifications"))
    items = re.findall(r'<li class="notification[^"]*">.*?</li>', page, re.DOTALL)
    assert len(items) == 2
    new_item = next(i for i in items if "new one" in i)
    old_item = next(i for i in items if "old one" in i)
    assert "Unread" in new_item and "Unread" not in old_item
    assert f'href="/notifications/{unread.id}"' in new_item
    assert "<time" in new_item


def test_inbox_escapes_what_people_wrote(client: FlaskClient, people: People):
    hello(people.alice, topic="<script>alert(1)</script>")
    page = html(login_as(client, people.alice).get("/notifications"))
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_inbox_empty_state(client: FlaskClient, people: People):
    page = html(login_as(client, people.alice).get("/notifications"))
    assert "No notifications yet." in page
    assert "Mark all as read" not in page


def test_inbox_is_paginated_by_30(client: FlaskClient, people: People):
    notify([people.alice.id], KIND, "/profile", person="Zoe", topic="x")
    for _ in range(30):
        notify([people.alice.id], KIND, "/profile", person="Zoe", topic="x")
    db.session.commit()
    login_as(client, people.alice)
    first = html(client.get("/notifications"))
    assert first.count('<li class="notification') == 30
    assert "Page 1 of 2" in first
    assert html(client.get("/notifications?page=2")).count('<li class="notification') == 1
    assert client.get("/notifications?page=3").status_code == 404


def test_nav_shows_the_unread_count_in_words(client: FlaskClient, people: People):
    hello(people.alice)
    hello(people.alice)
    page = html(login_as(client, people.alice).get("/profile"))
    assert re.search(
        r'Notifications <span class="badge">2<span class="visually-hidden"> unread</span></span>', page
    )


def test_nav_shows_no_badge_without_unread(client: FlaskClient, people: People):
    hello(people.bob)
    page = html(login_as(client, people.alice).get("/profile"))
    assert 'href="/notifications"' in page
    assert 'class="badge"' not in page


def test_nav_marks_the_inbox_as_the_current_page(client: FlaskClient, people: People):
    page = html(login_as(client, people.alice).get("/notifications"))
    assert re.search(r'<a href="/notifications" aria-current="page">', page)


def test_unread_count_is_queried_once_per_page(app: Flask, client: FlaskClient, people: People):
    hello(people.alice)
    login_as(client, people.alice)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if "notifications" in statement and "read_at IS NULL" in statement:
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        client.get("/profile")
        assert len(statements) == 1
        statements.clear()
        client.get("/notifications")
        assert len(statements) == 1
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_open_notification_marks_it_read_and_follows_a_local_link(client: FlaskClient, people: People):
    n = hello(people.alice, link="/departments?page=1")
    r = login_as(client, people.alice).get(f"/notifications/{n.id}")
    assert r.status_code == 302
    assert r.headers["Location"] == "/departments?page=1"
    db.session.refresh(n)
    assert n.read_at is not None
    assert unread_count(people.alice.id) == 0


def test_open_another_users_notification_is_404(client: FlaskClient, people: People):
    theirs = hello(people.bob)
    r = login_as(client, people.alice).get(f"/notifications/{theirs.id}")
    assert r.status_code == 404
    db.session.refresh(theirs)
    assert theirs.read_at is None


def test_open_missing_notification_is_404(client: FlaskClient, people: People):
    assert login_as(client, people.alice).get("/notifications/999999").status_code == 404


@pytest.mark.parametrize(
    "link",
    [
        "//evil.example",
        "//evil.example/path",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ],
)
def test_open_notification_never_redirects_off_site(client: FlaskClient, people: People, link: str):
    n = hello(people.alice, link=link)
    r = login_as(client, people.alice).get(f"/notifications/{n.id}")
    assert r.status_code == 302
    assert r.headers["Location"] == "/notifications"
    db.session.refresh(n)
    assert n.read_at is not None


def test_read_all_clears_only_my_count(client: FlaskClient, people: People):
    hello(people.alice)
    hello(people.alice)
    hello(people.bob)
    login_as(client, people.alice)
    token = csrf_token(client, "/notifications")
    r = client.post("/notifications/read-all", data={"csrf_token": token})
    assert r.status_code == 302
    assert r.headers["Location"] == "/notifications"
    assert unread_count(people.alice.id) == 0
    assert unread_count(people.bob.id) == 1
    page = html(client.get("/notifications"))
    assert "All notifications are marked as read." in page
    assert 'class="badge"' not in page
    assert "Unread" not in page


@pytest.mark.parametrize(
    ("next_", "location"),
    [("/notifications?page=2", "/notifications?page=2"), ("//evil.example", "/notifications")],
)
def test_read_all_goes_back_only_to_a_local_page(
    client: FlaskClient, people: People, next_: str, location: str
):
    hello(people.alice)
    login_as(client, people.alice)
    token = csrf_token(client, "/notifications")
    r = client.post("/notifications/read-all", data={"csrf_token": token, "next": next_})
    assert r.headers["Location"] == location


def test_read_all_without_csrf_token_is_refused(client: FlaskClient, people: People):
    hello(people.alice)
    r = login_as(client, people.alice).post("/notifications/read-all")
    assert r.status_code == 400
    assert unread_count(people.alice.id) == 1


def test_read_all_is_post_only(client: FlaskClient, people: People):
    assert login_as(client, people.alice).get("/notifications/read-all").status_code == 405


@pytest.mark.parametrize("path", ["/notifications", "/notifications/1"])
def test_anonymous_is_sent_to_login(client: FlaskClient, path: str):
    r = client.get(path)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login?next=")


def test_anonymous_read_all_is_sent_to_login(client: FlaskClient):
    token = csrf_token(client, "/login")
    r = client.post("/notifications/read-all", data={"csrf_token": token})
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login")


@pytest.mark.parametrize(("who", "shown"), [("alice", False), ("lead", True), ("admin", True)])
def test_nav_shows_moderation_only_to_moderators(client: FlaskClient, people: People, who: str, shown: bool):
    page = html(login_as(client, getattr(people, who)).get("/profile"))
    assert re.search(r'<a href="/groups/"\s*>Groups</a>', page)
    assert bool(re.search(r'<a href="/groups/queue"\s*>Moderation</a>', page)) is shown


def test_notification_text_fills_in_the_registered_sentence():
    n = Notification(kind=KIND, params={"person": "Zoe", "topic": "lunch"}, link="/")
    assert n.text == "Zoe says hello about lunch."


def test_notification_text_of_an_unknown_kind_falls_back_to_the_kind():
    assert Notification(kind="gone.kind", params={"x": 1}, link="/").text == "gone.kind"


def test_notification_text_with_a_missing_param_shows_the_bare_sentence():
    n = Notification(kind=KIND, params={"person": "Zoe"}, link="/")
    assert n.text == "%(person)s says hello about %(topic)s."
