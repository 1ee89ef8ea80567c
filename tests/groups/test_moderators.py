"""Appointed moderators: leads appoint and dismiss them, sub-groups inherit them unless told otherwise."""

from __future__ import annotations

from sqlalchemy import select

from groups import permissions
from groups.models import ModAction, ModerationEntry, Visibility
from intranet.extensions import db
from intranet.notifications import Notification
from tests.groups.conftest import login_as, new_group, post_form


def test_lead_appoints_and_dismisses_a_moderator(app, company):
    group = new_group(company, "Customer care", visibility=Visibility.CLOSED)
    inheriting = new_group(company, "Escalations", parent=group, visibility=None)
    own = new_group(company, "Own moderators", parent=group, visibility=None, inherits_moderators=False)
    db.session.commit()
    colleague_id = company.colleague.id
    lead = login_as(app.test_client(), company.lead)

    response = post_form(lead, f"/groups/{group.id}/moderators", {"username": "COLLEAGUE"})
    assert response.status_code == 302
    db.session.expire_all()
    permissions.forget_access()
    assert permissions.can_moderate(company.colleague, group)
    assert permissions.can_moderate(company.colleague, inheriting)
    assert not permissions.can_moderate(company.colleague, own)
    page = lead.get(f"/groups/{group.id}/members").get_data(as_text=True)
    assert "Colleague Tester" in page and "Appointed" in page
    notes = db.session.scalars(select(Notification).where(Notification.user_id == colleague_id)).all()
    assert [n.kind for n in notes] == ["groups.appointed"]
    actions = db.session.scalars(
        select(ModerationEntry.action).where(ModerationEntry.group_id == group.id)
    ).all()
    assert ModAction.APPOINT_MODERATOR in actions

    # An appointed moderator moderates, but does not appoint others.
    appointee = login_as(app.test_client(), company.colleague)
    assert post_form(appointee, f"/groups/{group.id}/moderators", {"username": "member"}).status_code == 403

    response = post_form(lead, f"/groups/{group.id}/moderators/{colleague_id}/dismiss")
    assert response.status_code == 302
    db.session.expire_all()
    permissions.forget_access()
    assert not permissions.can_moderate(company.colleague, group)
    assert not permissions.can_read(company.colleague, group)


def test_appointing_twice_or_an_unknown_name_is_refused_with_a_message(app, company):
    group = new_group(company, "Field sales")
    db.session.commit()
    lead = login_as(app.test_client(), company.lead)
    post_form(lead, f"/groups/{group.id}/moderators", {"username": "member"})
    again = post_form(lead, f"/groups/{group.id}/moderators", {"username": "member"})
    assert "already moderates" in lead.get(again.headers["Location"]).get_data(as_text=True)
    unknown = post_form(lead, f"/groups/{group.id}/moderators", {"username": "nobody-here"})
    assert "active colleague" in lead.get(unknown.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert [u.username for u in group.moderators] == ["member"]


def test_employees_and_other_leads_cannot_appoint(app, company):
    group = new_group(company, "Key accounts")
    db.session.commit()
    for person in (company.member, company.other_lead, company.management):
        client = login_as(app.test_client(), person)
        assert (
            post_form(client, f"/groups/{group.id}/moderators", {"username": "colleague"}).status_code == 403
        )
    db.session.expire_all()
    assert group.moderators == []
