"""Groups and membership: every rule and state change. Services flush, never commit.

Permission checks are the views' job (``groups.permissions``); services keep the
invariants that hold whoever calls them (depth, one pending request, no double member).
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import Department, User
from intranet.notifications import notify

from .models import (
    Ban,
    Group,
    GroupSubscription,
    JoinRequest,
    Membership,
    ModAction,
    ModerationEntry,
    RequestState,
    Thread,
    ThreadSubscription,
    Visibility,
)
from .permissions import activity_shows_on_parent, forget_access, is_banned, is_moderator, moderator_ids


class GroupRuleError(Exception):
    """A rule refused the change; ``str(exc)`` is a sentence for the person who tried."""


# -- groups -------------------------------------------------------------------------------------------


def max_depth() -> int:
    return int(current_app.config["GROUP_MAX_DEPTH"])


def create_group(
    creator: User | None,
    *,
    name: str,
    description: str = "",
    department: Department | None,
    parent: Group | None = None,
    visibility: Visibility | None = None,
    is_unlisted: bool = False,
    inherits_moderators: bool = True,
    is_default: bool = False,
    now: datetime | None = None,
) -> Group:
    """A group or sub-group. ``visibility=None`` on a sub-group inherits the parent's."""
    now = now or utcnow()
    if parent is not None:
        if parent.depth >= max_depth():
            raise GroupRuleError(_l("Groups can be nested %(n)d levels deep at most.", n=max_depth()))
        department = parent.department
    inherits = parent is not None and visibility is None
    resolved = parent.visibility if inherits else (visibility or Visibility.OPEN)
    group = Group(
        name=name.strip(),
        description=description.strip(),
        department=department,
        parent=parent,
        depth=(parent.depth + 1) if parent else 1,
        visibility=resolved,
        inherits_visibility=inherits,
        is_unlisted=is_unlisted and resolved == Visibility.CLOSED,
        inherits_moderators=inherits_moderators if parent else False,
        is_default=is_default,
        created_by_id=creator.id if creator else None,
        created_at=now,
        last_activity_at=now,
    )
    db.session.add(group)
    db.session.flush()
    if creator is not None and resolved == Visibility.CLOSED and not is_moderator(creator, group):
        _add_member(group, creator)
    return group


def update_group(
    actor: User,
    group: Group,
    *,
    name: str,
    description: str,
    visibility: Visibility | None,
    is_unlisted: bool,
    inherits_moderators: bool,
) -> None:
    """Change a group's settings; sub-groups that inherit the visibility follow."""
    group.name = name.strip()
    group.description = description.strip()
    if group.parent is not None and visibility is None:
        group.inherits_visibility = True
        group.visibility = group.parent.visibility
    else:
        group.inherits_visibility = False
        group.visibility = visibility or Visibility.OPEN
    group.is_unlisted = is_unlisted and group.visibility == Visibility.CLOSED
    group.inherits_moderators = inherits_moderators if group.parent is not None else False
    _propagate_visibility(group)
    log_action(group, actor, ModAction.EDIT_GROUP)
    db.session.flush()
    forget_access()


def _propagate_visibility(group: Group) -> None:
    for child in group.children:
        if child.inherits_visibility:
            child.visibility = group.visibility
            if child.visibility == Visibility.OPEN:
                child.is_unlisted = False
            _propagate_visibility(child)


def ensure_default_groups() -> int:
    """Every department has its default open group; returns how many were created."""
    have = select(Group.department_id).where(Group.is_default.is_(True), Group.department_id.is_not(None))
    missing = db.session.scalars(select(Department).where(Department.id.not_in(have))).all()
    for dept in missing:
        create_group(
            None,
            name=dept.name,
            description="",  # the page shows a translated default for default groups
            department=dept,
            visibility=Visibility.OPEN,
            is_default=True,
        )
    return len(missing)


def touch(group: Group, now: datetime) -> None:
    """Latest activity bubbles up to the parents, so lists sort by it (never back in time); not
    above a closed group, whose activity the parent's readers must not see."""
    node: Group | None = group
    while node is not None:
        if node.last_activity_at is None or node.last_activity_at < now:
            node.last_activity_at = now
        node = node.parent if activity_shows_on_parent(node) else None


def log_action(
    group: Group,
    actor: User | None,
    action: ModAction,
    *,
    thread: Thread | None = None,
    post_id: int | None = None,
    target: User | None = None,
    reason: str = "",
) -> ModerationEntry:
    entry = ModerationEntry(
        group_id=group.id,
        actor_id=actor.id if actor else None,
        action=action,
        thread_id=thread.id if thread else None,
        post_id=post_id,
        target_user_id=target.id if target else None,
        reason=reason,
        created_at=utcnow(),
    )
    db.session.add(entry)
    return entry


# -- membership ---------------------------------------------------------------------------------------


def _add_member(group: Group, user: User) -> None:
    _insert_once(Membership, group_id=group.id, user_id=user.id)
    forget_access(user.id)


def join_group(user: User, group: Group) -> None:
    """Open groups: join and follow."""
    if is_banned(user, group):
        raise GroupRuleError(_l("You are banned from this group."))
    _add_member(group, user)
    subscribe_group(user, group)


def leave_group(user: User, group: Group) -> None:
    """Leave the group and its sub-groups (they sit inside it)."""
    ids = [group.id, *descendant_ids(group)]
    db.session.execute(delete(Membership).where(Membership.group_id.in_(ids), Membership.user_id == user.id))
    db.session.execute(
        delete(GroupSubscription).where(
            GroupSubscription.group_id.in_(ids), GroupSubscription.user_id == user.id
        )
    )
    forget_access(user.id)


def with_parents(*group_ids: int) -> dict[int, Group]:
    """The groups and every group above them, in one query (a recursive CTE), by id.

    Each loaded group holds its parent, so ``group.parent`` (breadcrumbs, inherited
    visibility and moderators, permission checks) costs no query per level: a page's
    query count does not depend on how deep its groups sit.
    """
    if not group_ids:
        return {}
    chain = select(Group.id, Group.parent_id).where(Group.id.in_(group_ids)).cte("chain", recursive=True)
    chain = chain.union_all(select(Group.id, Group.parent_id).join(chain, Group.id == chain.c.parent_id))
    loaded = {g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_(select(chain.c.id))))}
    for group in loaded.values():
        if group.parent_id in loaded:
            set_committed_value(group, "parent", loaded[group.parent_id])
    return loaded


def descendant_ids(group: Group) -> list[int]:
    found, frontier = [], [group.id]
    while frontier:
        frontier = list(db.session.scalars(select(Group.id).where(Group.parent_id.in_(frontier))))
        found += frontier
    return found


def pending_request(user: User, group: Group) -> JoinRequest | None:
    return db.session.scalar(
        select(JoinRequest).where(
            JoinRequest.group_id == group.id,
            JoinRequest.user_id == user.id,
            JoinRequest.state == RequestState.PENDING,
        )
    )


def _close_pending_request(group: Group, user: User, actor: User, state: RequestState) -> None:
    """An invitation answers a pending request with yes, a ban with no."""
    req = pending_request(user, group)
    if req is not None:
        req.state, req.decided_by_id, req.decided_at = state, actor.id, utcnow()


def request_to_join(user: User, group: Group, message: str) -> JoinRequest:
    """Ask to join a closed group; the group's moderators are told."""
    if is_banned(user, group):
        raise GroupRuleError(_l("You are banned from this group."))
    if pending_request(user, group) is not None:
        raise GroupRuleError(_l("You have already asked to join; a moderator will answer."))
    req = JoinRequest(group_id=group.id, user_id=user.id, message=message.strip(), state=RequestState.PENDING)
    try:
        with db.session.begin_nested():  # the unique index decides between two clicks at once
            db.session.add(req)
    except IntegrityError:
        raise GroupRuleError(_l("You have already asked to join; a moderator will answer.")) from None
    notify(
        moderator_ids(group) - {user.id},
        "groups.join_request",
        url_for("groups.members", group_id=group.id),
        person=user.display_name,
        group=group.name,
    )
    return req


def decide_request(actor: User, req: JoinRequest, *, approve: bool, message: str = "") -> None:
    """Approve or decline with a message. A request already decided (by someone else) is refused.

    The state changes with ``UPDATE … WHERE state = 'pending'``: of two moderators
    deciding at once, exactly one wins and the other is told.
    """
    now = utcnow()
    result = db.session.execute(
        update(JoinRequest)
        .where(JoinRequest.id == req.id, JoinRequest.state == RequestState.PENDING)
        .values(
            state=RequestState.APPROVED if approve else RequestState.DECLINED,
            decided_by_id=actor.id,
            decided_at=now,
            decision_message=message.strip(),
        )
    )
    if result.rowcount != 1:
        raise GroupRuleError(_l("This request was already answered."))
    db.session.refresh(req)
    group = req.group
    if approve:
        _add_member(group, req.user)
        subscribe_group(req.user, group)
    log_action(
        group,
        actor,
        ModAction.APPROVE_MEMBER if approve else ModAction.DECLINE_MEMBER,
        target=req.user,
        reason=req.decision_message,
    )
    kind = "groups.request_approved" if approve else "groups.request_declined"
    link = url_for("groups.show", group_id=group.id)
    notify([req.user_id], kind, link, group=group.name, message=req.decision_message or "—")
    db.session.flush()


def invite_member(actor: User, group: Group, user: User) -> None:
    if is_banned(user, group):
        raise GroupRuleError(
            _l("%(person)s is banned from this group; lift the ban first.", person=user.display_name)
        )
    _add_member(group, user)
    subscribe_group(user, group)
    _close_pending_request(group, user, actor, RequestState.APPROVED)
    log_action(group, actor, ModAction.INVITE, target=user)
    notify(
        [user.id],
        "groups.invited",
        url_for("groups.show", group_id=group.id),
        person=actor.display_name,
        group=group.name,
    )
    db.session.flush()


def remove_member(actor: User, group: Group, user: User, reason: str = "") -> None:
    leave_group(user, group)
    log_action(group, actor, ModAction.REMOVE_MEMBER, target=user, reason=reason.strip())
    db.session.flush()


def ban_member(actor: User, group: Group, user: User, reason: str) -> None:
    """Removed and kept out: no posting, no joining, no requests, until the ban is lifted."""
    if not reason.strip():
        raise GroupRuleError(_l("Say why: the reason is shown in the moderation log."))
    if is_moderator(user, group):
        raise GroupRuleError(_l("Moderators of this group cannot be banned from it."))
    leave_group(user, group)
    if db.session.scalar(select(Ban.id).where(Ban.group_id == group.id, Ban.user_id == user.id)) is None:
        db.session.add(Ban(group_id=group.id, user_id=user.id, reason=reason.strip(), banned_by_id=actor.id))
    _close_pending_request(group, user, actor, RequestState.DECLINED)
    log_action(group, actor, ModAction.BAN, target=user, reason=reason.strip())
    db.session.flush()
    forget_access(user.id)


def unban_member(actor: User, group: Group, user: User) -> None:
    db.session.execute(delete(Ban).where(Ban.group_id == group.id, Ban.user_id == user.id))
    log_action(group, actor, ModAction.UNBAN, target=user)
    db.session.flush()
    forget_access(user.id)


def appoint_moderator(actor: User, group: Group, user: User) -> None:
    """Appoint a colleague to moderate this group (and the sub-groups that inherit its moderators)."""
    if user in group.moderators:
        raise GroupRuleError(_l("%(person)s already moderates this group.", person=user.display_name))
    group.moderators.append(user)
    log_action(group, actor, ModAction.APPOINT_MODERATOR, target=user)
    notify(
        [user.id],
        "groups.appointed",
        url_for("groups.show", group_id=group.id),
        person=actor.display_name,
        group=group.name,
    )
    db.session.flush()
    forget_access(user.id)


def dismiss_moderator(actor: User, group: Group, user: User) -> None:
    if user not in group.moderators:
        raise GroupRuleError(_l("%(person)s is not appointed to this group.", person=user.display_name))
    group.moderators.remove(user)
    log_action(group, actor, ModAction.DISMISS_MODERATOR, target=user)
    db.session.flush()
    forget_access(user.id)


# -- following ----------------------------------------------------------------------------------------


def subscribe_group(user: User, group: Group) -> None:
    _insert_once(GroupSubscription, group_id=group.id, user_id=user.id)


def unsubscribe_group(user: User, group: Group) -> None:
    db.session.execute(
        delete(GroupSubscription).where(*_matching(GroupSubscription, group_id=group.id, user_id=user.id))
    )


def subscribe_thread(user: User, thread: Thread) -> None:
    _insert_once(ThreadSubscription, thread_id=thread.id, user_id=user.id)


def unsubscribe_thread(user: User, thread: Thread) -> None:
    db.session.execute(
        delete(ThreadSubscription).where(*_matching(ThreadSubscription, thread_id=thread.id, user_id=user.id))
    )


def is_subscribed_group(user: User, group: Group) -> bool:
    return _exists(GroupSubscription, group_id=group.id, user_id=user.id)


def is_subscribed_thread(user: User, thread: Thread) -> bool:
    return _exists(ThreadSubscription, thread_id=thread.id, user_id=user.id)


def _matching(model: type[db.Model], **keys: int) -> list:
    return [getattr(model, k) == v for k, v in keys.items()]


def _exists(model: type[db.Model], **keys: int) -> bool:
    return db.session.scalar(select(model.id).where(*_matching(model, **keys))) is not None


def _insert_once(model: type[db.Model], **keys: int) -> None:
    """Insert the row unless it exists; a concurrent double insert is caught by the unique key."""
    if _exists(model, **keys):
        return
    try:
        with db.session.begin_nested():
            db.session.add(model(**keys))
    except IntegrityError:
        pass  # a double click: the other request inserted it already
