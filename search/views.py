"""Search pages: results with facets and "did you mean", and duplicate hints for a new suggestion."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from intranet.forms import page_arg

from . import services

bp = Blueprint("search", __name__, url_prefix="/search")


@bp.before_request
@login_required
def _login_required() -> None:
    """Every search page is for logged-in people."""


@bp.get("/")
def index() -> tuple[str, int]:
    text = request.args.get("q", "")[:500]
    outcome = services.search(
        current_user,
        text,
        order=request.args.get("order", "relevance"),
        page=page_arg(),
    )
    names = services.facet_names() if outcome.results is not None else services.FacetNames({}, {})
    return render_template(
        "search/results.html",
        outcome=outcome,
        labels=names.labels,
        filter_value=names.filter_value,
    ), (503 if outcome.degraded else 200)


@bp.get("/similar")
def similar() -> str:
    """Suggestions like a title being typed: an HTML fragment the new-suggestion form shows."""
    items = services.similar_suggestions(current_user, request.args.get("title", ""))
    return render_template("search/_similar.html", items=items)
