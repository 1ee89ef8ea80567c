"""Votes: one per person, retractable, counted once across duplicates. Services flush, never commit.

Every change to a suggestion's votes follows one pattern: lock the suggestion
row (an UPDATE: a row lock on PostgreSQL, the write lock on SQLite), change the
vote rows, then recount the distinct voters of the suggestion and its
duplicates in a fresh statement. Counting after the lock means two voters at
once, a double click or a merge running beside a vote all end on the exact count.
A vote that waited for the lock while its suggestion was merged counts at the original.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, distinct, func, select, update
from sqlalchemy.exc import IntegrityError

from intranet.extensions import db
from intranet.models import User

from .lifecycle import Status
from .models import Suggestion, Vote


def lock(*suggestion_ids: int) -> None:
    """Take the write lock on these suggestion rows, in id order (no deadlocks between two lockers)."""
    for sid in sorted(set(suggestion_ids)):
        db.session.execute(
            update(Suggestion)
            .where(Suggestion.id == sid)
            .values(vote_count=Suggestion.vote_count)
            .execution_options(synchronize_session=False)
        )


def recount(suggestion_id: int) -> int:
    """Store and return the distinct voters on the suggestion and the duplicates merged into it."""
    family = select(Suggestion.id).where(
        Suggestion.duplicate_of_id == suggestion_id, Suggestion.status == Status.DUPLICATE
    )
    count = db.session.scalar(
        select(func.count(distinct(Vote.user_id))).where(
            (Vote.suggestion_id == suggestion_id) | Vote.suggestion_id.in_(family)
        )
    )
    db.session.execute(
        update(Suggestion)
        .where(Suggestion.id == suggestion_id)
        .values(vote_count=count)
        .execution_options(synchronize_session=False)
    )
    return int(count or 0)


def _counted_at(suggestion: Suggestion) -> int:
    """After the lock: the suggestion whose count holds this one's votes (its original, once merged)."""
    db.session.refresh(suggestion, ["status", "duplicate_of_id"])
    if suggestion.status == Status.DUPLICATE and suggestion.duplicate_of_id is not None:
        lock(suggestion.duplicate_of_id)
        return suggestion.duplicate_of_id
    return suggestion.id


def _recount(suggestion: Suggestion, counted_at: int) -> None:
    recount(suggestion.id)
    if counted_at != suggestion.id:
        recount(counted_at)
    _refresh(suggestion)


def _refresh(suggestion: Suggestion) -> None:
    db.session.flush()
    db.session.refresh(suggestion, ["vote_count"])


def vote(user: User, suggestion: Suggestion) -> bool:
    """Vote; False when the vote was already there (double clicks and races count once)."""
    lock(suggestion.id)
    counted_at = _counted_at(suggestion)
    try:
        with db.session.begin_nested():
            db.session.add(Vote(suggestion_id=suggestion.id, user_id=user.id))
    except IntegrityError:
        added = False
    else:
        added = True
    _recount(suggestion, counted_at)
    return added


def unvote(user: User, suggestion: Suggestion) -> bool:
    """Take the vote back; False when there was none."""
    lock(suggestion.id)
    counted_at = _counted_at(suggestion)
    result = db.session.execute(
        delete(Vote).where(Vote.suggestion_id == suggestion.id, Vote.user_id == user.id)
    )
    _recount(suggestion, counted_at)
    return bool(result.rowcount)


def has_voted(user: User, suggestion: Suggestion) -> bool:
    return bool(voted_among(user, [suggestion.id]))


def voted_among(user: User, suggestion_ids: Iterable[int]) -> set[int]:
    """Which of these suggestions the user voted for (one query for a whole list)."""
    ids = list(suggestion_ids)
    if not ids or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.scalars(
            select(Vote.suggestion_id).where(Vote.user_id == user.id, Vote.suggestion_id.in_(ids))
        )
    )
