"""The login flow in a real browser: keyboard use, errors, phone layout, privacy, accessibility."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Locator, Page, expect

from tests.browser.conftest import PageFactory

pytestmark = pytest.mark.browser

GENERIC_ERROR = "Unknown user name or wrong password."
LOGIN_URL = re.compile(r"/login(\?.*)?$")


def log_in(page: Page, base: str, username: str, password: str = "demo") -> None:
    """Log in through the form (by mouse: the keyboard path has its own test)."""
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/profile")


def tab_to(page: Page, target: Locator, limit: int = 10) -> None:
    """Press Tab until `target` has focus; fail after `limit` presses."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    pytest.fail(f"{target} not reached with {limit} Tab presses")


def test_keyboard_only_login_and_logout(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    demo = page.locator("section.demo")
    expect(demo.get_by_role("heading", name="This is a demo")).to_be_visible()
    for name in ("ingrid", "bjorn", "jurgen", "zoe"):
        expect(demo.get_by_role("cell", name=name, exact=True)).to_be_visible()

    username = page.get_by_label("User name")
    password = page.get_by_label("Password")
    submit = page.get_by_role("button", name="Log in")
    expect(username).to_be_focused()  # autofocus: the keyboard user starts typing at once
    page.keyboard.type("zoe")
    page.keyboard.press("Tab")
    expect(password).to_be_focused()
    page.keyboard.type("demo")
    page.keyboard.press("Tab")
    expect(submit).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server}/profile")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zoë O'Brien")
    roles = page.locator("ul.roles > li")
    expect(roles).to_have_count(1)
    expect(roles.first).to_contain_text("Employee:")

    # Skip link, brand, six menu entries, the search field and its button come first.
    tab_to(page, page.get_by_role("button", name="Log out"), limit=15)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/login")
    expect(page.get_by_role("status")).to_have_text("You are logged out.")

    page.go_back()  # Back must not show the profile again
    expect(page).to_have_url(LOGIN_URL)
    expect(page.get_by_text("Zoë O'Brien")).to_have_count(0)
    page.goto(f"{live_server}/profile")
    expect(page).to_have_url(LOGIN_URL)
    expect(page.get_by_role("heading", name="Log in to Ting")).to_be_visible()


def test_wrong_password_keeps_the_user_name_only(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("User name").fill("zoe")
    page.get_by_label("Password").fill("not-demo")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_have_text(GENERIC_ERROR)
    expect(page.get_by_label("User name")).to_have_value("zoe")
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.get_by_label("Password")).to_be_focused()


def _assert_fits_phone(page: Page) -> None:
    width = page.evaluate("window.innerWidth")
    # A phone widens its layout viewport to fit a page that is too wide, or has no meta viewport.
    assert width == 375, f"{page.url}: layout viewport {width}px, not 375px: page too wide for a phone"
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways: {scroll}px wide in a {width}px viewport"


def test_phone_layout_has_no_sideways_scrolling(new_page: PageFactory, live_server: str) -> None:
    page = new_page(
        viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page.goto(f"{live_server}/login")
    _assert_fits_phone(page)
    button = page.get_by_role("button", name="Log in")
    expect(button).to_be_in_viewport(ratio=1)

    log_in(page, live_server, "bjorn")
    _assert_fits_phone(page)


def test_no_request_leaves_the_intranet(page: Page, live_server: str) -> None:
    requests: list[str] = []
    csp_reports: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            csp_reports.append(message.text)

    page.on("console", on_console)
    log_in(page, live_server, "bjorn")
    page.goto(f"{live_server}/departments")
    expect(page.get_by_text("Bjørn Ødegård").first).to_be_visible()

    assert f"{live_server}/static/css/ting.css" in requests, requests  # the recorder did record
    assert {urlsplit(url).hostname for url in requests} == {"127.0.0.1"}, requests
    assert csp_reports == []


def test_skip_link_moves_focus_to_main(page: Page, live_server: str) -> None:
    log_in(page, live_server, "zoe")
    page.goto(f"{live_server}/profile")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport(ratio=1)  # shown on focus, not left off-screen
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def _serious_violations(page: Page) -> list[str]:
    results = Axe().run(page).response
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]} {v['help']}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_login_and_profile_have_no_serious_accessibility_violations(page: Page, live_server: str) -> None:
    # axe-playwright-python evaluates axe.min.js through the DevTools protocol, which the
    # page's CSP (script-src 'self') does not govern: no bypass_csp, the page is tested as served.
    page.goto(f"{live_server}/login")
    found = {"/login": _serious_violations(page)}
    log_in(page, live_server, "bjorn")
    found["/profile"] = _serious_violations(page)
    assert found == {"/login": [], "/profile": []}
