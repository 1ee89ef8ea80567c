"""Languages in a real browser: the picker, and Norwegian main pages with no English left on them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Page, expect

from tests.browser.conftest import PageFactory
from tests.browser.test_login_flow import log_in

pytestmark = pytest.mark.browser

TRANSLATIONS = Path(__file__).resolve().parents[2] / "intranet" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
# Every piece of text a person reads: text nodes and the attributes that are shown or spoken.
SHOWN_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (parent.closest('script, style, [lang]:not(html)')) continue;  // a language named in itself
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (text) out.push(text);
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], img[alt]')) {
    for (const name of ['placeholder', 'aria-label', 'title', 'alt']) {
      const value = el.getAttribute(name);
      if (value) out.push(value.trim());
    }
  }
  out.push(document.title);
  return out;
}"""


def read_catalog(locale: str):  # noqa: ANN201 - babel's Catalog
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def english_only(locale: str) -> tuple[set[str], list[re.Pattern[str]]]:
    """English messages whose translation differs: exact texts, and patterns for those with placeholders."""
    catalog = read_catalog(locale)
    exact: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for message in catalog:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else message.id[1]
        norwegian = message.string if isinstance(message.string, str) else message.string[-1]
        if english == norwegian or not re.search(r"[^\W\d_]{3,}", PLACEHOLDER.sub("", english)):
            continue
        if PLACEHOLDER.search(english):
            parts = PLACEHOLDER.split(english)
            if sum(len(re.findall(r"[^\W\d_]{3,}", p)) for p in parts) >= 2:
                patterns.append(re.compile(".+?".join(re.escape(p) for p in parts)))
        else:
            exact.add(english.strip())
    assert len(exact) > 300  # the catalog was read
    return exact, patterns


def english_on(page: Page, messages: tuple[set[str], list[re.Pattern[str]]]) -> list[str]:
    exact, patterns = messages
    shown: list[str] = page.evaluate(SHOWN_TEXT)
    return sorted({t for t in shown if t in exact or any(p.fullmatch(t) for p in patterns)})


@pytest.fixture
def demo(make_app: Any, live_server: str) -> str:
    result = make_app().test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return live_server


def test_the_picker_switches_the_language_and_remembers_it(new_page: PageFactory, demo: str) -> None:
    page = new_page(locale="en-GB")
    log_in(page, demo, "zoe")
    page.goto(demo + "/suggestions/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Language").select_option(label="Norsk bokmål")
    page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page).to_have_url(re.compile(r"/suggestions/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Forslag")
    # Remembered for this person: a new browser with an English Accept-Language still shows bokmål.
    other = new_page(locale="en-GB")
    other.goto(demo + "/login")
    expect(other.locator("html")).to_have_attribute("lang", "en")
    other.get_by_label("User name").fill("zoe")
    other.get_by_label("Password").fill("demo")
    other.get_by_role("button", name="Log in").click()
    expect(other.locator("html")).to_have_attribute("lang", "nb")


MAIN_PAGES = {
    "zoe": [
        "/profile",
        "/suggestions/",
        "/suggestions/?status=",
        "/suggestions/board",
        "/suggestions/new",
        "/suggestions/receipt",
        "/suggestions/campaigns",
        "/groups/",
        "/search/?q=forslagene+kantine",
        "/search/?q=nothingmatchesthis",
        "/notifications",
        "/departments",
        "/no-such-page",
    ],
    "bjorn": ["/suggestions/review", "/groups/queue"],
    "ingrid": ["/digest/", "/digest/archive"],
}


@pytest.mark.parametrize(("locale", "browser_locale"), [("nb", "nb-NO"), ("sv", "sv-SE")])
def test_main_pages_show_no_english(
    new_page: PageFactory, demo: str, locale: str, browser_locale: str
) -> None:
    messages = english_only(locale)
    catalog = read_catalog(locale)
    found: dict[str, list[str]] = {}
    for username, paths in MAIN_PAGES.items():
        page = new_page(locale=browser_locale)
        page.goto(demo + "/login")
        found["/login"] = english_on(page, messages)
        page.get_by_label(catalog.get("User name").string).fill(username)
        page.get_by_label(catalog.get("Password").string).fill("demo")
        page.keyboard.press("Enter")
        # The login page is already in the language: wait for the answer to the form itself.
        expect(page).to_have_url(demo + "/profile")
        expect(page.locator("html")).to_have_attribute("lang", locale)
        for path in paths:
            page.goto(demo + path)
            expect(page.locator("html")).to_have_attribute("lang", locale)
            found[path] = english_on(page, messages)
        if username == "zoe":
            for link in (
                "Covered bicycle parking by the north entrance",
                "Cache dependencies in the CI pipeline",
            ):
                page.goto(demo + "/suggestions/?status=")
                page.get_by_role("link", name=link).click()
                found[link] = english_on(page, messages)
            page.goto(demo + "/groups/")
            page.get_by_role("link", name="Engineering", exact=True).click()
            found["group"] = english_on(page, messages)
            page.get_by_role("link", name="How do I get access to the staging database?").click()
            found["thread"] = english_on(page, messages)
    assert found == {name: [] for name in found}


def test_the_check_sees_english(new_page: PageFactory, demo: str) -> None:
    """The detector itself: an English page is full of English messages."""
    page = new_page(locale="en-GB")
    page.goto(demo + "/login")
    seen = set(english_on(page, english_only("sv")))
    assert {"Password", "User name"} <= seen and len(seen) >= 5, seen
