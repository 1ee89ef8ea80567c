"""Reviewers' pages: change a status with an official response, record an adoption, the awaiting queue."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields import SelectChoice

from intranet.extensions import db
from intranet.forms import page_arg, parse_id
from intranet.models import Department
from intranet.roles import require

from . import lifecycle, queries, workflow
from . import permissions as perm
from .forms import AdoptionForm, StatusForm
from .lifecycle import Actor, InvalidTransition, Status
from .models import Suggestion
from .services import SuggestionRuleError
from .views import bp, render_suggestion, suggestion_or_404
from .workflow import STATUS_LABELS, AdoptionData, StatusConflict

SAME = "same"


def _department_choices() -> list[SelectChoice]:
    departments = db.session.scalars(select(Department).order_by(Department.name))
    return [
        SelectChoice("", _("The target department")),
        *(SelectChoice(str(d.id), d.name) for d in departments),
    ]


def status_form_for(suggestion: Suggestion, form: StatusForm | None = None) -> StatusForm:
    """The reviewer's form, offering only what the transition table allows from here."""
    if form is None:
        form = StatusForm(formdata=None)
        form.version.data = str(suggestion.status_version)
    choices = [
        SelectChoice(SAME, _("Keep “%(status)s”: answer only", status=STATUS_LABELS[suggestion.status]))
    ]
    if suggestion.status == Status.DUPLICATE:
        choices = []  # undone with its own button
    choices += [
        SelectChoice(s.value, STATUS_LABELS[s]) for s in lifecycle.targets(suggestion.status, Actor.REVIEWER)
    ]
    if suggestion.status in lifecycle.FINAL and suggestion.status != Status.ADOPTED:
        choices = []
    form.status.choices = choices
    form.responsible.choices = _department_choices()
    return form


def _adoption_data(form: StatusForm | AdoptionForm) -> AdoptionData:
    responsible = form.responsible.data
    return AdoptionData(
        what_was_done=form.what_was_done.data or "",
        department=db.session.get(Department, parse_id(responsible)) if parse_id(responsible) else None,
        estimated_money=form.estimated_money.data,
        estimated_hours=form.estimated_hours.data,
        actual_money=form.actual_money.data,
        actual_hours=form.actual_hours.data,
        benefit_notes=form.benefit_notes.data or "",
    )


@bp.post("/<bigid:suggestion_id>/status")
def change_status(suggestion_id: int) -> Response | tuple[str, int]:
    suggestion = suggestion_or_404(suggestion_id)
    require(perm.is_reviewer(current_user, suggestion))
    form = status_form_for(suggestion, StatusForm())
    if not form.validate_on_submit():
        if "csrf_token" not in form.errors and workflow.is_stale(suggestion, parse_id(form.version.data)):
            # The choices are today's; the reviewer chose from what they saw before someone else
            # changed it: say that, rather than that their choice is not allowed.
            return _conflict(suggestion, form)
        # A choice the table does not offer from here is answered in words, not with a 500.
        if form.status.errors and request.form.get("status") in Status.__members__.values():
            form.status.errors = [
                workflow.explain(
                    InvalidTransition(
                        suggestion.status, Status(request.form["status"]), Actor.REVIEWER, "not_allowed"
                    )
                )
            ]
        return render_suggestion(suggestion, status_form=form, status=422)
    version = parse_id(form.version.data)
    if version is None:
        return _conflict(suggestion, form)
    target = suggestion.status if form.status.data == SAME else Status(form.status.data)
    require(perm.can_change_status(current_user, suggestion, target))
    original = None
    if target == Status.DUPLICATE:
        number = parse_id(form.duplicate_of.data, big=True)
        original = db.session.get(Suggestion, number) if number is not None else None
        if original is None or not perm.can_view(current_user, original):
            form.duplicate_of.errors = [_("There is no suggestion with that number.")]
            return render_suggestion(suggestion, status_form=form, status=422)
    try:
        workflow.change_status(
            current_user,
            suggestion,
            target,
            form.response.data,
            expected_version=version,
            duplicate_of=original,
            adoption=_adoption_data(form) if target == Status.ADOPTED else None,
        )
    except StatusConflict:
        return _conflict(suggestion, form)
    except InvalidTransition as exc:
        db.session.rollback()
        form.status.errors = [workflow.explain(exc)]
        return render_suggestion(suggestion, status_form=form, status=422)
    except SuggestionRuleError as exc:
        db.session.rollback()
        form.response.errors = [str(exc)]
        return render_suggestion(suggestion, status_form=form, status=422)
    db.session.commit()
    flash(_("Status and official response saved."), "success")
    return redirect(url_for(".show", suggestion_id=suggestion.id))


def _conflict(suggestion: Suggestion, form: StatusForm) -> tuple[str, int]:
    """Someone else changed it first: show what they did, keep this reviewer's text, ask again."""
    db.session.rollback()
    db.session.refresh(suggestion)
    fresh = status_form_for(suggestion, form)
    fresh.version.data = str(suggestion.status_version)
    fresh.status.errors = [
        _(
            "Someone else changed this suggestion while you were writing: it is now “%(status)s”. "
            "Your response is kept below; check the new status and send it again.",
            status=STATUS_LABELS[suggestion.status],
        )
    ]
    return render_suggestion(suggestion, status_form=fresh, status=409, conflict=True)


@bp.post("/<bigid:suggestion_id>/not-duplicate")
def not_duplicate(suggestion_id: int) -> Response | tuple[str, int]:
    suggestion = suggestion_or_404(suggestion_id)
    require(perm.is_reviewer(current_user, suggestion) and suggestion.status == Status.DUPLICATE)
    form = status_form_for(suggestion, StatusForm())
    response = (form.response.data or "").strip()
    version = parse_id(form.version.data)
    if not response or version is None:
        form.response.errors = [_("Write the official response: it is shown to everyone.")]
        return render_suggestion(suggestion, status_form=form, status=422)
    try:
        workflow.undo_duplicate(current_user, suggestion, response, expected_version=version)
    except StatusConflict:
        return _conflict(suggestion, form)
    db.session.commit()
    flash(_("No longer a duplicate: its votes are its own again."), "success")
    return redirect(url_for(".show", suggestion_id=suggestion.id))


@bp.route("/<bigid:suggestion_id>/adoption", methods=["GET", "POST"])
def adoption(suggestion_id: int) -> Response | str | tuple[str, int]:
    suggestion = suggestion_or_404(suggestion_id)
    require(perm.can_record_adoption(current_user, suggestion))
    record = suggestion.adoption
    form = AdoptionForm(obj=record if request.method in ("GET", "HEAD") else None)
    form.responsible.choices = _department_choices()
    if request.method in ("GET", "HEAD") and record is not None:
        form.responsible.data = str(record.department_id or "")
    if not form.validate_on_submit():
        return render_template("suggestions/adoption.html", suggestion=suggestion, form=form), (
            422 if request.method == "POST" else 200
        )
    workflow.record_adoption(current_user, suggestion, _adoption_data(form))
    db.session.commit()
    flash(_("Adoption record saved."), "success")
    return redirect(url_for(".show", suggestion_id=suggestion.id, _anchor="adoption"))


@bp.get("/review")
def queue() -> str:
    require(perm.reviews_anything(current_user))
    page = db.paginate(
        queries.awaiting(current_user),
        page=page_arg(),
        per_page=int(current_app.config["SUGGESTIONS_PER_PAGE"]),
        error_out=False,
    )
    return render_template("suggestions/queue.html", page=page)
