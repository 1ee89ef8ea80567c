"""Suggestion pages: lists, the board, submit, read, vote, follow, comment.

Load → check → validate → one service → commit.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields import SelectChoice

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.forms import page_arg, parse_id
from intranet.models import Department
from intranet.roles import require

from . import permissions as perm
from . import queries, services, votes
from .anonymity import QuotaExceeded, spend_quota
from .forms import CATEGORIES, COMPANY, CommentForm, SuggestionForm, category_choices
from .lifecycle import Status
from .models import Campaign, Suggestion
from .services import Draft, SuggestionRuleError
from .workflow import STATUS_LABELS

bp = Blueprint("suggestions", __name__, url_prefix="/suggestions")


@bp.before_request
@login_required
def _logged_in() -> None:
    """Every suggestion page needs a login."""


def template_helpers() -> dict[str, object]:
    """Jinja globals (globals, not a context processor, so imported macros see them too)."""
    return {
        "days_waited": queries.days_waited,
        "is_overdue": queries.is_overdue,
        "response_target_days": queries.response_target_days,
        "category_label": lambda key: CATEGORIES.get(key, key),
        "status_label": lambda status: STATUS_LABELS.get(Status(status), status),
        "reviews_suggestions": lambda: perm.reviews_anything(current_user),
    }


def _page() -> int:
    return page_arg()


def suggestion_or_404(suggestion_id: int) -> Suggestion:
    suggestion = db.session.get(Suggestion, suggestion_id)
    if suggestion is None:
        abort(404)
    require(perm.can_view(current_user, suggestion), hide=True)
    return suggestion


def _departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.name)))


def _filters() -> queries.Filters:
    args = request.args
    status = args.get("status")
    department = args.get("department")
    return queries.Filters(
        sort=args.get("sort") if args.get("sort") in queries.SORTS else "newest",
        status=Status(status) if status in Status.__members__.values() else None,
        department_id=0 if department == COMPANY else parse_id(department),
        category=args.get("category") if args.get("category") in CATEGORIES else None,
        campaign_id=parse_id(args.get("campaign")),
    )


def _render_list(template: str, query: object, **context: object) -> str:
    page = db.paginate(
        query, page=_page(), per_page=int(current_app.config["SUGGESTIONS_PER_PAGE"]), error_out=False
    )
    voted = votes.voted_among(current_user, [s.id for s in page.items])
    return render_template(template, page=page, voted=voted, **context)


@bp.get("/")
def index() -> str:
    filters = _filters()
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return _render_list(
        "suggestions/index.html",
        queries.listing(current_user, filters),
        filters=filters,
        args=args,
        departments=_departments(),
        statuses=list(Status),
        categories=CATEGORIES,
        campaigns=queries.open_campaigns(),
    )


@bp.get("/board")
def board() -> str:
    return _render_list("suggestions/board.html", queries.board(current_user))


def _target_choices() -> list[SelectChoice]:
    small = services.small_department_ids()
    choices = [SelectChoice(COMPANY, _("The whole company"))]
    for d in _departments():
        label = (
            d.name if d.id not in small else _("%(name)s (too small for anonymous suggestions)", name=d.name)
        )
        choices.append(SelectChoice(str(d.id), label))
    return choices


def _campaign_from(value: str | None) -> Campaign | None:
    campaign_id = parse_id(value)
    return db.session.get(Campaign, campaign_id) if campaign_id is not None else None


@bp.route("/new", methods=["GET", "POST"])
def new() -> Response | str | tuple[str, int]:
    form = SuggestionForm()
    form.target.choices = _target_choices()
    form.category.choices = category_choices()
    if request.method in ("GET", "HEAD"):
        form.campaign.data = request.args.get("campaign", "")
        campaign = _campaign_from(form.campaign.data)
        if campaign is not None and campaign.department_id:
            form.target.data = str(campaign.department_id)
    campaign = _campaign_from(form.campaign.data)
    if not form.validate_on_submit():
        return _new_page(form, campaign, 422 if request.method == "POST" else 200)
    department = None if form.target.data == COMPANY else db.session.get(Department, int(form.target.data))
    draft = Draft(
        title=form.title.data,
        body=form.body.data,
        category=form.category.data,
        department=department,
        expected_benefit=form.expected_benefit.data or "",
        campaign=campaign,
    )
    try:
        if form.identity.data == "anonymous":
            # The quota is counted apart; the submission itself never sees who (TRUST.md A8, A9).
            spend_quota(current_user.id, int(current_app.config["ANON_DAILY_LIMIT"]))
            suggestion, receipt = services.submit_anonymous(draft)
        else:
            suggestion = services.submit_named(current_user, draft)
    except QuotaExceeded:
        db.session.rollback()
        form.identity.errors = [
            _(
                "You have sent the most anonymous suggestions a day allows. "
                "Sign this one, or send it tomorrow."
            )
        ]
        return _new_page(form, campaign, 422)
    except SuggestionRuleError as exc:
        db.session.rollback()
        form.target.errors = [str(exc)]
        return _new_page(form, campaign, 422)
    db.session.commit()
    if form.identity.data == "anonymous":
        # Shown once, in this response: no redirect puts the suggestion's address in a log
        # beside this request.
        return render_template("suggestions/receipt.html", suggestion=suggestion, receipt=str(receipt))
    flash(_("Thank you: your suggestion is in."), "success")
    return redirect(url_for(".show", suggestion_id=suggestion.id))


def _new_page(form: SuggestionForm, campaign: Campaign | None, status: int) -> tuple[str, int]:
    return render_template(
        "suggestions/new.html",
        form=form,
        campaign=campaign,
        campaign_open=campaign is not None and campaign.is_open(utcnow()),
        min_group=int(current_app.config["ANON_MIN_GROUP_SIZE"]),
    ), status


def render_suggestion(
    suggestion: Suggestion,
    *,
    comment_form: CommentForm | None = None,
    status_form: object | None = None,
    status: int = 200,
    conflict: bool = False,
) -> tuple[str, int]:
    from .review_views import status_form_for
    from .workflow import trail

    is_reviewer = perm.is_reviewer(current_user, suggestion)
    return render_template(
        "suggestions/show.html",
        suggestion=suggestion,
        trail=trail(suggestion),
        comments=services.comments_of(suggestion),
        duplicates=services.duplicates_of(suggestion),
        voted=votes.has_voted(current_user, suggestion),
        following=services.is_following(current_user, suggestion),
        can_vote=perm.can_vote(current_user, suggestion),
        can_comment=perm.can_comment(current_user, suggestion),
        can_withdraw=perm.can_withdraw(current_user, suggestion),
        is_reviewer=is_reviewer,
        comment_form=comment_form or CommentForm(),
        status_form=status_form or (status_form_for(suggestion) if is_reviewer else None),
        conflict=conflict,
    ), status


@bp.get("/<bigid:suggestion_id>")
def show(suggestion_id: int) -> tuple[str, int]:
    return render_suggestion(suggestion_or_404(suggestion_id))


@bp.post("/<bigid:suggestion_id>/vote")
def vote(suggestion_id: int) -> Response:
    suggestion = suggestion_or_404(suggestion_id)
    require(perm.can_vote(current_user, suggestion))
    if request.form.get("vote") == "0":
        votes.unvote(current_user, suggestion)
        message = _("Your vote was taken back.")
    else:
        votes.vote(current_user, suggestion)
        message = _("Thank you for your vote.")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".show", suggestion_id=suggestion.id))


@bp.post("/<bigid:suggestion_id>/follow")
def follow(suggestion_id: int) -> Response:
    suggestion = suggestion_or_404(suggestion_id)
    require(perm.can_follow(current_user, suggestion))
    if request.form.get("follow") == "0":
        services.unfollow(current_user, suggestion)
        message = _("You no longer follow this suggestion.")
    else:
        services.follow(current_user, suggestion)
        message = _("You follow this suggestion: you hear of every status change and official response.")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".show", suggestion_id=suggestion.id))


@bp.post("/<bigid:suggestion_id>/comments")
def comment(suggestion_id: int) -> Response | tuple[str, int]:
    suggestion = suggestion_or_404(suggestion_id)
    require(perm.can_comment(current_user, suggestion))
    form = CommentForm()
    if not form.validate_on_submit():
        return render_suggestion(suggestion, comment_form=form, status=422)
    question = form.as_question.data == "1" and perm.is_reviewer(current_user, suggestion)
    try:
        services.add_comment(current_user, suggestion, form.body.data, question=question)
    except SuggestionRuleError as exc:
        db.session.rollback()
        form.body.errors = [str(exc)]
        return render_suggestion(suggestion, comment_form=form, status=422)
    db.session.commit()
    flash(_("Comment posted."), "success")
    return redirect(url_for(".show", suggestion_id=suggestion.id, _anchor="comments"))


@bp.post("/<bigid:suggestion_id>/withdraw")
def withdraw(suggestion_id: int) -> Response | tuple[str, int]:
    from .forms import WithdrawForm
    from .workflow import StatusConflict, withdraw

    suggestion = suggestion_or_404(suggestion_id)
    require(perm.can_withdraw(current_user, suggestion))
    form = WithdrawForm()
    version = parse_id(form.version.data)
    if not form.validate_on_submit() or version is None:
        flash(_("The form was incomplete; please try again."), "error")
        return redirect(url_for(".show", suggestion_id=suggestion.id))
    try:
        withdraw(suggestion, form.note.data or "", author=current_user, expected_version=version)
    except StatusConflict:
        db.session.rollback()
        flash(_("A reviewer changed this suggestion meanwhile; look again before withdrawing."), "error")
        return redirect(url_for(".show", suggestion_id=suggestion.id))
    db.session.commit()
    flash(_("Your suggestion is withdrawn."), "success")
    return redirect(url_for(".show", suggestion_id=suggestion.id))
