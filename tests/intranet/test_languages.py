"""Choosing the language: the browser's by default, the person's pick remembered; dates and numbers follow."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from babel.messages.mofile import read_mo
from sqlalchemy import select

from intranet import ConfigError
from intranet.extensions import db
from intranet.languages import COOKIE
from intranet.models import User
from tests.conftest import csrf_token, login

TRANSLATIONS = Path(__file__).resolve().parents[2] / "intranet" / "translations"


def translated(locale: str, message: str) -> str:
    """What the compiled catalog (built by `make test` / `make run`) says for one message."""
    mo = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"
    po = mo.with_suffix(".po")
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, "compile the catalogs: make catalogs"
    with mo.open("rb") as handle:
        text = read_mo(handle).get(message).string
    assert text and text != message
    return text


def lang_of(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    assert match
    return match.group(1)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("nb-NO,nb;q=0.9,en;q=0.5", "nb"),
        ("no", "nb"),
        ("nn-NO", "nb"),
        ("sv-SE", "sv"),
        ("da, en;q=0.8", "da"),
        ("nl-BE", "nl"),
        ("de-DE, fr;q=0.9", "en"),
        ("de-DE, sv;q=0.5", "sv"),
    ],
)
def test_the_browser_language_is_the_default(client, header: str, expected: str) -> None:
    html = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert lang_of(html) == expected
    if expected != "en":
        assert translated(expected, "Log in") in html


def test_every_page_offers_the_languages_named_in_themselves(client) -> None:
    html = client.get("/login").get_data(as_text=True)
    for code, name in [
        ("en", "English"),
        ("nb", "Norsk bokmål"),
        ("da", "Dansk"),
        ("nl", "Nederlands"),
        ("sv", "Svenska"),
    ]:
        assert f'<option value="{code}" lang="{code}"' in html and name in html


def test_picking_before_login_is_kept_in_a_cookie(client) -> None:
    token = csrf_token(client)
    r = client.post("/language", data={"language": "da", "next": "/login", "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert client.get_cookie(COOKIE).value == "da"
    html = client.get("/login", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert lang_of(html) == "da"
    assert translated("da", "Ting is now shown in %(language)s.") % {"language": "Dansk"} in html


def test_a_signed_in_pick_follows_the_person_to_another_browser(app, client) -> None:
    login(client, "ingrid", "demo")
    token = csrf_token(client, "/profile")
    r = client.post("/language", data={"language": "nl", "next": "/profile", "csrf_token": token})
    assert r.headers["Location"] == "/profile"
    with app.app_context():
        assert db.session.scalar(select(User.language).where(User.username == "ingrid")) == "nl"
    other = app.test_client()
    login(other, "ingrid", "demo")
    html = other.get("/profile", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert lang_of(html) == "nl"
    assert translated("nl", "My profile") in html


def test_an_unknown_language_changes_nothing(app, client) -> None:
    login(client, "ingrid", "demo")
    token = csrf_token(client, "/profile")
    r = client.post("/language", data={"language": "xx", "next": "/profile", "csrf_token": token})
    assert r.status_code == 302
    assert client.get_cookie(COOKIE) is None
    html = client.get("/profile").get_data(as_text=True)
    assert "Ting is not available in that language." in html
    with app.app_context():
        assert db.session.scalar(select(User.language).where(User.username == "ingrid")) is None


def test_the_picker_never_sends_people_off_the_intranet(client) -> None:
    token = csrf_token(client)
    r = client.post(
        "/language", data={"language": "sv", "next": "https://evil.example/", "csrf_token": token}
    )
    assert r.status_code == 302 and "evil" not in r.headers["Location"]


def test_the_picker_needs_the_csrf_token(client) -> None:
    r = client.post("/language", data={"language": "sv", "next": "/login"})
    assert r.status_code == 400
    assert client.get_cookie(COOKIE) is None


def test_dates_follow_the_language(app, client) -> None:
    login(client, "ingrid", "demo")
    with app.app_context():
        synced = db.session.scalar(select(User.synced_at).where(User.username == "ingrid"))
    for code in ("nb", "nl", "en"):
        html = client.get("/profile", headers={"Accept-Language": code}).get_data(as_text=True)
        shown = re.search(r'<time datetime="[^"]+">([^<]+)</time>', html).group(1)
        assert shown == format_datetime(synced.replace(tzinfo=UTC), "medium", tzinfo=UTC, locale=code)
    assert isinstance(synced, datetime)


def test_it_sets_the_languages_and_the_default_from_the_environment(monkeypatch, make_app) -> None:
    monkeypatch.setenv("INTRANET_LANGUAGES", "nb, en")
    monkeypatch.setenv("INTRANET_DEFAULT_LANGUAGE", "nb")
    app = make_app()
    assert app.config["LANGUAGES"] == ["nb", "en"]
    client = app.test_client()
    # A browser asking for a language Ting does not offer gets the company's default.
    html = client.get("/login", headers={"Accept-Language": "de-DE"}).get_data(as_text=True)
    assert lang_of(html) == "nb"
    assert '<option value="da"' not in html


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"LANGUAGES": ["en", "de"]}, "not for de"),
        ({"LANGUAGES": []}, "INTRANET_LANGUAGES"),
        ({"LANGUAGES": ["en", "nb"], "DEFAULT_LANGUAGE": "sv"}, "INTRANET_DEFAULT_LANGUAGE"),
        ({"TIMEZONE": "Europe/Atlantis"}, "INTRANET_TIMEZONE"),
    ],
)
def test_languages_without_a_catalog_are_refused(make_app, settings, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_app(**settings)


def test_times_are_shown_in_the_company_time_zone(make_app) -> None:
    app = make_app(TIMEZONE="Europe/Oslo")
    client = app.test_client()
    login(client, "ingrid", "demo")
    with app.app_context():
        synced = db.session.scalar(select(User.synced_at).where(User.username == "ingrid"))
    html = client.get("/profile", headers={"Accept-Language": "nb"}).get_data(as_text=True)
    shown = re.search(r'<time datetime="[^"]+">([^<]+)</time>', html).group(1)
    oslo = format_datetime(synced.replace(tzinfo=UTC), "medium", tzinfo=ZoneInfo("Europe/Oslo"), locale="nb")
    assert shown == oslo
    assert oslo != format_datetime(synced.replace(tzinfo=UTC), "medium", tzinfo=UTC, locale="nb")
