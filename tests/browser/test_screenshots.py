"""Screenshots of the main pages, with the demo data, for the README: written to docs/screenshots/.

Each shot is taken afresh (the old file removed first), checked to be a PNG of the expected width,
and taken only once the page shows its expected heading.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from intranet.clock import utcnow
from suggestions.digest import months
from tests.browser.conftest import PageFactory
from tests.browser.test_login_flow import _assert_fits_phone, log_in

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
PHONE: dict[str, Any] = {
    "viewport": {"width": 375, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
MAX_HEIGHT = {1280: 1800, 375: 1600}  # long pages are cut: the top tells the story, the file stays small
MAX_BYTES = 400_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _shot(page: Page, name: str, heading: str | re.Pattern[str]) -> Path:
    """Screenshot the page (from the top, at most MAX_HEIGHT tall) once its <h1> reads `heading`."""
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    width = page.viewport_size["width"] if page.viewport_size else 0
    height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT[width])
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    path.unlink(missing_ok=True)
    started = time.time_ns()
    page.screenshot(
        path=path,
        full_page=True,
        clip={"x": 0, "y": 0, "width": width, "height": height},
        scale="css",
        animations="disabled",
    )

    assert path.stat().st_mtime_ns >= started - 1_000_000_000, f"{path} was not written by this test"
    with path.open("rb") as f:
        assert f.read(8) == PNG_SIGNATURE, f"{path} is not a PNG"
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (width, height), f"{path}: {image.size}, not {(width, height)}"
    assert path.stat().st_size < MAX_BYTES, f"{path}: {path.stat().st_size} bytes"
    return path


@pytest.fixture
def demo(make_app: Any, live_server: str) -> str:
    result = make_app().test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return live_server


def _nav(page: Page, name: str) -> None:
    """Follow a link of the main menu (Notifications carries its unread count)."""
    label = re.compile(rf"^{name}( \d+ unread)?$")
    page.get_by_role("navigation", name="Main").get_by_role("link", name=label).click()


def test_screenshot_the_login_page(new_page: PageFactory, demo: str) -> None:
    page = new_page(**DESKTOP)
    page.goto(demo + "/login")
    _shot(page, "login", "Log in to Ting")


def test_screenshot_an_employees_suggestion_pages(new_page: PageFactory, demo: str) -> None:
    page = new_page(**DESKTOP)
    log_in(page, demo, "zoe")
    _nav(page, "Suggestions")
    expect(page.get_by_role("link", name="No-meeting Wednesday mornings")).to_be_visible()
    _shot(page, "suggestions", "Suggestions")

    page.goto(demo + "/suggestions/?status=")
    page.get_by_role("link", name="Covered bicycle parking by the north entrance").click()
    expect(page.get_by_role("region", name="Official responses")).to_contain_text("The shelter is up")
    _shot(page, "suggestion", "Covered bicycle parking by the north entrance")

    _nav(page, "Suggestions")
    page.get_by_role("link", name="New suggestion").click()
    _shot(page, "new-suggestion", "New suggestion")

    page.get_by_label("Title").fill("A quiet room for focused work")
    page.get_by_label("Description").fill("The open office is loud in the mornings.")
    page.get_by_label("For").select_option(label="Engineering")
    page.get_by_label("Category").select_option(label="Workplace and facilities")
    page.get_by_label(re.compile("^Anonymous")).check()
    page.get_by_role("button", name="Send suggestion").click()
    expect(page.locator("#receipt-code")).to_have_text(re.compile(r"^\d+(-\d{4}){4}$"))
    _shot(page, "receipt", "Your anonymous suggestion is in")

    _nav(page, "Notifications")
    expect(page.locator(".notification").first).to_be_visible()
    _shot(page, "notifications", "Notifications")

    page.get_by_role("search").get_by_label("Search Ting").fill("meetings")
    page.keyboard.press("Enter")
    expect(page.locator(".result").first).to_be_visible()
    _shot(page, "search", "Search")


def test_screenshot_a_leads_group_pages(new_page: PageFactory, demo: str) -> None:
    page = new_page(**DESKTOP)
    log_in(page, demo, "bjorn")
    _nav(page, "Groups")
    page.get_by_role("link", name="Engineering", exact=True).click()
    _shot(page, "group", "Engineering")

    page.get_by_role("link", name="How do I get access to the staging database?").click()
    expect(page.locator("article.post").first).to_be_visible()
    _shot(page, "thread", "How do I get access to the staging database?")

    _nav(page, "Moderation")
    _shot(page, "moderation", "Moderation queue")


def test_screenshot_the_digest(new_page: PageFactory, demo: str) -> None:
    page = new_page(**DESKTOP)
    log_in(page, demo, "ingrid")
    _nav(page, "Digest")
    last = months.previous(utcnow().date())
    for chart in page.locator("img.chart").all():
        chart.scroll_into_view_if_needed()
        expect(chart).to_have_js_property("complete", True)
        assert chart.evaluate("img => img.naturalWidth") > 0
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, "digest", f"Improvements adopted in {last:%B %Y}")


def test_screenshot_pages_on_a_phone(new_page: PageFactory, demo: str) -> None:
    page = new_page(**PHONE)
    log_in(page, demo, "zoe")
    page.goto(demo + "/suggestions/")
    _assert_fits_phone(page)
    _shot(page, "phone-suggestions", "Suggestions")

    page.goto(demo + "/groups/")
    page.get_by_role("link", name="Engineering", exact=True).click()
    page.get_by_role("link", name="How do I get access to the staging database?").click()
    _assert_fits_phone(page)
    _shot(page, "phone-thread", "How do I get access to the staging database?")
