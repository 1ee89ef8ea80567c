"""Access: every GET route, as every role, with every labelled object, against a declared allow-list;
listing pages and search never show what a role may not read; POSTs to what a role may not touch
are refused and change nothing.

The allow-list reads: endpoint, object label (the conftest's ``ids``; "-" for a route without
ids; "a/b" for two), then what each role gets: ``200``; ``login`` (a redirect to the login page);
``→/path`` (another redirect, digits shown as N; ``→thread``, ``→profile``, ``→queue``
and ``→month`` are short for /groups/threads/N, /profile, /groups/queue and /digest/N-N);
``403`` where the design says forbidden; ``404`` for what does not exist and for what must not
be known to exist (closed groups' content).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import login

from .conftest import ROLES, SECRET, Company
from .crawl import Page, crawl, get_rules, targets

# fmt: off
ALLOWED = """
# endpoint               object               anonymous  employee   lead       management admin
auth.login               -                    200        →profile   →profile   →profile   →profile
auth.profile             -                    login      200        200        200        200
core.departments         -                    login      200        200        200        200
core.healthz             -                    200        200        200        200        200
core.index               -                    login      →profile   →profile   →profile   →profile
core.notifications       -                    login      200        200        200        200
core.open_notification   missing              login      404        404        404        404
core.open_notification   of_bjorn             login      404        →queue     404        404
core.open_notification   of_jurgen            login      404        404        404        →thread
core.open_notification   of_priya             login      404        404        404        404
core.open_notification   of_zoe               login      →thread    404        404        404
digest.archive_page      -                    login      403        403        200        403
digest.atom              -                    login      403        403        200        403
digest.chart             approved/departments login      403        403        200        403
digest.chart             approved/missing     login      404        404        404        404
digest.chart             approved/trend       login      403        403        200        403
digest.chart             draft/departments    login      403        403        200        403
digest.chart             draft/missing        login      404        404        404        404
digest.chart             draft/trend          login      403        403        200        403
digest.chart             nonsense/departments login      404        404        404        404
digest.chart             nonsense/missing     login      404        404        404        404
digest.chart             nonsense/trend       login      404        404        404        404
digest.csv_export        approved             login      403        403        200        403
digest.csv_export        draft                login      403        403        200        403
digest.csv_export        nonsense             login      404        404        404        404
digest.index             -                    login      403        403        →month     403
digest.show              approved             login      403        403        200        403
digest.show              draft                login      403        403        200        403
digest.show              nonsense             login      404        404        404        404
groups.edit              closed_in_open       login      404        200        404        200
groups.edit              closed_other         login      404        404        404        200
groups.edit              closed_own           login      404        200        404        200
groups.edit              closed_sub           login      404        404        404        200
groups.edit              company              login      403        403        403        200
groups.edit              missing              login      404        404        404        404
groups.edit              open                 login      403        200        403        200
groups.edit              open_sub             login      403        200        403        200
groups.edit              unlisted             login      404        404        404        200
groups.edit_post         closed_in_open       login      404        403        404        403
groups.edit_post         closed_other         login      404        404        404        403
groups.edit_post         closed_own           login      404        403        404        403
groups.edit_post         closed_sub           login      404        404        404        403
groups.edit_post         deleted              login      403        403        403        403
groups.edit_post         hidden               login      403        403        403        403
groups.edit_post         missing              login      404        404        404        404
groups.edit_post         open_question        login      200        403        403        403
groups.edit_post         unlisted             login      404        404        404        403
groups.flag              closed_in_open       login      404        200        404        200
groups.flag              closed_other         login      404        404        404        200
groups.flag              closed_own           login      404        200        404        200
groups.flag              closed_sub           login      404        404        404        200
groups.flag              deleted              login      403        403        403        403
groups.flag              hidden               login      403        403        403        403
groups.flag              missing              login      404        404        404        404
groups.flag              open_question        login      403        200        200        200
groups.flag              unlisted             login      404        404        404        200
groups.hide              closed_in_open       login      404        200        404        200
groups.hide              closed_other         login      404        404        404        200
groups.hide              closed_own           login      404        200        404        200
groups.hide              closed_sub           login      404        404        404        200
groups.hide              deleted              login      403        404        403        404
groups.hide              hidden               login      403        200        403        200
groups.hide              missing              login      404        404        404        404
groups.hide              open_question        login      403        200        403        200
groups.hide              unlisted             login      404        404        404        200
groups.history           closed_in_open       login      404        200        404        200
groups.history           closed_other         login      404        404        404        200
groups.history           closed_own           login      404        200        404        200
groups.history           closed_sub           login      404        404        404        200
groups.history           deleted              login      404        404        404        404
groups.history           hidden               login      404        200        404        200
groups.history           missing              login      404        404        404        404
groups.history           open_question        login      200        200        200        200
groups.history           unlisted             login      404        404        404        200
groups.index             -                    login      200        200        200        200
groups.log               closed_in_open       login      404        200        404        200
groups.log               closed_other         login      404        404        404        200
groups.log               closed_own           login      404        200        404        200
groups.log               closed_sub           login      404        404        404        200
groups.log               company              login      200        200        200        200
groups.log               missing              login      404        404        404        404
groups.log               open                 login      200        200        200        200
groups.log               open_sub             login      200        200        200        200
groups.log               unlisted             login      404        404        404        200
groups.members           closed_in_open       login      404        200        404        200
groups.members           closed_other         login      404        404        404        200
groups.members           closed_own           login      404        200        404        200
groups.members           closed_sub           login      404        404        404        200
groups.members           company              login      200        200        200        200
groups.members           missing              login      404        404        404        404
groups.members           open                 login      200        200        200        200
groups.members           open_sub             login      200        200        200        200
groups.members           unlisted             login      404        404        404        200
groups.move              closed_in_open       login      404        200        404        200
groups.move              closed_other         login      404        404        404        200
groups.move              closed_own           login      404        200        404        200
groups.move              closed_sub           login      404        404        404        200
groups.move              missing              login      404        404        404        404
groups.move              open                 login      403        200        403        200
groups.move              unlisted             login      404        404        404        200
groups.new               -                    login      403        200        403        200
groups.new_thread        closed_in_open       login      404        200        404        200
groups.new_thread        closed_other         login      404        404        404        200
groups.new_thread        closed_own           login      404        200        404        200
groups.new_thread        closed_sub           login      404        404        404        200
groups.new_thread        company              login      200        200        200        200
groups.new_thread        missing              login      404        404        404        404
groups.new_thread        open                 login      200        200        200        200
groups.new_thread        open_sub             login      200        200        200        200
groups.new_thread        unlisted             login      404        404        404        200
groups.post              closed_in_open       login      404        →thread    404        →thread
groups.post              closed_other         login      404        404        404        →thread
groups.post              closed_own           login      404        →thread    404        →thread
groups.post              closed_sub           login      404        404        404        →thread
groups.post              deleted              login      →thread    →thread    →thread    →thread
groups.post              hidden               login      →thread    →thread    →thread    →thread
groups.post              missing              login      404        404        404        404
groups.post              open_question        login      →thread    →thread    →thread    →thread
groups.post              unlisted             login      404        404        404        →thread
groups.queue             -                    login      403        200        403        200
groups.request_join      closed_in_open       login      200        403        200        403
groups.request_join      closed_other         login      404        404        404        403
groups.request_join      closed_own           login      200        403        404        403
groups.request_join      closed_sub           login      404        404        404        403
groups.request_join      company              login      403        403        403        403
groups.request_join      missing              login      404        404        404        404
groups.request_join      open                 login      403        403        403        403
groups.request_join      open_sub             login      403        403        403        403
groups.request_join      unlisted             login      404        404        404        403
groups.show              closed_in_open       login      200        200        200        200
groups.show              closed_other         login      404        404        404        200
groups.show              closed_own           login      200        200        404        200
groups.show              closed_sub           login      404        404        404        200
groups.show              company              login      200        200        200        200
groups.show              missing              login      404        404        404        404
groups.show              open                 login      200        200        200        200
groups.show              open_sub             login      200        200        200        200
groups.show              unlisted             login      404        404        404        200
groups.thread            closed_in_open       login      404        200        404        200
groups.thread            closed_other         login      404        404        404        200
groups.thread            closed_own           login      404        200        404        200
groups.thread            closed_sub           login      404        404        404        200
groups.thread            missing              login      404        404        404        404
groups.thread            open                 login      200        200        200        200
groups.thread            unlisted             login      404        404        404        200
search.index             -                    login      200        200        200        200
search.similar           -                    login      200        200        200        200
suggestions.adoption     adopted              login      403        403        200        403
suggestions.adoption     anonymous            login      403        403        403        403
suggestions.adoption     missing              login      404        404        404        404
suggestions.adoption     named                login      403        200        200        403
suggestions.adoption     other_dept           login      403        403        403        403
suggestions.board        -                    login      200        200        200        200
suggestions.campaign     missing              login      404        404        404        404
suggestions.campaign     open                 login      200        200        200        200
suggestions.campaigns    -                    login      200        200        200        200
suggestions.index        -                    login      200        200        200        200
suggestions.new          -                    login      200        200        200        200
suggestions.new_campaign -                    login      403        403        200        403
suggestions.queue        -                    login      403        200        200        403
suggestions.receipt      -                    login      200        200        200        200
suggestions.show         adopted              login      200        200        200        200
suggestions.show         anonymous            login      200        200        200        200
suggestions.show         missing              login      404        404        404        404
suggestions.show         named                login      200        200        200        200
suggestions.show         other_dept           login      200        200        200        200
"""
# fmt: on


def _table(text: str) -> dict[tuple[str, str], dict[str, str]]:
    table = {}
    for line in text.strip().splitlines():
        if line.startswith("#"):
            continue
        endpoint, label, *statuses = line.split()
        assert len(statuses) == len(ROLES), line
        table[(endpoint, label)] = dict(zip(ROLES, statuses, strict=True))
    return table


def test_every_get_route_answers_each_role_as_the_allow_list_says(company: Company, pages: list[Page]):
    allowed = _table(ALLOWED)
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for p in pages:
        seen.setdefault((p.endpoint, p.label), {})[p.role] = p.status
    differences = []
    for cell in sorted(set(allowed) | set(seen)):
        want, got = allowed.get(cell, {}), seen.get(cell, {})
        for role in ROLES:
            if want.get(role) != got.get(role):
                differences.append(
                    f"{cell[0]:24} {cell[1]:21} {role:10} allowed {want.get(role)}, got {got.get(role)}"
                )
    assert not differences, "\n" + "\n".join(differences)


def test_the_crawl_substitutes_every_object_of_every_kind(company: Company):
    """Every labelled object of a kind reaches every route that takes that kind: none is sampled."""
    for rule in get_rules(company):
        expected = 1
        for name in rule.arguments:
            expected *= len(company.ids[name])
        assert len(targets(company, rule)) == expected, rule.endpoint


#: Who may read each marked object (conftest ``SECRET``): the closed groups' members and moderators,
#: a hidden post's moderators (its author is no role here), nobody a deleted post.
MAY_READ = {
    "closed_other": {"admin"},
    "closed_sub": {"admin"},
    "unlisted": {"admin"},
    "closed_in_open": {"lead", "admin"},  # bjorn moderates Engineering's sub-groups
    "closed_own": {"lead", "admin"},  # bjorn leads Engineering; jurgen is a member (and an admin)
    "hidden": {"lead", "admin"},
    "deleted": set(),
    "anon": {"employee", "lead", "management", "admin"},  # the box is company-wide
}


def test_no_page_shows_a_role_what_it_may_not_read(pages: list[Page], listing_pages: list[Page]):
    """Every page of the crawl (group index, lists, notifications, digest, feed, profile...) and
    search for words of every restricted text: the restricted titles and bodies stay out."""
    leaks = []
    for page in pages + listing_pages:
        text = page.html.lower()
        for key, marker in SECRET.items():
            if page.role not in MAY_READ[key] and marker.lower() in text:
                leaks.append(f"{page.role:10} {page.path:40} shows {key} ({marker})")
    assert not leaks, "\n" + "\n".join(sorted(set(leaks)))


def test_the_markers_are_found_where_they_may_be(pages: list[Page], listing_pages: list[Page]):
    """The leak check can fail: who may read an object finds its marker in the pages and in search."""
    found = {(p.role, key) for p in pages for key, m in SECRET.items() if m in p.html}
    searched = {(p.role, p.label) for p in listing_pages if p.label in SECRET and SECRET[p.label] in p.html}
    missing = [
        (role, key, where)
        for key, roles in MAY_READ.items()
        for role in roles
        for where, seen in (("pages", found), ("search", searched))
        if (role, key) not in seen
    ]
    assert not missing


def test_notifications_list_only_the_readers_own(company: Company):
    from intranet.extensions import db
    from intranet.notifications import Notification

    with company.app.app_context():
        owner = dict(db.session.execute(db.select(Notification.id, Notification.user_id)).all())
        from intranet.models import User

        ids = dict(db.session.execute(db.select(User.username, User.id)).all())
    for role, username in ROLES.items():
        if username is None:
            continue
        html = company.clients[role].get("/notifications").get_data(as_text=True)
        linked = {int(i) for i in re.findall(r'href="/notifications/(\d+)"', html)}
        assert {owner[i] for i in linked} <= {ids[username]}, role


# fmt: off
PUBLIC_DIGEST = """
# with DIGEST_PUBLIC: every employee reads approved months; drafts stay management's (404 to others)
# endpoint               object               anonymous  employee   lead       management admin
digest.archive_page      -                    login      200        200        200        200
digest.atom              -                    login      200        200        200        200
digest.chart             approved/departments login      200        200        200        200
digest.chart             approved/missing     login      404        404        404        404
digest.chart             approved/trend       login      200        200        200        200
digest.chart             draft/departments    login      404        404        200        404
digest.chart             draft/missing        login      404        404        404        404
digest.chart             draft/trend          login      404        404        200        404
digest.chart             nonsense/departments login      404        404        404        404
digest.chart             nonsense/missing     login      404        404        404        404
digest.chart             nonsense/trend       login      404        404        404        404
digest.csv_export        approved             login      200        200        200        200
digest.csv_export        draft                login      404        404        200        404
digest.csv_export        nonsense             login      404        404        404        404
digest.index             -                    login      →month     →month     →month     →month
digest.show              approved             login      200        200        200        200
digest.show              draft                login      404        404        200        404
digest.show              nonsense             login      404        404        404        404
"""
# fmt: on


def test_a_public_digest_shows_approved_months_to_all_and_drafts_to_management(company: Company):
    company.app.config["DIGEST_PUBLIC"] = True
    try:
        pages = [p for p in crawl(company, endpoints=lambda e: e.startswith("digest."))]
    finally:
        company.app.config["DIGEST_PUBLIC"] = False
    allowed = _table(PUBLIC_DIGEST)
    differences = [
        f"{p.endpoint:24} {p.label:20} {p.role:10} "
        f"allowed {allowed.get((p.endpoint, p.label), {}).get(p.role)}, got {p.status}"
        for p in pages
        if allowed.get((p.endpoint, p.label), {}).get(p.role) != p.status
    ]
    assert not differences, "\n" + "\n".join(differences)


def test_a_closed_groups_activity_is_dated_only_for_its_readers(company: Company):
    """Not shown, not counted: a closed group's last activity is not on the cards of those who may not
    read it, and a closed sub-group's newest thread does not move its open parent's."""
    from groups.models import Group
    from intranet.extensions import db

    ids = company.ids["group_id"]
    with company.app.app_context():
        engineering = db.session.get(Group, ids["open"])
        review = db.session.get(Group, ids["closed_in_open"])
        assert engineering.last_activity_at < review.last_activity_at
    cards = {
        role: {
            name: "Last activity" in card
            for card in re.findall(
                r'(?s)<li class="card">(.*?)</li>', company.clients[role].get("/groups/").text
            )
            for name in re.findall(r'<h2><a href="/groups/\d+">([^<]+)</a>', card)
        }
        for role in ("employee", "lead", "management")
    }
    assert cards["employee"]["On-call rota"] is False  # listed to Engineering, read by members only
    assert cards["lead"]["On-call rota"] is True  # its moderator
    assert cards["employee"]["Engineering"] is True
    assert "On-call rota" not in cards["management"]


def _html(company: Company, role: str, path: str, client: Any = None) -> str:
    return (client or company.clients[role]).get(path).get_data(as_text=True)


@pytest.mark.mutates
def test_a_removed_member_keeps_no_titles_from_the_closed_group_in_notifications(company: Company):
    """Notifications are filtered by the same rule: once out of a closed group, its thread titles
    leave the inbox and its links lead back to the inbox."""
    from groups import posting, services
    from groups.models import Thread
    from intranet.extensions import db

    from .conftest import _group, _user

    with company.app.test_request_context():
        lars, omar = _user("lars"), _user("omar")
        deal = _group("Deal room")
        services.invite_member(lars, deal, omar)
        thread = db.session.get(Thread, company.ids["thread_id"]["closed_other"])
        services.subscribe_thread(omar, thread)
        posting.reply(_user("chloe"), thread, "A new offer.")
        db.session.commit()
    omar_client = company.app.test_client()
    assert login(omar_client, "omar", "demo").status_code == 302
    assert SECRET["closed_other"] in _html(company, "omar", "/notifications", omar_client)  # while a member
    with company.app.test_request_context():
        services.remove_member(_user("lars"), _group("Deal room"), _user("omar"), "Left the deal team.")
        db.session.commit()
    html = _html(company, "omar", "/notifications", omar_client)
    assert SECRET["closed_other"] not in html
    assert "About a group whose content you no longer read." in html
    with company.app.app_context():
        from intranet.notifications import Notification

        ids = db.session.scalars(db.select(Notification.id).where(Notification.user_id == _user("omar").id))
        for nid in ids:
            response = omar_client.get(f"/notifications/{nid}")
            assert response.status_code == 302
            assert "/groups/threads/" not in response.headers["Location"]
