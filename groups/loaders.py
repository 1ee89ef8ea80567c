"""Load an object for a view and check the user may see it: 404 when it is absent or hidden from them."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from intranet.extensions import db
from intranet.roles import require

from .models import Group, Post, Thread
from .permissions import can_list, can_read


def group_or_404(group_id: int, *, content: bool = True) -> Group:
    """The group; 404 unless the user may read it (or, with ``content=False``, see it listed)."""
    group = db.session.get(Group, group_id)
    if group is None:
        abort(404)
    require(can_read(current_user, group) if content else can_list(current_user, group), hide=True)
    return group


def thread_or_404(thread_id: int) -> Thread:
    thread = db.session.get(Thread, thread_id)
    if thread is None:
        abort(404)
    require(can_read(current_user, thread.group), hide=True)
    return thread


def post_or_404(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404)
    require(can_read(current_user, post.thread.group), hide=True)
    return post
