"""Translation and dates in templates at the cost of a dictionary lookup.

Flask-Babel finds its request state again on every call: for each translated message it looks
up the request globals, the domain, the locale and the translations (about ten context-local
lookups and a locale formatted to a string), and for each date the locale, the time zone and
the configured formats before Babel formats it. A thread page has some 270 messages and 50
dates; measured, that was a fifth of its time. Here:

- the templates' ``_``/``gettext``/``ngettext``/``pgettext``/``npgettext`` take the request's
  translations from one attribute, kept where Flask-Babel keeps its request state, which
  :func:`flask_babel.force_locale` (mail in the recipient's language) and
  :func:`flask_babel.refresh` reset;
- the ``datetimeformat``, ``dateformat`` and ``timeformat`` filters remember their strings per
  worker, keyed by value, format, locale and time zone: the same dates (a thread's posts, a
  list's rows) are shown over and over, and a string once formatted never changes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import flask_babel
from babel.support import NullTranslations
from flask import Flask, g, has_app_context

FORMATTED_DATES = 16384  # per worker: ~1.5 MB


def translations() -> NullTranslations:
    """The translations for this request (or for the locale forced around a mail)."""
    state = g.get("_flask_babel") if has_app_context() else None
    if state is None:
        return flask_babel.get_translations()  # first call: Flask-Babel creates its state
    found = getattr(state, "babel_translations", None)
    if found is None:
        found = state.babel_translations = flask_babel.get_translations()
    return found


def _date_filter(format_value: Callable[..., str]) -> Callable[..., str]:
    @lru_cache(maxsize=FORMATTED_DATES)
    def remembered(value: Any, fmt: str | None, locale: str, tz: str) -> str:
        return format_value(value, fmt)

    def date_filter(value: Any, fmt: str | None = None) -> str:
        if value is None:  # Flask-Babel's "now": never remembered
            return format_value(value, fmt)
        return remembered(value, fmt, str(flask_babel.get_locale()), str(flask_babel.get_timezone()))

    return date_filter


def init_rendering(app: Flask) -> None:
    """Install the fast paths; call after ``babel.init_app`` (they replace its callables)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined] - the i18n extension
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # A cache per app: tests build apps with other time zones and formats.
    app.jinja_env.filters["datetimeformat"] = _date_filter(flask_babel.format_datetime)
    app.jinja_env.filters["dateformat"] = _date_filter(flask_babel.format_date)
    app.jinja_env.filters["timeformat"] = _date_filter(flask_babel.format_time)
