"""The search pages end to end: real posts and suggestions, written over HTTP, found through the index.

One site is built per module (the company, two open groups, content in five languages and for every
query feature); each request's commit goes through the outbox into a real Whoosh index in a temp dir.
Tests that need their own settings build their own app on the same database.
"""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groups import services as group_services
from groups.models import Visibility
from intranet import create_app
from intranet.config import ConfigError
from intranet.extensions import db
from suggestions import workflow
from suggestions.lifecycle import Status
from suggestions.models import Suggestion
from tests.conftest import base_config, csrf_token, login, with_empty_index
from tests.groups.conftest import build_company, login_as, new_group
from tests.search.conftest import own_index

PER_PAGE = 5


@dataclass
class Site:
    app: Flask
    people: dict[str, str]  # name -> the user's session id
    groups: dict[str, int]
    threads: dict[str, int] = field(default_factory=dict)
    suggestions: dict[str, int] = field(default_factory=dict)
    posts: dict[str, int] = field(default_factory=dict)
    writers: dict[str, tuple[FlaskClient, str]] = field(default_factory=dict)

    def client(self, who: str = "member") -> FlaskClient:
        return login_as(self.app.test_client(), self.people[who])

    def writer(self, who: str) -> tuple[FlaskClient, str]:
        """A logged-in client of ``who`` and its CSRF token, kept for the site's writes."""
        if who not in self.writers:
            client = self.client(who)
            self.writers[who] = (client, csrf_token(client, "/suggestions/new"))
        return self.writers[who]

    def thread(self, key: str, who: str, group: str, title: str, body: str) -> int:
        client, token = self.writer(who)
        response = client.post(
            f"/groups/{self.groups[group]}/threads/new",
            data={"csrf_token": token, "title": title, "body": body},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        self.threads[key] = int(re.search(r"/threads/(\d+)", response.location).group(1))
        return self.threads[key]

    def reply(self, key: str, who: str, thread: str, body: str) -> int:
        client, token = self.writer(who)
        response = client.post(
            f"/groups/threads/{self.threads[thread]}/reply",
            data={"csrf_token": token, "body": body},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        self.posts[key] = int(re.search(r"#post-(\d+)", response.location).group(1))
        return self.posts[key]

    def suggestion(self, key: str, who: str, title: str, body: str, target: str = "company") -> int:
        client, token = self.writer(who)
        response = client.post(
            "/suggestions/new",
            data={
                "csrf_token": token,
                "title": title,
                "body": body,
                "target": target if target == "company" else str(self.groups[f"dept:{target}"]),
                "category": "workplace",
                "identity": "named",
                "expected_benefit": "",
                "campaign": "",
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        self.suggestions[key] = int(re.search(r"/suggestions/(\d+)", response.location).group(1))
        return self.suggestions[key]

    def adopt(self, key: str, what_was_done: str) -> None:
        """Accept, then adopt, as management (the workflow's own services; the outbox applies after)."""
        from intranet.models import User

        with self.app.test_request_context():
            boss = db.session.get(User, int(self.people["management"].split(":")[0]))
            suggestion = db.session.get(Suggestion, self.suggestions[key])
            for target, adoption in (
                (Status.ACCEPTED, None),
                (Status.ADOPTED, workflow.AdoptionData(what_was_done=what_was_done)),
            ):
                workflow.change_status(
                    boss,
                    suggestion,
                    target,
                    "Agreed by the management group.",
                    expected_version=suggestion.status_version,
                    adoption=adoption,
                )
                db.session.commit()


def _fresh_request_globals() -> None:
    # The site's setup opens app contexts of its own; per-request globals must not outlive a request.
    for key in ("_login_user", "_group_access", "csrf_token"):
        g.pop(key, None)


def _empty_tables(app: Flask) -> None:
    app.extensions["search"].close()
    with app.app_context():
        db.session.remove()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.engine.dispose()


@pytest.fixture(scope="module")
def site(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    app = with_empty_index(
        create_app(
            base_config(
                database_url, INDEX_DIR=str(tmp_path_factory.mktemp("pages-index")), SEARCH_PER_PAGE=PER_PAGE
            )
        )
    )
    app.before_request(_fresh_request_globals)
    with app.test_request_context():
        c = build_company()
        lunch = new_group(c, "Lunch club")
        night = group_services.create_group(
            c.other_lead, name="Night shift", department=c.engineering, visibility=Visibility.OPEN
        )
        db.session.commit()
        people = {
            name: c.person(name).get_id()
            for name in ("lead", "other_lead", "member", "outsider", "management")
        }
        ids = {
            "lunch": lunch.id,
            "night": night.id,
            "dept:sales": c.sales.id,
            "dept:engineering": c.engineering.id,
        }
    s = Site(app=app, people=people, groups=ids)
    try:
        _write_content(s)
        yield s
    finally:
        _empty_tables(app)


def _write_content(s: Site) -> None:
    # Languages: each text is what an employee would write; the query uses another form of a word.
    s.thread(
        "nb", "lead", "lunch", "Forslag om lengre åpningstid i kantinen",
        "Jeg har et forslag: kantinen bør holde åpent til klokken sju, fordi mange av oss jobber sent "
        "og ikke rekker middag før vi går hjem.",
    )  # fmt: skip
    s.thread(
        "da", "lead", "lunch", "Overdækket cykelskur til medarbejderne",
        "Medarbejderne på lageret ønsker et overdækket cykelskur. Hvad siger I til det? Vi cykler hver "
        "dag, og det regner meget i efteråret.",
    )  # fmt: skip
    s.suggestion(
        "nl", "member", "Een tweede koffieautomaat op de derde verdieping",
        "Ik heb een voorstel: de koffieautomaat is elke ochtend om tien uur al leeg, omdat de hele "
        "afdeling er gebruik van maakt.",
    )  # fmt: skip
    s.suggestion(
        "sv", "outsider", "Flexibla arbetstider för alla",
        "Jag har ett förslag: vi borde kunna börja mellan sju och nio, eftersom många har långa resor "
        "till kontoret.",
    )  # fmt: skip
    s.thread(
        "en", "other_lead", "night", "The small meeting room is always taken",
        "Could we book the small meeting room for quick calls instead of blocking it all day? "
        "Somebody has booked it every morning this month.",
    )  # fmt: skip
    # Phrases: the same two words, together and apart.
    s.thread(
        "handover", "lead", "lunch", "Night shift handover notes",
        "The night shift handover notes go missing every week; can we keep them in one binder?",
    )  # fmt: skip
    s.thread(
        "swaps", "lead", "lunch", "Shift swaps at night",
        "Swapping a shift at night needs a signature from a manager.",
    )  # fmt: skip
    # Exclusion and kinds.
    s.thread(
        "garage", "lead", "lunch", "Parking garage lights are broken",
        "Half of the lights in the parking garage have been broken since March.",
    )  # fmt: skip
    s.suggestion(
        "permits", "member", "Parking permits for visitors",
        "Visitors should get a parking permit at reception instead of a fine.",
    )  # fmt: skip
    # OR.
    s.thread("espresso", "lead", "lunch", "Espresso machine in the lunch room", "It needs descaling.")
    s.suggestion("cocoa", "member", "Hot cocoa in winter", "Please add hot cocoa to the drinks menu.")
    # Prefixes.
    s.thread("chairs", "lead", "lunch", "Ergonomic chairs for the call centre", "Our chairs hurt our backs.")
    s.suggestion("training", "member", "Ergonomics training for new staff", "A short course on posture.")
    # Status, department, facets.
    s.suggestion(
        "bins", "member", "Recycling bins in every kitchen",
        "Sorting paper and plastic is hard without bins.", target="sales",
    )  # fmt: skip
    s.adopt("bins", "Bins were placed in all eight kitchens.")
    s.suggestion(
        "capsules", "outsider", "Recycling coffee capsules",
        "The used capsules could be collected by the supplier.", target="engineering",
    )  # fmt: skip
    s.thread("recycle", "lead", "lunch", "Recycling day", "Bring your old batteries for recycling on Friday.")
    # Groups.
    s.thread("wb-lunch", "lead", "lunch", "Whiteboard markers are dry", "Every marker in the corner is dry.")
    s.thread("wb-night", "other_lead", "night", "A whiteboard for the control room", "To plan the rota.")
    # Order: the older thread is the better match, the newer one mentions the word once.
    s.thread(
        "q-strong", "lead", "lunch", "Quarterly figures: the quarterly review",
        "The quarterly review covers the quarterly figures and quarterly targets.",
    )  # fmt: skip
    s.thread("q-weak", "lead", "lunch", "Canteen menu", "The menu changes quarterly.")
    # Pagination: more hits than a page holds.
    for n in range(1, PER_PAGE + 3):
        s.thread(
            f"onboarding-{n}", "lead", "lunch", f"Onboarding checklist part {n}", f"Step {n} of onboarding."
        )
    # Highlighting, escaping, fresh rows, duplicate hints.
    s.thread(
        "xss", "lead", "lunch", '<b onmouseover="alert(1)">Zanzibar</b> offsite',
        'Planning the zanzibar offsite <script>alert("xss")</script> <img src=x onerror=alert(1)> soon.',
    )  # fmt: skip
    s.thread("projector", "lead", "lunch", "Projector in room 4", "The projector is very dim.")
    s.reply("projector-reply", "member", "projector", "It flickers only with the long HDMI cable.")
    s.suggestion(
        "coffee", "member", "A second coffee machine on floor 3",
        "The coffee machine on floor 2 is always empty by ten.",
    )  # fmt: skip
    s.thread("coffee-rota", "lead", "lunch", "Coffee machine cleaning rota", "Who cleans it this week?")


# -- reading the page ----------------------------------------------------------------------------------


@dataclass
class Page:
    html: str

    @property
    def total(self) -> int | None:
        match = re.search(r'class="result-count" role="status">(\d+) results?<', self.html)
        return int(match.group(1)) if match else None

    @property
    def titles(self) -> list[str]:
        found = re.findall(r'<h2 class="result-title"><a href="[^"]*">(.*?)</a></h2>', self.html, re.DOTALL)
        return [html.unescape(t) for t in found]

    @property
    def snippets(self) -> list[str]:
        return re.findall(r'<p class="snippet">(.*?)</p>', self.html, re.DOTALL)

    @property
    def notices(self) -> list[str]:
        return [html.unescape(n) for n in re.findall(r'role="note">(.*?)</p>', self.html, re.DOTALL)]

    def facets(self) -> dict[str, dict[str, int]]:
        """{facet: {label: count}}, as shown beside the results."""
        out: dict[str, dict[str, int]] = {}
        for name, items in re.findall(
            r'<h2 id="facet-(\w+)">.*?</h2>\s*<ul[^>]*>(.*?)</ul>', self.html, re.DOTALL
        ):
            out[name] = {
                html.unescape(label).removesuffix(" ✕"): int(n)
                for label, n in re.findall(
                    r"<a [^>]*>([^<]*)</a> <span class=\"muted\">\((\d+)\)</span>", items
                )
            }
        return out

    def link(self, rel: str) -> str:
        """The href of the link with this ``rel`` (next, prev)."""
        match = re.search(rf'<a rel="{rel}" href="([^"]*)"', self.html)
        assert match, f"no {rel} link on the page"
        return html.unescape(match.group(1))

    def link_with(self, fragment: str) -> str:
        """The href of the first link whose address contains ``fragment``."""
        match = re.search(rf'<a href="([^"]*{re.escape(fragment)}[^"]*)"', self.html)
        assert match, f"no link to {fragment} on the page"
        return html.unescape(match.group(1))


def search(client: FlaskClient, q: str | None, **args: Any) -> Page:
    query = {"q": q, **args} if q is not None else args
    response = client.get("/search/", query_string=query)
    text = response.get_data(as_text=True)
    assert response.status_code == 200, text
    assert "Traceback" not in text
    return Page(text)


@pytest.fixture
def member(site: Site) -> FlaskClient:
    return site.client("member")


# -- languages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "title", "absent"),
    [
        ("forslagene", "Forslag om lengre åpningstid i kantinen", "forslagene"),
        ("kantine", "Forslag om lengre åpningstid i kantinen", "kantine "),
        ("medarbejder", "Overdækket cykelskur til medarbejderne", "medarbejder "),
        ("voorstellen", "Een tweede koffieautomaat op de derde verdieping", "voorstellen"),
        ("förslagen", "Flexibla arbetstider för alla", "förslagen"),
        ("arbetstiderna", "Flexibla arbetstider för alla", "arbetstiderna"),
        ("booking rooms", "The small meeting room is always taken", "booking"),
        ("blocked", "The small meeting room is always taken", "blocked"),
    ],
)
def test_search_finds_real_text_by_another_form_of_a_word(
    site: Site, member: FlaskClient, query: str, title: str, absent: str
) -> None:
    page = search(member, query)
    assert title in page.titles
    assert absent not in page.html.split('<div class="results">')[1].lower()  # found by stem, not by letter


def test_search_norwegian_query_of_two_inflected_words(site: Site, member: FlaskClient) -> None:
    assert search(member, "forslagene kantine").titles == ["Forslag om lengre åpningstid i kantinen"]


def test_search_danish_text_with_few_marker_words_is_stemmed_as_danish(
    site: Site, member: FlaskClient
) -> None:
    site.thread(
        "da-weak", "lead", "lunch", "Cykelskur ved hovedindgangen",
        "Chaufførerne står ofte i regnen med deres cykler. Vi foreslår et overdækket skur, så flere "
        "har lyst til at cykle på arbejde.",
    )  # fmt: skip
    assert "Cykelskur ved hovedindgangen" in search(member, "chauffør").titles


@pytest.fixture
def other_app(site: Site, database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Apps with other settings on the site's database and an index of their own; they leave
    the site's tables and index to the site."""
    apps: list[Flask] = []
    separate = own_index(site.app)
    separate.__enter__()

    def make(**config: Any) -> Flask:
        app = create_app(base_config(database_url, INDEX_DIR=str(tmp_path / f"index-{len(apps)}"), **config))
        with_empty_index(app)
        app.before_request(_fresh_request_globals)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["search"].close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    separate.__exit__(None, None, None)


@pytest.mark.parametrize("languages", [["nb"], ["nn"], ["en", "nb-NO"], "en,nn"])
def test_search_languages_nb_and_nn_are_stemmed_as_norwegian(
    site: Site, other_app: Callable[..., Flask], languages: list[str] | str
) -> None:
    app = other_app(SEARCH_LANGUAGES=languages)
    assert "no" in app.extensions["search"].languages
    client = login_as(app.test_client(), site.people["lead"])
    response = client.post(
        f"/groups/{site.groups['lunch']}/threads/new",
        data={
            "csrf_token": csrf_token(client, "/suggestions/new"),
            "title": "Nye bord i kantina",
            "body": "Vi har fått inn mange forslag om større bord, så kollegene kan spise sammen.",
        },
    )
    assert response.status_code == 302
    page = search(client, "forslagene kollega")
    assert page.titles == ["Nye bord i kantina"]


@pytest.mark.parametrize("languages", [["fr"], ["en", "klingon"], [], "en,de"])
def test_search_unsupported_language_is_a_config_error_at_startup(
    database_url: str, tmp_path: Path, languages: list[str] | str
) -> None:
    with pytest.raises(ConfigError, match="INTRANET_SEARCH_LANGUAGES"):
        create_app(base_config(database_url, INDEX_DIR=str(tmp_path / "index"), SEARCH_LANGUAGES=languages))


# -- query features -----------------------------------------------------------------------------------


def test_search_words_must_all_match(member: FlaskClient) -> None:
    assert set(search(member, "parking").titles) == {
        "Parking garage lights are broken",
        "Parking permits for visitors",
    }
    assert search(member, "parking visitors").titles == ["Parking permits for visitors"]
    assert search(member, "espresso cocoa").total == 0


def test_search_phrase_needs_the_words_together_in_order(member: FlaskClient) -> None:
    assert set(search(member, "night shift").titles) == {"Night shift handover notes", "Shift swaps at night"}
    assert search(member, '"night shift"').titles == ["Night shift handover notes"]
    assert search(member, '"shift night"').titles == ["Shift swaps at night"]  # stop word "at" dropped
    assert search(member, '"handover night"').total == 0


def test_search_exclusion_of_a_word_a_phrase_and_a_filter(member: FlaskClient) -> None:
    garage = ["Parking garage lights are broken"]
    assert search(member, "parking -permits").titles == garage
    assert search(member, 'parking -"parking permit"').titles == garage
    assert search(member, "parking -kind:suggestion").titles == garage
    assert search(member, "parking -type:ideas").titles == garage
    assert search(member, 'whiteboard -in:"lunch club"').titles == ["A whiteboard for the control room"]
    assert set(search(member, "recycling -status:adopted").titles) == {
        "Recycling coffee capsules",
        "Recycling day",
    }


def test_search_or_finds_either(member: FlaskClient) -> None:
    assert set(search(member, "espresso OR cocoa").titles) == {
        "Espresso machine in the lunch room",
        "Hot cocoa in winter",
    }
    assert set(search(member, '"hot cocoa" OR descaling').titles) == {
        "Espresso machine in the lunch room",
        "Hot cocoa in winter",
    }


def test_search_prefix_finds_words_that_start_so(member: FlaskClient) -> None:
    expected = {"Ergonomic chairs for the call centre", "Ergonomics training for new staff"}
    assert set(search(member, "ergo*").titles) == expected
    assert set(search(member, "Ergo*").titles) == expected
    assert search(member, "ergo").total == 0


def test_search_status_filter(member: FlaskClient) -> None:
    assert search(member, "recycling status:adopted").titles == ["Recycling bins in every kitchen"]
    assert search(member, "recycling status:Adopted").titles == ["Recycling bins in every kitchen"]
    assert search(member, "status:adopted").titles == ["Recycling bins in every kitchen"]  # filters alone
    assert search(member, "recycling status:submitted").titles == ["Recycling coffee capsules"]
    assert search(member, 'recycling status:"under review"').total == 0


def test_search_department_filter_by_slug_name_prefix_and_company(member: FlaskClient) -> None:
    sales = {"Recycling bins in every kitchen", "Recycling day"}
    assert set(search(member, "recycling department:sales").titles) == sales
    assert set(search(member, "recycling dept:Sales").titles) == sales
    assert search(member, "recycling department:eng").titles == ["Recycling coffee capsules"]
    assert search(member, "recycling department:company").total == 0
    assert search(member, "voorstellen department:company").titles == [
        "Een tweede koffieautomaat op de derde verdieping"
    ]


def test_search_group_filter_by_name_alias_and_prefix(member: FlaskClient) -> None:
    assert search(member, 'whiteboard in:"lunch club"').titles == ["Whiteboard markers are dry"]
    assert search(member, 'whiteboard in:"Lunch Club"').titles == ["Whiteboard markers are dry"]
    assert search(member, 'whiteboard group:"Night shift"').titles == ["A whiteboard for the control room"]
    assert search(member, "whiteboard in:lunch").titles == ["Whiteboard markers are dry"]


def test_search_kind_filter_and_aliases(member: FlaskClient) -> None:
    assert search(member, "parking kind:suggestion").titles == ["Parking permits for visitors"]
    assert search(member, "parking kind:ideas").titles == ["Parking permits for visitors"]
    assert search(member, "parking type:thread").titles == ["Parking garage lights are broken"]
    assert search(member, "parking kind:thread kind:suggestion").total == 2


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ("parking kind:banana", "There is no kind “banana”: it was left out."),
        ("parking status:pending", "There is no status “pending”: it was left out."),
        ("parking department:nowhere", "There is no department “nowhere”: it was left out."),
        ('parking in:"No such group"', "There is no group “No such group” you can see: it was left out."),
        ('parking -in:"No such group"', "There is no group “No such group” you can see: it was left out."),
    ],
)
def test_search_unknown_filter_value_is_noticed_and_dropped(
    member: FlaskClient, query: str, notice: str
) -> None:
    page = search(member, query)
    assert page.notices == [notice]
    assert page.total == 2  # the words are still searched, without the filter


def test_search_unknown_filter_value_is_escaped_in_the_notice(member: FlaskClient) -> None:
    page = search(member, "parking kind:<script>alert(1)</script>")
    assert "<script>alert(1)" not in page.html
    assert "&lt;script&gt;alert(1)" in page.html


@pytest.mark.parametrize(
    "query",
    [
        "title_en:parking",
        "body_en:parking",
        "realm:group:{lunch}",
        "realm:suggestions",
        "restricted:n",
        "restricted:y",
        "key:thread:{thread}",
        "kind:thread AND realm:group:{lunch}",
        "lang:en",
        "spell:parking",
        "date:[20000101 TO 21000101]",
        "*:*",
    ],
)
def test_search_engine_syntax_is_not_a_field_query(site: Site, member: FlaskClient, query: str) -> None:
    query = query.format(lunch=site.groups["lunch"], thread=site.threads["garage"])
    page = search(member, query)
    assert not page.titles, "the engine's field syntax leaked through"
    assert not page.notices


def test_search_relevance_or_date_order(member: FlaskClient) -> None:
    strong, weak = "Quarterly figures: the quarterly review", "Canteen menu"
    assert search(member, "quarterly").titles == [strong, weak]
    assert search(member, "quarterly", order="relevance").titles == [strong, weak]
    page = search(member, "quarterly", order="date")
    assert page.titles == [weak, strong]
    assert '<option value="date" selected>' in page.html
    assert search(member, "quarterly", order="'; DROP TABLE posts; --").titles == [strong, weak]


def test_search_pages_through_the_hits(member: FlaskClient) -> None:
    everything = {f"Onboarding checklist part {n}" for n in range(1, PER_PAGE + 3)}
    first = search(member, "onboarding")
    assert first.total == len(everything)
    assert len(first.titles) == PER_PAGE
    assert "Page 1 of 2" in first.html
    assert 'rel="prev"' not in first.html
    assert 'start="1"' in first.html
    second = member.get(first.link("next"))
    second_page = Page(second.get_data(as_text=True))
    assert len(second_page.titles) == 2
    assert set(first.titles) | set(second_page.titles) == everything
    assert 'rel="next"' not in second_page.html
    assert f'start="{PER_PAGE + 1}"' in second_page.html
    assert Page(member.get(second_page.link("prev")).get_data(as_text=True)).titles == first.titles


@pytest.mark.parametrize("page", ["3", "49", "50", "9999"])
def test_search_page_past_the_end_says_so_and_links_back(member: FlaskClient, page: str) -> None:
    shown = search(member, "onboarding", page=page)
    assert shown.total == PER_PAGE + 2
    assert shown.titles == []
    assert "past the last page" in shown.html
    assert "Page 2 of 2" not in shown.html
    back = Page(member.get(shown.link("prev")).get_data(as_text=True))
    assert len(back.titles) == 2


@pytest.mark.parametrize("page", ["0", "-3", "two", "", "1.5"])
def test_search_odd_page_numbers_show_the_first_page(member: FlaskClient, page: str) -> None:
    assert len(search(member, "onboarding", page=page).titles) == PER_PAGE


def test_search_facet_counts_and_links(member: FlaskClient) -> None:
    page = search(member, "recycling")
    assert page.facets() == {
        "kind": {"Threads": 1, "Suggestions": 2},
        "department": {"Sales": 2, "Engineering": 1},
        "status": {"Adopted": 1, "Submitted": 1},
    }
    narrowed = Page(member.get(page.link_with("kind:suggestion")).get_data(as_text=True))
    assert set(narrowed.titles) == {"Recycling bins in every kitchen", "Recycling coffee capsules"}
    assert narrowed.facets()["kind"] == {"Suggestions": 2}
    assert 'aria-current="true">Suggestions ✕</a>' in narrowed.html
    by_department = Page(member.get(page.link_with("department:sales")).get_data(as_text=True))
    assert set(by_department.titles) == {"Recycling bins in every kitchen", "Recycling day"}


def test_search_snippet_marks_the_matched_words(member: FlaskClient) -> None:
    page = search(member, "handovers")
    assert page.titles == ["Night shift handover notes"]
    assert "<mark>handover</mark>" in page.snippets[0]
    assert "<mark>" in search(member, "kantine").snippets[0]


def test_search_html_in_content_is_escaped(member: FlaskClient) -> None:
    page = search(member, "zanzibar")
    assert page.titles == ['<b onmouseover="alert(1)">Zanzibar</b> offsite']
    for raw in ("<script>alert", "<img src=x", "<b onmouseover"):
        assert raw not in page.html
    assert "&lt;script&gt;alert(" in page.snippets[0]
    assert "<mark>zanzibar</mark>" in page.snippets[0]


@pytest.mark.parametrize(
    ("typo", "correction", "title"),
    [
        ("whitebord", "whiteboard", "Whiteboard markers are dry"),
        ("kantien", "kantinen", "Forslag om lengre åpningstid i kantinen"),
        ("recyling status:adopted", "recycling status:adopted", "Recycling bins in every kitchen"),
    ],
)
def test_search_did_you_mean_for_a_typo_and_its_link_finds_the_hit(
    member: FlaskClient, typo: str, correction: str, title: str
) -> None:
    page = search(member, typo)
    assert page.total == 0
    match = re.search(r'class="did-you-mean">Did you mean <a href="([^"]*)">(.*?)</a>', page.html)
    assert match, page.html
    assert html.unescape(match.group(2)) == correction
    corrected = Page(member.get(html.unescape(match.group(1))).get_data(as_text=True))
    assert title in corrected.titles
    assert "did-you-mean" not in corrected.html


def test_search_no_did_you_mean_for_a_word_nobody_wrote(member: FlaskClient) -> None:
    page = search(member, "xylophonequartet")
    assert page.total == 0
    assert "did-you-mean" not in page.html
    assert "Nothing found" in page.html


class _Cancel(Exception):
    """Leaves a held index writer without committing anything."""


def _edit(client: FlaskClient, token: str, post_id: int, body: str) -> None:
    form = client.get(f"/groups/posts/{post_id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    response = client.post(
        f"/groups/posts/{post_id}/edit", data={"csrf_token": token, "body": body, "version": version}
    )
    assert response.status_code == 302


def test_search_shows_the_text_in_the_database_not_the_indexed_one(site: Site, member: FlaskClient) -> None:
    """An edit made while the index is busy: the old words still find the post, which shows its new text."""
    author, token = site.writer("member")
    with contextlib.suppress(_Cancel), site.app.extensions["search"].writer(timeout=1.0):
        _edit(
            author,
            token,
            site.posts["projector-reply"],
            "Fixed: a shorter cable, no trouble with the picture.",
        )
        raise _Cancel
    page = search(member, "flickers")  # the index still has the old text
    assert page.titles == ["Projector in room 4"]
    assert "shorter cable" in page.snippets[0]
    assert "flickers" not in page.html.split('<div class="results">')[1]


def test_search_updated_document_is_found_once_and_only_by_its_new_text(
    site: Site, member: FlaskClient
) -> None:
    author, token = site.writer("member")
    site.reply("notes", "member", "projector", "The clicker for the slides has a broken hinge.")
    assert search(member, "clicker hinge").total == 1  # the searcher is open now
    _edit(author, token, site.posts["notes"], "The clicker for the slides works again.")
    assert search(member, "clicker").total == 1
    assert search(member, "hinge").total == 0


HOSTILE = [
    '"kantinen',
    'kantinen"',
    '"""',
    "(whiteboard",
    "whiteboard)",
    "((((",
    "-",
    "- -",
    "--whiteboard",
    "-whiteboard",
    "OR",
    "OR OR",
    "whiteboard OR",
    "OR whiteboard",
    "*",
    "**",
    "whiteboard*",
    "w*",
    "in:",
    'in:""',
    "status:",
    "kind:",
    "department:",
    "-status:",
    ":",
    "::",
    "a" * 500,
    "whiteboard " * 60,
    "white\x00board",
    "\x00",
    "whiteboard \U0001f4a9 \U0001f600",
    "\u200b\u200d",
    "' OR 1=1; --",
    "'; DROP TABLE posts; --",
    'whiteboard" OR ""="',
    "a AND (b OR",
    "whiteboard AND (parking OR",
    "NOT whiteboard",
    "~",
    "whiteboard~",
    "whiteboard~2",
    "^",
    "whiteboard^3",
    "field:[a TO b]",
    "date:{20200101 TO}",
    "title:*",
    "%",
    "%%27",
    "\\",
    "<script>alert(1)</script>",
    "&amp; &#0; &lt;",
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_search_malformed_and_hostile_queries_answer_200(member: FlaskClient, query: str) -> None:
    page = search(member, query)
    assert "<script>alert(1)" not in page.html
    assert 'id="search-q"' in page.html


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ('"kantinen', "Forslag om lengre åpningstid i kantinen"),
        ("(whiteboard", "Whiteboard markers are dry"),
        ("whiteboard)", "Whiteboard markers are dry"),
        ("whiteboard OR", "Whiteboard markers are dry"),
        ("OR whiteboard", "Whiteboard markers are dry"),
        ("whiteboard~ markers^", "Whiteboard markers are dry"),
        ("whiteboard \U0001f4a9 markers", "Whiteboard markers are dry"),
        ("in: whiteboard status: markers", "Whiteboard markers are dry"),
    ],
)
def test_search_malformed_query_is_answered_with_results_for_its_words(
    member: FlaskClient, query: str, title: str
) -> None:
    assert title in search(member, query).titles


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.lists(
        st.one_of(
            st.sampled_from(
                ['"', "-", "*", "(", ")", ":", "OR", "AND", "in:", "status:", "kind:", "~", "^", " "]
            ),
            st.sampled_from(["whiteboard", "parking", "kantinen", "Lunch club", "adopted", "title_en"]),
            st.text(max_size=8),
        ),
        max_size=12,
    ).map("".join)
)
def test_search_any_typed_text_answers_200(member: FlaskClient, text: str) -> None:
    response = member.get("/search/", query_string={"q": text})
    assert response.status_code == 200
    assert "Traceback" not in response.get_data(as_text=True)


# -- duplicate hints ----------------------------------------------------------------------------------


def _hints(client: FlaskClient, title: str) -> list[str]:
    response = client.get("/search/similar", query_string={"title": title})
    assert response.status_code == 200
    return [
        html.unescape(t) for t in re.findall(r'rel="noopener">(.*?)</a>', response.get_data(as_text=True))
    ]


def test_similar_suggestions_for_a_half_typed_title(member: FlaskClient) -> None:
    hints = _hints(member, "Another coffee mach")
    assert hints[0] == "A second coffee machine on floor 3"
    assert "Coffee machine cleaning rota" not in hints  # a thread, not a suggestion
    assert _hints(member, "Een tweede koffieauto") == ["Een tweede koffieautomaat op de derde verdieping"]
    assert _hints(member, "parking garage lights") == ["Parking permits for visitors"]


@pytest.mark.parametrize("title", ["", "cof", "   cof   ", "a b", "the of and"])
def test_similar_suggestions_nothing_for_short_or_empty_titles(member: FlaskClient, title: str) -> None:
    response = member.get("/search/similar", query_string={"title": title})
    assert response.status_code == 200
    assert response.get_data(as_text=True).strip() == ""


def test_similar_suggestions_hostile_titles(member: FlaskClient) -> None:
    for title in ('"coffee', "coffee\x00machine", "title_en:coffee", "<script>x</script>coffee", "c" * 5000):
        response = member.get("/search/similar", query_string={"title": title})
        assert response.status_code == 200
        assert "<script>x" not in response.get_data(as_text=True)


# -- the page itself ----------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [{}, {"q": ""}, {"q": "   "}, {"q": "-"}, {"q": "OR"}, {"q": "*"}])
def test_search_empty_query_shows_the_form_only(member: FlaskClient, args: dict[str, str]) -> None:
    response = member.get("/search/", query_string=args)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="search-q"' in text
    assert "result-count" not in text
    assert "Nothing found" not in text


@pytest.mark.parametrize("path", ["/search/?q=parking", "/search/", "/search/similar?title=coffee+machine"])
def test_search_pages_need_login(site: Site, path: str) -> None:
    response = site.app.test_client().get(path)
    assert response.status_code == 302
    assert response.location.startswith("/login")
    assert "Parking" not in response.get_data(as_text=True)


def test_search_after_logging_in_through_the_form(site: Site) -> None:
    client = site.app.test_client()
    assert login(client, "zoe", "demo").status_code == 302
    page = search(client, "parking")
    assert set(page.titles) == {"Parking garage lights are broken", "Parking permits for visitors"}
    assert 'value="parking"' in page.html


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("the parking garage", "Parking garage lights are broken"),
        ("forslag om kantinen", "Forslag om lengre åpningstid i kantinen"),
    ],
)
def test_search_stop_words_of_one_language_do_not_hide_text_in_another(
    member: FlaskClient, query: str, title: str
) -> None:
    assert (
        title in search(member, query.replace(" the ", " ").replace(" om ", " ").removeprefix("the ")).titles
    )
    assert title in search(member, query).titles
