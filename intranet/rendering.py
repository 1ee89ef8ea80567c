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
  list's rows) are shown over and over, and a string once formatted never changes;
- ``fragment(key, macro, *args)`` remembers a macro's HTML per worker (fragment caching, as
  Rails and GitLab do it): for a macro whose output depends on nothing but ``key`` (which
  must hold every value it shows or branches on), the locale and the time zone. The CSRF
  token of a form inside is left as a placeholder in the remembered HTML and filled in for
  each request, so one person's card serves everyone with the same rights.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from functools import lru_cache
from threading import Lock
from typing import Any

import flask_babel
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_app_context
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

FORMATTED_DATES = 16384  # per worker: ~1.5 MB
# Never shown: replaced before a fragment leaves; random, so no text can contain it.
CSRF_PLACEHOLDER = f"csrf-placeholder-{secrets.token_hex(16)}"
_in_fragment: ContextVar[bool] = ContextVar("ting_in_fragment", default=False)


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


class FragmentCache:
    """The most recently used fragments' HTML, by key (thread-safe: gthread workers)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = Lock()

    def get(self, key: Hashable) -> str | None:
        with self._lock:
            html = self._items.get(key)
            if html is not None:
                self._items.move_to_end(key)
            return html

    def put(self, key: Hashable, html: str) -> None:
        with self._lock:
            self._items[key] = html
            if len(self._items) > self.size:
                self._items.popitem(last=False)


def fragment(key: Hashable, macro: Callable[..., Any], *args: Any) -> Markup:
    """``macro(*args)``, remembered under ``key`` with the locale and time zone (see above)."""
    cache: FragmentCache = current_app.extensions["fragments"]
    full = (key, str(flask_babel.get_locale()), str(flask_babel.get_timezone()))
    html = cache.get(full)
    if html is None:
        token = _in_fragment.set(True)
        try:
            html = str(macro(*args))
        finally:
            _in_fragment.reset(token)
        signed = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
        if signed and signed in html:  # a WTForms form inside: its token is this person's
            raise RuntimeError("A fragment must take its CSRF token from csrf_token(), not a form.")
        cache.put(full, html)
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, generate_csrf())
    return Markup(html)  # noqa: S704 - Jinja's autoescaped output


def csrf_token() -> str:
    """The templates' ``csrf_token()``: Flask-WTF's, or the placeholder inside a fragment."""
    return CSRF_PLACEHOLDER if _in_fragment.get() else generate_csrf()


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
    app.extensions["fragments"] = FragmentCache(int(app.config["FRAGMENT_CACHE_SIZE"]))
    app.jinja_env.globals["fragment"] = fragment
    app.jinja_env.globals["csrf_token"] = csrf_token  # after CSRFProtect.init_app, which sets it
