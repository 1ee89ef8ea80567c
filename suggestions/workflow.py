"""Status changes, official responses, duplicates and adoption records. Services flush, never commit.

The transition table is ``lifecycle``; this module applies it to the database:
a version check (two reviewers cannot both win silently), the audit trail, the
response-time fields, duplicate merging and the notifications to followers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import desc, select, update

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import Department, User
from intranet.notifications import notify

from . import lifecycle, votes
from .anonymity import day_stamp
from .lifecycle import Actor, InvalidTransition, Status
from .models import Adoption, Follow, StatusChange, Suggestion, reading_order
from .services import SuggestionRuleError

STATUS_LABELS = {
    Status.SUBMITTED: _l("Submitted"),
    Status.UNDER_REVIEW: _l("Under review"),
    Status.ACCEPTED: _l("Accepted"),
    Status.ADOPTED: _l("Adopted"),
    Status.DECLINED: _l("Declined"),
    Status.DUPLICATE: _l("Duplicate"),
    Status.WITHDRAWN: _l("Withdrawn"),
}


class StatusConflict(Exception):
    """Someone changed the status since the form was loaded."""


@dataclass
class AdoptionData:
    what_was_done: str
    department: Department | None = None
    estimated_money: Decimal | None = None
    estimated_hours: Decimal | None = None
    actual_money: Decimal | None = None
    actual_hours: Decimal | None = None
    benefit_notes: str = ""


def explain(exc: InvalidTransition) -> str:
    """The refusal in words for the person who tried."""
    current, target = STATUS_LABELS[exc.current], STATUS_LABELS[exc.target]
    if exc.reason == "final":
        return str(_l("This suggestion is %(status)s; its status can no longer change.", status=current))
    if exc.reason == "not_yours":
        return str(_l("Only a reviewer can move a suggestion to %(status)s.", status=target))
    return str(_l("A suggestion cannot go from %(current)s to %(target)s.", current=current, target=target))


def change_status(
    reviewer: User,
    suggestion: Suggestion,
    target: Status,
    response: str,
    *,
    expected_version: int,
    duplicate_of: Suggestion | None = None,
    adoption: AdoptionData | None = None,
) -> StatusChange:
    """A reviewer's change (or, with ``target`` equal to the status, an official response without one).

    Raises :class:`InvalidTransition`, :class:`SuggestionRuleError` or :class:`StatusConflict`.
    """
    target = Status(target)
    previous = Status(suggestion.status)
    lifecycle.check(previous, target, Actor.REVIEWER)
    response = (response or "").strip()
    if not response:
        raise SuggestionRuleError(
            _l("Write the reason: it is shown to everyone.")
            if target in lifecycle.REASON_REQUIRED
            else _l("Write the official response: it is shown to everyone.")
        )
    if target == Status.DUPLICATE and target != previous:
        if duplicate_of is not None:
            # Both rows locked in id order before the loop check, which then reads them fresh:
            # two reviewers merging two suggestions into each other at once make no loop and no deadlock.
            votes.lock(suggestion.id, duplicate_of.id)
            db.session.refresh(duplicate_of)
        duplicate_of = _original(suggestion, duplicate_of)
    if (
        target == Status.ADOPTED
        and target != previous
        and (adoption is None or not adoption.what_was_done.strip())
    ):
        raise SuggestionRuleError(_l("Say what was done: adoption needs a record."))

    now = utcnow()
    values: dict[str, object] = {"status": target, "status_version": Suggestion.status_version + 1}
    if suggestion.first_response_at is None:
        values["first_response_at"] = now
    if target in lifecycle.DECIDED and previous not in lifecycle.DECIDED:
        values["decided_at"] = now  # the decision; accepted → adopted keeps it
    elif target not in lifecycle.DECIDED and previous in lifecycle.DECIDED:
        values["decided_at"] = None  # reopened: it waits for a decision again
    if target == Status.ADOPTED and target != previous:
        values["adopted_on"] = now.date()
    if target == Status.DUPLICATE and target != previous:
        values["duplicate_of_id"] = duplicate_of.id
    _apply(suggestion, expected_version, values)

    change = StatusChange(
        suggestion_id=suggestion.id,
        from_status=previous,
        to_status=target,
        response=response,
        actor_id=reviewer.id,
        duplicate_of_id=duplicate_of.id if duplicate_of is not None and target == Status.DUPLICATE else None,
        created_at=now,
    )
    db.session.add(change)
    if target == Status.DUPLICATE and target != previous:
        votes.lock(suggestion.id, duplicate_of.id)
        # Its own duplicates now belong to the new original: their votes and comments follow.
        db.session.execute(
            update(Suggestion)
            .where(Suggestion.duplicate_of_id == suggestion.id, Suggestion.status == Status.DUPLICATE)
            .values(duplicate_of_id=duplicate_of.id)
            .execution_options(synchronize_session=False)
        )
        votes.recount(duplicate_of.id)
        votes.recount(suggestion.id)
    if target == Status.ADOPTED and target != previous:
        record_adoption(reviewer, suggestion, adoption)
    db.session.flush()
    _announce(suggestion, change, exclude=reviewer.id)
    return change


def undo_duplicate(
    reviewer: User, suggestion: Suggestion, response: str, *, expected_version: int
) -> StatusChange:
    """It was not a duplicate after all: back to the status it had, its votes its own again."""
    if suggestion.status != Status.DUPLICATE:
        raise SuggestionRuleError(_l("This suggestion is not marked as a duplicate."))
    marked = db.session.scalar(
        select(StatusChange)
        .where(StatusChange.suggestion_id == suggestion.id, StatusChange.to_status == Status.DUPLICATE)
        .order_by(desc(StatusChange.created_at))
        .limit(1)
    )
    target = lifecycle.undo_target(marked.from_status if marked else Status.UNDER_REVIEW)
    original_id = suggestion.duplicate_of_id
    change = change_status(reviewer, suggestion, target, response, expected_version=expected_version)
    suggestion.duplicate_of_id = None
    db.session.flush()
    if original_id is not None:
        votes.lock(suggestion.id, original_id)
        votes.recount(original_id)
    votes.recount(suggestion.id)
    db.session.refresh(suggestion, ["vote_count"])
    return change


def withdraw(
    suggestion: Suggestion, note: str, *, author: User | None, expected_version: int
) -> StatusChange:
    """The author withdraws: ``author`` is the named author, or None when the receipt proved it."""
    previous = Status(suggestion.status)
    lifecycle.check(previous, Status.WITHDRAWN, Actor.AUTHOR)
    now = utcnow()
    _apply(
        suggestion,
        expected_version,
        {"status": Status.WITHDRAWN, "status_version": Suggestion.status_version + 1},
    )
    change = StatusChange(
        suggestion_id=suggestion.id,
        from_status=previous,
        to_status=Status.WITHDRAWN,
        response=(note or "").strip(),
        actor_id=author.id if author is not None else None,
        created_at=now if author is not None else day_stamp(now),
    )
    db.session.add(change)
    db.session.flush()
    _announce(suggestion, change, exclude=author.id if author is not None else None)
    return change


def record_adoption(reviewer: User, suggestion: Suggestion, data: AdoptionData) -> Adoption:
    """Create or update the adoption record (actual benefits are often known months later)."""
    if not data.what_was_done.strip():
        raise SuggestionRuleError(_l("Say what was done: adoption needs a record."))
    record = db.session.get(Adoption, suggestion.id) or Adoption(suggestion_id=suggestion.id)
    record.what_was_done = data.what_was_done.strip()
    record.department_id = data.department.id if data.department else suggestion.department_id
    record.estimated_money = data.estimated_money
    record.estimated_hours = data.estimated_hours
    record.actual_money = data.actual_money
    record.actual_hours = data.actual_hours
    record.benefit_notes = (data.benefit_notes or "").strip()
    record.recorded_by_id = reviewer.id
    record.updated_at = utcnow()
    db.session.add(record)
    db.session.flush()
    return record


def trail(suggestion: Suggestion) -> list[StatusChange]:
    from sqlalchemy.orm import selectinload

    changes = db.session.scalars(
        select(StatusChange)
        .where(StatusChange.suggestion_id == suggestion.id)
        .options(selectinload(StatusChange.actor), selectinload(StatusChange.duplicate_of))
    )
    return sorted(changes, key=lambda c: reading_order(c.created_at, c.actor_id is None, c.id))


def _original(suggestion: Suggestion, duplicate_of: Suggestion | None) -> Suggestion:
    """The suggestion to merge into: follow a duplicate to its own original; refuse loops and dead ends."""
    if duplicate_of is None:
        raise SuggestionRuleError(_l("Say which suggestion this one duplicates."))
    seen = {suggestion.id}
    while duplicate_of.status == Status.DUPLICATE and duplicate_of.duplicate_of is not None:
        if duplicate_of.id in seen:
            break
        seen.add(duplicate_of.id)
        duplicate_of = duplicate_of.duplicate_of
    if duplicate_of.id in seen or duplicate_of.id == suggestion.id:
        raise SuggestionRuleError(_l("A suggestion cannot duplicate itself."))
    if duplicate_of.status == Status.WITHDRAWN:
        raise SuggestionRuleError(_l("That suggestion was withdrawn; choose another original."))
    return duplicate_of


def is_stale(suggestion: Suggestion, version: int | None) -> bool:
    """The form was loaded before the status changed (a version that never existed is not stale)."""
    return version is not None and version < suggestion.status_version


def _apply(suggestion: Suggestion, expected_version: int, values: dict[str, object]) -> None:
    """One conditional UPDATE: it changes nothing when the version moved on."""
    result = db.session.execute(
        update(Suggestion)
        .where(Suggestion.id == suggestion.id, Suggestion.status_version == expected_version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StatusConflict
    db.session.refresh(suggestion)


def _announce(suggestion: Suggestion, change: StatusChange, *, exclude: int | None) -> None:
    """Followers and the named (or credited) author hear of every change and official response."""
    people = set(db.session.scalars(select(Follow.user_id).where(Follow.suggestion_id == suggestion.id)))
    if suggestion.author_id is not None:
        people.add(suggestion.author_id)
    if suggestion.credited_id is not None:
        people.add(suggestion.credited_id)
    people.discard(exclude)
    if not people:
        return
    link = url_for("suggestions.show", suggestion_id=suggestion.id, _anchor=f"change-{change.id}")
    kind = "suggestions.response" if change.from_status == change.to_status else "suggestions.status"
    notify(
        sorted(people),
        kind,
        link,
        title=suggestion.title,
        status=str(STATUS_LABELS[change.to_status]),
    )
