"""Ting: the application factory and the core every domain builds on."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import get_locale
from werkzeug.middleware.proxy_fix import ProxyFix

from . import languages, rendering, shared_state
from .config import ConfigError, load_config
from .extensions import babel, csrf, db, login_manager, migrate
from .routing import CONVERTERS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

__all__ = ["ConfigError", "create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, template_folder=str(TEMPLATES))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    load_config(app, test_config)
    app.url_map.converters.update(CONVERTERS)  # before any route is added
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))
    if app.config.get("PROXY_FIX_X_FOR"):
        hops = int(app.config["PROXY_FIX_X_FOR"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    csrf.init_app(app)
    shared_state.init_limits(app)
    babel.init_app(app, locale_selector=languages.select_locale)
    rendering.init_rendering(app)
    app.jinja_env.globals["get_locale"] = get_locale
    login_manager.init_app(app)
    _init_login(app)

    from . import errors, leases, notifications, security, views  # noqa: F401 - leases, notifications: tables

    security.init_security(app)
    errors.init_errors(app)
    app.register_blueprint(views.bp)
    from .backup import backup_cli

    app.cli.add_command(backup_cli)

    import auth
    import groups
    import search
    import suggestions

    auth.init_app(app)
    groups.init_app(app)
    suggestions.init_app(app)
    search.init_app(app)
    return app


def _init_login(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from .models import load_session_user

    login_manager.user_loader(load_session_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
