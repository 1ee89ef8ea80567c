"""Core pages: home, departments, the notification inbox, health."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import force_locale, format_number
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from . import languages, shared_state
from .extensions import db, limiter
from .forms import page_arg
from .markdown import render_markdown
from .models import Department, active_staff_counts
from .notifications import Notification, inbox_query, mark_all_read, mark_read, unread_count, withheld
from .security import is_safe_next, safe_next

bp = Blueprint("core", __name__)
PER_PAGE = 50
NOTIFICATIONS_PER_PAGE = 30

bp.app_template_filter("markdown")(render_markdown)
# Counts shown as figures, grouped the reader's way (1,234 / 1 234 / 1.234).
bp.app_template_filter("number")(format_number)


@bp.get("/")
@login_required
def index() -> Response:
    return redirect(url_for("auth.profile"))


@bp.get("/departments")
@login_required
def departments() -> str:
    page = db.paginate(
        select(Department).options(selectinload(Department.leads)).order_by(Department.name),
        page=page_arg(),
        per_page=PER_PAGE,
        error_out=True,
    )
    return render_template("core/departments.html", page=page, counts=active_staff_counts())


@bp.app_context_processor
def unread_notifications() -> dict[str, Any]:
    """The current user's unread count for the nav: one query per rendered page, 0 when anonymous."""
    return {"unread_notifications": unread_count(current_user.id) if current_user.is_authenticated else 0}


@bp.get("/notifications")
@login_required
def notifications() -> str:
    page = db.paginate(
        inbox_query(current_user.id), page=page_arg(), per_page=NOTIFICATIONS_PER_PAGE, error_out=True
    )
    hidden = withheld(current_user, list(page.items))
    return render_template("core/notifications.html", page=page, withheld=hidden)


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_notification(notification_id: int) -> Response:
    """Mark one notification read and follow its link, if that link stays on Ting."""
    n = db.first_or_404(
        select(Notification).where(
            Notification.id == notification_id,
            Notification.user_id == current_user.id,
        )
    )
    mark_read(n)
    db.session.commit()
    if n.id in withheld(current_user, [n]) or not is_safe_next(n.link):
        return redirect(url_for("core.notifications"))
    return redirect(n.link)


@bp.post("/notifications/read-all")
@login_required
def read_all_notifications() -> Response:
    mark_all_read(current_user.id)
    db.session.commit()
    flash(_("All notifications are marked as read."), "info")
    return redirect(safe_next(request.form.get("next"), url_for("core.notifications")))


@bp.post("/language")
def choose_language() -> Response:
    """The language picker (every page's footer): remembered on the user, and in a cookie."""
    code = request.form.get("language", "")
    response = redirect(safe_next(request.form.get("next"), url_for("core.index")))
    if not languages.is_offered(code):
        flash(_("Ting is not available in that language."), "error")
        return response
    if current_user.is_authenticated:
        languages.remember(current_user, code)
        db.session.commit()
    languages.set_cookie(response, code)
    with force_locale(code):
        flash(_("Ting is now shown in %(language)s.", language=languages.NAMES.get(code, code)), "success")
    return response


@bp.app_context_processor
def language_menu() -> dict[str, Any]:
    return {"language_menu": languages.menu}


@bp.get("/healthz")
@limiter.exempt
def healthz() -> tuple[Response, int]:
    """For monitoring: database and directory reachability. Names no host, user or secret."""
    checks = {"database": _database_ok()}
    # Domains add their own checks in create_app (auth adds "directory").
    for name, check in current_app.extensions.get("ting.health", {}).items():
        checks[name] = check()
    ok = all(checks.values())
    body = {name: "ok" if good else "unavailable" for name, good in checks.items()}
    redis_ok = shared_state.redis_answers(current_app)
    if redis_ok is not None:  # shown, but not a failure: without it limits are per process for a while
        body["redis"] = "ok" if redis_ok else "unavailable"
    return jsonify(status="ok" if ok else "unavailable", **body), 200 if ok else 503


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True
