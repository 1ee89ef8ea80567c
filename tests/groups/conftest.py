"""Group fixtures: a small company with every role, built with the real models and services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from groups import services
from groups.models import Group, Visibility
from intranet.extensions import db
from intranet.models import Department, User
from tests.conftest import csrf_token


@dataclass
class Company:
    """Two departments (sales, engineering) and one person per role."""

    sales: Department
    engineering: Department
    admin: User
    management: User
    lead: User  # lead of sales
    other_lead: User  # lead of engineering
    member: User  # in sales; joins groups in the tests that need a member
    colleague: User  # in sales, never a member
    outsider: User  # in engineering

    def person(self, name: str) -> User:
        return getattr(self, name)


def make_user(username: str, department: Department | None, **flags: Any) -> User:
    user = User(
        directory_id=str(uuid.uuid4()),
        username=username,
        dn=f"uid={username},ou=people,dc=example,dc=com",
        display_name=flags.pop("display_name", username.title() + " Tester"),
        department=department,
        **flags,
    )
    db.session.add(user)
    return user


def build_company() -> Company:
    sales = Department(name="Sales", slug="sales")
    engineering = Department(name="Engineering", slug="engineering")
    db.session.add_all([sales, engineering])
    c = Company(
        sales=sales,
        engineering=engineering,
        admin=make_user("admin", engineering, is_admin=True),
        management=make_user("boss", sales, is_management=True),
        lead=make_user("lead", sales),
        other_lead=make_user("otherlead", engineering),
        member=make_user("member", sales),
        colleague=make_user("colleague", sales),
        outsider=make_user("outsider", engineering),
    )
    c.lead.led_departments = [sales]
    c.other_lead.led_departments = [engineering]
    db.session.flush()
    return c


def app_with_fresh_globals(make_app: Any, **config: Any) -> Flask:
    """A demo-directory app whose per-request globals are really per request.

    The ``company`` fixture keeps an app context open for the whole test, and
    Flask reuses it for the test client's requests, so ``g`` (Flask-Login's
    current user, the permission cache) would otherwise carry over between them.
    """
    app = make_app(**config)

    @app.before_request
    def _fresh_request_globals() -> None:
        for key in ("_login_user", "_group_access", "csrf_token"):
            g.pop(key, None)

    return app


@pytest.fixture
def app(make_app: Any) -> Flask:
    """The demo-directory app, with per-request globals really per request."""
    return app_with_fresh_globals(make_app)


@pytest.fixture
def company(app: Flask) -> Any:
    """The company, in an app context that stays open for the test (the test commits what it needs)."""
    with app.test_request_context():
        c = build_company()
        db.session.commit()
        yield c


def new_group(company: Company, name: str = "Group", **kwargs: Any) -> Group:
    """A group in sales created by its lead (kwargs as for ``services.create_group``)."""
    kwargs.setdefault("department", company.sales)
    kwargs.setdefault("visibility", Visibility.OPEN)
    return services.create_group(company.lead, name=name, **kwargs)


def login_as(client: FlaskClient, user: User | str) -> FlaskClient:
    """Log ``user`` (or a ``user.get_id()`` value) in through Flask-Login's session.

    The login form has its own tests (tests/auth).
    """
    with client.session_transaction() as sess:
        sess["_user_id"] = user if isinstance(user, str) else user.get_id()
        sess["_fresh"] = True
    return client


def post_form(
    client: FlaskClient, path: str, data: dict[str, Any] | None = None, form_page: str = "/groups/"
) -> Any:
    """POST with a CSRF token taken from ``form_page`` (any page showing a form)."""
    token = csrf_token(client, form_page)
    return client.post(path, data={"csrf_token": token, **(data or {})})
