"""The status workflow of a suggestion, as a pure transition table (no Flask, no database).

    submitted → under review → accepted → adopted
    submitted / under review / accepted → declined (a reason is required)
    submitted / under review → duplicate (of an original; undone back to where it was)
    submitted / under review → withdrawn (by its author)
    declined → under review (reopened)

Reviewers (management, the target department's leads) make every change but
withdrawal; the author only withdraws. A reviewer may also answer without
changing the status (an official response "in the same status").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Status(enum.StrEnum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    ACCEPTED = "accepted"
    ADOPTED = "adopted"
    DECLINED = "declined"
    DUPLICATE = "duplicate"
    WITHDRAWN = "withdrawn"


class Actor(enum.StrEnum):
    REVIEWER = "reviewer"
    AUTHOR = "author"


S, R, A = Status, Actor.REVIEWER, Actor.AUTHOR

#: current status -> {next status: who may make that change}
TRANSITIONS: dict[Status, dict[Status, Actor]] = {
    S.SUBMITTED: {S.UNDER_REVIEW: R, S.ACCEPTED: R, S.DECLINED: R, S.DUPLICATE: R, S.WITHDRAWN: A},
    S.UNDER_REVIEW: {S.ACCEPTED: R, S.DECLINED: R, S.DUPLICATE: R, S.WITHDRAWN: A},
    S.ACCEPTED: {S.ADOPTED: R, S.DECLINED: R, S.UNDER_REVIEW: R},
    S.DECLINED: {S.UNDER_REVIEW: R},
    # Undoing a duplicate returns to the status it had before (see ``undo_targets``).
    S.DUPLICATE: {S.SUBMITTED: R, S.UNDER_REVIEW: R},
    S.ADOPTED: {},
    S.WITHDRAWN: {},
}

#: Statuses in which people may still vote and comment.
OPEN = frozenset({S.SUBMITTED, S.UNDER_REVIEW, S.ACCEPTED})
#: Statuses in which nobody may comment any more (a duplicate's discussion goes on at its original).
COMMENTS_CLOSED = frozenset({S.DUPLICATE, S.WITHDRAWN})
#: Statuses that wait for a decision (the "awaiting response" queue).
AWAITING = frozenset({S.SUBMITTED, S.UNDER_REVIEW})
#: A decision has been taken.
DECIDED = frozenset({S.ACCEPTED, S.ADOPTED, S.DECLINED})
#: Nothing more can happen.
FINAL = frozenset({S.ADOPTED, S.WITHDRAWN})
#: Changes that need a written reason (the official response is the reason).
REASON_REQUIRED = frozenset({S.DECLINED, S.DUPLICATE})


@dataclass(frozen=True)
class InvalidTransition(Exception):
    """A change the table does not allow; ``reason`` is a key the caller turns into words."""

    current: Status
    target: Status
    actor: Actor
    reason: str  # "final" | "not_allowed" | "not_yours"

    def __str__(self) -> str:
        return f"{self.current} → {self.target} by {self.actor}: {self.reason}"


def check(current: Status, target: Status, actor: Actor) -> None:
    """Raise :class:`InvalidTransition` unless ``actor`` may move a suggestion from ``current`` to ``target``.

    ``target == current`` is an official response without a change, open to
    reviewers while the suggestion is not final.
    """
    current, target = Status(current), Status(target)
    if current in FINAL and not (current == target == S.ADOPTED and actor == R):
        raise InvalidTransition(current, target, actor, "final")
    if target == current:
        if actor != R:
            raise InvalidTransition(current, target, actor, "not_yours")
        return
    who = TRANSITIONS[current].get(target)
    if who is None:
        raise InvalidTransition(current, target, actor, "not_allowed")
    if who != actor:
        raise InvalidTransition(current, target, actor, "not_yours")


def targets(current: Status, actor: Actor) -> list[Status]:
    """The statuses ``actor`` may move to from ``current``, in workflow order."""
    current = Status(current)
    return [s for s, who in TRANSITIONS[current].items() if who == actor]


def can(current: Status, target: Status, actor: Actor) -> bool:
    try:
        check(current, target, actor)
    except InvalidTransition:
        return False
    return True


def undo_target(previous: Status) -> Status:
    """Where a suggestion goes when it turns out not to be a duplicate."""
    previous = Status(previous)
    return previous if previous in TRANSITIONS[S.DUPLICATE] else S.UNDER_REVIEW
