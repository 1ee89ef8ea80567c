"""Who may see and do what in the suggestion box: the one place these rules live.

Every logged-in employee reads every suggestion (the box is company-wide), votes
and comments while it is open. Management and the leads of the target
department review: they change status, answer officially and record adoptions.
Company-wide suggestions are reviewed by management. Management runs campaigns.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from intranet.models import User

from . import lifecycle
from .lifecycle import Actor, Status
from .models import Suggestion


def _active(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and not user.is_deactivated


def can_browse(user: User) -> bool:
    """Whether the user reads the suggestion box at all (every suggestion, company-wide)."""
    return _active(user)


def can_view(user: User, suggestion: Suggestion) -> bool:
    return can_browse(user)


def visible_filter(user: User) -> ColumnElement[bool]:
    """The query filter for "every suggestion this user may see" (lists, search, digest)."""
    return true() if can_browse(user) else false()


def digest_filter() -> ColumnElement[bool]:
    """What the monthly digest may show: it is mailed to many people at once, so only what
    every employee sees. The box is company-wide, so that is every suggestion."""
    return true()


def can_read_digest(user: User, *, approved: bool, public: bool) -> bool:
    """Management reads every month, drafts too; everyone else an approved month, when public."""
    if not _active(user):
        return False
    return user.is_management or (approved and public)


def can_edit_digest(user: User) -> bool:
    return _active(user) and user.is_management


def is_reviewer(user: User, suggestion: Suggestion) -> bool:
    if not _active(user):
        return False
    if user.is_management:
        return True
    return suggestion.department_id is not None and any(
        d.id == suggestion.department_id for d in user.led_departments
    )


def reviewable_filter(user: User) -> ColumnElement[bool]:
    """The query filter for "suggestions this user reviews" (the awaiting-response queue)."""
    if not _active(user):
        return false()
    if user.is_management:
        return true()
    led = [d.id for d in user.led_departments]
    return Suggestion.department_id.in_(led) if led else false()


def reviews_anything(user: User) -> bool:
    return _active(user) and (user.is_management or bool(user.led_departments))


def is_author(user: User, suggestion: Suggestion) -> bool:
    """The named author. An anonymous suggestion has none: its author proves it with the receipt."""
    return _active(user) and suggestion.author_id is not None and suggestion.author_id == user.id


def can_vote(user: User, suggestion: Suggestion) -> bool:
    return _active(user) and suggestion.status in lifecycle.OPEN


def comments_open(suggestion: Suggestion) -> bool:
    """Whether anyone, signed or the anonymous author with the receipt, may still write on it."""
    return suggestion.status not in lifecycle.COMMENTS_CLOSED


def can_comment(user: User, suggestion: Suggestion) -> bool:
    return _active(user) and comments_open(suggestion)


def can_follow(user: User, suggestion: Suggestion) -> bool:
    return _active(user)


def can_change_status(user: User, suggestion: Suggestion, target: Status) -> bool:
    return is_reviewer(user, suggestion) and lifecycle.can(suggestion.status, target, Actor.REVIEWER)


def author_may_withdraw(suggestion: Suggestion) -> bool:
    """Whether its author (named, or anonymous with the receipt) may still withdraw it."""
    return lifecycle.can(suggestion.status, Status.WITHDRAWN, Actor.AUTHOR)


def can_withdraw(user: User, suggestion: Suggestion) -> bool:
    return is_author(user, suggestion) and author_may_withdraw(suggestion)


def credit_claimable(suggestion: Suggestion) -> bool:
    """An adopted anonymous suggestion whose author has not yet chosen to be named."""
    return suggestion.is_anonymous and suggestion.status == Status.ADOPTED and suggestion.credited_id is None


def can_record_adoption(user: User, suggestion: Suggestion) -> bool:
    return is_reviewer(user, suggestion) and suggestion.status == Status.ADOPTED


def can_run_campaigns(user: User) -> bool:
    return _active(user) and user.is_management
