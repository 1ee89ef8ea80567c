"""The digest pages: who reads which month, the editorial steps, the charts, CSV and feed."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from PIL import Image

from intranet.extensions import db
from suggestions.digest import months, services
from suggestions.digest.models import Digest, DigestStatus
from tests.groups.conftest import login_as, post_form
from tests.suggestions.digest_data import CLOSED_MARKER, Month

ATOM = "{http://www.w3.org/2005/Atom}"


def key(m: Month) -> str:
    return months.key(m.month)


def approve(m: Month) -> None:
    services.approve(m.company.management, m.month, expected_version=0)
    db.session.commit()


def test_management_lands_on_last_month_and_sees_items_and_figures(app: Flask, november: Month) -> None:
    client = login_as(app.test_client(), november.company.management)
    response = client.get("/digest/")
    assert response.status_code == 302 and response.location.endswith(f"/digest/{key(november)}")
    html = client.get(f"/digest/{key(november)}").get_data(as_text=True)
    for title in ("A second coffee machine", "Brighter lights for the night shift", "Contract templates"):
        assert title in html
    assert "Recycling bins" not in html and "Quieter printers" not in html  # other months
    assert "Member Tester" in html and "Anonymous" in html
    assert "Other departments" in html and "Legal" not in html
    assert "75%" in html  # adoption rate: 3 of 4
    assert "Draft" in html and "Approve for sending" in html
    assert CLOSED_MARKER not in html


@pytest.mark.parametrize(
    "path",
    [
        "/digest/2026-13",
        "/digest/26-11",
        "/digest/1960-01",
        "/digest/2999-01",
        "/digest/2026-11/charts/pie.png",
    ],
)
def test_wrong_months_are_404(app: Flask, november: Month, path: str) -> None:
    client = login_as(app.test_client(), november.company.management)
    assert client.get(path).status_code == 404


def test_employees_read_only_approved_months_and_only_when_public(make_app, november: Month) -> None:
    private = make_app()
    member = november.company.member
    assert login_as(private.test_client(), member).get(f"/digest/{key(november)}").status_code == 403
    public = make_app(DIGEST_PUBLIC=True)
    client = login_as(public.test_client(), member)
    assert client.get(f"/digest/{key(november)}").status_code == 404  # a draft: not there yet
    assert client.get(f"/digest/{key(november)}.csv").status_code == 404
    assert client.get(f"/digest/{key(november)}/charts/trend.png").status_code == 404
    assert client.get("/digest/").location.endswith("/digest/archive")
    approve(november)
    html = client.get(f"/digest/{key(november)}").get_data(as_text=True)
    assert "A second coffee machine" in html and "Approve for sending" not in html and "Editorial" not in html
    assert client.get("/digest/").location.endswith(f"/digest/{key(november)}")
    # Editorial steps stay with management.
    response = post_form(client, f"/digest/{key(november)}/reopen", {"version": "1"}, form_page="/profile")
    assert response.status_code == 403


def test_draft_edit_approve_reopen(app: Flask, november: Month) -> None:
    client = login_as(app.test_client(), november.company.management)
    page = f"/digest/{key(november)}"
    response = post_form(
        client,
        f"{page}/edit",
        {"introduction": "A **good** month.", "highlights": [str(november.small.id)], "version": "0"},
        form_page=page,
    )
    assert response.status_code == 302
    digest = services.find(november.month)
    assert digest.introduction == "A **good** month." and services.highlighted_ids(digest) == {
        november.small.id
    }
    html = client.get(page).get_data(as_text=True)
    assert "<strong>good</strong>" in html
    assert html.index("Contract templates") < html.index("A second coffee machine")  # the highlight first

    # Only this month's adoptions can be highlighted; the text comes back with the message.
    response = post_form(
        client,
        f"{page}/edit",
        {"introduction": "Keep this text", "highlights": [str(november.earlier.id)], "version": "1"},
        form_page=page,
    )
    assert response.status_code == 400
    assert "Only improvements adopted this month" in response.get_data(as_text=True)
    assert "Keep this text" in response.get_data(as_text=True)

    assert post_form(client, f"{page}/approve", {"version": "1"}, form_page=page).status_code == 302
    db.session.expire_all()
    assert services.find(november.month).status == DigestStatus.APPROVED
    html = client.get(page).get_data(as_text=True)
    assert "Back to draft" in html and "Save draft" not in html
    # Approved: no more edits.
    response = post_form(
        client, f"{page}/edit", {"introduction": "Late change", "version": "2"}, form_page=page
    )
    assert response.status_code == 400 and "Only a draft can be edited" in response.get_data(as_text=True)
    assert post_form(client, f"{page}/reopen", {"version": "2"}, form_page=page).status_code == 302
    db.session.expire_all()
    assert services.find(november.month).status == DigestStatus.DRAFT


def test_two_managers_editing_one_draft_do_not_overwrite_each_other(app: Flask, november: Month) -> None:
    page = f"/digest/{key(november)}"
    first = login_as(app.test_client(), november.company.management)
    assert (
        post_form(
            first, f"{page}/edit", {"introduction": "First", "version": "0"}, form_page=page
        ).status_code
        == 302
    )
    second = login_as(app.test_client(), november.company.management)
    response = post_form(
        second, f"{page}/edit", {"introduction": "Second, from a stale form", "version": "0"}, form_page=page
    )
    assert response.status_code == 409
    assert "Second, from a stale form" in response.get_data(as_text=True)
    db.session.expire_all()
    assert services.find(november.month).introduction == "First"
    assert db.session.query(Digest).count() == 1


def test_charts_are_png_images(app: Flask, november: Month) -> None:
    client = login_as(app.test_client(), november.company.management)
    for name in ("departments", "trend"):
        response = client.get(f"/digest/{key(november)}/charts/{name}.png")
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert Image.open(io.BytesIO(response.data)).format == "PNG"


def test_csv_holds_the_items_and_figures(app: Flask, november: Month) -> None:
    client = login_as(app.test_client(), november.company.management)
    response = client.get(f"/digest/{key(november)}.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    items = rows[1:4]
    assert [r[2] for r in items] == [
        "A second coffee machine",
        "Brighter lights for the night shift",
        "Contract templates in one place",
    ]
    assert [r[8] for r in items] == ["Member Tester", "Anonymous", "Lena Lawyer"]
    assert [r[3] for r in items] == ["Sales", "Engineering", "Other departments"]
    figures = {r[0]: r[1:] for r in rows if r}
    assert figures["Adopted"][:2] == ["3", "1"] and figures["Submitted"][:2] == ["4", "3"]


def test_csv_cells_cannot_run_as_formulas(app: Flask, november: Month) -> None:
    november.named.title = '=HYPERLINK("http://evil")'
    db.session.commit()
    client = login_as(app.test_client(), november.company.management)
    rows = list(csv.reader(io.StringIO(client.get(f"/digest/{key(november)}.csv").get_data(as_text=True))))
    assert rows[1][2].startswith("'=")


def test_feed_has_approved_months_only_by_login_or_key(make_app, november: Month) -> None:
    app = make_app(DIGEST_FEED_KEY="portal-secret-123")
    anonymous = app.test_client()
    assert anonymous.get("/digest/feed.atom").status_code == 302  # to the login page
    assert anonymous.get("/digest/feed.atom?key=wrong").status_code == 302
    feed = ET.fromstring(anonymous.get("/digest/feed.atom?key=portal-secret-123").data)
    assert feed.findall(f"{ATOM}entry") == []  # the month is still a draft
    approve(november)
    body = anonymous.get("/digest/feed.atom?key=portal-secret-123").get_data(as_text=True)
    entries = ET.fromstring(body).findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert sorted(titles) == sorted(
        ["A second coffee machine", "Brighter lights for the night shift", "Contract templates in one place"]
    )
    authors = {e.findtext(f"{ATOM}title"): e.findtext(f"{ATOM}author/{ATOM}name") for e in entries}
    assert authors["Brighter lights for the night shift"] == "Anonymous"
    updated = {e.findtext(f"{ATOM}updated") for e in entries}
    assert all(u.endswith("T00:00:00Z") for u in updated)  # days only
    content = entries[0].findtext(f"{ATOM}content")
    assert "<p>" in content  # HTML, escaped once inside the XML
    assert CLOSED_MARKER not in body


def test_the_navigation_offers_the_digest_to_its_readers(make_app, november: Month) -> None:
    private = make_app()
    nav = 'href="/digest/"'
    assert nav in login_as(private.test_client(), november.company.management).get("/suggestions/").get_data(
        as_text=True
    )
    assert nav not in login_as(private.test_client(), november.company.member).get("/suggestions/").get_data(
        as_text=True
    )
    public = make_app(DIGEST_PUBLIC=True)
    assert nav in login_as(public.test_client(), november.company.member).get("/suggestions/").get_data(
        as_text=True
    )


def test_a_workers_report_cache_shows_adoption_edits_at_once(app: Flask, november: Month) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from intranet.clock import utcnow
    from suggestions.models import Adoption, Suggestion

    app.config["DIGEST_REPORT_CACHE_SECONDS"] = 60
    services._reports.clear()
    client = login_as(app.test_client(), november.company.management)
    page = f"/digest/{key(november)}"
    assert "A second coffee machine" in client.get(page).get_data(as_text=True)
    rename = update(Suggestion).where(Suggestion.id == november.named.id).values(title="Two coffee machines")
    db.session.execute(rename.execution_options(synchronize_session=False))
    db.session.commit()
    # A title edit is not in the cache key: within the minute, this worker shows the cached report.
    assert "Two coffee machines" not in client.get(page).get_data(as_text=True)
    # An edit of the month's adoption records is: the next request builds the report again.
    later = utcnow() + timedelta(seconds=1)
    touch = update(Adoption).where(Adoption.suggestion_id == november.named.id).values(updated_at=later)
    db.session.execute(touch.execution_options(synchronize_session=False))
    db.session.commit()
    assert "Two coffee machines" in client.get(page).get_data(as_text=True)
    # The mail never reads the cache.
    db.session.execute(
        rename.values(title="Three coffee machines").execution_options(synchronize_session=False)
    )
    db.session.commit()
    digest = services.find_or_new(november.month)
    assert "Three coffee machines" in [i.title for i in services.build_report(digest, fresh=True).items]
    assert "Three coffee machines" not in [i.title for i in services.build_report(digest).items]


def test_item_cards_are_rendered_once_per_language(app: Flask, november: Month) -> None:
    from flask_babel import force_locale, gettext

    from suggestions.digest import presenting

    digest = services.find_or_new(november.month)
    item = next(i for i in services.build_report(digest).items if i.money is not None or i.hours is not None)
    with app.test_request_context():
        with force_locale("en"):
            english = presenting.item_card(item)
        with force_locale("nb"):
            norwegian, again = presenting.item_card(item), presenting.item_card(item)
            benefit = gettext("Benefit:")
    assert "Benefit:" in english and benefit != "Benefit:" and benefit in norwegian
    assert again is norwegian  # the second call is the cached card
    assert item.title in english and item.title in norwegian
