"""Department discussion groups: open and closed, sub-groups, threads, moderation in the open."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from intranet.notifications import GUARDS, register_guard, register_kind
from intranet.signals import demo_generating, demo_loaded, departments_changed

from . import models  # noqa: F401 - the tables, for migrations
from .views import bp

__all__ = ["bp", "init_app"]

NOTIFICATIONS = {
    "groups.mention": _l("%(person)s mentioned you in “%(thread)s”."),
    "groups.reply": _l("%(person)s replied in “%(thread)s”."),
    "groups.new_thread": _l("%(person)s started “%(thread)s” in %(group)s."),
    "groups.join_request": _l("%(person)s asks to join %(group)s."),
    "groups.request_approved": _l("You are now a member of %(group)s. Message: %(message)s"),
    "groups.request_declined": _l("Your request to join %(group)s was declined. Message: %(message)s"),
    "groups.invited": _l("%(person)s added you to %(group)s."),
    "groups.appointed": _l("%(person)s made you a moderator of %(group)s."),
    "groups.post_hidden": _l("Your post in “%(thread)s” was hidden by a moderator. Reason: %(reason)s"),
    "groups.post_flagged": _l("A post in “%(thread)s” (%(group)s) was flagged for moderation."),
    "groups.hide_needs_second": _l("A hide in “%(thread)s” (%(group)s) waits for a second moderator."),
}


def init_app(app: Flask) -> None:
    from . import cli

    for kind, sentence in NOTIFICATIONS.items():
        register_kind(kind, sentence)
    from .permissions import unreadable_notifications

    if unreadable_notifications not in GUARDS:
        register_guard(unreadable_notifications)
    from .presenting import template_helpers

    app.register_blueprint(bp)
    app.jinja_env.globals.update(template_helpers())
    app.cli.add_command(cli.groups_cli)
    departments_changed.connect(_ensure_defaults, weak=False)
    demo_loaded.connect(_demo_content, weak=False)
    demo_generating.connect(_generate, weak=False)


def _ensure_defaults(sender: object, **extra: object) -> None:
    from .services import ensure_default_groups

    ensure_default_groups()


def _demo_content(sender: object, **extra: object) -> None:
    from .demo import load_demo_content

    load_demo_content()


def _generate(plan: object, **extra: object) -> None:
    from .generate import generate_groups

    generate_groups(plan)  # type: ignore[arg-type]
