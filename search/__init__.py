"""Permission-aware full-text search over groups and suggestions (on Whoosh or PostgreSQL: search.backend)."""

from __future__ import annotations

import functools

from flask import Flask
from sqlalchemy.engine import Engine

from intranet import signals
from intranet.config import ConfigError

from . import models  # noqa: F401 - the outbox table, for migrations
from .backend import Backend
from .views import bp

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    from . import cli, outbox

    app.extensions["search"] = _backend(app, _languages(app))
    outbox.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(cli.search_cli)
    signals.database_restored.connect(_rebuild_after_restore, weak=False)


def _rebuild_after_restore(sender: Flask) -> int:
    """After ``flask backup restore``: the index was not in the backup, so make it anew from the database."""
    from . import outbox

    return outbox.rebuild()


def _languages(app: Flask) -> list[str]:
    from . import analysis

    try:
        languages = [analysis.normalize_language(lang) for lang in app.config["SEARCH_LANGUAGES"]]
    except ValueError as exc:
        raise ConfigError(
            f"INTRANET_SEARCH_LANGUAGES: {exc}; choose from {', '.join(analysis.SUPPORTED)}."
        ) from exc
    if not languages:
        raise ConfigError("INTRANET_SEARCH_LANGUAGES needs at least one language.")
    return languages


def _backend(app: Flask, languages: list[str]) -> Backend:
    """The engine INTRANET_SEARCH_BACKEND names (validated in intranet.config)."""
    from . import pg_backend

    if app.config["SEARCH_BACKEND"] == "postgresql":
        return pg_backend.PostgresBackend(functools.cache(lambda: _engine(app)), languages)
    from .whoosh_backend import WhooshBackend

    return WhooshBackend(app.config["INDEX_DIR"], languages, limitmb=int(app.config["SEARCH_LIMIT_MB"]))


def _engine(app: Flask) -> Engine:
    """The app's engine, also outside a request (a rebuild from a script, the tests' fixtures)."""
    from intranet.extensions import db

    with app.app_context():
        return db.engine
