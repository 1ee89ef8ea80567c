"""Which language a page is shown in: the person's choice, else their browser's, else the default.

A signed-in person's choice is kept on their user row (it follows them to every device);
before login it is kept in a cookie, so the login page can be read in one's own language too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, has_request_context, request
from flask_login import current_user
from werkzeug.wrappers import Response

if TYPE_CHECKING:
    from .models import User

COOKIE = "ting_language"
COOKIE_DAYS = 365
# Each language named in itself, as a language menu should.
NAMES = {
    "en": "English",
    "nb": "Norsk bokmål",
    "da": "Dansk",
    "nl": "Nederlands",
    "sv": "Svenska",
}
# Browser tags that mean a language Ting has under another code.
ALIASES = {"no": "nb", "nn": "nb"}


def offered() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def menu() -> list[tuple[str, str]]:
    """(code, name) for the picker, in the configured order."""
    return [(code, NAMES.get(code, code)) for code in offered()]


def is_offered(code: str | None) -> bool:
    return bool(code) and code in offered()


def select_locale() -> str | None:
    """Flask-Babel's locale selector. None outside a request: the default locale (CLI, mail)."""
    if not has_request_context():
        return None
    if current_user and current_user.is_authenticated and is_offered(current_user.language):
        return current_user.language
    chosen = request.cookies.get(COOKIE)
    if is_offered(chosen):
        return chosen
    return from_browser()


def from_browser() -> str | None:
    languages = offered()
    for tag, _quality in request.accept_languages:
        primary = tag.replace("_", "-").split("-")[0].lower()
        code = ALIASES.get(primary, primary)
        if code in languages:
            return code
    return None


def remember(user: User, code: str) -> None:
    """Keep a signed-in person's choice on their row (the caller commits)."""
    user.language = code


def set_cookie(response: Response, code: str) -> None:
    response.set_cookie(
        COOKIE,
        code,
        max_age=COOKIE_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
