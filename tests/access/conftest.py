"""The access suite's company: `flask demo load` plus what the demo lacks to reach every access rule,
built once for the suite (its crawl too), with a logged-in test client per role and a label for every
object.

Restricted objects carry unique marker words (``SECRET_*``) in their titles and bodies, so a
listing page, a search result or a mail that leaks one is found by a plain substring search.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from intranet.clock import utcnow
from intranet.extensions import db
from tests.conftest import Databases, base_config, csrf_token, demo_app, login

#: One demo account per role (as bench/pages.py and the fuzz suite use), and the logged-out visitor.
ROLES = {"anonymous": None, "employee": "zoe", "lead": "bjorn", "management": "ingrid", "admin": "jurgen"}

#: The person who writes the anonymous suggestion (through the real form, logged in): an engineer
#: with no other content, so any page that names them next to the suggestion is a leak.
ANON_AUTHOR = "kenji"

#: Marker words, one per restricted object; each appears nowhere else.
SECRET = {
    "closed_other": "Quokkadeal",  # a Sales closed group's thread (no role but admin is in Sales' group)
    "closed_sub": "Wombatprice",  # its closed sub-group's thread
    "unlisted": "Narwhalpay",  # an unlisted closed Finance group's thread
    "closed_in_open": "Yakreview",  # a closed sub-group of the open Engineering group
    "closed_own": "Tapirshift",  # a thread in the demo's On-call rota (Engineering, closed)
    "hidden": "Pangolinrant",  # a hidden post's body
    "deleted": "Axolotlslip",  # a deleted post's body
    "anon": "Capybarabox",  # the anonymous suggestion
}

#: A second word in each restricted body, to search for: the search page echoes the query, so the
#: check is that the marker (in the title and body) does not come back with it.
SEARCH = {
    key: word
    for key, word in zip(
        SECRET,
        (
            "Dingoclause",
            "Emuquote",
            "Ibexledger",
            "Gnuaudit",
            "Lemurroster",
            "Marmotwiki",
            "Ocelotoops",
            "Quollnights",
        ),
        strict=True,
    )
}


@dataclass
class Company:
    app: Flask
    clients: dict[str, FlaskClient]
    tokens: dict[str, str]
    #: label -> id, per kind of path parameter ("group_id", "thread_id", ...).
    ids: dict[str, dict[str, Any]] = field(default_factory=dict)
    receipt: str = ""
    anon_author: dict[str, str] = field(default_factory=dict)


def _user(name: str) -> Any:
    from intranet.models import User

    return db.session.scalars(select(User).where(User.username == name)).one()


def _department(name: str) -> Any:
    from intranet.models import Department

    return db.session.scalars(select(Department).where(Department.name == name)).one()


def _group(name: str) -> Any:
    from groups.models import Group

    return db.session.scalars(select(Group).where(Group.name == name)).one()


def _add_restricted_content(app: Flask) -> dict[str, dict[str, Any]]:
    """What the demo lacks: closed groups the roles are not in, hidden and deleted posts, a draft digest..."""
    from groups import moderation, posting, services
    from groups.models import JoinRequest, Post, Thread, Visibility
    from intranet.notifications import Notification
    from suggestions import services as suggestions
    from suggestions.digest import months
    from suggestions.digest import services as digests
    from suggestions.models import Campaign, Suggestion

    with app.test_request_context():
        lars, chloe, ewa, noah = (_user(n) for n in ("lars", "chloe", "ewa", "noah"))
        zoe, amelie, bjorn, priya = (_user(n) for n in ("zoe", "amelie", "bjorn", "priya"))
        deal = services.create_group(
            lars,
            name="Deal room",
            description="Pricing of the big deals.",
            department=_department("Sales"),
            visibility=Visibility.CLOSED,
        )
        services.invite_member(lars, deal, chloe)
        t_deal = posting.start_thread(
            chloe,
            deal,
            title=f"{SECRET['closed_other']} renewal",
            body=f"{SECRET['closed_other']} terms, {SEARCH['closed_other']}.",
        )
        pricing = services.create_group(lars, name="Deal room pricing", department=None, parent=deal)
        services.invite_member(lars, pricing, chloe)
        t_sub = posting.start_thread(
            chloe,
            pricing,
            title=f"{SECRET['closed_sub']} list",
            body=f"{SECRET['closed_sub']} margins, {SEARCH['closed_sub']}.",
        )
        payroll = services.create_group(
            ewa,
            name="Payroll board",
            description="Salary runs.",
            department=_department("Finance"),
            visibility=Visibility.CLOSED,
            is_unlisted=True,
        )
        services.invite_member(ewa, payroll, noah)
        t_unlisted = posting.start_thread(
            noah,
            payroll,
            title=f"{SECRET['unlisted']} run",
            body=f"{SECRET['unlisted']} figures, {SEARCH['unlisted']}.",
        )
        # A thread of its own in the demo's On-call rota (Engineering, closed; the lead moderates it).
        t_oncall = posting.start_thread(
            priya,
            _group("On-call rota"),
            title=f"{SECRET['closed_own']} handover",
            body=f"{SECRET['closed_own']} notes, {SEARCH['closed_own']}.",
        )

        engineering = _group("Engineering")
        t_open = db.session.scalars(
            select(Thread).where(Thread.title == "How do I get access to the staging database?")
        ).one()
        hidden = posting.reply(
            amelie, t_open, f"{SECRET['hidden']}: nobody reads the wiki, {SEARCH['hidden']}."
        )
        moderation.hide_post(bjorn, hidden, "Off topic.")
        deleted = posting.reply(amelie, t_open, f"{SECRET['deleted']}: wrong thread, {SEARCH['deleted']}.")
        posting.delete_post(amelie, deleted)
        # Priya follows a thread of her own; zoe's reply notifies her (and not the roles).
        t_priya = posting.start_thread(priya, engineering, title="Okapi review", body="Who reviews it?")
        services.subscribe_thread(priya, t_priya)
        posting.reply(amelie, t_priya, "I can.")
        db.session.flush()

        # A closed sub-group of the open Engineering group, written in last of all: its activity
        # must not show as Engineering's.
        review = services.create_group(
            bjorn,
            name="Incident review",
            description="Blameless reviews.",
            department=None,
            parent=engineering,
            visibility=Visibility.CLOSED,
        )
        services.invite_member(bjorn, review, priya)
        db.session.flush()
        t_review = posting.start_thread(
            priya,
            review,
            title=f"{SECRET['closed_in_open']} of Tuesday",
            body=f"{SECRET['closed_in_open']} notes, {SEARCH['closed_in_open']}.",
            now=utcnow() + timedelta(minutes=5),
        )
        oncall = _group("On-call rota")
        pending = db.session.scalars(select(JoinRequest).where(JoinRequest.group_id == oncall.id)).one()
        sales_draft = suggestions.Draft(
            title="Shared demo laptops for sales",
            body="Two laptops for customer demos.",
            category="tools",
            department=_department("Sales"),
        )
        other_dept = suggestions.submit_named(chloe, sales_draft)
        named = db.session.scalars(select(Suggestion).where(Suggestion.author_id == zoe.id)).first()
        if named is None:
            named = suggestions.submit_named(
                zoe, suggestions.Draft(title="A named one", body="Signed.", category="tools")
            )
        adopted = db.session.scalars(select(Suggestion).where(Suggestion.status == "adopted")).first()
        campaign = db.session.scalars(select(Campaign)).first()

        # A draft digest: the month before the approved one.
        draft_month = months.previous(months.previous(months.first_of(date.today())))
        digests.edit(_user("ingrid"), draft_month, "Draft: not yet approved.", set(), expected_version=0)
        db.session.commit()

        def first_post(thread: Thread) -> int:
            return db.session.scalar(select(func.min(Post.id)).where(Post.thread_id == thread.id))

        notes = {
            name: db.session.scalars(
                select(Notification.id)
                .where(Notification.user_id == _user(name).id)
                .order_by(Notification.id)
            ).first()
            for name in ("zoe", "bjorn", "ingrid", "jurgen", "priya")
        }
        approved_month = months.previous(months.first_of(date.today()))
        return {
            "group_id": {
                "open": engineering.id,
                "company": _group("Office life").id,
                "open_sub": _group("Frontend guild").id,
                "closed_own": oncall.id,
                "closed_in_open": review.id,
                "closed_other": deal.id,
                "closed_sub": pricing.id,
                "unlisted": payroll.id,
                "missing": 999_999,
            },
            "thread_id": {
                "open": t_open.id,
                "closed_own": t_oncall.id,
                "closed_in_open": t_review.id,
                "closed_other": t_deal.id,
                "closed_sub": t_sub.id,
                "unlisted": t_unlisted.id,
                "missing": 999_999,
            },
            "post_id": {
                "open_question": first_post(t_open),
                "hidden": hidden.id,
                "deleted": deleted.id,
                "closed_own": first_post(t_oncall),
                "closed_in_open": first_post(t_review),
                "closed_other": first_post(t_deal),
                "closed_sub": first_post(t_sub),
                "unlisted": first_post(t_unlisted),
                "missing": 999_999,
            },
            "suggestion_id": {
                "named": named.id,
                "other_dept": other_dept.id,
                "adopted": adopted.id,
                "missing": 999_999_999,
            },
            "request_id": {"pending": pending.id, "missing": 999_999},
            "user_id": {"zoe": zoe.id, "priya": priya.id},
            "campaign_id": {"open": campaign.id, "missing": 999_999},
            "notification_id": {
                **{f"of_{n}": i for n, i in notes.items() if i is not None},
                "missing": 999_999,
            },
            "month": {
                "approved": approved_month.strftime("%Y-%m"),
                "draft": draft_month.strftime("%Y-%m"),
                "nonsense": "2020-13",
            },
            "name": {"departments": "departments", "trend": "trend", "missing": "nope"},
        }


def _submit_anonymous(app: Flask, author: str) -> tuple[int, str]:
    """The anonymous suggestion, through the real form as a logged-in person would send it."""
    from suggestions.models import Suggestion

    client = app.test_client()
    assert login(client, author, "demo").status_code == 302
    token = csrf_token(client, "/suggestions/new")
    response = client.post(
        "/suggestions/new",
        data={
            "csrf_token": token,
            "title": f"{SECRET['anon']} for the night shift",
            "body": f"The {SECRET['anon']} idea: a quiet room for the night shift, {SEARCH['anon']}.",
            "target": "company",
            "category": "workplace",
            "identity": "anonymous",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200, (response.status_code, html[:2000])
    receipt = re.search(r'<code id="receipt-code">([^<]*)</code>', html)
    assert receipt, "no receipt shown"
    with app.app_context():
        suggestion = db.session.scalars(
            select(Suggestion).where(Suggestion.title.contains(SECRET["anon"]))
        ).one()
        return suggestion.id, receipt.group(1)


def _follow_up(company: Company) -> None:
    """Activity around the anonymous suggestion: a reviewer asks, the author answers with the receipt
    while logged in as themself, others vote and comment, management moves it on."""
    anon_id = company.ids["suggestion_id"]["anonymous"]
    ingrid = company.clients["management"]
    token = company.tokens["management"]
    r = ingrid.post(
        f"/suggestions/{anon_id}/comments",
        data={"csrf_token": token, "body": "Which shift do you mean?", "as_question": "1"},
    )
    assert r.status_code == 302, r.status_code
    author = company.app.test_client()
    assert login(author, ANON_AUTHOR, "demo").status_code == 302
    token = csrf_token(author, "/suggestions/receipt")
    r = author.post(
        "/suggestions/receipt/answer",
        data={"csrf_token": token, "receipt": company.receipt, "body": "The one from 22 to 6."},
    )
    assert r.status_code in (200, 302), r.get_data(as_text=True)[-3000:]
    company.clients["author"] = author
    zoe = company.clients["employee"]
    zoe.post(f"/suggestions/{anon_id}/vote", data={"csrf_token": company.tokens["employee"], "vote": "up"})
    zoe.post(f"/suggestions/{anon_id}/follow", data={"csrf_token": company.tokens["employee"], "follow": "1"})


@pytest.fixture(scope="package")
def company(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Company]:
    url = databases.create()
    config = base_config(
        url,
        INDEX_DIR=str(tmp_path_factory.mktemp("access-index")),
        LOGIN_LIMIT_PER_USER="100000 per minute",
        LOGIN_LIMIT_PER_CLIENT="100000 per minute",
        RECEIPT_LIMIT_PER_CLIENT="100000 per minute",
        BASE_URL="https://ting.example.com",
    )
    app = demo_app(config)
    runner = app.test_cli_runner()
    ids = _add_restricted_content(app)
    anon_id, receipt = _submit_anonymous(app, ANON_AUTHOR)
    ids["suggestion_id"]["anonymous"] = anon_id
    assert runner.invoke(args=["search", "rebuild"]).exit_code == 0

    with app.app_context():
        author = _user(ANON_AUTHOR)
        anon_author = {"name": author.display_name, "username": author.username, "id": str(author.id)}

    clients, tokens = {}, {}
    for role, username in ROLES.items():
        client = app.test_client()
        if username:
            assert login(client, username, "demo").status_code == 302
            tokens[role] = csrf_token(client, "/profile")
        else:
            tokens[role] = csrf_token(client, "/login")
        clients[role] = client
    company = Company(app, clients, tokens, ids, receipt, anon_author)
    _follow_up(company)
    yield company
    app.extensions["search"].close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="package")
def pages(company: Company) -> list[Any]:
    """Every GET route, as every role, with every labelled object (tests/access/crawl.py)."""
    from .crawl import crawl

    return crawl(company)


@pytest.fixture(scope="package")
def listing_pages(company: Company) -> list[Any]:
    """Search results and similar-title hints for a word of each restricted body, and the newest
    suggestions, as every role (the search page echoes its query, so the words are not the markers)."""
    from .crawl import Page, status_class

    found = []
    for key, word in SEARCH.items():
        paths = (f"/search/?q={word}", f"/search/?q={word}&order=newest", f"/search/similar?title={word}")
        for path in (*paths, "/suggestions/?sort=new"):
            for role in ROLES:
                response = company.clients[role].get(path)
                found.append(
                    Page(role, "search", key, path, status_class(response), response.get_data(as_text=True))
                )
    return found


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "mutates: changes the shared company; runs after the rest of the suite"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The suite shares one company: the tests that change it go last, in their order."""
    items.sort(key=lambda item: item.get_closest_marker("mutates") is not None)
