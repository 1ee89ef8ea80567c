"""An XSS corpus (tests/browser/xss.py) through everything people and the directory write, read
back in the real browser: nothing runs, no markup gets in, and every payload is there as text.

The payloads go in as the directory's names, titles and departments (a directory of the demo's
people and three hostile ones, logged in through the real provisioning), as suggestion titles,
bodies, comments, official responses and adoption notes, group names and descriptions, thread
titles, posts, join-request messages and hide reasons, the digest's introduction, search queries
and flashes. Pages are read with the CSP bypassed, so that the escaping and the Markdown sanitiser
are tested on their own (the CSP is a second wall, tested with the headers); one test reads them
again under the CSP, where any violation would be an injection the escaping let through.

The data is built once for the module, on a database of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from werkzeug.serving import make_server

from auth.demo import DemoDirectory
from intranet.clock import utcnow
from intranet.extensions import db
from suggestions.digest import months
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_login_flow import log_in
from tests.browser.xss import ALL, FOREIGN_MARKUP, HOOKS, MARKDOWN, PLAIN, READABLE_TEXT, Payload, squash
from tests.conftest import Databases, base_config, demo_app, login

pytestmark = pytest.mark.browser

P = {p.n: p for p in ALL}

#: Hostile people in the directory: login name -> (display name, job title, department).
HOSTILE = {
    "mallory": (P[2], P[9], P[24]),
    "trudy": (P[4], P[6], P[25]),
    "eve": (P[7], P[1], P[26]),
}
MALLORY = HOSTILE["mallory"][0].text
POST_MAX = 4000
THIS_MONTH = months.first_of(utcnow().date())


class HostileDirectory(DemoDirectory):
    """The demo directory, plus people whose name, title and department are payloads."""

    def __init__(self) -> None:
        super().__init__()
        for username, (name, title, department) in HOSTILE.items():
            entry = self._make(username, name.text, title.text, department.text, "bjorn", ())
            self._entries[username] = entry
            self._by_dn[entry.dn] = entry


@dataclass
class Site:
    app: Flask
    base: str
    suggestions: dict[int, int] = field(default_factory=dict)  # payload n -> suggestion id
    threads: dict[int, int] = field(default_factory=dict)  # payload n -> thread id
    group: int = 0
    closed_group: int = 0
    first_thread: int = 0
    first_suggestion: int = 0
    post: int = 0  # a reply whose Markdown is plain payloads
    campaign: int = 0


def _user(username: str) -> Any:
    from intranet.models import User

    return db.session.scalars(select(User).where(User.username == username)).one()


def _seed(site: Site) -> None:
    """Every payload into every kind of text, through the services the views call."""
    from groups import moderation, posting
    from groups import services as groups
    from groups.models import Thread, Visibility
    from suggestions import campaigns, workflow
    from suggestions import services as suggestions
    from suggestions.digest import services as digests
    from suggestions.models import Status, Suggestion

    with site.app.test_request_context():  # services build links with url_for
        people = {name: _user(name) for name in ("zoe", "ingrid", "jurgen", *HOSTILE)}
        authors = [people[name] for name in HOSTILE] + [people["zoe"]]
        hostile_department = people["mallory"].department
        markdown_all = "\n\n".join(p.text for p in MARKDOWN)

        # Suggestions: a plain payload as the title, a Markdown one as the body.
        for i, payload in enumerate(PLAIN):
            body = MARKDOWN[i % len(MARKDOWN)]
            draft = suggestions.Draft(
                title=payload.text, body=body.text, category="other", expected_benefit=payload.text
            )
            site.suggestions[payload.n] = suggestions.submit_named(authors[i % len(authors)], draft).id
        campaign = campaigns.open_campaign(
            people["ingrid"],
            title=P[18].text,
            description=markdown_all,
            closes_at=utcnow() + timedelta(days=30),
            department=None,
        )
        site.campaign = campaign.id
        draft = suggestions.Draft(title=P[19].text, body=P[20].text, category="other", campaign=campaign)
        site.suggestions[P[19].n] = suggestions.submit_named(people["eve"], draft).id
        db.session.flush()
        first = db.session.get(Suggestion, site.suggestions[PLAIN[0].n])
        site.first_suggestion = first.id
        for i, payload in enumerate(MARKDOWN):
            suggestions.add_comment(authors[i % len(authors)], first, payload.text)
        suggestions.follow(people["zoe"], first)

        # An official response, then adoption with every note a payload (the digest shows them).
        for n in (1, 2, 3):
            s = db.session.get(Suggestion, site.suggestions[n])
            workflow.change_status(
                people["ingrid"], s, Status.ACCEPTED, markdown_all, expected_version=s.status_version
            )
            adoption = workflow.AdoptionData(
                what_was_done=markdown_all, department=hostile_department, benefit_notes=markdown_all
            )
            workflow.change_status(
                people["ingrid"],
                s,
                Status.ADOPTED,
                markdown_all,
                expected_version=s.status_version,
                adoption=adoption,
            )
        db.session.flush()
        digests.edit(
            people["ingrid"],
            THIS_MONTH,
            markdown_all,
            {site.suggestions[1]},
            expected_version=digests.find_or_new(THIS_MONTH).version,
        )

        # A company-wide open group named by a payload; every thread title and post a payload.
        group = groups.create_group(
            people["jurgen"],
            name=P[3].text,
            description=markdown_all[:2000],
            department=None,
            visibility=Visibility.OPEN,
        )
        site.group = group.id
        for person in (*authors, people["zoe"]):
            groups.join_group(person, group)
        groups.subscribe_group(people["zoe"], group)
        for i, payload in enumerate(PLAIN):
            thread = posting.start_thread(
                authors[i % len(authors)], group, title=payload.text, body=MARKDOWN[i % len(MARKDOWN)].text
            )
            site.threads[payload.n] = thread.id
        first_thread = db.session.get(Thread, site.threads[PLAIN[0].n])
        site.first_thread = first_thread.id
        groups.subscribe_thread(people["zoe"], first_thread)
        posts = [posting.reply(authors[i % 3], first_thread, p.text) for i, p in enumerate(MARKDOWN)]
        # Plain payloads as a post's Markdown: its edit form holds them in a <textarea>.
        site.post = posting.reply(people["mallory"], first_thread, P[6].text + "\n\n" + P[4].text).id
        # A hidden post: its author is told the (payload) reason; the log shows it.
        moderation.hide_post(people["jurgen"], posts[0], P[13].text)

        # A closed group: a request with a payload message waits; one approved with a payload answer.
        closed = groups.create_group(
            people["jurgen"], name=P[5].text, department=None, visibility=Visibility.CLOSED
        )
        site.closed_group = closed.id
        groups.request_to_join(people["eve"], closed, P[8].text)
        req = groups.request_to_join(people["trudy"], closed, P[12].text)
        groups.decide_request(people["jurgen"], req, approve=True, message=P[14].text)
        db.session.commit()


@pytest.fixture(scope="module")
def site(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    config = base_config(
        databases.create(),
        INDEX_DIR=str(tmp_path_factory.mktemp("xss-index")),
        LOGIN_LIMIT_PER_USER="100000 per minute",
        LOGIN_LIMIT_PER_CLIENT="100000 per minute",
        RECEIPT_LIMIT_PER_CLIENT="100000 per minute",
        SUGGESTIONS_PER_PAGE=100,
        THREADS_PER_PAGE=100,
        SEARCH_PER_PAGE=100,
        POST_MAX_LENGTH=POST_MAX,
    )
    app = demo_app(config)
    app.extensions["ting.directory"] = HostileDirectory()
    for username in HOSTILE:  # the real login: provisioning writes their names and departments
        assert login(app.test_client(), username, "demo").status_code == 302
    site = Site(app, "")
    _seed(site)
    assert app.test_cli_runner().invoke(args=["search", "rebuild"]).exit_code == 0
    server = make_server("127.0.0.1", 0, app, threaded=True)
    site.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        app.extensions["search"].close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


class Reader:
    """One person's browser: every `xss(n)` call and dialog recorded, whatever frame it came from."""

    def __init__(self, browser: Browser, site: Site, username: str, *, csp: bool = False) -> None:
        self.site = site
        self.calls: list[tuple[str, Any]] = []
        self.context: BrowserContext = browser.new_context(bypass_csp=not csp)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.expose_binding("xss", lambda source, n: self.calls.append((source["frame"].url, n)))
        self.context.add_init_script(HOOKS)
        self.page: Page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        log_in(self.page, site.base, username)

    def _dialog(self, dialog: Any) -> None:
        self.calls.append((self.page.url, f"dialog:{dialog.type}:{dialog.message}"))
        dialog.dismiss()

    def visit(self, path: str, expected: list[Payload] | tuple[Payload, ...] = ()) -> None:
        response = self.page.goto(self.site.base + path)
        assert response is not None and response.status < 400, (path, response and response.status)
        self.check(path, expected)

    def check(
        self, where: str, expected: list[Payload] | tuple[Payload, ...] = (), *, allowed: tuple[str, ...] = ()
    ) -> None:
        """Nothing ran, no foreign markup (but findings that start as ``allowed``), and each
        expected payload is readable as text."""
        self.page.wait_for_load_state()
        self.page.evaluate("() => new Promise((done) => setTimeout(done, 30))")  # late handlers
        ran = sorted({str(n) for _frame, n in self.calls})
        assert ran == [], f"{where}: script ran: payloads {ran} ({len(self.calls)} calls)"
        foreign = [f for f in self.page.evaluate(FOREIGN_MARKUP) if not f.startswith(allowed)]
        assert foreign == [], f"{where}: markup from content: {foreign[:5]} ({len(foreign)} in all)"
        text = squash(self.page.evaluate(READABLE_TEXT))
        missing = [p.n for p in expected if squash(p.visible) not in text]
        assert missing == [], f"{where}: payloads not shown as text: {missing}"

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def reader(browser: Browser, site: Site) -> Iterator[Any]:
    readers: list[Reader] = []

    def open_as(username: str, **options: Any) -> Reader:
        r = Reader(browser, site, username, **options)
        readers.append(r)
        return r

    yield open_as
    for r in readers:
        r.close()


def _pages(site: Site, items: tuple[int, ...] | None = None) -> list[tuple[str, str, list[Payload]]]:
    """(reader, path, payloads that page must show as text) for every page that shows stored text."""
    names = [name for name, _title, _dept in HOSTILE.values()]
    departments = [dept for _name, _title, dept in HOSTILE.values()]
    md = list(MARKDOWN)
    typed = [Payload(p.n, p.text) for p in MARKDOWN]  # as a form field holds it, not rendered
    pages: list[tuple[str, str, list[Payload]]] = [
        ("zoe", "/suggestions/", PLAIN),
        ("zoe", "/suggestions/board", []),
        ("zoe", "/suggestions/new", departments),
        ("ingrid", "/suggestions/review", PLAIN[3:]),
        ("zoe", f"/suggestions/{site.first_suggestion}", [PLAIN[0], *md, *names]),
        ("zoe", f"/suggestions/{site.suggestions[2]}", [P[2], *md]),  # adopted: response and notes
        ("zoe", "/groups/", [P[3]]),
        ("zoe", f"/groups/{site.group}", [P[3], *PLAIN, *md[:5]]),
        ("zoe", f"/groups/threads/{site.first_thread}", [PLAIN[0], *md[1:], *names]),
        ("zoe", f"/groups/{site.group}/members", names),
        ("jurgen", f"/groups/{site.closed_group}/members", [P[5], P[7], P[8]]),
        ("jurgen", f"/groups/{site.group}/log", [P[13]]),
        ("jurgen", "/groups/queue", [P[7], P[5]]),
        ("zoe", "/notifications", [P[1], P[3], *names]),
        ("mallory", "/notifications", [P[13]]),
        ("trudy", "/notifications", [P[14], P[5]]),
        ("zoe", "/departments", departments),
        ("mallory", "/profile", [P[2], P[9], P[24]]),
        ("ingrid", f"/digest/{months.key(THIS_MONTH)}", [P[1], P[2], P[3], *md, names[0]]),
        ("ingrid", "/digest/archive", []),
        ("mallory", f"/groups/posts/{site.post}/edit", [P[6], P[4]]),
        ("zoe", f"/groups/posts/{site.post}/history", [P[6], P[4]]),
        ("jurgen", f"/groups/posts/{site.post}/hide", [P[6], P[4]]),
        ("zoe", f"/groups/posts/{site.post}/flag", [P[6], P[4]]),
        ("jurgen", f"/groups/{site.group}/edit", [P[3], *typed[:5]]),
        ("jurgen", f"/groups/threads/{site.first_thread}/move", [PLAIN[0], P[5]]),
        ("zoe", "/suggestions/campaigns", [P[18]]),
        ("zoe", f"/suggestions/campaigns/{site.campaign}", [P[18], *md, P[19]]),
        ("zoe", f"/suggestions/new?campaign={site.campaign}", [P[18]]),
        ("ingrid", f"/suggestions/{site.suggestions[4]}", [P[4]]),  # with the reviewer's forms
        ("ingrid", f"/suggestions/{site.suggestions[3]}/adoption", [P[3], *typed]),
        ("zoe", "/search/?q=xss", PLAIN),
        ("zoe", "/search/?q=onerror+kind:thread", [P[2], P[4], P[6]]),
        ("zoe", "/search/?q=script+img", []),
    ]
    singles = [p for p in PLAIN[1:] if items is None or p.n in items]
    pages += [("zoe", f"/suggestions/{site.suggestions[p.n]}", [p]) for p in singles]
    pages += [("zoe", f"/groups/threads/{site.threads[p.n]}", [p]) for p in singles]
    return pages


def _read_all(reader: Any, site: Site, items: tuple[int, ...] | None = None, **options: Any) -> None:
    """Read every page of :func:`_pages` (of single suggestions and threads, only ``items``'s)."""
    readers: dict[str, Reader] = {}
    for username, path, expected in _pages(site, items):
        if username not in readers:
            readers[username] = reader(username, **options)
        readers[username].visit(path, expected)


def test_stored_payloads_show_as_text_and_never_run(reader: Any, site: Site) -> None:
    _read_all(reader, site)


def test_no_page_trips_the_content_security_policy(reader: Any, site: Site) -> None:
    """Under the real CSP: a refusal (reported to the binding) would be markup that got past the escaping.

    The pages of single suggestions and threads but three are left to the test above."""
    _read_all(reader, site, csp=True, items=(7, 4, 8))


def test_the_digest_mail_shows_the_payloads_as_text(reader: Any, site: Site) -> None:
    """The HTML mail (its inline styles and cid: pictures are its own), opened in the browser."""
    from suggestions.digest import sending
    from suggestions.digest import services as digests

    with site.app.test_request_context():
        message = sending.compose(digests.find_or_new(THIS_MONTH))
    html = message.get_body(("html",)).get_content()
    ingrid = reader("ingrid")
    ingrid.page.set_content(html)
    expected = [P[1], P[2], P[3], *MARKDOWN, HOSTILE["mallory"][0]]
    ingrid.check("digest mail", expected, allowed=("attribute style:", 'element: <img src="cid:'))


def test_search_queries_are_echoed_as_text(reader: Any, site: Site) -> None:
    zoe = reader("zoe")
    page = zoe.page
    for payload in PLAIN:
        page.goto(f"{site.base}/search/")
        page.get_by_label("Search for").fill(payload.text)
        page.get_by_label("Search for").press("Enter")
        expect(page.locator(".result-count")).to_be_visible()
        zoe.check(f"search for {payload.n}", [payload])
        expect(page.get_by_label("Search for")).to_have_value(payload.text)
        assert payload.text in page.title(), payload.n
    # From the header search box, and straight from the address bar with a second parameter.
    page.goto(f"{site.base}/profile")
    page.get_by_role("search").get_by_label("Search Ting").fill(P[4].text)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Search for")).to_have_value(P[4].text)
    zoe.check("header search", [P[4]])
    page.goto(
        f"{site.base}/search/?q=%22%3E%3Cimg+src%3Dx+onerror%3Dxss(4)%3E&order=%22%3E%3Csvg/onload=xss(3)%3E"
    )
    zoe.check("search with a hostile order", [P[4]])


def test_similar_title_hints_show_stored_titles_as_text(reader: Any, site: Site) -> None:
    """The hints are fetched and put in with innerHTML: the server's escaping is all there is."""
    zoe = reader("zoe")
    page = zoe.page
    page.goto(f"{site.base}/suggestions/new")
    page.get_by_label("Title").press_sequentially("img src onerror xss", delay=10)
    hints = page.locator("#similar-suggestions")
    expect(hints.get_by_role("link").first).to_be_visible()
    zoe.check("similar hints", [P[2]])


def test_flashes_that_echo_names_and_typed_text_show_them_as_text(reader: Any, site: Site) -> None:
    jurgen = reader("jurgen")
    page = jurgen.page
    name = P[10]  # template syntax: must not become 49
    page.goto(f"{site.base}/groups/new")
    page.get_by_label("Name", exact=True).fill(name.text)
    page.get_by_role("button", name="Create group").click()
    expect(page.locator(".flash")).to_contain_text("created")
    jurgen.check("group created", [name])
    assert "49" not in page.locator(".flash").inner_text()
    group_url = page.url

    # Adding someone names them; a user name nobody has is echoed as typed.
    page.goto(group_url + "/members")
    page.get_by_label("User name of the colleague to add").fill("mallory")
    page.get_by_role("button", name="Add to group").click()
    expect(page.locator(".flash")).to_contain_text("added")
    jurgen.check("member added", [HOSTILE["mallory"][0]])
    typed = P[4]
    page.get_by_label("User name of the colleague to add").fill(typed.text)
    page.get_by_role("button", name="Add to group").click()
    expect(page.locator(".flash")).to_contain_text("Nobody active")
    jurgen.check("unknown user name", [typed])
    assert typed.text in page.locator(".flash").inner_text()

    # Removing them names them again, with a payload reason for the log.
    member = page.locator("li").filter(has_text=MALLORY)
    member.get_by_text("Remove or ban").click()
    member.get_by_label("Reason (optional)").fill(P[11].text)
    member.get_by_role("button", name="Remove").first.click()
    expect(page.locator(".flash")).to_contain_text("removed")
    jurgen.check("member removed", [HOSTILE["mallory"][0]])
    jurgen.visit(group_url.removeprefix(site.base) + "/log", [P[11], HOSTILE["mallory"][0]])

    zoe = reader("zoe")
    zoe.page.goto(group_url)
    zoe.page.get_by_role("button", name="Join").click()
    expect(zoe.page.locator(".flash")).to_contain_text("joined")
    zoe.check("joined", [name])


def test_rejected_forms_show_the_text_back_as_text(reader: Any, site: Site) -> None:
    zoe = reader("zoe")
    page = zoe.page
    # A blank description: the form comes back with the title and the benefit as typed.
    page.goto(f"{site.base}/suggestions/new")
    page.get_by_label("Title").fill(P[4].text)
    page.get_by_label("Description").fill("   ")
    page.get_by_label("Expected benefit (optional)").fill(P[6].text)
    page.get_by_role("button", name="Send suggestion").click()
    expect(page.locator(".error").first).to_be_visible()
    zoe.check("rejected suggestion", [P[6]])
    expect(page.get_by_label("Title")).to_have_value(P[4].text)
    expect(page.get_by_label("Expected benefit (optional)")).to_have_value(P[6].text)

    # A reply over the limit comes back in its textarea.
    page.goto(f"{site.base}/groups/threads/{site.first_thread}")
    reply = P[6].text + "\n\n" + P[4].text + " " + "y" * POST_MAX
    page.get_by_label("Your reply").fill(reply)
    page.get_by_role("button", name="Post reply").click()
    expect(page.locator(".error").first).to_be_visible()
    zoe.check("rejected reply")
    expect(page.get_by_label("Your reply")).to_have_value(reply)

    # A wrong password keeps the (hostile) user name.
    anonymous = reader("zoe")
    anonymous.context.clear_cookies()
    login_page = anonymous.page
    login_page.goto(f"{site.base}/login")
    login_page.get_by_label("User name").fill(P[4].text)
    login_page.get_by_label("Password").fill("wrong")
    login_page.get_by_role("button", name="Log in").click()
    expect(login_page.get_by_role("alert")).to_be_visible()
    anonymous.check("rejected login")

    # The digest's introduction over its limit.
    ingrid = reader("ingrid")
    ingrid.page.goto(f"{site.base}/digest/{months.key(THIS_MONTH)}")
    intro = P[6].text + " " + "z" * 5000
    box = ingrid.page.get_by_role("textbox", name="Introduction")
    box.evaluate("field => field.removeAttribute('maxlength')")  # as a crafted POST would
    box.fill(intro)
    ingrid.page.get_by_role("button", name="Save draft").click()
    expect(ingrid.page.locator(".error").first).to_be_visible()
    ingrid.check("rejected digest introduction")
    expect(box).to_have_value(intro)


def test_an_anonymous_suggestion_and_its_receipt_pages_show_the_payloads_as_text(
    reader: Any, site: Site
) -> None:
    zoe = reader("zoe")
    page = zoe.page
    page.goto(f"{site.base}/suggestions/new")
    page.get_by_label("Title").fill(P[7].text)
    page.get_by_label("Description").fill(P[110].text + "\n\n" + P[101].text)
    page.get_by_label("Anonymous", exact=False).check()
    page.get_by_role("button", name="Send suggestion").click()
    code = page.locator("#receipt-code").inner_text()
    zoe.check("receipt")

    # A wrong code (a payload) comes back in the field; the right one opens the follow-up.
    page.goto(f"{site.base}/suggestions/receipt")
    page.get_by_label("Receipt code").fill(P[4].text)
    page.get_by_role("button", name="Open").click()
    expect(page.locator(".error, .alert").first).to_be_visible()
    zoe.check("wrong receipt")
    expect(page.get_by_label("Receipt code")).to_have_value(P[4].text)
    page.get_by_label("Receipt code").fill(code)
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(P[7].text)
    zoe.check("follow-up", [P[7], P[110], P[101]])
