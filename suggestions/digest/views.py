"""The digest pages: a month, the archive, the charts, the CSV export and the Atom feed.

Load → check → one service → commit; the figures come from ``report``.
"""

from __future__ import annotations

import hmac
from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.forms import parse_id
from intranet.roles import require

from .. import permissions as perm
from ..services import SuggestionRuleError
from . import archive, export, feed, months, pictures, presenting, services
from .forms import DigestForm, StepForm
from .models import Digest, DigestStatus

bp = Blueprint("digest", __name__, url_prefix="/digest")


def _public() -> bool:
    return bool(current_app.config["DIGEST_PUBLIC"])


def _month_or_404(text: str) -> date:
    month = months.parse(text)
    if month is None or month > months.first_of(utcnow().date()):
        abort(404)
    return month


def _readable(month: date) -> Digest:
    """The month's digest for the current user: management reads drafts; others an approved month."""
    digest = services.find_or_new(month)
    approved = digest.status != DigestStatus.DRAFT
    if not perm.can_read_digest(current_user, approved=True, public=_public()):
        abort(403)
    require(perm.can_read_digest(current_user, approved=approved, public=_public()), hide=True)
    return digest


@bp.route("/")
@login_required
def index() -> Response:
    """The last complete month for management; for everyone else the latest approved one."""
    default = months.previous(utcnow().date())
    if perm.can_edit_digest(current_user):
        return redirect(url_for(".show", month=months.key(default)))
    require(perm.can_read_digest(current_user, approved=True, public=_public()))
    latest = archive.latest_published(default)
    if latest is None:
        return redirect(url_for(".archive_page"))
    return redirect(url_for(".show", month=months.key(latest)))


@bp.route("/archive")
@login_required
def archive_page() -> str:
    require(perm.can_read_digest(current_user, approved=True, public=_public()))
    drafts = perm.can_edit_digest(current_user)
    return render_template("digest/archive.html", entries=archive.entries(include_drafts=drafts))


@bp.route("/<month>")
@login_required
def show(month: str) -> tuple[str, int]:
    return _page(_month_or_404(month))


def _page(first: date, form: DigestForm | None = None, status: int = 200) -> tuple[str, int]:
    digest = _readable(first)
    report = services.build_report(digest)
    editable = perm.can_edit_digest(current_user) and digest.status == DigestStatus.DRAFT
    if form is None and editable:
        form = DigestForm(
            introduction=digest.introduction,
            highlights=sorted(services.highlighted_ids(digest)),
            version=str(digest.version),
            formdata=None,
        )
    if form is not None:
        form.highlights.choices = [(i.suggestion_id, i.title) for i in report.items]
    html = render_template(
        "digest/month.html",
        **presenting.context(digest, report),
        form=form,
        step_form=StepForm(version=str(digest.version), formdata=None),
        can_edit=perm.can_edit_digest(current_user),
        newer=months.shift(first, 1) if months.shift(first, 1) <= months.first_of(utcnow().date()) else None,
    )
    return html, status


@bp.post("/<month>/edit")
@login_required
def edit(month: str) -> Response | tuple[str, int]:
    first = _month_or_404(month)
    require(perm.can_edit_digest(current_user))
    form = DigestForm()
    if not form.validate():
        return _page(first, form, 400)
    highlights = {
        i for i in (parse_id(v, big=True) for v in request.form.getlist("highlights")) if i is not None
    }
    try:
        services.edit(
            current_user,
            first,
            form.introduction.data or "",
            highlights,
            expected_version=parse_id(form.version.data) or 0,
        )
    except services.DigestConflict:
        db.session.rollback()
        flash(
            _("Someone else changed this digest meanwhile. Their version is shown; your text is below."),
            "error",
        )
        digest = services.find(first)
        form.version.data = str(digest.version if digest else 0)
        return _page(first, form, 409)
    except SuggestionRuleError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _page(first, form, 400)
    db.session.commit()
    flash(_("The digest was saved."), "success")
    return redirect(url_for(".show", month=month))


@bp.post("/<month>/approve")
@login_required
def approve(month: str) -> Response:
    return _step(
        month, services.approve, _("The digest is approved: it will be mailed at the next scheduled send.")
    )


@bp.post("/<month>/reopen")
@login_required
def reopen(month: str) -> Response:
    return _step(month, services.reopen, _("The digest is a draft again."))


def _step(month: str, service: object, done: str) -> Response:
    first = _month_or_404(month)
    require(perm.can_edit_digest(current_user))
    form = StepForm()
    if not form.validate():
        abort(400)
    try:
        service(current_user, first, expected_version=parse_id(form.version.data) or 0)
    except services.DigestConflict:
        db.session.rollback()
        flash(_("Someone else changed this digest meanwhile: look at it again, then decide."), "error")
        return redirect(url_for(".show", month=month))
    except SuggestionRuleError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".show", month=month))
    db.session.commit()
    flash(done, "success")
    return redirect(url_for(".show", month=month))


@bp.route("/<month>/charts/<name>.png")
@login_required
def chart(month: str, name: str) -> Response:
    if name not in pictures.NAMES:
        abort(404)
    digest = _readable(_month_or_404(month))
    png = pictures.draw(services.build_report(digest), name)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "private, max-age=300"})


@bp.route("/<month>.csv")
@login_required
def csv_export(month: str) -> Response:
    digest = _readable(_month_or_404(month))
    body = export.csv_text(services.build_report(digest))
    filename = f"ting-digest-{month}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/feed.atom")
def atom() -> Response:
    """The adopted improvements of approved months, for the intranet portal: a login, or the feed key."""
    key = current_app.config.get("DIGEST_FEED_KEY")
    given = request.args.get("key", "")
    by_key = bool(key) and hmac.compare_digest(given.encode(), str(key).encode())
    if not by_key:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        require(perm.can_read_digest(current_user, approved=True, public=_public()))
    xml = feed.atom(archive.published_months(limit=feed.MONTHS))
    return Response(xml, mimetype="application/atom+xml")
