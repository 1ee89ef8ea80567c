"""Load an object for a view and check the user may see it: 404 when it is absent or hidden from them."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from intranet.extensions import db
from intranet.roles import require

from .models import Group, Post, Thread
from .permissions import can_list, can_read


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


def group_or_404(group_id: int, *, content: bool = True) -> Group:
    """The group; 404 unless the user may read it (or, with ``content=False``, see it listed)."""
    group = with_parents(group_id).get(group_id)
    if group is None:
        abort(404)
    require(can_read(current_user, group) if content else can_list(current_user, group), hide=True)
    return group


def thread_or_404(thread_id: int) -> Thread:
    thread = db.session.get(Thread, thread_id)
    if thread is None:
        abort(404)
    set_committed_value(thread, "group", with_parents(thread.group_id)[thread.group_id])
    require(can_read(current_user, thread.group), hide=True)
    return thread


def post_or_404(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404)
    set_committed_value(post.thread, "group", with_parents(post.thread.group_id)[post.thread.group_id])
    require(can_read(current_user, post.thread.group), hide=True)
    return post
