"""Journeys through the group pages over HTTP, one browser per person, as people would click them."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from groups.models import Group, JoinRequest, ModerationEntry, Post, Thread, Visibility
from groups.posting import start_thread
from intranet.extensions import db
from intranet.models import User
from intranet.notifications import Notification
from tests.groups.conftest import Company, login_as, new_group, post_form


class Browser:
    """One person's browser. Each request runs in an app context of its own, as in production,
    so nothing cached in ``g`` (the logged-in user, their group access) leaks between people."""

    def __init__(self, app: Flask, user: User) -> None:
        self.app, self.client = app, login_as(app.test_client(), user)

    def get(self, url: str) -> TestResponse:
        with self.app.app_context():
            return self.client.get(url)

    def post(self, url: str, data: dict[str, Any] | None = None) -> TestResponse:
        with self.app.app_context():
            return post_form(self.client, url, data)

    def page(self, url: str) -> str:
        response = self.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)


def log_rows(html: str) -> list[list[str]]:
    """The moderation log's table, newest first: [who, what, reason] per row, as plain text."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = [re.findall(r"<td>(.*?)</td>", row, re.S) for row in body.split("</tr>")]
    return [[" ".join(unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in row[1:]] for row in rows if row]


def texts(user: User, kind: str) -> list[str]:
    db.session.expire_all()
    query = select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    return [n.text for n in db.session.scalars(query)]


def only(model: type, *conditions: Any) -> Any:
    db.session.expire_all()
    return db.session.scalars(select(model).where(*conditions)).one()


def test_lead_runs_a_closed_group_end_to_end(app: Flask, company: Company) -> None:
    lead, colleague, boss = (Browser(app, u) for u in (company.lead, company.colleague, company.management))
    member, outsider = Browser(app, company.member), Browser(app, company.outsider)

    # The lead creates a closed group and starts a thread in it.
    data = {"name": "Key accounts", "department": str(company.sales.id), "visibility": "closed"}
    assert lead.post("/groups/new", data).status_code == 302
    group = only(Group, Group.name == "Key accounts")
    assert group.is_closed and group.department_id == company.sales.id
    data = {"title": "Q3 pipeline", "body": "Renewals are due in May."}
    assert lead.post(f"/groups/{group.id}/threads/new", data).status_code == 302
    thread = only(Thread, Thread.group_id == group.id)

    # A colleague in sales sees the group listed, but none of its content.
    assert "Key accounts" in colleague.page("/groups/")
    assert colleague.get(f"/groups/threads/{thread.id}").status_code == 404
    shown = colleague.page(f"/groups/{group.id}")
    assert "only its members read its threads" in shown and "Q3 pipeline" not in shown
    assert outsider.get(f"/groups/{group.id}").status_code == 404

    # Two people ask to join; the lead sees both requests, with their messages.
    data = {"message": "I cover two of these accounts."}
    assert colleague.post(f"/groups/{group.id}/request", data).status_code == 302
    assert boss.post(f"/groups/{group.id}/request", {"message": "Keep me posted."}).status_code == 302
    members_page = lead.page(f"/groups/{group.id}/members")
    assert "Colleague Tester" in members_page and "I cover two of these accounts." in members_page
    queue = lead.page("/groups/queue")
    assert "Colleague Tester" in queue and "Boss Tester" in queue and "Key accounts" in queue

    # Approve one, decline the other, each with a message that reaches the person.
    asked = only(JoinRequest, JoinRequest.user_id == company.colleague.id)
    data = {"decision": "approve", "message": "Welcome aboard"}
    assert lead.post(f"/groups/{group.id}/requests/{asked.id}", data).status_code == 302
    asked = only(JoinRequest, JoinRequest.user_id == company.management.id)
    data = {"decision": "decline", "message": "Too many cooks"}
    assert lead.post(f"/groups/{group.id}/requests/{asked.id}", data).status_code == 302
    (approved,) = texts(company.colleague, "groups.request_approved")
    assert "member of Key accounts" in approved and "Welcome aboard" in approved
    (declined,) = texts(company.management, "groups.request_declined")
    assert "declined" in declined and "Too many cooks" in declined
    assert boss.get(f"/groups/threads/{thread.id}").status_code == 404

    # The new member reads and posts.
    assert "Renewals are due in May." in colleague.page(f"/groups/threads/{thread.id}")
    data = {"body": "Acme will not renew, they say the price is a scam."}
    assert colleague.post(f"/groups/threads/{thread.id}/reply", data).status_code == 302
    assert "Acme will not renew" in colleague.page(f"/groups/threads/{thread.id}")

    # The lead adds a third reader, then hides the reply with a reason.
    assert lead.post(f"/groups/{group.id}/invite", {"username": "member"}).status_code == 302
    reply = only(Post, Post.thread_id == thread.id, Post.is_opening.is_(False))
    data = {"reason": "Names a customer's pricing"}
    assert lead.post(f"/groups/posts/{reply.id}/hide", data).status_code == 302
    for reader, sees_text in ((colleague, True), (lead, True), (member, False)):
        html = reader.page(f"/groups/threads/{thread.id}")
        assert "Hidden by a moderator. Reason: Names a customer&#39;s pricing" in html
        assert ("Acme will not renew" in html) is sees_text

    (told,) = texts(company.colleague, "groups.post_hidden")
    assert "Names a customer's pricing" in told

    # The log tells who did what, and why.
    assert log_rows(lead.page(f"/groups/{group.id}/log")) == [
        ["Lead Tester", "hid a post : Q3 pipeline", "Names a customer's pricing"],
        ["Lead Tester", "added a member : Member Tester", "—"],
        ["Lead Tester", "declined a request to join : Boss Tester", "Too many cooks"],
        ["Lead Tester", "approved a request to join : Colleague Tester", "Welcome aboard"],
    ]
    assert member.get(f"/groups/{group.id}/log").status_code == 200


def test_unlisted_closed_group_is_not_listed_to_the_department(app: Flask, company: Company) -> None:
    lead, colleague = Browser(app, company.lead), Browser(app, company.colleague)
    data = {"name": "Pay review", "department": str(company.sales.id), "visibility": "closed"}
    assert lead.post("/groups/new", {**data, "is_unlisted": "y"}).status_code == 302
    assert lead.post("/groups/new", {**data, "name": "Team offsite"}).status_code == 302
    unlisted = only(Group, Group.name == "Pay review")
    assert unlisted.is_unlisted

    listing = colleague.page("/groups/")
    assert "Team offsite" in listing and "Pay review" not in listing
    assert colleague.get(f"/groups/{unlisted.id}").status_code == 404
    assert colleague.get(f"/groups/{unlisted.id}/request").status_code == 404
    assert "Pay review" in lead.page("/groups/")


def test_sub_group_beyond_max_depth_is_refused_with_a_message(app: Flask, company: Company) -> None:
    chain = [new_group(company, "Level 1")]
    for depth in range(2, 5):
        chain.append(new_group(company, f"Level {depth}", parent=chain[-1]))
    db.session.commit()
    lead = Browser(app, company.lead)

    data = {"name": "Level 5", "visibility": "inherit", "inherits_moderators": "y"}
    assert lead.post(f"/groups/new?parent={chain[-1].id}", data).status_code == 302
    deepest = only(Group, Group.name == "Level 5")
    assert deepest.depth == app.config["GROUP_MAX_DEPTH"] == 5
    assert "New sub-group" not in lead.page(f"/groups/{deepest.id}")

    response = lead.post(f"/groups/new?parent={deepest.id}", {**data, "name": "Level 6"})
    assert response.status_code == 422
    assert "Groups can be nested 5 levels deep at most." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Group).where(Group.name == "Level 6")) == 0


def test_sub_group_that_inherits_follows_its_parent_to_closed(app: Flask, company: Company) -> None:
    parent = new_group(company, "Projects")
    db.session.commit()
    lead, colleague = Browser(app, company.lead), Browser(app, company.colleague)
    for name, visibility in (("Rollout", "inherit"), ("Open house", "open")):
        data = {"name": name, "visibility": visibility, "inherits_moderators": "y"}
        assert lead.post(f"/groups/new?parent={parent.id}", data).status_code == 302
    inheriting = only(Group, Group.name == "Rollout")
    assert inheriting.inherits_visibility and not inheriting.is_closed
    thread_id = start_thread(company.lead, inheriting, title="Cutover", body="Saturday night").id
    db.session.commit()
    assert colleague.get(f"/groups/threads/{thread_id}").status_code == 200

    data = {"name": "Projects", "visibility": "closed"}
    assert lead.post(f"/groups/{parent.id}/edit", data).status_code == 302

    assert only(Group, Group.name == "Rollout").visibility == Visibility.CLOSED
    assert only(Group, Group.name == "Open house").visibility == Visibility.OPEN
    assert colleague.get(f"/groups/threads/{thread_id}").status_code == 404
    edits = db.session.scalars(select(ModerationEntry).where(ModerationEntry.group_id == parent.id)).all()
    assert [e.action.value for e in edits] == ["edit_group"]
