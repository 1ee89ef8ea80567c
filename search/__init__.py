"""Permission-aware full-text search over groups and suggestions (Whoosh, behind search.backend)."""

from __future__ import annotations

from flask import Flask

from intranet.config import ConfigError

from . import models  # noqa: F401 - the outbox table, for migrations
from .views import bp

__all__ = ["bp", "init_app"]


def init_app(app: Flask) -> None:
    from . import analysis, cli, outbox
    from .whoosh_backend import WhooshBackend

    try:
        languages = [analysis.normalize_language(lang) for lang in app.config["SEARCH_LANGUAGES"]]
    except ValueError as exc:
        raise ConfigError(
            f"INTRANET_SEARCH_LANGUAGES: {exc}; choose from {', '.join(analysis.SUPPORTED)}."
        ) from exc
    if not languages:
        raise ConfigError("INTRANET_SEARCH_LANGUAGES needs at least one language.")
    app.extensions["search"] = WhooshBackend(
        app.config["INDEX_DIR"], languages, limitmb=int(app.config["SEARCH_LIMIT_MB"])
    )
    outbox.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(cli.search_cli)
