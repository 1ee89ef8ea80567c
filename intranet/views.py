"""Core pages: home, departments, health."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from .extensions import db, limiter
from .models import Department, active_staff_counts

bp = Blueprint("core", __name__)
PER_PAGE = 50


@bp.get("/")
@login_required
def index() -> Response:
    return redirect(url_for("auth.profile"))


@bp.get("/departments")
@login_required
def departments() -> str:
    page = db.paginate(
        select(Department).options(selectinload(Department.leads)).order_by(Department.name),
        per_page=PER_PAGE,
        error_out=True,
    )
    return render_template("core/departments.html", page=page, counts=active_staff_counts())


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
    return jsonify(status="ok" if ok else "unavailable", **body), 200 if ok else 503


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True
