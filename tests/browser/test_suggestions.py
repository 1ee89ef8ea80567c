"""The suggestion box in a real browser: the anonymous journey with a receipt, phones, accessibility."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PageFactory
from tests.browser.test_login_flow import _assert_fits_phone, _serious_violations, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(make_app: Any, live_server: str) -> str:
    result = make_app().test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return live_server


def _suggestions(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Suggestions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suggestions")


def test_anonymous_suggestion_answered_and_read_with_the_receipt(new_page: PageFactory, demo: str) -> None:
    zoe = new_page()
    log_in(zoe, demo, "zoe")
    _suggestions(zoe)
    zoe.get_by_role("link", name="New suggestion").click()
    zoe.get_by_label("Title").fill("A quiet room for focused work")
    zoe.get_by_label("Description").fill("The open office is loud in the mornings.")
    zoe.get_by_label("For").select_option(label="Engineering")
    zoe.get_by_label("Category").select_option(label="Workplace and facilities")
    zoe.get_by_label(re.compile("^Anonymous")).check()
    zoe.get_by_role("button", name="Send suggestion").click()
    receipt = zoe.locator("#receipt-code").inner_text()
    assert re.fullmatch(r"\d+(-\d{4}){4}", receipt)

    bjorn = new_page()
    log_in(bjorn, demo, "bjorn")
    bjorn.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    bjorn.get_by_role("link", name="A quiet room for focused work").click()
    review = bjorn.get_by_role("region", name="Review: status and official response")
    review.get_by_label("New status").select_option(label="Under review")
    review.get_by_label("Official response (shown to everyone)").fill("We will try one on floor 4.")
    review.get_by_role("button", name="Save status and response").click()
    expect(bjorn.locator(".flash")).to_contain_text("saved")
    expect(bjorn.get_by_role("region", name="Official responses")).to_contain_text(
        "We will try one on floor 4."
    )

    _suggestions(zoe)
    zoe.get_by_role("link", name="I have a receipt code").click()
    zoe.get_by_label("Receipt code").fill(receipt)
    zoe.keyboard.press("Enter")
    expect(zoe.get_by_role("region", name="Official responses")).to_contain_text(
        "We will try one on floor 4."
    )
    zoe.get_by_label("Your answer (anonymous)").fill("Thank you!")
    zoe.get_by_role("button", name="Post answer").click()
    expect(zoe.get_by_role("region", name="Comments")).to_contain_text("The author (anonymous)")


def test_suggestion_pages_fit_a_phone_and_pass_axe(new_page: PageFactory, demo: str) -> None:
    phone = new_page(
        viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    desk = new_page()
    log_in(phone, demo, "ingrid")
    log_in(desk, demo, "ingrid")
    found: dict[str, list[str]] = {}
    for path in (
        "/suggestions/",
        "/suggestions/board",
        "/suggestions/new",
        "/suggestions/review",
        "/suggestions/campaigns",
        "/suggestions/campaigns/new",
        "/suggestions/receipt",
    ):
        phone.goto(demo + path)
        _assert_fits_phone(phone)
        desk.goto(demo + path)
        found[path] = _serious_violations(desk)
    for title in ("Covered bicycle parking by the north entrance", "Cache dependencies in the CI pipeline"):
        desk.goto(demo + "/suggestions/?status=")
        desk.get_by_role("link", name=title).click()
        found[title] = _serious_violations(desk)
        phone.goto(desk.url)
        _assert_fits_phone(phone)
    assert found == {name: [] for name in found}
