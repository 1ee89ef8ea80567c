"""Load an object for a view and check the user may see it: 404 when it is absent or hidden from them."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy.orm.attributes import set_committed_value

from intranet.extensions import db
from intranet.roles import require

from .models import Group, Post, Thread
from .permissions import can_list, can_read
from .services import with_parents


def _with_group(thread: Thread) -> Thread:
    """The thread holding its group and the group's parents (see ``services.with_parents``)."""
    set_committed_value(thread, "group", with_parents(thread.group_id)[thread.group_id])
    return thread


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
    require(can_read(current_user, _with_group(thread).group), hide=True)
    return thread


def post_or_404(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404)
    require(can_read(current_user, _with_group(post.thread).group), hide=True)
    return post
