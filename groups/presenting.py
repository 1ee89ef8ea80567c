"""What the groups' remembered fragments depend on (see intranet.rendering.fragment).

A key holds every value its macro shows or branches on; a test renders each fragment with
and without the cache for every kind of post and viewer and compares.
"""

from __future__ import annotations

from collections.abc import Hashable

from .models import Post, Thread
from .permissions import PostRights


def post_card_key(
    post: Post, thread: Thread, rights: PostRights, is_moderator: bool, can_accept: bool
) -> Hashable:
    """templates/groups/_post.html's ``post_card``: the post as stored, its author's name, and
    the viewer's rights in the thread (not who the viewer is: the same for everyone alike)."""
    author = post.author
    return (
        "groups.post_card",
        post.id,
        post.version,
        post.body,
        post.is_opening,
        post.created_at,
        post.edited_at,
        post.deleted_at,
        post.hidden_at,
        post.hidden_reason,
        post.hide_proposed_by_id is not None,
        author.display_name,
        author.is_deactivated,
        thread.id,
        post.id == thread.accepted_post_id,
        post.author_id == rights.user_id,
        rights.reads,
        rights.replies,
        rights.moderates,
        is_moderator,
        can_accept,
    )


def thread_row_key(thread: Thread) -> Hashable:
    """templates/groups/_thread_row.html's ``thread_row``: the same for every reader."""
    author = thread.author
    return (
        "groups.thread_row",
        thread.id,
        thread.title,
        thread.is_pinned,
        thread.is_locked,
        thread.is_question,
        thread.accepted_post_id is not None,
        thread.reply_count,
        thread.last_activity_at,
        author.display_name,
        author.is_deactivated,
    )


def template_helpers() -> dict[str, object]:
    return {"post_card_key": post_card_key, "thread_row_key": thread_row_key}
