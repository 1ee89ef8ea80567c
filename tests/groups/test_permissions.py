"""The access rules of ``groups.permissions``: a role × action × kind matrix, then the edges around it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from groups import permissions, services
from groups.models import Group, Visibility
from groups.posting import start_thread
from intranet.extensions import db
from intranet.models import User
from tests.groups.conftest import Company, login_as, new_group

Y, N = True, False

ROLES = ("outsider", "colleague", "member", "lead", "other_lead", "management", "admin")
ACTIONS: dict[str, Callable[[User, Group], bool]] = {
    "list": permissions.can_list,
    "read": permissions.can_read,
    "post": permissions.can_post,
    "moderate": permissions.can_moderate,
    "approve": permissions.can_approve_members,
}

# Every group is in sales. outsider and other_lead are in engineering; admin is too, which changes nothing.
# closed_sub inherits "closed" from its parent (the closed group); open_sub is open under that same parent.
# fmt: off
EXPECTED: dict[tuple[str, str], tuple[bool, bool, bool, bool, bool]] = {
    #                                list read post moderate approve
    ("open", "outsider"):           (Y,   Y,   Y,   N,       N),
    ("open", "colleague"):          (Y,   Y,   Y,   N,       N),
    ("open", "member"):             (Y,   Y,   Y,   N,       N),
    ("open", "lead"):               (Y,   Y,   Y,   Y,       Y),
    ("open", "other_lead"):         (Y,   Y,   Y,   N,       N),
    ("open", "management"):         (Y,   Y,   Y,   N,       N),
    ("open", "admin"):              (Y,   Y,   Y,   Y,       Y),
    ("closed", "outsider"):         (N,   N,   N,   N,       N),
    ("closed", "colleague"):        (Y,   N,   N,   N,       N),
    ("closed", "member"):           (Y,   Y,   Y,   N,       N),
    ("closed", "lead"):             (Y,   Y,   Y,   Y,       Y),
    ("closed", "other_lead"):       (N,   N,   N,   N,       N),
    ("closed", "management"):       (Y,   N,   N,   N,       N),
    ("closed", "admin"):            (Y,   Y,   Y,   Y,       Y),
    ("unlisted", "outsider"):       (N,   N,   N,   N,       N),
    ("unlisted", "colleague"):      (N,   N,   N,   N,       N),
    ("unlisted", "member"):         (Y,   Y,   Y,   N,       N),
    ("unlisted", "lead"):           (Y,   Y,   Y,   Y,       Y),
    ("unlisted", "other_lead"):     (N,   N,   N,   N,       N),
    ("unlisted", "management"):     (N,   N,   N,   N,       N),
    ("unlisted", "admin"):          (Y,   Y,   Y,   Y,       Y),
    # A sub-group is listed only inside its parent, so not to whoever cannot read the parent.
    ("closed_sub", "outsider"):     (N,   N,   N,   N,       N),
    ("closed_sub", "colleague"):    (N,   N,   N,   N,       N),
    ("closed_sub", "member"):       (Y,   Y,   Y,   N,       N),
    ("closed_sub", "lead"):         (Y,   Y,   Y,   Y,       Y),
    ("closed_sub", "other_lead"):   (N,   N,   N,   N,       N),
    ("closed_sub", "management"):   (N,   N,   N,   N,       N),
    ("closed_sub", "admin"):        (Y,   Y,   Y,   Y,       Y),
    ("open_sub", "outsider"):       (N,   N,   N,   N,       N),
    ("open_sub", "colleague"):      (N,   N,   N,   N,       N),
    ("open_sub", "member"):         (Y,   Y,   Y,   N,       N),
    ("open_sub", "lead"):           (Y,   Y,   Y,   Y,       Y),
    ("open_sub", "other_lead"):     (N,   N,   N,   N,       N),
    ("open_sub", "management"):     (N,   N,   N,   N,       N),
    ("open_sub", "admin"):          (Y,   Y,   Y,   Y,       Y),
}
# fmt: on


@pytest.fixture
def groups(company: Company) -> dict[str, Group]:
    """One group of each kind, created by the sales lead; ``member`` belongs to all of them."""
    closed = new_group(company, "Closed", visibility=Visibility.CLOSED)
    kinds = {
        "open": new_group(company, "Open"),
        "closed": closed,
        "unlisted": new_group(company, "Unlisted", visibility=Visibility.CLOSED, is_unlisted=True),
        "closed_sub": new_group(company, "Closed sub", parent=closed, visibility=None),
        "open_sub": new_group(company, "Open sub", parent=closed, visibility=Visibility.OPEN),
    }
    for kind in ("closed", "unlisted", "closed_sub"):
        services.invite_member(company.lead, kinds[kind], company.member)
    for kind in ("open", "open_sub"):
        services.join_group(company.member, kinds[kind])
    db.session.commit()
    return kinds


def test_groups_fixture_has_the_intended_kinds(groups: dict[str, Group]) -> None:
    assert groups["closed_sub"].visibility == Visibility.CLOSED and groups["closed_sub"].inherits_visibility
    assert groups["unlisted"].is_unlisted and groups["open_sub"].visibility == Visibility.OPEN
    assert {g.department.slug for g in groups.values()} == {"sales"}


@pytest.mark.parametrize(("kind", "role"), list(EXPECTED))
def test_access_matrix(company: Company, groups: dict[str, Group], kind: str, role: str) -> None:
    user = company.person(role)
    actual = {action: check(user, groups[kind]) for action, check in ACTIONS.items()}
    assert actual == dict(zip(ACTIONS, EXPECTED[kind, role], strict=True))


def test_access_matrix_covers_every_role_and_kind(groups: dict[str, Group]) -> None:
    assert set(EXPECTED) == {(kind, role) for kind in groups for role in ROLES}


# -- all groups at once --------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["list", "read", "post", "moderate"])
def test_visible_group_ids_agrees_with_single_group_checks(
    company: Company, groups: dict[str, Group], action: str
) -> None:
    extra = [
        services.create_group(company.admin, name="Company", department=None, visibility=Visibility.CLOSED),
        services.create_group(
            company.other_lead, name="Eng", department=company.engineering, visibility=Visibility.CLOSED
        ),
    ]
    services.ban_member(company.lead, groups["open"], company.colleague, "Spam")
    db.session.commit()
    check = ACTIONS[action]
    for role in ROLES:
        user = company.person(role)
        expected = {group.id for group in [*groups.values(), *extra] if check(user, group)}
        assert permissions.visible_group_ids(user, action) == expected, role


def test_activity_order_sql_agrees_with_activity_order(company: Company, groups: dict[str, Group]) -> None:
    """The index orders in SQL, a group page in Python: the same dates, and only readers see the last."""
    later = groups["closed"].created_at + timedelta(days=1)
    for kind in ("open", "closed", "closed_sub"):
        start_thread(company.lead, groups[kind], title=f"News in {kind}", body="…", now=later)
    db.session.commit()
    for role in ROLES:
        user = company.person(role)
        readable = permissions.visible_group_ids(user, "read")
        in_sql = dict(db.session.execute(select(Group.id, permissions.activity_order_sql(readable))).all())
        for kind, group in groups.items():
            shown = permissions.last_activity_shown(user, group)
            assert shown == (group.last_activity_at if group.id in readable else None), (kind, role)
            expected = group.created_at if shown is None else shown
            assert permissions.activity_order(user, group) == in_sql[group.id] == expected, (kind, role)
    closed = groups["closed"]
    assert permissions.activity_order(company.member, closed) == later
    assert permissions.activity_order(company.colleague, closed) == closed.created_at < later


# -- bans, joining, leaving, creating ------------------------------------------------------------------


def test_ban_keeps_open_group_readable_but_stops_posting_joining_and_requests(
    company: Company, groups: dict[str, Group]
) -> None:
    colleague, open_group, closed = company.colleague, groups["open"], groups["closed"]
    assert permissions.can_join(colleague, open_group) and permissions.can_request_to_join(colleague, closed)

    services.ban_member(company.lead, open_group, colleague, "Spam")
    services.ban_member(company.lead, closed, colleague, "Spam")

    assert permissions.is_banned(colleague, open_group)
    assert permissions.can_read(colleague, open_group)
    assert not permissions.can_post(colleague, open_group)
    assert not permissions.can_join(colleague, open_group)
    assert not permissions.can_request_to_join(colleague, closed)


def test_ban_removes_membership(company: Company, groups: dict[str, Group]) -> None:
    services.ban_member(company.lead, groups["closed"], company.member, "Leaked minutes")
    assert not permissions.is_member(company.member, groups["closed"])
    assert not permissions.can_read(company.member, groups["closed"])


# fmt: off
MEMBERSHIP_CASES = [  # kind, role, can_join, can_request_to_join, can_leave
    ("open", "colleague", Y, N, N),
    ("open", "outsider", Y, N, N),
    ("open", "member", N, N, Y),
    ("open", "lead", Y, N, N),         # a moderator may still join to follow the group
    ("closed", "colleague", N, Y, N),
    ("closed", "management", N, Y, N),
    ("closed", "outsider", N, N, N),   # not listed to other departments
    ("closed", "member", N, N, Y),
    ("closed", "lead", N, N, N),       # moderators need no membership
    ("unlisted", "colleague", N, N, N),
    ("closed_sub", "colleague", N, N, N),
    ("open_sub", "colleague", N, N, N),
    ("open_sub", "member", N, N, Y),
]
# fmt: on


@pytest.mark.parametrize(("kind", "role", "join", "ask", "leave"), MEMBERSHIP_CASES)
def test_join_request_and_leave(
    company: Company, groups: dict[str, Group], kind: str, role: str, join: bool, ask: bool, leave: bool
) -> None:
    user, group = company.person(role), groups[kind]
    assert permissions.can_join(user, group) is join
    assert permissions.can_request_to_join(user, group) is ask
    assert permissions.can_leave(user, group) is leave


# fmt: off
CREATE_CASES = [  # role, department, can_create_group
    ("admin", "sales", Y),
    ("admin", "engineering", Y),
    ("admin", None, Y),
    ("lead", "sales", Y),
    ("lead", "engineering", N),
    ("lead", None, N),
    ("other_lead", "sales", N),
    ("management", "sales", N),
    ("management", None, N),
    ("colleague", "sales", N),
]
# fmt: on


@pytest.mark.parametrize(("role", "department", "expected"), CREATE_CASES)
def test_can_create_group_top_level(
    company: Company, role: str, department: str | None, expected: bool
) -> None:
    dept = getattr(company, department) if department else None
    assert permissions.can_create_group(company.person(role), dept.id if dept else None) is expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [("admin", Y), ("lead", Y), ("other_lead", N), ("management", N), ("member", N), ("colleague", N)],
)
def test_can_create_group_sub_group_needs_parent_moderation(
    company: Company, groups: dict[str, Group], role: str, expected: bool
) -> None:
    parent = groups["closed"]
    assert permissions.can_create_group(company.person(role), company.sales.id, parent) is expected


def test_can_create_group_sub_group_stays_in_parent_department(
    company: Company, groups: dict[str, Group]
) -> None:
    assert not permissions.can_create_group(company.admin, company.engineering.id, groups["open"])


# -- membership changes apply at once --------------------------------------------------------------------


def test_leave_group_ends_reading_within_the_same_request(company: Company, groups: dict[str, Group]) -> None:
    member, closed = company.member, groups["closed"]
    assert permissions.can_read(member, closed)  # caches the member's standing for this request
    services.leave_group(member, closed)
    assert not permissions.can_read(member, closed)
    assert not permissions.can_post(member, closed)
    assert closed.id not in permissions.visible_group_ids(member, "read")


def test_invite_member_grants_reading_within_the_same_request(
    company: Company, groups: dict[str, Group]
) -> None:
    colleague, closed = company.colleague, groups["closed"]
    assert not permissions.can_read(colleague, closed)
    services.invite_member(company.lead, closed, colleague)
    assert permissions.can_read(colleague, closed)
    assert closed.id in permissions.visible_group_ids(colleague, "read")


@pytest.mark.parametrize("how", ["leave", "ban"])
def test_losing_a_closed_group_loses_its_sub_groups(
    company: Company, groups: dict[str, Group], how: str
) -> None:
    member = company.member
    for kind in ("closed_sub", "open_sub"):
        assert permissions.can_read(member, groups[kind]) and permissions.can_post(member, groups[kind])
    if how == "leave":
        services.leave_group(member, groups["closed"])
    else:
        services.ban_member(company.lead, groups["closed"], member, "Repeated personal attacks")
    for kind in ("closed_sub", "open_sub"):
        assert not permissions.can_read(member, groups[kind]), kind
        assert not permissions.can_post(member, groups[kind]), kind
    assert not permissions.visible_group_ids(member, "read") & {
        groups["closed_sub"].id,
        groups["open_sub"].id,
    }


def test_ban_from_an_open_group_covers_its_sub_groups(company: Company) -> None:
    parent = new_group(company, "Open parent")
    child = new_group(company, "Open child", parent=parent, visibility=None)
    services.ban_member(company.lead, parent, company.colleague, "Spam")
    assert permissions.can_read(company.colleague, child)  # open: still readable
    assert not permissions.can_post(company.colleague, child)
    assert not permissions.can_join(company.colleague, child)
    with pytest.raises(services.GroupRuleError):
        services.join_group(company.colleague, child)


def test_closed_sub_group_is_listed_to_parent_members_of_other_departments(
    company: Company, groups: dict[str, Group]
) -> None:
    outsider = company.outsider
    services.invite_member(company.lead, groups["closed"], outsider)
    assert permissions.can_list(outsider, groups["closed_sub"])
    assert permissions.can_request_to_join(outsider, groups["closed_sub"])
    assert not permissions.can_read(outsider, groups["closed_sub"])


# -- HTTP: closed content is 404 to non-members (routes in groups/views.py) ------------------------------
# Each test first gets 200 as the member on the same URL, so a 404 means "hidden", not "no such route".


def get_as(app: Flask, client: FlaskClient, user: User, url: str) -> TestResponse:
    """GET ``url`` as ``user`` in an app context of its own, as a real request would run.

    The company fixture keeps a request context pushed and a request reuses it, so without this
    ``g`` (Flask-Login's current user, the access cache) would carry over from the previous request.
    """
    with app.app_context():
        return login_as(client, user).get(url)


@pytest.fixture
def closed_thread_id(company: Company, groups: dict[str, Group]) -> int:
    thread = start_thread(company.member, groups["closed"], title="Reorg plans", body="Secret reorg plans")
    db.session.commit()
    return thread.id


@pytest.mark.parametrize("role", ["outsider", "colleague", "other_lead", "management"])
def test_thread_page_is_404_for_non_members(
    app: Flask, client: FlaskClient, company: Company, closed_thread_id: int, role: str
) -> None:
    url = f"/groups/threads/{closed_thread_id}"
    assert get_as(app, client, company.member, url).status_code == 200
    response = get_as(app, client, company.person(role), url)
    assert response.status_code == 404
    assert "Secret reorg" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("kind", "role"),
    [("closed", "outsider"), ("closed", "other_lead"), ("unlisted", "colleague"), ("unlisted", "management")],
)
def test_group_page_is_404_for_non_members_it_is_not_listed_to(
    app: Flask, client: FlaskClient, company: Company, groups: dict[str, Group], kind: str, role: str
) -> None:
    url = f"/groups/{groups[kind].id}"
    assert get_as(app, client, company.member, url).status_code == 200
    assert get_as(app, client, company.person(role), url).status_code == 404


@pytest.mark.parametrize("role", ["colleague", "management"])
def test_group_page_shows_no_threads_to_department_non_members(
    app: Flask,
    client: FlaskClient,
    company: Company,
    groups: dict[str, Group],
    closed_thread_id: int,
    role: str,
) -> None:
    # The group is listed to them (name and description): the page may exist, its threads may not.
    url = f"/groups/{groups['closed'].id}"
    assert "Reorg plans" in get_as(app, client, company.member, url).get_data(as_text=True)
    response = get_as(app, client, company.person(role), url)
    assert response.status_code in (200, 404)
    assert "Reorg plans" not in response.get_data(as_text=True)
