"""The lists: newest, most voted, filtered; the board; the awaiting-response queue; response times.

Every list starts from ``permissions.visible_filter``. "Newest" orders by the
day and then the random id, never by insertion order (TRUST.md A6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import selectinload

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import User

from . import lifecycle
from .lifecycle import Status
from .models import Campaign, Suggestion
from .permissions import reviewable_filter, visible_filter

SORTS = ("newest", "votes", "oldest")


@dataclass(frozen=True)
class Filters:
    sort: str = "newest"
    status: Status | None = None
    department_id: int | None = None  # 0: company-wide only
    category: str | None = None
    campaign_id: int | None = None


def _with_relations(query: Select) -> Select:
    return query.options(
        selectinload(Suggestion.department),
        selectinload(Suggestion.author),
        selectinload(Suggestion.credited),
        selectinload(Suggestion.campaign),
    )


def listing(user: User, filters: Filters) -> Select:
    query = select(Suggestion).where(visible_filter(user))
    if filters.status is not None:
        query = query.where(Suggestion.status == filters.status)
    else:
        # Withdrawn and merged suggestions leave the default list; their own filters show them.
        query = query.where(Suggestion.status.not_in([Status.WITHDRAWN, Status.DUPLICATE]))
    if filters.department_id == 0:
        query = query.where(Suggestion.department_id.is_(None))
    elif filters.department_id is not None:
        query = query.where(Suggestion.department_id == filters.department_id)
    if filters.category:
        query = query.where(Suggestion.category == filters.category)
    if filters.campaign_id is not None:
        query = query.where(Suggestion.campaign_id == filters.campaign_id)
    if filters.sort == "votes":
        order = (Suggestion.vote_count.desc(), Suggestion.submitted_on.desc(), Suggestion.id)
    elif filters.sort == "oldest":
        order = (Suggestion.submitted_on.asc(), Suggestion.id)
    else:
        order = (Suggestion.submitted_on.desc(), Suggestion.id)
    return _with_relations(query.order_by(*order))


def board(user: User) -> Select:
    """Accepted and adopted improvements: adopted first, most recent first."""
    adopted_first = case((Suggestion.status == Status.ADOPTED, 0), else_=1)
    query = (
        select(Suggestion)
        .where(visible_filter(user), Suggestion.status.in_([Status.ACCEPTED, Status.ADOPTED]))
        .options(selectinload(Suggestion.adoption))
        .order_by(
            adopted_first,
            Suggestion.adopted_on.desc().nulls_last(),
            Suggestion.vote_count.desc(),
            Suggestion.id,
        )
    )
    return _with_relations(query)


def awaiting(user: User) -> Select:
    """Suggestions this user reviews that wait for an answer: no response yet and oldest (overdue) first."""
    no_response_first = case((Suggestion.first_response_at.is_(None), 0), else_=1)
    query = (
        select(Suggestion)
        .where(reviewable_filter(user), Suggestion.status.in_(list(lifecycle.AWAITING)))
        .order_by(no_response_first, Suggestion.submitted_on.asc(), Suggestion.id)
    )
    return _with_relations(query)


def response_target_days() -> int:
    return int(current_app.config["SUGGESTION_RESPONSE_DAYS"])


def days_waited(suggestion: Suggestion, today: date | None = None) -> int:
    """Days from submission to the first official response, or to today while there is none."""
    today = today or utcnow().date()
    end = suggestion.first_response_at.date() if suggestion.first_response_at else today
    return max(0, (end - suggestion.submitted_on).days)


def is_overdue(suggestion: Suggestion, today: date | None = None) -> bool:
    return suggestion.first_response_at is None and days_waited(suggestion, today) > response_target_days()


def campaigns() -> Select:
    return select(Campaign).options(selectinload(Campaign.department)).order_by(Campaign.closes_at.desc())


def open_campaigns() -> list[Campaign]:
    now = utcnow()
    return list(
        db.session.scalars(
            select(Campaign)
            .where(Campaign.opens_at <= now, Campaign.closes_at > now)
            .order_by(Campaign.closes_at)
        )
    )


def campaign_counts(campaign_ids: list[int]) -> dict[int, int]:
    if not campaign_ids:
        return {}
    rows = db.session.execute(
        select(Suggestion.campaign_id, func.count())
        .where(Suggestion.campaign_id.in_(campaign_ids))
        .group_by(Suggestion.campaign_id)
    )
    return dict(rows.all())
