"""Moderation, done in the open: pin, lock, move, hide with a reason, restore, flags, the queue, the log.

Nothing is deleted: a hidden post keeps its text for its author and the
moderators, and every action lands in the group's log. The log never names who
flagged a post. A moderator cannot alone hide a post that concerns them (it
@mentions them or names them): the hide waits for a second moderator or an admin.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.markdown import mentioned_names
from intranet.models import User
from intranet.notifications import notify

from .models import Flag, Group, JoinRequest, ModAction, ModerationEntry, Post, RequestState, Thread
from .permissions import moderator_ids, readers_among, visible_group_ids
from .posting import lock_post
from .services import GroupRuleError, log_action, touch


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise GroupRuleError(_l("Give a reason: the author and the group will see it."))
    return text


def set_pinned(actor: User, thread: Thread, pinned: bool) -> None:
    if thread.is_pinned != pinned:
        thread.is_pinned = pinned
        log_action(thread.group, actor, ModAction.PIN if pinned else ModAction.UNPIN, thread=thread)
        db.session.flush()


def set_locked(actor: User, thread: Thread, locked: bool, reason: str = "") -> None:
    if thread.is_locked != locked:
        thread.is_locked = locked
        action = ModAction.LOCK if locked else ModAction.UNLOCK
        log_action(thread.group, actor, action, thread=thread, reason=reason.strip())
        db.session.flush()


def move_thread(actor: User, thread: Thread, target: Group, reason: str = "") -> None:
    """Move to another group; both groups' logs say so."""
    source = thread.group
    if target.id == source.id:
        raise GroupRuleError(_l("The thread is already in this group."))
    log_action(source, actor, ModAction.MOVE_OUT, thread=thread, reason=reason.strip())
    thread.group = target
    log_action(target, actor, ModAction.MOVE_IN, thread=thread, reason=reason.strip())
    touch(target, thread.last_activity_at)
    db.session.flush()


# -- hiding posts -------------------------------------------------------------------------------------


def concerns(post: Post, user: User) -> bool:
    """Does the post speak about ``user``: an @mention, or their full name?"""
    text = post.body + ("\n" + post.thread.title if post.is_opening else "")
    if user.username.lower() in mentioned_names(text):
        return True
    return bool(user.display_name) and user.display_name.casefold() in text.casefold()


def hide_post(actor: User, post: Post, reason: str) -> bool:
    """Hide with a reason; returns False when the hide waits for a second moderator instead."""
    reason = _reason(reason)
    lock_post(post)  # of two moderators at once, the second is told it is already hidden
    if post.is_deleted:
        raise GroupRuleError(_l("Its author deleted this post; there is nothing to hide."))
    if post.is_hidden:
        raise GroupRuleError(_l("This post is already hidden."))
    group = post.thread.group
    if concerns(post, actor):
        post.hide_proposed_by_id = actor.id
        post.hide_proposed_reason = reason
        post.hide_proposed_at = utcnow()
        _log_post(actor, post, ModAction.HIDE_PROPOSED, reason)
        notify(
            (moderator_ids(group) - {actor.id}) or (_admin_ids() - {actor.id}),
            "groups.hide_needs_second",
            url_for("groups.queue"),
            thread=post.thread.title,
            group=group.name,
        )
        db.session.flush()
        return False
    _hide(actor, post, reason)
    return True


def _check_second_moderator(actor: User, post: Post, refusal: str) -> None:
    """A proposed hide is decided by someone other than its proposer, whom the post does not concern."""
    lock_post(post)  # decided once, however many moderators click at once
    if post.hide_proposed_by_id is None:
        raise GroupRuleError(_l("No hide is waiting for this post."))
    if post.hide_proposed_by_id == actor.id or concerns(post, actor):
        raise GroupRuleError(refusal)


def confirm_hide(actor: User, post: Post) -> None:
    """The second moderator agrees with a proposed hide."""
    _check_second_moderator(
        actor, post, _l("A post that concerns you needs another moderator or an admin to hide it.")
    )
    _hide(actor, post, post.hide_proposed_reason)


def decline_hide(actor: User, post: Post) -> None:
    _check_second_moderator(
        actor, post, _l("A post that concerns you needs another moderator or an admin to decide.")
    )
    reason = post.hide_proposed_reason
    _clear_proposal(post)
    _log_post(actor, post, ModAction.HIDE_DECLINED, reason)
    db.session.flush()


def _hide(actor: User, post: Post, reason: str) -> None:
    now = utcnow()
    post.hidden_at = now
    post.hidden_by_id = actor.id
    post.hidden_reason = reason
    _clear_proposal(post)
    _resolve_flags(post)
    thread = post.thread
    if thread.accepted_post_id == post.id:
        thread.accepted_post_id = None
    _log_post(actor, post, ModAction.HIDE, reason)
    notify(
        [u.id for u in readers_among(thread.group, [post.author])],
        "groups.post_hidden",
        url_for("groups.thread", thread_id=thread.id, _anchor=f"post-{post.id}"),
        thread=thread.title,
        reason=reason,
    )
    db.session.flush()


def _log_post(actor: User, post: Post, action: ModAction, reason: str) -> None:
    log_action(post.thread.group, actor, action, thread=post.thread, post_id=post.id, reason=reason)


def _admin_ids() -> set[int]:
    """Who decides when a group has no second moderator."""
    return set(
        db.session.scalars(select(User.id).where(User.is_admin.is_(True), User.is_deactivated.is_(False)))
    )


def _clear_proposal(post: Post) -> None:
    post.hide_proposed_by_id = None
    post.hide_proposed_reason = ""
    post.hide_proposed_at = None


def restore_post(actor: User, post: Post, reason: str = "") -> None:
    lock_post(post)
    if not post.is_hidden:
        raise GroupRuleError(_l("This post is not hidden."))
    post.hidden_at = None
    post.hidden_by_id = None
    post.hidden_reason = ""
    _log_post(actor, post, ModAction.RESTORE, reason.strip())
    db.session.flush()


# -- flags --------------------------------------------------------------------------------------------


def flag_post(user: User, post: Post, reason: str) -> None:
    """Report a post to the moderators. Who flagged is never shown, not even to them."""
    reason = _reason(reason)
    existing = db.session.scalar(select(Flag).where(Flag.post_id == post.id, Flag.flagged_by_id == user.id))
    if existing is not None and existing.resolved_at is None:
        raise GroupRuleError(_l("You have already flagged this post; the moderators will look at it."))
    if existing is not None:
        existing.reason, existing.created_at, existing.resolved_at = reason, utcnow(), None
    else:
        db.session.add(Flag(post_id=post.id, flagged_by_id=user.id, reason=reason, created_at=utcnow()))
    group = post.thread.group
    notify(
        moderator_ids(group) - {user.id},
        "groups.post_flagged",
        url_for("groups.queue"),
        thread=post.thread.title,
        group=group.name,
    )
    db.session.flush()


def dismiss_flags(actor: User, post: Post, reason: str = "") -> None:
    if _resolve_flags(post):
        _log_post(actor, post, ModAction.DISMISS_FLAGS, reason.strip())
    db.session.flush()


def _resolve_flags(post: Post) -> int:
    now, count = utcnow(), 0
    for flag in db.session.scalars(select(Flag).where(Flag.post_id == post.id, Flag.resolved_at.is_(None))):
        flag.resolved_at = now
        count += 1
    return count


# -- the queue and the log ----------------------------------------------------------------------------


@dataclass
class FlaggedPost:
    post: Post
    reasons: list[str]


@dataclass
class Queue:
    flagged: list[FlaggedPost]
    proposed: list[Post]
    requests: list[JoinRequest]


def moderation_queue(user: User, limit: int = 100) -> Queue:
    """What waits for this moderator, oldest first, across every group they moderate."""
    groups = visible_group_ids(user, "moderate")
    if not groups:
        return Queue([], [], [])
    post_in_groups = Post.thread.has(Thread.group_id.in_(groups))
    open_flags = db.session.scalars(
        select(Flag)
        .join(Flag.post)
        .where(Flag.resolved_at.is_(None), post_in_groups)
        .options(
            selectinload(Flag.post).selectinload(Post.thread),
            selectinload(Flag.post).selectinload(Post.author),
        )
        .order_by(Flag.created_at)
        .limit(limit * 5)
    ).all()
    flagged: dict[int, FlaggedPost] = {}
    for flag in open_flags:
        flagged.setdefault(flag.post_id, FlaggedPost(flag.post, [])).reasons.append(flag.reason)
    proposed = db.session.scalars(
        select(Post)
        .where(Post.hide_proposed_by_id.is_not(None), post_in_groups)
        .options(selectinload(Post.thread), selectinload(Post.author))
        .order_by(Post.hide_proposed_at)
        .limit(limit)
    ).all()
    requests = db.session.scalars(
        select(JoinRequest)
        .where(JoinRequest.state == RequestState.PENDING, JoinRequest.group_id.in_(groups))
        .options(selectinload(JoinRequest.user), selectinload(JoinRequest.group))
        .order_by(JoinRequest.created_at)
        .limit(limit)
    ).all()
    return Queue(list(flagged.values())[:limit], list(proposed), list(requests))


def log_query(group: Group):  # noqa: ANN201 - a Select for db.paginate
    return (
        select(ModerationEntry)
        .where(ModerationEntry.group_id == group.id)
        .options(
            selectinload(ModerationEntry.actor),
            selectinload(ModerationEntry.target_user),
            selectinload(ModerationEntry.thread),
        )
        .order_by(ModerationEntry.created_at.desc(), ModerationEntry.id.desc())
    )
