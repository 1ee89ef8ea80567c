"""The main pages not checked elsewhere, as each role sees them: axe, a name for every form control,
a focus indicator one can see on every stop of the Tab key, and a layout that fits a phone.

Login, profile (bjorn), the suggestion pages, the group pages and search with facets have their
own axe checks in test_login_flow, test_suggestions, test_groups and test_search.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from intranet.clock import utcnow
from suggestions.digest import months
from tests.browser.conftest import PageFactory
from tests.browser.test_login_flow import _assert_fits_phone, _serious_violations, log_in

pytestmark = pytest.mark.browser

LAST = months.previous(utcnow().date())
DRAFT = months.shift(LAST, -1)  # no digest written: management sees the editing form
PHONE: dict[str, Any] = {
    "viewport": {"width": 375, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
TAB_LIMIT = 120  # more stops than any of these pages has: the walk ends when focus comes round again
NON_TEXT_CONTRAST = 3.0  # WCAG 1.4.11: a focus indicator against what is around it

# (path, its <h1>) by role. Bjørn's profile is checked in test_login_flow; it is here too, so that
# each role's profile (its roles list differs) is checked in the same way.
PAGES: dict[str, list[tuple[str, str]]] = {
    "ingrid": [
        ("/profile", "Ingrid"),
        ("/departments", "Departments"),
        ("/notifications", "Notifications"),  # none: the empty state
        ("/search/?q=bicycle+parking", "Search"),
        ("/search/?q=zqxvw", "Search"),
        (f"/digest/{months.key(LAST)}", "Improvements adopted in"),
        (f"/digest/{months.key(DRAFT)}", "Improvements adopted in"),
        ("/digest/archive", "Monthly digests"),
        ("/no/such/page", "Not found"),
    ],
    "bjorn": [("/profile", "Bjørn"), ("/notifications", "Notifications")],
    "jurgen": [("/profile", "Jürgen"), ("/notifications", "Notifications")],
    "zoe": [
        ("/profile", "Zoë"),
        ("/notifications", "Notifications"),
        ("/departments", "Departments"),
        ("/search/?q=coffee", "Search"),
        ("/no/such/page", "Not found"),
    ],
}

_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  if (window.tingFirstStop === el) return {again: true};
  window.tingFirstStop ??= el;
  const cs = getComputedStyle(el);
  let node = el.parentElement, background = "rgb(255, 255, 255)";
  while (node) {
    const bg = getComputedStyle(node).backgroundColor;
    if (bg && bg !== "transparent" && !/rgba\\(.*,\\s*0\\)$/.test(bg)) { background = bg; break; }
    node = node.parentElement;
  }
  const text = (el.innerText || el.value || el.getAttribute("aria-label") || el.name || "").trim();
  return {
    again: false, describe: `${el.tagName.toLowerCase()} "${text.slice(0, 40)}"`,
    outline: cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0 ? cs.outlineColor : null,
    shadow: cs.boxShadow === "none" ? null : cs.boxShadow, background,
  };
}"""


def _rgb(css: str) -> list[tuple[int, int, int]]:
    return [
        (int(r), int(g), int(b))
        for r, g, b, a in re.findall(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)", css)
        if a in ("", "1") or float(a) > 0.9
    ]


def _contrast(one: tuple[int, int, int], two: tuple[int, int, int]) -> float:
    def luminance(rgb: tuple[int, int, int]) -> float:
        c = [v / 255 for v in rgb]
        c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _focus_problems(page: Page) -> tuple[int, list[str]]:
    """Tab through the page from the top: every stop needs an outline or a ring that stands out."""
    page.evaluate("() => { document.activeElement?.blur(); window.tingFirstStop = null; }")
    problems: list[str] = []
    stops = 0
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        info = page.evaluate(_FOCUSED)
        if info is None or info["again"]:
            break  # past the last stop, or round again
        stops += 1
        colours = _rgb(info["outline"] or "") + _rgb(info["shadow"] or "")
        if not colours:
            problems.append(f"{info['describe']}: no outline or box-shadow on focus")
            continue
        background = _rgb(info["background"])[0]
        best = max(_contrast(c, background) for c in colours)
        if best < NON_TEXT_CONTRAST:
            problems.append(f"{info['describe']}: focus indicator {best:.1f}:1 against {info['background']}")
    else:
        problems.append(f"focus did not come round after {TAB_LIMIT} Tab presses")
    return stops, problems


def _unnamed_controls(page: Page) -> tuple[int, list[str]]:
    """Every input, select, textarea and button, with the accessible name Chromium gives it."""
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        selector = "input:not([type=hidden]), select, textarea, button"
        ids = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]
        unnamed = []
        for node_id in ids:
            node = cdp.send("DOM.describeNode", {"nodeId": node_id})["node"]
            ax = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node_id, "fetchRelatives": False})
            name = (ax["nodes"][0].get("name") or {}).get("value", "") if ax["nodes"] else ""
            if not str(name).strip():
                attrs = dict(zip(node["attributes"][::2], node["attributes"][1::2], strict=True))
                unnamed.append(f"{node['localName']} {attrs}")
        return len(ids), unnamed
    finally:
        cdp.detach()


def _check(desk: Page, phone: Page | None, name: str, heading: str) -> dict[str, list[str]]:
    """The problems on the page open in `desk`; `phone` opens the same address and must fit."""
    expect(desk.get_by_role("heading", level=1)).to_contain_text(heading)
    found: dict[str, list[str]] = {}
    found[f"{name} axe"] = _serious_violations(desk)
    controls, unnamed = _unnamed_controls(desk)
    assert controls >= 3, f"{name}: the header search, Log out and the language picker not found"
    found[f"{name} names"] = unnamed
    stops, problems = _focus_problems(desk)
    assert stops >= 10, f"{name}: only {stops} Tab stops"
    found[f"{name} focus"] = problems
    if phone is not None:
        phone.goto(desk.url)
        expect(phone.get_by_role("heading", level=1)).to_contain_text(heading)
        _assert_fits_phone(phone)
        found[f"{name} axe on a phone"] = _serious_violations(phone)
    return found


@pytest.fixture
def demo(make_app: Any, live_server: str) -> str:
    result = make_app().test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return live_server


@pytest.fixture
def pages(new_page: PageFactory, demo: str) -> Iterator[Any]:
    def open_as(user: str) -> tuple[Page, Page]:
        desk, phone = new_page(viewport={"width": 1280, "height": 900}), new_page(**PHONE)
        log_in(desk, demo, user)
        log_in(phone, demo, user)
        return desk, phone

    yield open_as


@pytest.mark.parametrize("user", sorted(PAGES))
def test_main_pages_pass_axe_name_their_controls_and_show_focus(pages: Any, demo: str, user: str) -> None:
    desk, phone = pages(user)
    found: dict[str, list[str]] = {}
    for path, heading in PAGES[user]:
        response = desk.goto(demo + path)
        assert response is not None
        assert response.status == (404 if path.startswith("/no/") else 200), path
        found.update(_check(desk, phone, path, heading))
    assert found == {name: [] for name in found}


def _submit_anonymously(page: Page, base: str) -> str:
    """Send an anonymous suggestion; the receipt page is left open. Returns its receipt code."""
    page.goto(base + "/suggestions/new")
    page.get_by_label("Title").fill("Standing desks in the quiet room")
    page.get_by_label("Description").fill("Some of us would rather stand for part of the day.")
    page.get_by_label("For").select_option(label="Engineering")
    page.get_by_label("Category").select_option(label="Workplace and facilities")
    page.get_by_label(re.compile("^Anonymous")).check()
    page.get_by_role("button", name="Send suggestion").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your anonymous suggestion is in")
    return page.locator("#receipt-code").inner_text()


def _open_with_receipt(page: Page, base: str, receipt: str) -> None:
    page.goto(base + "/suggestions/receipt")
    page.get_by_label("Receipt code").fill(receipt)
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Standing desks in the quiet room")


def test_the_receipt_and_a_suggestion_opened_with_it(pages: Any, demo: str) -> None:
    # The receipt page and the follow-up are answers to a POST: each page gets there by itself.
    desk, phone = pages("zoe")
    found: dict[str, list[str]] = {}
    receipt = _submit_anonymously(desk, demo)
    _submit_anonymously(phone, demo)
    _assert_fits_phone(phone)
    found.update(_check(desk, None, "receipt", "Your anonymous suggestion is in"))

    _open_with_receipt(desk, demo, receipt)
    _open_with_receipt(phone, demo, receipt)
    _assert_fits_phone(phone)
    expect(desk.get_by_label("Your answer (anonymous)")).to_be_visible()
    found.update(_check(desk, None, "opened with the receipt", "Standing desks in the quiet room"))
    assert found == {name: [] for name in found}


def test_the_error_page_when_logged_out(page: Page, live_server: str) -> None:
    response = page.goto(live_server + "/no/such/page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.get_by_role("link", name="Back to Ting")).to_be_visible()
    assert _serious_violations(page) == []
    _controls, unnamed = _unnamed_controls(page)
    assert unnamed == []
    _stops, problems = _focus_problems(page)
    assert problems == []


def test_the_checks_see_an_unnamed_control_and_a_missing_focus_ring(page: Page, live_server: str) -> None:
    page.goto(live_server + "/login")
    assert _unnamed_controls(page)[1] == []
    assert _focus_problems(page)[1] == []
    page.evaluate("""() => {
      const main = document.querySelector("main");
      main.insertAdjacentHTML("beforeend", '<input id="nameless"><button></button>');
      const skip = document.querySelector(".skip-link");  // CSSOM: the CSP allows no new <style>
      skip.style.setProperty("outline", "none", "important");
      skip.style.setProperty("box-shadow", "none", "important");
      const submit = document.querySelector("main [type=submit]");  // amber alone, on white
      submit.style.setProperty("box-shadow", "none", "important");
    }""")
    _controls, unnamed = _unnamed_controls(page)
    assert [u.split(" ")[0] for u in unnamed] == ["input", "button"], unnamed
    _stops, problems = _focus_problems(page)
    assert any(p.startswith('a "Skip to content": no outline') for p in problems), problems
    assert any(re.match(r'input "Log in": focus indicator [12]\.\d:1', p) for p in problems), problems
