"""Groups in a real browser: a lead's journey by keyboard and mouse, a phone layout, accessibility."""

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
    """The live server, with the demo staff and demo groups loaded."""
    result = make_app().test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return live_server


def _open_group(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def test_lead_approves_a_request_and_hides_a_post_with_a_reason(page: Page, demo: str) -> None:
    log_in(page, demo, "bjorn")
    _open_group(page, "On-call rota")
    page.get_by_role("link", name="Members").click()
    requests = page.get_by_role("region", name="Requests to join")
    expect(requests).to_contain_text("Zoë O'Brien")
    requests.get_by_label(re.compile("Message to Zoë")).fill("Welcome aboard from January!")
    requests.get_by_role("button", name="Approve").click()
    expect(page.locator(".flash")).to_contain_text("is now a member")
    expect(page.get_by_role("region", name=re.compile("members"))).to_contain_text("Zoë O'Brien")

    _open_group(page, "Engineering")
    page.get_by_role("link", name="How do I get access to the staging database?").click()
    amelie = page.locator("article.post", has_text="I asked the same last month")
    amelie.get_by_role("link", name="Hide").click()
    page.get_by_label("Reason").fill("Duplicate of the accepted answer")
    page.get_by_role("button", name="Hide post").click()
    placeholder = page.locator("article.post .placeholder", has_text="Duplicate of the accepted answer")
    expect(placeholder).to_be_visible()

    page.goto(page.url.split("/threads/")[0] + "/")
    _open_group(page, "Engineering")
    page.get_by_role("link", name="Moderation log").click()
    expect(page.get_by_role("table")).to_contain_text("hid a post")
    expect(page.get_by_role("table")).to_contain_text("Duplicate of the accepted answer")


def test_employee_replies_by_keyboard_and_sees_the_notification_count(
    new_page: PageFactory, demo: str
) -> None:
    page = new_page()
    log_in(page, demo, "amelie")
    _open_group(page, "Engineering")
    page.get_by_role("link", name="How do I get access to the staging database?").click()
    reply = page.get_by_label("Your reply")
    reply.focus()
    page.keyboard.type("Thanks @zoe, same here.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Post reply")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("article.post").last).to_contain_text("Thanks @zoe, same here.")

    other = new_page()
    log_in(other, demo, "zoe")
    expect(
        other.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("Notifications"))
    ).to_contain_text(re.compile(r"\d"))


def test_group_pages_fit_a_phone(new_page: PageFactory, demo: str) -> None:
    page = new_page(
        viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    log_in(page, demo, "bjorn")
    for path in ("/groups/", "/groups/queue"):
        page.goto(demo + path)
        _assert_fits_phone(page)
    _open_group(page, "Engineering")
    _assert_fits_phone(page)
    page.get_by_role("link", name="How do I get access to the staging database?").click()
    _assert_fits_phone(page)


def test_group_pages_have_no_serious_accessibility_violations(page: Page, demo: str) -> None:
    log_in(page, demo, "bjorn")
    found: dict[str, list[str]] = {}
    page.goto(demo + "/groups/")
    found["index"] = _serious_violations(page)
    _open_group(page, "Engineering")
    found["group"] = _serious_violations(page)
    page.get_by_role("link", name="How do I get access to the staging database?").click()
    found["thread"] = _serious_violations(page)
    page.goto(demo + "/groups/queue")
    found["queue"] = _serious_violations(page)
    _open_group(page, "On-call rota")
    page.get_by_role("link", name="Members").click()
    found["members"] = _serious_violations(page)
    page.go_back()
    page.get_by_role("link", name="Moderation log").click()
    found["log"] = _serious_violations(page)
    page.goto(demo + "/groups/new")
    found["new group"] = _serious_violations(page)
    assert found == {name: [] for name in found}
