"""Who may see and do what in groups: the one place these rules live.

Views, templates, services, notifications and search ask these functions; none
re-implement them. The same predicates answer for one loaded group and, through
:func:`visible_group_ids`, for every group at once (the filter search and lists use).

Roles relative to a group:
- **moderator**: an admin, a lead of the group's department, someone appointed to
  the group, or (when the group inherits its moderators) a moderator of its parent;
- **member**: has joined (open) or been approved or invited (closed);
- everyone else, management and leads of other departments included, is a non-member.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from flask import g, has_app_context
from sqlalchemy import ColumnElement, case, literal, select, union_all

from intranet.extensions import db
from intranet.models import User, department_leads

from .models import Ban, Group, Membership, Post, Thread, Visibility, group_moderators


class GroupLike(Protocol):
    id: int
    parent_id: int | None
    department_id: int | None
    visibility: Visibility
    is_unlisted: bool
    inherits_moderators: bool


Resolve = Callable[[Any], Any]


@dataclass(frozen=True)
class Access:
    """What the database says about one user's standing in groups, loaded once per request."""

    user_id: int
    department_id: int | None
    is_admin: bool
    led_departments: frozenset[int]
    member_of: frozenset[int]
    banned_from: frozenset[int]
    appointed_to: frozenset[int]

    @classmethod
    def load(cls, user: User) -> Access:
        return _load_many([user])[user.id]


def _load_many(users: list[User]) -> dict[int, Access]:
    """Access for one or many users, in one query whatever their number (four lists in a UNION)."""
    ids = [u.id for u in users]
    parts = (
        ("lead", department_leads.c.user_id, department_leads.c.department_id),
        ("member", Membership.user_id, Membership.group_id),
        ("ban", Ban.user_id, Ban.group_id),
        ("appointed", group_moderators.c.user_id, group_moderators.c.group_id),
    )
    query = union_all(
        *(select(literal(kind).label("kind"), who, what).where(who.in_(ids)) for kind, who, what in parts)
    )
    found: dict[tuple[str, int], set[int]] = {}
    for kind, user_id, target in db.session.execute(query):
        found.setdefault((kind, user_id), set()).add(target)

    def of(kind: str, user_id: int) -> frozenset[int]:
        return frozenset(found.get((kind, user_id), ()))

    return {
        u.id: Access(
            user_id=u.id,
            department_id=u.department_id,
            is_admin=u.is_admin,
            led_departments=of("lead", u.id),
            member_of=of("member", u.id),
            banned_from=of("ban", u.id),
            appointed_to=of("appointed", u.id),
        )
        for u in users
    }


def readers_among(group: Group, users: list[User]) -> list[User]:
    """Those of ``users`` who may read ``group``: who may be notified about its content."""
    access = _load_many(users)
    return [u for u in users if _can_read(access[u.id], group, _orm_parent)]


def access_for(user: User) -> Access:
    """The user's standing, cached for the request (services call :func:`forget_access` on change)."""
    if not has_app_context():
        return Access.load(user)
    cache = g.setdefault("_group_access", {})
    if user.id not in cache:
        cache[user.id] = Access.load(user)
    return cache[user.id]


def forget_access(user_id: int | None = None) -> None:
    if has_app_context():
        cache = g.get("_group_access")
        if cache is not None:
            cache.pop(user_id, None) if user_id is not None else cache.clear()


def _orm_parent(group: Group) -> Group | None:
    return group.parent


# -- the rules, over any group-like object and a way to find its parent ------------------------------


def _is_moderator(a: Access, grp: GroupLike, parent: Resolve) -> bool:
    if a.is_admin or grp.id in a.appointed_to:
        return True
    if grp.department_id is not None and grp.department_id in a.led_departments:
        return True
    up = parent(grp) if grp.inherits_moderators else None
    return up is not None and _is_moderator(a, up, parent)


def _can_read(a: Access, grp: GroupLike, parent: Resolve) -> bool:
    if _is_moderator(a, grp, parent):
        return True
    if grp.visibility == Visibility.OPEN:
        # Open, but inside its parent: whoever loses the parent loses the sub-group too.
        up = parent(grp)
        return up is None or _can_read(a, up, parent)
    return grp.id in a.member_of


def _can_list(a: Access, grp: GroupLike, parent: Resolve) -> bool:
    if _can_read(a, grp, parent) or grp.id in a.member_of:
        return True
    if grp.is_unlisted:
        return False
    up = parent(grp)
    if up is not None:
        # A listed closed sub-group shows to everyone who reads its parent.
        return _can_read(a, up, parent)
    # A listed closed group shows its name and description to its department (all, if company-wide).
    return grp.department_id is None or grp.department_id == a.department_id


def _is_banned(a: Access, grp: GroupLike, parent: Resolve) -> bool:
    """Banned here or from any group above: a ban covers the sub-groups."""
    node = grp
    while node is not None:
        if node.id in a.banned_from:
            return True
        node = parent(node)
    return False


def _can_post(a: Access, grp: GroupLike, parent: Resolve) -> bool:
    if _is_moderator(a, grp, parent):
        return True
    return not _is_banned(a, grp, parent) and _can_read(a, grp, parent)


def activity_shows_on_parent(group: GroupLike) -> bool:
    """Whether a sub-group's activity moves its parent's "last activity": only when everyone who
    reads the parent reads it too (an open sub-group), so a closed one's posts are not dated there."""
    return group.visibility == Visibility.OPEN


# A group's last activity says when its members last wrote: only its readers learn it. Everyone
# else sees no date and lists it by its creation; its parent's date is spared by the rule above.


def last_activity_shown(user: User, group: Group) -> datetime | None:
    """The "last activity" ``user`` may see on ``group``: None unless they read it."""
    return group.last_activity_at if can_read(user, group) else None


def activity_order(user: User, group: Group) -> datetime:
    """When ``group`` sorts in ``user``'s lists: its last activity shown to them, else its creation."""
    shown = last_activity_shown(user, group)
    return group.created_at if shown is None else shown


def activity_order_sql(readable_ids: Collection[int]) -> ColumnElement[datetime]:
    """:func:`activity_order` as SQL, to order a query of groups; ``readable_ids`` is the
    viewer's :func:`visible_group_ids` for "read"."""
    return case((Group.id.in_(readable_ids), Group.last_activity_at), else_=Group.created_at)


def moderator_ids(group: Group) -> set[int]:
    """Who moderates ``group``, for telling them: appointed, inherited and department leads.

    The inverse of :func:`_is_moderator`, without the admins (they moderate everything
    and are told only when nobody else can decide).
    """
    ids: set[int] = set()
    node: Group | None = group
    while node is not None:
        ids.update(u.id for u in node.moderators)
        if node.department_id is not None:
            ids.update(
                db.session.scalars(
                    select(department_leads.c.user_id).where(
                        department_leads.c.department_id == node.department_id
                    )
                )
            )
        node = node.parent if node.inherits_moderators else None
    return ids


def _leads_or_admin(a: Access, department_id: int | None) -> bool:
    return a.is_admin or (department_id is not None and department_id in a.led_departments)


# -- the public questions -----------------------------------------------------------------------------


def is_moderator(user: User, group: Group) -> bool:
    return _is_moderator(access_for(user), group, _orm_parent)


def is_member(user: User, group: Group) -> bool:
    return group.id in access_for(user).member_of


def is_banned(user: User, group: Group) -> bool:
    return _is_banned(access_for(user), group, _orm_parent)


def can_list(user: User, group: Group) -> bool:
    """See the group's name and description in listings."""
    return _can_list(access_for(user), group, _orm_parent)


def can_read(user: User, group: Group) -> bool:
    """See the group's threads and posts. Non-readers get 404 for closed content."""
    return _can_read(access_for(user), group, _orm_parent)


def can_post(user: User, group: Group) -> bool:
    """Start threads and reply (locked threads aside: see :func:`can_reply`)."""
    return _can_post(access_for(user), group, _orm_parent)


def can_moderate(user: User, group: Group) -> bool:
    return is_moderator(user, group)


def can_approve_members(user: User, group: Group) -> bool:
    return is_moderator(user, group)


def can_appoint_moderators(user: User, group: Group) -> bool:
    """Admins and the leads of the group's department; appointed moderators do not appoint others."""
    return _leads_or_admin(access_for(user), group.department_id)


def can_join(user: User, group: Group) -> bool:
    """Open groups: join in one click."""
    a = access_for(user)
    return (
        group.visibility == Visibility.OPEN
        and group.id not in a.member_of
        and not _is_banned(a, group, _orm_parent)
        and can_read(user, group)
    )


def can_request_to_join(user: User, group: Group) -> bool:
    """Closed groups: ask, and a moderator decides."""
    a = access_for(user)
    return (
        group.visibility == Visibility.CLOSED
        and group.id not in a.member_of
        and not _is_banned(a, group, _orm_parent)
        and not is_moderator(user, group)
        and can_list(user, group)
    )


def can_leave(user: User, group: Group) -> bool:
    return is_member(user, group)


def can_create_group(user: User, department_id: int | None, parent: Group | None = None) -> bool:
    """Admins anywhere; leads in their departments; a sub-group needs the parent's moderator."""
    if parent is not None:
        return is_moderator(user, parent) and parent.department_id == department_id
    return _leads_or_admin(access_for(user), department_id)


def can_reply(user: User, thread: Thread) -> bool:
    if thread.is_locked and not is_moderator(user, thread.group):
        return False
    return can_post(user, thread.group)


@dataclass(frozen=True)
class PostRights:
    """What one person may do to the posts of one thread: the thread's and group's rules worked
    out once, so a page of 50 posts asks the post's own fields only."""

    user_id: int
    reads: bool
    replies: bool
    moderates: bool

    def can_see_body(self, post: Post) -> bool:
        """A hidden post's text stays visible to its author and the moderators; a deleted one to nobody."""
        if post.is_deleted:
            return False
        return not post.is_hidden or post.author_id == self.user_id or self.moderates

    def can_edit(self, post: Post) -> bool:
        """Only the author edits their words; not once hidden or deleted, nor in a locked thread."""
        return post.author_id == self.user_id and not post.is_deleted and not post.is_hidden and self.replies

    def can_delete(self, post: Post) -> bool:
        return post.author_id == self.user_id and not post.is_deleted and self.reads

    def can_flag(self, post: Post) -> bool:
        return post.author_id != self.user_id and not post.is_deleted and not post.is_hidden and self.reads


def post_rights(user: User, thread: Thread) -> PostRights:
    group = thread.group
    return PostRights(
        user_id=user.id,
        reads=can_read(user, group),
        replies=can_reply(user, thread),
        moderates=is_moderator(user, group),
    )


def can_see_body(user: User, post: Post) -> bool:
    return post_rights(user, post.thread).can_see_body(post)


def can_edit_post(user: User, post: Post) -> bool:
    return post_rights(user, post.thread).can_edit(post)


def can_delete_post(user: User, post: Post) -> bool:
    return post_rights(user, post.thread).can_delete(post)


def can_flag(user: User, post: Post) -> bool:
    return post_rights(user, post.thread).can_flag(post)


def can_accept_answer(user: User, thread: Thread) -> bool:
    return thread.is_question and (
        (thread.author_id == user.id and can_read(user, thread.group)) or is_moderator(user, thread.group)
    )


def can_read_log(user: User, group: Group) -> bool:
    return can_read(user, group)


def can_move_thread(user: User, thread: Thread, target: Group) -> bool:
    return is_moderator(user, thread.group) and is_moderator(user, target)


# -- everything at once: for lists, counts, notifications and search ----------------------------------

_LINK = re.compile(r"^/groups/(?:threads/(?P<thread>\d+)|posts/(?P<post>\d+)|(?P<group>\d+))(?:[/#?]|$)")


def unreadable_notifications(user: User, notifications: list[Any]) -> set[int]:
    """The notifications that link to a thread or post the user may no longer read, or to a group
    they may no longer list (the notification guard: its words name the thread and the group)."""
    wanted: dict[int, tuple[str, int]] = {}
    for n in notifications:
        match = _LINK.match(n.link or "")
        if match:
            kind = match.lastgroup or "group"
            wanted[n.id] = (kind, int(match.group(kind)))
    if not wanted:
        return set()
    threads = {i for kind, i in wanted.values() if kind == "thread"}
    posts = {i for kind, i in wanted.values() if kind == "post"}
    group_of_thread = dict(
        db.session.execute(select(Thread.id, Thread.group_id).where(Thread.id.in_(threads))).all()
    )
    group_of_post = dict(
        db.session.execute(
            select(Post.id, Thread.group_id)
            .join(Thread, Post.thread_id == Thread.id)
            .where(Post.id.in_(posts))
        ).all()
    )
    allowed = visible_groups(user, "read", "list")
    hidden = set()
    for nid, (kind, i) in wanted.items():
        if kind == "group":
            ok = i in allowed["list"]
        else:
            gid = (group_of_thread if kind == "thread" else group_of_post).get(i)
            ok = gid is not None and gid in allowed["read"]
        if not ok:
            hidden.add(nid)
    return hidden


RULES: dict[str, Callable[..., bool]] = {
    "list": _can_list,
    "read": _can_read,
    "post": _can_post,
    "moderate": _is_moderator,
}


def visible_group_ids(user: User, action: str = "read") -> set[int]:
    """Ids of every group where ``action`` ("list", "read", "post", "moderate") is allowed.

    Evaluated from the same predicates as the single-group checks, over one
    lightweight query of all groups, so a membership change needs no re-indexing.
    """
    return visible_groups(user, action)[action]


def visible_groups(user: User, *actions: str) -> dict[str, set[int]]:
    """:func:`visible_group_ids` for several actions over one query of the groups."""
    rules = {action: RULES[action] for action in actions}
    rows = db.session.execute(
        select(
            Group.id,
            Group.parent_id,
            Group.department_id,
            Group.visibility,
            Group.is_unlisted,
            Group.inherits_moderators,
        )
    ).all()
    by_id = {row.id: row for row in rows}
    a = access_for(user)

    def parent(row: Any) -> Any:
        return by_id.get(row.parent_id) if row.parent_id is not None else None

    return {action: {row.id for row in rows if rule(a, row, parent)} for action, rule in rules.items()}
