"""The digest in a real browser: management's month from review to approval; employees kept out."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from intranet.clock import utcnow
from suggestions.digest import months
from tests.browser.conftest import PageFactory
from tests.browser.test_login_flow import log_in

pytestmark = pytest.mark.browser

LAST = months.previous(utcnow().date())  # the demo's approved month
LAST_KEY = months.key(LAST)
LAST_LABEL = f"{LAST:%B %Y}"
EARLIER_KEY = months.key(months.shift(LAST, -1))  # a month nobody wrote: a draft
ADOPTED_LAST_MONTH = (
    "Covered bicycle parking by the north entrance",
    "Visitor badges printed at reception, not by hand",
    "Run the slow integration tests at night",
    "Send invoices as PDF by e-mail",
)


def _load_demo(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output


@contextmanager
def _serve(app: Flask) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 from a thread, as conftest's `live_server` does."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def demo(make_app: Any, live_server: str) -> str:
    """The live server (digest not public: the default), with the demo loaded."""
    _load_demo(make_app())
    return live_server


@pytest.fixture
def public_demo(make_app: Any, new_page: PageFactory) -> Iterator[str]:
    """A second server whose digest is public (INTRANET_DIGEST_PUBLIC), on the same demo data.

    Asks for `new_page` first so that its browser contexts close before this server stops.
    """
    app = make_app(DIGEST_PUBLIC=True)
    _load_demo(app)
    with _serve(app) as base:
        yield base


def _nav(page: Page) -> Any:
    return page.get_by_role("navigation", name="Main")


def _assert_charts_load(page: Page) -> None:
    charts = page.locator("img.chart")
    expect(charts).to_have_count(2)
    for i in range(2):
        chart = charts.nth(i)
        expect(chart).to_have_attribute("alt", re.compile(r"\w{3,}"))
        chart.scroll_into_view_if_needed()
        expect(chart).to_have_js_property("complete", True)
        width = chart.evaluate("img => img.naturalWidth")
        assert width > 0, f"chart {chart.get_attribute('src')} did not load"


def test_management_reviews_a_suggestion_then_reads_and_approves_the_digest(page: Page, demo: str) -> None:
    log_in(page, demo, "ingrid")

    # Review: a status and an official response.
    _nav(page).get_by_role("link", name="Review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suggestions awaiting your response")
    page.get_by_role("link", name="One travel expense form instead of three").click()
    review = page.get_by_role("region", name="Review: status and official response")
    review.get_by_label("New status").select_option(label="Under review")
    review.get_by_label("Official response (shown to everyone)").fill("Finance is comparing the three forms.")
    review.get_by_role("button", name="Save status and response").click()
    expect(page.locator(".flash")).to_contain_text("saved")
    expect(page.get_by_role("region", name="Official responses")).to_contain_text(
        "Finance is comparing the three forms."
    )

    # Last month's digest, from the main navigation.
    _nav(page).get_by_role("link", name="Digest").click()
    expect(page).to_have_url(f"{demo}/digest/{LAST_KEY}")
    expect(_nav(page).get_by_role("link", name="Digest")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Improvements adopted in {LAST_LABEL}")
    editorial = page.get_by_role("region", name="Editorial")
    expect(editorial).to_contain_text("Approved by Ingrid")
    expect(page.get_by_role("region", name="Introduction")).to_contain_text("Four of your ideas became real")
    adopted = page.get_by_role("region", name="4 improvements adopted")
    for title in ADOPTED_LAST_MONTH:
        expect(adopted.get_by_role("link", name=title)).to_be_visible()
    expect(adopted.locator(".card.highlighted")).to_contain_text("Covered bicycle parking")

    figures = page.get_by_role("region", name="Figures")
    against = figures.get_by_role("table", name="This month against the month before")
    expect(against.get_by_role("columnheader", name=LAST_LABEL)).to_be_visible()
    expect(against.get_by_role("row")).not_to_have_count(1)
    by_department = figures.get_by_role("table", name="Submitted, decided and adopted by department")
    expect(by_department.get_by_role("rowheader", name="Operations")).to_be_visible()
    _assert_charts_load(page)
    numbers = figures.locator("details")
    trend = numbers.get_by_role("table")
    expect(trend).to_be_hidden()
    numbers.get_by_text("The numbers behind the chart").click()
    expect(trend.get_by_role("rowheader", name=LAST_LABEL)).to_be_visible()
    expect(trend.get_by_role("row")).to_have_count(13)  # the header and twelve months

    # The archive lists the month; reopen it, rewrite the introduction, approve it again.
    page.get_by_role("navigation", name="Digest months").get_by_role("link", name="All months").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Monthly digests")
    month_card = page.locator(".card").filter(has=page.get_by_role("link", name=LAST_LABEL, exact=True))
    expect(month_card).to_contain_text("4 improvements adopted")
    expect(month_card).to_contain_text("Approved")
    month_card.get_by_role("link", name=LAST_LABEL).click()

    editorial.get_by_role("button", name="Back to draft").click()
    expect(page.locator(".flash")).to_have_text("The digest is a draft again.")
    expect(page.locator(".digest-meta")).to_contain_text("Draft")
    intro = editorial.get_by_label("Introduction")
    intro.fill("Four ideas became real in the month. **Thank you** for every one of them.")
    editorial.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash")).to_have_text("The digest was saved.")
    expect(page.get_by_role("region", name="Introduction").locator("strong")).to_have_text("Thank you")

    editorial.get_by_role("button", name="Approve for sending").click()
    expect(page.locator(".flash")).to_contain_text("The digest is approved")
    expect(page.locator(".digest-meta")).to_contain_text("Approved")
    expect(editorial).to_contain_text("Approved by Ingrid")
    expect(editorial.get_by_role("button", name="Back to draft")).to_be_visible()
    expect(editorial.get_by_label("Introduction")).to_have_count(0)  # no editing an approved month


def test_management_approves_a_draft_month(page: Page, demo: str) -> None:
    log_in(page, demo, "ingrid")
    page.goto(f"{demo}/digest/{EARLIER_KEY}")
    expect(page.locator(".digest-meta")).to_contain_text("Draft")
    expect(page.get_by_role("heading", level=2, name="0 improvements adopted")).to_be_visible()
    expect(page.get_by_text("No improvement was adopted this month.")).to_be_visible()
    _assert_charts_load(page)
    editorial = page.get_by_role("region", name="Editorial")
    editorial.get_by_label("Introduction").fill("A quiet month.")
    editorial.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash")).to_have_text("The digest was saved.")
    editorial.get_by_role("button", name="Approve for sending").click()
    expect(page.locator(".flash")).to_contain_text("The digest is approved")
    expect(page.locator(".digest-meta")).to_contain_text("Approved")
    expect(page.get_by_role("region", name="Introduction")).to_have_text("A quiet month.")

    page.goto(f"{demo}/digest/archive")
    earlier = months.shift(LAST, -1)
    card = page.locator(".card").filter(has=page.get_by_role("link", name=f"{earlier:%B %Y}", exact=True))
    expect(card).to_contain_text("Approved")


def test_employee_has_no_digest_when_it_is_not_public(page: Page, demo: str) -> None:
    log_in(page, demo, "zoe")
    expect(_nav(page).get_by_role("link", name="Suggestions")).to_be_visible()
    expect(_nav(page).get_by_role("link", name="Digest")).to_have_count(0)
    for path in (
        "/digest/",
        "/digest/archive",
        f"/digest/{LAST_KEY}",
        f"/digest/{LAST_KEY}/charts/trend.png",
    ):
        response = page.goto(demo + path)
        assert response is not None and response.status == 403, path
    page.goto(f"{demo}/digest/{LAST_KEY}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.get_by_text("Four of your ideas")).to_have_count(0)


def test_employee_reads_approved_months_only_when_public(new_page: PageFactory, public_demo: str) -> None:
    page = new_page()
    log_in(page, public_demo, "zoe")
    _nav(page).get_by_role("link", name="Digest").click()
    expect(page).to_have_url(f"{public_demo}/digest/{LAST_KEY}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Improvements adopted in {LAST_LABEL}")
    expect(page.get_by_role("region", name="Introduction")).to_contain_text("Four of your ideas became real")
    for title in ADOPTED_LAST_MONTH:
        expect(page.get_by_role("link", name=title)).to_be_visible()
    _assert_charts_load(page)
    expect(page.get_by_role("region", name="Editorial")).to_have_count(0)
    expect(page.locator(".digest-meta .tag")).to_have_count(0)  # no draft/approved state for readers

    page.get_by_role("link", name="All months").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Monthly digests")
    expect(page.get_by_role("link", name=LAST_LABEL, exact=True)).to_be_visible()
    expect(page.locator(".cards > .card")).to_have_count(1)  # drafts are not listed

    # A draft month does not exist for an employee; editing is not theirs to do.
    for path in (
        f"/digest/{EARLIER_KEY}",
        f"/digest/{EARLIER_KEY}/charts/trend.png",
        f"/digest/{EARLIER_KEY}.csv",
    ):
        response = page.goto(public_demo + path)
        assert response is not None and response.status == 404, path
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    token = page.locator("form.logout input[name=csrf_token]").get_attribute("value") or ""
    for step in ("edit", "approve", "reopen"):
        form = {"csrf_token": token, "version": "2", "introduction": "Mine now."}
        response = page.request.post(f"{public_demo}/digest/{LAST_KEY}/{step}", form=form)
        assert response.status == 403, step
    page.goto(f"{public_demo}/digest/{LAST_KEY}")
    expect(page.get_by_role("region", name="Introduction")).to_contain_text("Four of your ideas became real")
