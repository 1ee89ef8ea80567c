"""Friendly error pages: never a traceback, always a way on."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Not allowed"), _l("You do not have permission to do this.")),
    404: (_l("Not found"), _l("There is nothing here. The link may be old or mistyped.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (
        _l("Too much at once"),
        _l("What was sent is larger than Ting accepts. Shorten the text and send it again."),
    ),
    429: (_l("Too many attempts"), _l("Too many attempts. Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("Something went wrong on our side. It has been logged.")),
    503: (
        _l("Directory unavailable"),
        _l("The company directory is not answering right now. Please try again in a few minutes."),
    ),
}


#: The database not answering (restarted, down, or SQLite's file locked past its timeout).
DATABASE_DOWN = (
    _l("Ting is unavailable"),
    _l(
        "Ting's database is not answering right now. Please try again in a few minutes. "
        "If you were sending something, check afterwards whether it arrived before sending it again."
    ),
)


def render_error(code: int, message: str | None = None, title: str | None = None) -> tuple[str, int]:
    default_title, default = MESSAGES.get(code, MESSAGES[500])
    page = render_template(
        "errors/error.html", code=code, title=title or default_title, message=message or default
    )
    return page, code


def database_down(exc: Exception) -> tuple[str, int]:
    """503 while the database is away; the app recovers by itself (``pool_pre_ping`` replaces dead
    connections). The page is drawn for nobody in particular: the header's per-person parts would
    ask the database again."""
    log.warning("Database unavailable on %s [%s]: %s", request.path, request.method, describe(exc))
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone: nothing of this request stays anyway
        db.session.invalidate()
    g._login_user = current_app.login_manager.anonymous_user()
    title, message = DATABASE_DOWN
    return render_error(503, str(message), str(title))


def describe(exc: BaseException) -> str:
    """An exception's class (and, for database errors, the driver's class and SQLSTATE), never its message.

    Messages quote data: PostgreSQL's "Failing row contains (…)" would put what someone
    wrote, anonymously perhaps, into the log (TRUST.md A4).
    """
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    orig = getattr(exc, "orig", None)
    if orig is not None:
        name += f" from {type(orig).__module__}.{type(orig).__qualname__}"
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        if code:
            name += f" (SQLSTATE {code})"
    return name


def log_exception(exc_info: tuple) -> None:
    """Flask's ``log_exception``, without the exception message: where it failed, not what was sent."""
    _type, exc, tb = exc_info
    frames = "".join(traceback.format_tb(tb))
    log.error(
        "Exception on %s [%s]: %s\nTraceback (message withheld):\n%s",
        request.path,
        request.method,
        describe(exc),
        frames,
    )


def init_errors(app: Flask) -> None:
    app.log_exception = log_exception  # type: ignore[method-assign]

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # noqa: ANN202
        if exc.code not in MESSAGES:
            return exc
        return render_error(exc.code)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):  # noqa: ANN202
        return render_error(400, str(_l("The form had expired or was not sent from Ting. Please try again.")))

    app.register_error_handler(OperationalError, database_down)
    app.register_error_handler(InterfaceError, database_down)

    @app.errorhandler(500)
    def server_error(exc: Exception):  # noqa: ANN202
        db.session.rollback()
        return render_error(500)
