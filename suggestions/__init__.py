"""The suggestion box: named and anonymous suggestions, votes, comments, the status workflow, campaigns."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from intranet.notifications import register_kind
from intranet.signals import demo_generating, demo_loaded

from . import models  # noqa: F401 - the tables, for migrations
from .views import bp, template_helpers

__all__ = ["bp", "init_app"]

NOTIFICATIONS = {
    "suggestions.status": _l("“%(title)s” is now %(status)s. Read the official response."),
    "suggestions.response": _l("There is an official response to “%(title)s”."),
    "suggestions.question": _l("A reviewer asked you a question about “%(title)s”."),
    "suggestions.new_batch": _l("%(count)s new suggestion(s) wait for your review."),
}


def init_app(app: Flask) -> None:
    from . import campaign_views, cli, receipt_views, review_views  # noqa: F401 - routes on bp
    from .digest import cli as digest_cli
    from .digest import models as digest_models  # noqa: F401 - the tables, for migrations
    from .digest import presenting
    from .digest import views as digest_views
    from .presenting import template_helpers as fragment_keys

    for kind, sentence in NOTIFICATIONS.items():
        register_kind(kind, sentence)
    app.register_blueprint(bp)
    app.register_blueprint(digest_views.bp)
    app.jinja_env.globals.update(template_helpers())
    app.jinja_env.globals.update(presenting.template_helpers())
    app.jinja_env.globals.update(fragment_keys())
    app.cli.add_command(cli.suggestions_cli)
    app.cli.add_command(digest_cli.digest_cli)
    demo_loaded.connect(_demo_content, weak=False)
    demo_generating.connect(_generate, weak=False)


def _demo_content(sender: object, **extra: object) -> None:
    from .demo import load_demo_content

    load_demo_content()


def _generate(plan: object, **extra: object) -> None:
    from .generate import generate_suggestions

    generate_suggestions(plan)  # type: ignore[arg-type]
