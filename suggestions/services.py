"""Submitting, commenting, following and the anonymous author's follow-up. Services flush, never commit.

Permission checks are the views' job (``suggestions.permissions``); services
keep the rules that hold whoever calls them. ``submit_anonymous`` takes no user
(TRUST.md A9): it cannot record who wrote what it never sees.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import Department, User, active_staff_counts
from intranet.notifications import notify

from .anonymity import Receipt, day_stamp, new_receipt
from .lifecycle import Status
from .models import Campaign, Comment, CommentKind, Follow, Suggestion, random_id, reading_order
from .permissions import comments_open, credit_claimable


class SuggestionRuleError(Exception):
    """A rule refused the change; ``str(exc)`` is a sentence for the person who tried."""


@dataclass(frozen=True)
class Draft:
    """What the submission form collects."""

    title: str
    body: str
    category: str
    department: Department | None = None
    expected_benefit: str = ""
    campaign: Campaign | None = None


def anonymous_targets_allowed(department: Department | None) -> bool:
    """A department too small to hide in is not offered for anonymous suggestions (TRUST.md A7)."""
    if department is None:
        return True
    minimum = int(current_app.config["ANON_MIN_GROUP_SIZE"])
    return active_staff_counts().get(department.id, 0) >= minimum


def small_department_ids() -> set[int]:
    """Departments below ANON_MIN_GROUP_SIZE active staff."""
    minimum = int(current_app.config["ANON_MIN_GROUP_SIZE"])
    counts = active_staff_counts()
    return {d for (d,) in db.session.execute(select(Department.id)) if counts.get(d, 0) < minimum}


def _check_campaign(draft: Draft) -> None:
    campaign = draft.campaign
    if campaign is None:
        return
    if not campaign.is_open(utcnow()):
        raise SuggestionRuleError(_l("The campaign “%(title)s” is closed.", title=campaign.title))
    if campaign.department_id is not None and (
        draft.department is None or campaign.department_id != draft.department.id
    ):
        raise SuggestionRuleError(_l("This campaign asks about its own department only."))


def _new(draft: Draft, **fields: object) -> Suggestion:
    _check_campaign(draft)
    suggestion_id = random_id()
    while db.session.scalar(select(exists().where(Suggestion.id == suggestion_id))):
        suggestion_id = random_id()
    suggestion = Suggestion(
        id=suggestion_id,
        title=draft.title.strip(),
        body=draft.body.strip(),
        expected_benefit=(draft.expected_benefit or "").strip(),
        category=draft.category,
        department_id=draft.department.id if draft.department else None,
        campaign_id=draft.campaign.id if draft.campaign else None,
        status=Status.SUBMITTED,
        status_version=1,
        submitted_on=utcnow().date(),
        vote_count=0,
        comment_count=0,
        announced=False,
        **fields,
    )
    db.session.add(suggestion)
    db.session.flush()
    return suggestion


def submit_named(author: User, draft: Draft) -> Suggestion:
    """A signed suggestion. The author is neither auto-voted nor auto-subscribed (TRUST.md A13)."""
    return _new(draft, is_anonymous=False, author_id=author.id)


def submit_anonymous(draft: Draft) -> tuple[Suggestion, Receipt]:
    """An anonymous suggestion and its one-time receipt. No person goes in, so none can come out."""
    if not anonymous_targets_allowed(draft.department):
        raise SuggestionRuleError(
            _l(
                "%(department)s is too small for an anonymous suggestion to stay anonymous. "
                "Aim it at the whole company, or sign it.",
                department=draft.department.name if draft.department else "",
            )
        )
    suggestion = _new(draft, is_anonymous=True, author_id=None)
    receipt, hashed = new_receipt(suggestion.id)
    suggestion.receipt_hash = hashed
    db.session.flush()
    return suggestion, receipt


def add_comment(user: User, suggestion: Suggestion, body: str, *, question: bool = False) -> Comment:
    """A signed comment; ``question`` marks a reviewer's question to the author."""
    if not comments_open(suggestion):
        raise SuggestionRuleError(_l("Comments are closed on this suggestion."))
    kind = CommentKind.QUESTION if question else CommentKind.COMMENT
    comment = _comment(suggestion, kind, body, author_id=user.id, created_at=utcnow())
    if question and suggestion.author_id is not None and suggestion.author_id != user.id:
        link = url_for("suggestions.show", suggestion_id=suggestion.id, _anchor=f"comment-{comment.id}")
        notify([suggestion.author_id], "suggestions.question", link, title=suggestion.title)
    return comment


def answer_as_author(suggestion: Suggestion, body: str) -> Comment:
    """The anonymous author answers, through the receipt: no person, and only the day."""
    if not comments_open(suggestion):
        raise SuggestionRuleError(_l("Comments are closed on this suggestion."))
    return _comment(suggestion, CommentKind.AUTHOR, body, author_id=None, created_at=day_stamp())


def _comment(suggestion: Suggestion, kind: CommentKind, body: str, **fields: object) -> Comment:
    comment = Comment(suggestion_id=suggestion.id, kind=kind, body=body.strip(), **fields)
    db.session.add(comment)
    db.session.execute(
        update(Suggestion)
        .where(Suggestion.id == suggestion.id)
        .values(comment_count=Suggestion.comment_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return comment


def comments_of(suggestion: Suggestion) -> list[Comment]:
    """Its comments, and those of suggestions merged into it as duplicates (they stay reachable)."""
    from sqlalchemy.orm import selectinload

    ids = [suggestion.id, *(d.id for d in duplicates_of(suggestion))]
    comments = db.session.scalars(
        select(Comment).where(Comment.suggestion_id.in_(ids)).options(selectinload(Comment.author))
    )
    return sorted(comments, key=lambda c: reading_order(c.created_at, c.kind == CommentKind.AUTHOR, c.id))


def duplicates_of(suggestion: Suggestion) -> list[Suggestion]:
    """The suggestions merged into this one."""
    return list(
        db.session.scalars(
            select(Suggestion).where(
                Suggestion.duplicate_of_id == suggestion.id, Suggestion.status == Status.DUPLICATE
            )
        )
    )


def follow(user: User, suggestion: Suggestion) -> bool:
    """Start following; False when already following (a double click changes nothing)."""
    try:
        with db.session.begin_nested():
            db.session.add(Follow(suggestion_id=suggestion.id, user_id=user.id))
    except IntegrityError:
        return False
    return True


def unfollow(user: User, suggestion: Suggestion) -> bool:
    result = db.session.execute(
        delete(Follow).where(Follow.suggestion_id == suggestion.id, Follow.user_id == user.id)
    )
    return bool(result.rowcount)


def is_following(user: User, suggestion: Suggestion) -> bool:
    return bool(
        db.session.scalar(
            select(exists().where(Follow.suggestion_id == suggestion.id, Follow.user_id == user.id))
        )
    )


def claim_credit(user: User, suggestion: Suggestion) -> None:
    """The anonymous author of an adopted suggestion chooses to be named (they proved it with the receipt)."""
    if not credit_claimable(suggestion):
        raise SuggestionRuleError(
            _l("The credit for this suggestion has already been claimed.")
            if suggestion.credited_id is not None
            else _l("Credit can be claimed once the suggestion is adopted.")
        )
    suggestion.credited_id = user.id
    db.session.flush()
