"""Permission-aware search: what a user may not see never appears, on any search surface.

Hits, the total, the facet counts, ``in:"group"``, "did you mean" and the duplicate hints,
on the real Whoosh index, over HTTP where a page shows it and through ``search.services``
for the exact numbers. Every "does not see" stands beside someone who does, so each test
fails if the filter is dropped or made too strict. Membership changes take effect with no
reindex, and the index never holds a suggestion's author.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from html import unescape

import pytest
from flask import Flask, url_for
from sqlalchemy import select

from groups import moderation
from groups import services as group_services
from groups.models import Group, Post, Thread, Visibility
from intranet.extensions import db
from intranet.models import User
from search import outbox
from suggestions import services as suggestion_services
from suggestions.lifecycle import Status
from suggestions.models import Suggestion
from tests.groups.test_journeys import Browser
from tests.search.conftest import (
    TITLE_TERM_FIELDS,
    Company,
    Searcher,
    add_member,
    commit,
    delete,
    group,
    hide,
    index_contents,
    index_pending,
    indexed_date,
    keys,
    make_user,
    reply,
    search_as,
    similar_as,
    stamps,
    suggestion,
    thread,
)
from tests.suggestions.conftest import review

NON_MEMBERS = ("colleague", "outsider", "management", "other_lead")
READERS = ("member", "lead", "admin")
NO_GROUP = "There is no group “{}” you can see: it was left out."


@dataclass
class World:
    """Open content in engineering, the same word in four kinds of closed sales content, a suggestion."""

    open_floor: Group  # open, engineering
    open_thread: Thread
    open_reply: Post
    key_accounts: Group  # closed, listed to sales
    key_thread: Thread
    key_reply: Post
    board: Group  # closed and unlisted
    board_thread: Thread
    sales_floor: Group  # open, sales, no content of its own
    quiet: Group  # closed sub-group of the open sales floor
    quiet_thread: Thread
    lounge: Group  # open sub-group of the closed key accounts
    lounge_thread: Thread
    idea: Suggestion  # company-wide, seen by every employee

    @property
    def visible(self) -> set[str]:
        """What everyone finds for "pipeline"."""
        return {f"thread:{self.open_thread.id}", f"post:{self.open_reply.id}", f"suggestion:{self.idea.id}"}

    @property
    def closed(self) -> set[str]:
        """What only members (and moderators) of the closed sales groups find for "pipeline"."""
        return {
            f"thread:{self.key_thread.id}",
            f"post:{self.key_reply.id}",
            f"thread:{self.board_thread.id}",
            f"thread:{self.quiet_thread.id}",
            f"thread:{self.lounge_thread.id}",
        }


#: The title of each closed thread, and the word only it contains (misspelled: the typo).
SECRETS = {
    "key_thread": ("Marzipan renewals", "marzipan", "marzipn"),
    "board_thread": ("Obsidian merger", "obsidian", "obsidan"),
    "quiet_thread": ("Tamarind budget", "tamarind", "tamarnd"),
    "lounge_thread": ("Halibut lunch", "halibut", "halibt"),
}
CLOSED_TITLES = [title for title, _word, _typo in SECRETS.values()]


@pytest.fixture
def world(company: Company) -> World:
    c = company
    open_floor = group(c, "Open floor", Visibility.OPEN, department=c.engineering)
    open_thread = thread(
        c.outsider, open_floor, "Open pipeline review", "The pipeline review is open to all."
    )
    open_reply = reply(c.colleague, open_thread, "Pipeline numbers look fine to me.")

    key_accounts = group(c, "Key accounts")
    key_thread = thread(c.lead, key_accounts, "Marzipan renewals", "The pipeline of marzipan contracts.")
    key_reply = reply(c.lead, key_thread, "Our pipeline is healthy this quarter.")
    board = group(c, "Board room", is_unlisted=True)
    board_thread = thread(c.lead, board, "Obsidian merger", "The pipeline for the obsidian merger.")
    sales_floor = group(c, "Sales floor", Visibility.OPEN)
    quiet = group(c, "Quiet corner", parent=sales_floor)
    quiet_thread = thread(c.lead, quiet, "Tamarind budget", "The pipeline of tamarind figures.")
    lounge = group(c, "Lounge", Visibility.OPEN, parent=key_accounts)
    lounge_thread = thread(c.lead, lounge, "Halibut lunch", "Pipeline talk over halibut.")

    for closed in (key_accounts, board, quiet):
        add_member(c, closed, c.member)
    idea = suggestion(c.colleague, "A pipeline dashboard", body="Show the sales pipeline on one page.")
    assert outbox.pending_count() == 0
    return World(
        open_floor, open_thread, open_reply, key_accounts, key_thread, key_reply, board, board_thread,
        sales_floor, quiet, quiet_thread, lounge, lounge_thread, idea,
    )  # fmt: skip


def result_count(html: str) -> int:
    match = re.search(r'class="result-count"[^>]*>\s*(\d+) results?', html)
    assert match, "no result count on the page"
    return int(match.group(1))


def facet_panel(html: str) -> str:
    """The facet panel's text ("Threads (1) Replies (1) …"), or "" when the page has none."""
    match = re.search(r'<aside class="facets".*?</aside>', html, re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(0))).split()) if match else ""


def post_url(post: Post) -> str:
    return url_for("groups.post", post_id=post.id)


def opening(t: Thread) -> Post:
    return db.session.scalars(select(Post).where(Post.thread_id == t.id, Post.is_opening.is_(True))).one()


def thread_url(t: Thread) -> str:
    return url_for("groups.thread", thread_id=t.id)


# -- closed groups: hits, total, facets ---------------------------------------------------------------


@pytest.mark.parametrize("order", ["relevance", "date"])
@pytest.mark.parametrize("who", NON_MEMBERS)
def test_search_non_member_gets_no_closed_hit_count_or_facet(
    company: Company, world: World, who: str, order: str
) -> None:
    outcome = search_as(company.person(who), "pipeline", order=order)
    assert outcome.results is not None
    assert keys(outcome) == world.visible
    assert outcome.results.total == 3
    assert outcome.results.facets == {
        "kind": {"thread": 1, "post": 1, "suggestion": 1},
        "department": {str(company.engineering.id): 2, "none": 1},
        "status": {Status.SUBMITTED.value: 1},
    }


@pytest.mark.parametrize("who", READERS)
def test_search_member_and_moderators_find_all_four_kinds_of_closed_content(
    company: Company, world: World, who: str
) -> None:
    outcome = search_as(company.person(who), "pipeline")
    assert outcome.results is not None
    assert keys(outcome) == world.visible | world.closed
    assert outcome.results.total == 8
    assert outcome.results.facets == {
        "kind": {"thread": 5, "post": 2, "suggestion": 1},
        "department": {str(company.engineering.id): 2, str(company.sales.id): 5, "none": 1},
        "status": {Status.SUBMITTED.value: 1},
    }


def test_search_a_word_only_in_closed_content_finds_nothing_for_a_non_member(
    company: Company, world: World
) -> None:
    for title, word, _typo in SECRETS.values():
        assert {h.found.title for h in search_as(company.member, word).results.hits} == {title}
        for who in NON_MEMBERS:
            outcome = search_as(company.person(who), word)
            assert outcome.results.total == 0 and outcome.results.hits == [], (who, word)
            assert outcome.results.facets == {"kind": {}, "department": {}, "status": {}}, (who, word)


@pytest.mark.parametrize(
    "q",
    ["marzi*", '"marzipan contracts"', "marzipan OR obsidian", "pipeline -open -dashboard", "kind:thread"],
)
def test_search_other_query_forms_keep_the_permission_filter(company: Company, world: World, q: str) -> None:
    member = keys(search_as(company.member, q))
    assert member & world.closed  # the query does reach closed content, for a member
    for who in NON_MEMBERS:
        assert not keys(search_as(company.person(who), q)) & world.closed, (who, q)
        assert search_as(company.person(who), q).results.total == len(member - world.closed), (who, q)


def test_search_a_department_filter_counts_only_what_the_user_reads(company: Company, world: World) -> None:
    assert search_as(company.member, "pipeline department:sales").results.total == 5
    for who in NON_MEMBERS:
        outcome = search_as(company.person(who), "pipeline department:sales")
        assert outcome.results.total == 0 and outcome.results.facets["department"] == {}, who


@pytest.mark.parametrize("who", NON_MEMBERS)
def test_search_page_shows_a_non_member_no_closed_title_link_count_or_facet(
    app: Flask, company: Company, world: World, who: str
) -> None:
    member_page = Searcher(app, company.member).search("pipeline")
    page = Searcher(app, company.person(who)).search("pipeline")

    for title in CLOSED_TITLES:
        assert title in member_page
        assert title not in page, title
    for closed in (world.key_thread, world.board_thread, world.quiet_thread, world.lounge_thread):
        assert thread_url(closed) in member_page
        assert thread_url(closed) not in page
    assert post_url(world.key_reply) in member_page and post_url(world.key_reply) not in page
    for name in ("Key accounts", "Board room", "Quiet corner", "Lounge"):
        assert name in member_page
        assert name not in page, name
    assert result_count(member_page) == 8
    assert result_count(page) == 3
    member_facets, facets = facet_panel(member_page), facet_panel(page)
    assert "Threads (5)" in member_facets and "Sales (5)" in member_facets
    assert "Threads (1)" in facets and "Replies (1)" in facets and "Engineering (2)" in facets
    assert "Sales" not in facets and "(5)" not in facets


# -- in:"group name" ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "name"),
    [
        ("outsider", "Key accounts"),  # closed, listed only to its department
        ("other_lead", "Key accounts"),  # a lead, of another department
        ("colleague", "Board room"),  # closed and unlisted: not even its own department sees it
        ("colleague", "Boar"),  # nor by the start of its name
        ("colleague", "Lounge"),  # open, but inside a closed group the colleague does not read
        ("outsider", "Lounge"),
        ("colleague", "Submarine club"),  # no such group: the same answer, so it tells nothing
    ],
)
def test_search_in_a_group_one_may_not_see_gives_the_notice_and_nothing_of_it(
    app: Flask, company: Company, world: World, who: str, name: str
) -> None:
    q = f'pipeline in:"{name}"'
    outcome = search_as(company.person(who), q)
    assert outcome.notices == [NO_GROUP.format(name)]
    assert keys(outcome) == world.visible  # the filter is dropped, the permission filter is not
    page = Searcher(app, company.person(who)).search(q)
    assert NO_GROUP.format(name) in unescape(page)
    assert result_count(page) == 3
    assert not any(title in page for title in CLOSED_TITLES)


@pytest.mark.parametrize(
    ("who", "name"),
    [
        ("colleague", "Key accounts"),  # listed to its department
        ("colleague", "Quiet corner"),  # a closed sub-group is listed to whoever reads its parent
        ("outsider", "Quiet corner"),
    ],
)
def test_search_in_a_listed_closed_group_finds_nothing_for_a_non_member_and_all_for_a_member(
    app: Flask, company: Company, world: World, who: str, name: str
) -> None:
    # The name is no secret to them, so no notice; but none of the content either.
    outcome = search_as(company.person(who), f'pipeline in:"{name}"')
    assert outcome.notices == []
    assert outcome.results.total == 0 and outcome.results.facets["kind"] == {}
    assert outcome.did_you_mean is None

    member = search_as(company.member, f'pipeline in:"{name}"')
    assert member.notices == []
    expected = {
        "Key accounts": {  # with its open sub-group, the Lounge
            f"thread:{world.key_thread.id}",
            f"post:{world.key_reply.id}",
            f"thread:{world.lounge_thread.id}",
        },
        "Quiet corner": {f"thread:{world.quiet_thread.id}"},
    }[name]
    assert keys(member) == expected
    page = Searcher(app, company.person(who)).search(f'pipeline in:"{name}"')
    assert result_count(page) == 0 and not any(title in page for title in CLOSED_TITLES)


def test_search_in_an_unlisted_group_works_for_its_member(company: Company, world: World) -> None:
    outcome = search_as(company.member, 'pipeline in:"Board room"')
    assert outcome.notices == []
    assert keys(outcome) == {f"thread:{world.board_thread.id}"}


# -- did you mean -------------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", list(SECRETS))
def test_did_you_mean_offers_a_closed_word_to_a_member_only(
    app: Flask, company: Company, world: World, secret: str
) -> None:
    _title, word, typo = SECRETS[secret]
    assert str(search_as(company.member, typo).did_you_mean) == word
    assert word in Searcher(app, company.member).search(typo)
    for who in NON_MEMBERS:
        outcome = search_as(company.person(who), typo)
        assert outcome.did_you_mean is None, who
        assert outcome.results.total == 0
        page = Searcher(app, company.person(who)).search(typo)
        assert word not in page.lower(), who
        assert 'class="did-you-mean"' not in page


def test_did_you_mean_still_offers_visible_words_to_non_members(company: Company, world: World) -> None:
    # The same surface works for them: a word in open content is corrected.
    assert str(search_as(company.outsider, "pipeliine").did_you_mean) == "pipeline"


# -- hidden and deleted posts -------------------------------------------------------------------------


@dataclass
class Moderated:
    canteen: Group
    rota: Thread
    hidden_reply: Post  # written by the colleague, hidden by the lead
    fridge: Thread  # its opening post (by the member) hidden


@pytest.fixture
def moderated(company: Company) -> Moderated:
    c = company
    canteen = group(c, "Canteen", Visibility.OPEN)  # sales: moderated by the lead
    group_services.appoint_moderator(c.lead, canteen, c.other_lead)
    for user in (c.member, c.colleague):  # members, who are not its moderators
        group_services.join_group(user, canteen)
    commit()
    rota = thread(c.member, canteen, "Canteen rota", "Who cleans the coffee machine this week?")
    hidden_reply = reply(c.colleague, rota, "The gazpacho in the fridge is a health hazard.")
    hide(c.lead, hidden_reply)
    fridge = thread(c.member, canteen, "Fridge rules", "Label your sauerkraut jars, please.")
    hide(c.lead, opening(fridge))
    return Moderated(canteen, rota, hidden_reply, fridge)


@pytest.mark.parametrize("who", ["lead", "admin", "other_lead"])
def test_search_a_hidden_post_is_found_by_the_groups_moderators(
    app: Flask, company: Company, moderated: Moderated, who: str
) -> None:
    user = company.person(who)
    assert keys(search_as(user, "gazpacho")) == {f"post:{moderated.hidden_reply.id}"}
    assert keys(search_as(user, "sauerkraut")) == {f"thread:{moderated.fridge.id}"}
    assert str(search_as(user, "gazpach").did_you_mean) == "gazpacho"
    assert post_url(moderated.hidden_reply) in Searcher(app, user).search("gazpacho")


# groups/permissions.py can_see_body lets a hidden post's author still read it, but the index
# restricts hidden documents to the moderators (groups/indexing.py, intranet/indexing.py) and
# groups/indexing.found() agrees: in search, hidden means moderators only, author included.
@pytest.mark.parametrize("who", ["colleague", "member", "outsider", "management"])
def test_search_a_hidden_post_is_found_by_no_one_else_not_even_its_author(
    app: Flask, company: Company, moderated: Moderated, who: str
) -> None:
    user = company.person(who)
    for word in ("gazpacho", "sauerkraut"):
        outcome = search_as(user, word)
        assert outcome.results.total == 0 and outcome.results.facets["kind"] == {}, (who, word)
    assert search_as(user, "gazpach").did_you_mean is None
    assert search_as(user, "sauerkrat").did_you_mean is None
    # They do search this group: the thread around the hidden reply is found.
    assert keys(search_as(user, "rota")) == {f"thread:{moderated.rota.id}"}
    page = Searcher(app, user).search("gazpacho")
    assert result_count(page) == 0 and post_url(moderated.hidden_reply) not in page


def test_search_a_deleted_post_is_found_by_nobody_and_leaves_the_index(
    app: Flask, company: Company, moderated: Moderated
) -> None:
    c = company
    gone = reply(c.colleague, moderated.rota, "My vindaloo recipe, for anyone who asked.")
    lunch = thread(c.member, moderated.canteen, "Lunch plans", "Bring kimchi on Friday.")
    for user in (c.admin, c.lead, c.colleague, c.member):
        assert keys(search_as(user, "vindaloo")) == {f"post:{gone.id}"}
        assert keys(search_as(user, "kimchi")) == {f"thread:{lunch.id}"}

    delete(c.colleague, gone)
    delete(c.member, opening(lunch))
    # A worker that opens the index now (one whose searcher was already open is the test below).
    app.extensions["search"].close()

    for user in (c.admin, c.lead, c.other_lead, c.colleague, c.member):
        for word, typo in (("vindaloo", "vindalo"), ("kimchi", "kimch")):
            outcome = search_as(user, word)
            assert outcome.results.total == 0, (user.username, word)
            assert search_as(user, typo).did_you_mean is None, (user.username, typo)
        # The thread stays (its title is not the deleted post's text).
        assert keys(search_as(user, "lunch plans")) == {f"thread:{lunch.id}"}
    indexed = stamps(app)
    assert f"post:{gone.id}" not in indexed  # the deleted reply left the index
    assert f"thread:{lunch.id}" in indexed and f"post:{moderated.hidden_reply.id}" in indexed


@pytest.mark.parametrize("change", ["hide", "delete", "move to a closed group"])
def test_search_a_searcher_already_open_forgets_a_post_hidden_deleted_or_moved_away(
    app: Flask, company: Company, change: str
) -> None:
    c = company
    canteen = group(c, "Canteen", Visibility.OPEN)
    closed = group(c, "Key accounts")
    rota = thread(c.member, canteen, "Canteen rota", "Who cleans the coffee machine?")
    post = reply(c.member, rota, "The gazpacho in the fridge is a health hazard.")
    colleague = Searcher(app, c.colleague)
    assert result_count(colleague.search("gazpacho")) == 1  # this worker's searcher is now open

    if change == "hide":
        hide(c.lead, post)
    elif change == "delete":
        delete(c.member, post)
    else:
        moderation.move_thread(c.lead, rota, closed, "Belongs with the accounts.")
        commit()

    page = colleague.search("gazpacho")
    assert result_count(page) == 0 and facet_panel(page) == ""
    assert "gazpacho" not in colleague.search("gazpach").lower()
    assert search_as(c.colleague, "gazpacho").results.total == 0


# -- membership changes need no reindex ---------------------------------------------------------------


def test_search_follows_membership_with_no_reindex(app: Flask, company: Company, world: World) -> None:
    c = company
    closed_keys = world.closed - {f"thread:{world.board_thread.id}", f"thread:{world.quiet_thread.id}"}
    colleague = Searcher(app, c.colleague)
    assert keys(search_as(c.colleague, "pipeline")) == world.visible
    before = stamps(app)

    def assert_index_untouched() -> None:
        assert outbox.pending_count() == 0  # the change queued nothing for the index
        assert stamps(app) == before  # and nothing in it changed

    # Approved through the service: Key accounts and its open Lounge now show, at once.
    add_member(c, world.key_accounts, c.colleague)
    assert_index_untouched()
    assert keys(search_as(c.colleague, "pipeline")) == world.visible | closed_keys
    assert str(search_as(c.colleague, "marzipn").did_you_mean) == "marzipan"
    page = colleague.search("pipeline")
    assert "Marzipan renewals" in page and "Halibut lunch" in page and result_count(page) == 6

    # Removed: gone again, sub-group included.
    group_services.remove_member(c.lead, world.key_accounts, c.colleague, "Left the team.")
    db.session.commit()
    assert_index_untouched()
    assert keys(search_as(c.colleague, "pipeline")) == world.visible
    assert search_as(c.colleague, "marzipn").did_you_mean is None
    page = colleague.search("pipeline")
    assert "Marzipan renewals" not in page and "Halibut lunch" not in page and result_count(page) == 3

    # Back in, then banned: gone again.
    add_member(c, world.key_accounts, c.colleague)
    assert keys(search_as(c.colleague, "pipeline")) == world.visible | closed_keys
    group_services.ban_member(c.lead, world.key_accounts, c.colleague, "Shared the contracts outside.")
    db.session.commit()
    assert_index_untouched()
    assert keys(search_as(c.colleague, "pipeline")) == world.visible
    page = colleague.search("marzipan")
    assert result_count(page) == 0 and "Marzipan renewals" not in page


def test_search_follows_a_group_closing_and_opening_with_no_reindex(app: Flask, company: Company) -> None:
    c = company
    corner = group(c, "Coffee corner", Visibility.OPEN)
    nook = group(c, "Coffee nook", parent=corner, visibility=None)  # inherits the visibility
    thread(c.lead, corner, "Espresso machine", "The crema is thin.")
    thread(c.lead, nook, "Espresso beans", "Try the crema roast.")
    assert search_as(c.colleague, "crema").results.total == 2
    before = stamps(app)

    def settings(visibility: Visibility) -> None:
        group_services.update_group(
            c.lead, corner, name=corner.name, description="", visibility=visibility,
            is_unlisted=False, inherits_moderators=False,
        )  # fmt: skip
        db.session.commit()
        assert outbox.pending_count() == 0 and stamps(app) == before

    settings(Visibility.CLOSED)
    assert search_as(c.colleague, "crema").results.total == 0
    assert search_as(c.colleague, "crem").did_you_mean is None
    assert result_count(Searcher(app, c.colleague).search("crema")) == 0
    assert search_as(c.lead, "crema").results.total == 2
    settings(Visibility.OPEN)
    assert search_as(c.colleague, "crema").results.total == 2


def test_search_an_appointed_moderator_reads_the_group_and_its_inheriting_sub_groups_only(
    app: Flask, company: Company, world: World
) -> None:
    c = company
    before = stamps(app)
    group_services.appoint_moderator(c.lead, world.key_accounts, c.outsider)
    db.session.commit()
    assert outbox.pending_count() == 0 and stamps(app) == before
    # Key accounts and the Lounge (which inherits its moderators), not the other closed groups.
    expected = world.visible | {
        f"thread:{world.key_thread.id}",
        f"post:{world.key_reply.id}",
        f"thread:{world.lounge_thread.id}",
    }
    assert keys(search_as(c.outsider, "pipeline")) == expected
    assert search_as(c.outsider, "obsidan").did_you_mean is None
    assert str(search_as(c.outsider, "halibt").did_you_mean) == "halibut"
    group_services.dismiss_moderator(c.lead, world.key_accounts, c.outsider)
    db.session.commit()
    assert keys(search_as(c.outsider, "pipeline")) == world.visible


def test_search_follows_a_new_moderator_with_no_reindex(
    app: Flask, company: Company, moderated: Moderated
) -> None:
    c = company
    assert search_as(c.member, "gazpacho").results.total == 0
    before = stamps(app)
    group_services.appoint_moderator(c.lead, moderated.canteen, c.member)
    db.session.commit()
    assert outbox.pending_count() == 0 and stamps(app) == before
    assert keys(search_as(c.member, "gazpacho")) == {f"post:{moderated.hidden_reply.id}"}
    group_services.dismiss_moderator(c.lead, moderated.canteen, c.member)
    db.session.commit()
    assert outbox.pending_count() == 0 and stamps(app) == before
    assert search_as(c.member, "gazpacho").results.total == 0


# -- suggestions: every active employee browses them; duplicate hints follow the same rules ------------


@pytest.fixture
def reviewed(company: Company) -> Suggestion:
    idea = suggestion(company.colleague, "Quieter printers", body="The printers rattle all day long.")
    suggestion_services.add_comment(company.outsider, idea, "Ours rattle too, on the third floor.")
    commit()
    review(company.management, idea, Status.UNDER_REVIEW, "Facilities will measure the rattle.")
    index_pending()
    return idea


@pytest.mark.parametrize("who", ["colleague", "outsider", "member", "management", "admin"])
def test_search_every_active_employee_finds_suggestions_comments_and_responses(
    app: Flask, company: Company, reviewed: Suggestion, who: str
) -> None:
    user = company.person(who)
    outcome = search_as(user, "rattle")
    assert outcome.results.facets["kind"] == {"suggestion": 1, "comment": 1, "response": 1}
    assert [f.title for f in similar_as(user, "quieter printers please")] == ["Quieter printers"]
    assert "Quieter printers" in Searcher(app, user).similar("quieter printers please")


def test_search_a_deactivated_user_is_shown_no_suggestion(
    app: Flask, company: Company, reviewed: Suggestion
) -> None:
    gone = make_user("leaver", company.sales)
    db.session.commit()
    assert search_as(gone, "rattle").results.total == 3
    gone.is_deactivated = True
    db.session.commit()
    assert search_as(gone, "rattle").results.total == 0
    assert search_as(gone, "printrs").did_you_mean is None
    assert similar_as(gone, "quieter printers please") == []
    # Over HTTP a deactivated account is not logged in at all.
    for url in ("/search/?q=rattle", "/search/similar?title=quieter+printers"):
        response = Searcher(app, gone).get(url)
        assert response.status_code == 302 and "/login" in response.location
        assert "Quieter printers" not in response.get_data(as_text=True)


def test_search_pages_are_for_logged_in_people(app: Flask, company: Company, reviewed: Suggestion) -> None:
    client = app.test_client()
    for url in ("/search/?q=rattle", "/search/similar?title=quieter+printers"):
        with app.app_context():
            response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location
        assert "Quieter printers" not in response.get_data(as_text=True)


def test_similar_offers_suggestions_only_never_group_content(
    app: Flask, company: Company, world: World
) -> None:
    # "pipeline" is in every closed thread and in the suggestion: only the suggestion is a hint,
    # for a member as for anyone; closed threads never come through this surface.
    for user in (company.member, company.lead, company.colleague, company.outsider):
        assert [f.key for f in similar_as(user, "marzipan pipeline")] == [f"suggestion:{world.idea.id}"]
        fragment = Searcher(app, user).similar("marzipan pipeline")
        assert "A pipeline dashboard" in fragment
        assert not any(title in fragment for title in CLOSED_TITLES)


def indexed_dates(app: Flask, *doc_keys: str) -> list[datetime]:
    """The date the index keeps for each document (its sortable column), read from the index itself."""
    return [indexed_date(app, key) for key in doc_keys]


# -- anonymity: the index holds no author --------------------------------------------------------------

WHISTLEBLOWER_LOGIN = "quillon.vexmarrow"
WHISTLEBLOWER_NAME = "Quillon Vexmarrow"
WHISTLEBLOWER_ID = 987654321


def traces_of(user: User, rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str, str]]:
    """Every stored value or term holding any part of who ``user`` is."""
    needles = {
        user.username,
        *re.split(r"[^\w]+", user.username),
        user.display_name,
        *user.display_name.split(),
        str(user.id),
        user.directory_id,
        # Not a UUID's 4-digit groups: any 4 hex digits turn up by chance in the stamps' hex
        # fingerprints (about once in 50 runs of this test, before this).
        *(part for part in user.directory_id.split("-") if len(part) >= 8),
        user.dn,
    }
    needles = {n.casefold() for n in needles if len(n) >= 4}
    return [
        (where, field, value, n) for where, field, value in rows for n in needles if n in value.casefold()
    ]


def test_search_index_holds_no_author_of_an_anonymous_or_a_named_suggestion(
    app: Flask, staffed: Company
) -> None:
    author = make_user(
        WHISTLEBLOWER_LOGIN, staffed.sales, id=WHISTLEBLOWER_ID, display_name=WHISTLEBLOWER_NAME
    )
    db.session.commit()
    person = Browser(app, author)
    person.page("/suggestions/new")
    anonymous = {
        "title": "Night shift needs a second forklift",
        "body": "The single forklift on nights breaks down weekly.",
        "category": "workplace",
        "target": str(staffed.sales.id),
        "identity": "anonymous",
    }
    assert person.post("/suggestions/new", anonymous).status_code == 200  # the receipt page
    assert outbox.pending_count() == 0  # the request applied it

    rows = index_contents(app)
    # The scan sees what is indexed: the title's words are there, as terms of several fields.
    assert {f for where, f, v in rows if where == "term" and v == "forklift"} >= TITLE_TERM_FIELDS
    assert any(where == "stored" for where, _f, _v in rows)
    assert traces_of(author, rows) == []

    named = {**anonymous, "title": "Weekend overtime sign-up sheet", "identity": "named"}
    named["body"] = "A shared sheet for overtime shifts."
    assert person.post("/suggestions/new", named).status_code == 302
    db.session.expire_all()
    assert db.session.query(Suggestion).filter_by(author_id=author.id).count() == 1
    rows = index_contents(app)
    assert any(v == "overtim" or v == "overtime" for _w, _f, v in rows)
    assert traces_of(author, rows) == []  # authors are not indexed at all, named or not
    assert search_as(staffed.colleague, "vexmarrow").results.total == 0

    # The anonymous author answers a reviewer through the receipt: no trace either, and only days.
    anonymous_idea = db.session.query(Suggestion).filter_by(is_anonymous=True).one()
    answer = suggestion_services.answer_as_author(anonymous_idea, "Nights since March, forklift two.")
    commit()
    assert traces_of(author, index_contents(app)) == []
    dates = indexed_dates(app, f"suggestion:{anonymous_idea.id}", f"comment:{answer.id}")
    assert [d.time() for d in dates] == [time(0), time(0)]
    assert {d.date() for d in dates} == {anonymous_idea.submitted_on}

    # And the scan would see a name if one were indexed: someone writes it in a comment.
    idea = db.session.query(Suggestion).filter_by(author_id=author.id).one()
    suggestion_services.add_comment(staffed.colleague, idea, "Ask Vexmarrow, who runs the sheet.")
    commit()
    assert [n for *_rest, n in traces_of(author, index_contents(app))] != []
