"""The anonymous author's follow-up: everything goes through the receipt code, posted each time.

No session, cookie or database row remembers that this person opened this
receipt: each form carries the code and each request checks it again (rate
limited per client, like the login). Pages are ``no-store`` like every page.
"""

from __future__ import annotations

from flask import current_app, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from intranet.extensions import db, limiter

from . import permissions as perm
from . import services, workflow
from .anonymity import suggestion_for_receipt
from .forms import ReceiptAnswerForm, ReceiptForm, ReceiptWithdrawForm
from .lifecycle import InvalidTransition
from .models import Suggestion
from .services import SuggestionRuleError
from .views import bp
from .workflow import StatusConflict


def _limit() -> str:
    return current_app.config["RECEIPT_LIMIT_PER_CLIENT"]


#: One budget for every receipt route: guessing through /answer costs the same as through /receipt.
receipt_budget = limiter.shared_limit(_limit, scope="suggestion-receipt", methods=["POST"])


def _follow_up(
    suggestion: Suggestion, receipt: str, *, answer: ReceiptAnswerForm | None = None, status: int = 200
):  # noqa: ANN202
    answer = answer or ReceiptAnswerForm(formdata=None, receipt=receipt)
    return render_template(
        "suggestions/follow_up.html",
        suggestion=suggestion,
        receipt=receipt,
        trail=workflow.trail(suggestion),
        comments=services.comments_of(suggestion),
        answer=answer,
        withdraw=ReceiptWithdrawForm(formdata=None, receipt=receipt),
        claim=ReceiptForm(formdata=None, receipt=receipt),
        can_answer=perm.comments_open(suggestion),
        can_withdraw=perm.author_may_withdraw(suggestion),
        can_claim=perm.credit_claimable(suggestion),
    ), status


def _opened(form: ReceiptForm) -> Suggestion | None:
    suggestion = suggestion_for_receipt(form.receipt.data or "") if form.validate_on_submit() else None
    if suggestion is None and not form.receipt.errors:
        form.receipt.errors = [_("That receipt code does not open any suggestion. Check it and try again.")]
    return suggestion


@bp.route("/receipt", methods=["GET", "POST"])
@receipt_budget
def receipt() -> str | tuple[str, int]:
    form = ReceiptForm()
    if request.method in ("GET", "HEAD"):
        return render_template("suggestions/receipt_open.html", form=form)
    suggestion = _opened(form)
    if suggestion is None:
        return render_template("suggestions/receipt_open.html", form=form), 422
    return _follow_up(suggestion, form.receipt.data)


@bp.post("/receipt/answer")
@receipt_budget
def receipt_answer() -> str | tuple[str, int]:
    form = ReceiptAnswerForm()
    suggestion = suggestion_for_receipt(form.receipt.data or "")
    if suggestion is None:
        return _wrong_receipt()
    if not form.validate():
        return _follow_up(suggestion, form.receipt.data, answer=form, status=422)
    try:
        services.answer_as_author(suggestion, form.body.data)
    except SuggestionRuleError as exc:
        db.session.rollback()
        form.body.errors = [str(exc)]
        return _follow_up(suggestion, form.receipt.data, answer=form, status=422)
    db.session.commit()
    flash(_("Your anonymous answer is posted."), "success")
    return _follow_up(suggestion, form.receipt.data)


@bp.post("/receipt/withdraw")
@receipt_budget
def receipt_withdraw() -> str | tuple[str, int]:
    form = ReceiptWithdrawForm()
    suggestion = suggestion_for_receipt(form.receipt.data or "")
    if suggestion is None or not form.validate():
        return _wrong_receipt()
    try:
        workflow.withdraw(
            suggestion, form.note.data or "", author=None, expected_version=suggestion.status_version
        )
    except (InvalidTransition, StatusConflict):
        db.session.rollback()
        db.session.refresh(suggestion)
        flash(_("This suggestion can no longer be withdrawn."), "error")
        return _follow_up(suggestion, form.receipt.data, status=409)
    db.session.commit()
    flash(_("Your suggestion is withdrawn."), "success")
    return _follow_up(suggestion, form.receipt.data)


@bp.post("/receipt/claim")
@receipt_budget
def receipt_claim() -> str | tuple[str, int] | Response:
    form = ReceiptForm()
    suggestion = suggestion_for_receipt(form.receipt.data or "")
    if suggestion is None or not form.validate():
        return _wrong_receipt()
    try:
        services.claim_credit(current_user, suggestion)
    except SuggestionRuleError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _follow_up(suggestion, form.receipt.data, status=409)
    db.session.commit()
    flash(_("The adopted suggestion now credits you by name. Thank you!"), "success")
    return _follow_up(suggestion, form.receipt.data)


def _wrong_receipt() -> tuple[str, int]:
    opener = ReceiptForm(formdata=None)
    opener.receipt.errors = [_("That receipt code does not open any suggestion. Check it and try again.")]
    return render_template("suggestions/receipt_open.html", form=opener), 422
