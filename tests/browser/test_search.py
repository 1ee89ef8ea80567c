"""Search in a real browser: from the header, in Norwegian, on a phone; duplicate hints as one types."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageFactory
from tests.browser.test_login_flow import _assert_fits_phone, _serious_violations, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(make_app: Any, live_server: str) -> str:
    result = make_app().test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return live_server


def test_header_search_finds_a_norwegian_post_by_another_form_of_the_word(
    new_page: PageFactory, demo: str
) -> None:
    page = new_page()
    log_in(page, demo, "zoe")
    page.get_by_role("search").get_by_label("Search Ting").fill("forslagene kantine")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    result = page.locator(".result").filter(has_text="Forslag om lengre åpningstid i kantinen")
    expect(result).to_have_count(1)
    expect(result.locator("mark").first).to_be_visible()
    # The facet narrows to threads, by keyboard alone.
    page.get_by_role("complementary", name="Narrow the results").get_by_role("link", name="Threads").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Search for")).to_have_value("forslagene kantine kind:thread")
    expect(page.locator(".result")).to_have_count(1)
    assert _serious_violations(page) == []


def test_search_pages_fit_a_phone(new_page: PageFactory, demo: str) -> None:
    phone = new_page(
        viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    log_in(phone, demo, "bjorn")
    for query in ("canteen", "voorstellen", "kantien", "status:adopted"):
        phone.goto(f"{demo}/search/?q={query}")
        expect(phone.locator(".result-count")).to_be_visible()
        _assert_fits_phone(phone)
    phone.goto(f"{demo}/search/?q=kantien")
    phone.locator(".did-you-mean a").click()
    expect(phone.locator(".result").first).to_be_visible()


def test_typing_a_title_shows_similar_suggestions(new_page: PageFactory, demo: str) -> None:
    page = new_page()
    log_in(page, demo, "zoe")
    page.goto(demo + "/suggestions/new")
    hints = page.locator("#similar-suggestions")
    expect(hints).to_be_empty()
    page.get_by_label("Title").press_sequentially("Another coffee machine", delay=20)
    expect(hints.get_by_role("link", name="A second coffee machine on floor 3")).to_be_visible()
    page.get_by_label("Title").fill("Zq")
    page.get_by_label("Title").press("End")
    page.get_by_label("Title").press_sequentially("x", delay=20)
    expect(hints).to_be_empty()
