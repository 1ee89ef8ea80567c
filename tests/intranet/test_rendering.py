"""The templates' fast translation and date paths give what Flask-Babel gives, in every language."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from flask import Flask, render_template_string
from flask_babel import force_locale

from tests.intranet.test_languages import translated

MESSAGE = "{{ _('Log in') }}|{{ ngettext('%(num)d vote', '%(num)d votes', 3) }}"
WHEN = datetime(2026, 3, 14, 15, 9, tzinfo=UTC)


def test_a_forced_locale_inside_a_request_is_translated_and_the_request_s_comes_back(app: Flask) -> None:
    """Mail to a Swedish reader sent while a Norwegian page renders: each in its own language."""
    with app.test_request_context(headers={"Accept-Language": "nb"}):
        before = render_template_string(MESSAGE)
        with force_locale("sv"):
            swedish = render_template_string(MESSAGE)
        after = render_template_string(MESSAGE)
    assert before.split("|")[0] == translated("nb", "Log in")
    assert swedish.split("|")[0] == translated("sv", "Log in")
    assert after == before
    assert "3" in before and "3" in swedish


def test_remembered_dates_follow_the_locale_and_the_time_zone(make_app) -> None:  # noqa: ANN001
    """One app, one date, several readers: each sees it formatted as Babel formats it for them."""
    app = make_app()
    template = "{{ when|datetimeformat('short') }}|{{ when|dateformat('long') }}"
    seen = {}
    for code in ("en", "nb", "nl", "en"):
        with app.test_request_context(headers={"Accept-Language": code}):
            seen.setdefault(code, set()).add(render_template_string(template, when=WHEN))
    zone = app.config["TIMEZONE"]
    for code, shown in seen.items():
        expected = (
            format_datetime(WHEN, "short", tzinfo=_zone(zone), locale=code)
            + "|"
            + format_date(WHEN.astimezone(_zone(zone)), "long", locale=code)
        )
        assert shown == {expected}
    assert len({next(iter(v)) for v in seen.values()}) == 3

    in_tokyo = make_app(TIMEZONE="Asia/Tokyo")
    with in_tokyo.test_request_context(headers={"Accept-Language": "en"}):
        tokyo = render_template_string(template, when=WHEN)
    assert tokyo != next(iter(seen["en"]))
    assert tokyo.split("|")[0] == format_datetime(WHEN, "short", tzinfo=_zone("Asia/Tokyo"), locale="en")


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)
