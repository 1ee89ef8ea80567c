"""Threads and posts: start, reply, edit with history, delete to a placeholder, accept an answer.

Services flush, never commit. Notifications go only to people who may read the group.

Every change to a post's row starts with :func:`lock_post`: the row is locked and read
again, so the checks that follow see what a concurrent request just committed, and of
two requests at once the second is refused in words instead of overwriting the first.
The changes themselves go through the ORM, so the search index hears of them.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import selectinload

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.markdown import mentioned_names
from intranet.models import User
from intranet.notifications import notify

from .models import Group, GroupSubscription, Post, PostRevision, Thread, ThreadSubscription
from .permissions import readers_among
from .services import GroupRuleError, subscribe_thread, touch


class EditConflict(GroupRuleError):
    """Someone else changed the post since the editor loaded it."""


def lock_post(post: Post) -> None:
    """Take the post's row lock (PostgreSQL; the write lock on SQLite), then read the row again.

    The lock is a no-op UPDATE, as for votes: it waits for a concurrent writer of the
    row to finish, and the refresh after it sees what that writer committed.
    """
    db.session.execute(
        update(Post)
        .where(Post.id == post.id)
        .values(version=Post.version)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(post)


def check_body(body: str) -> str:
    """The text, stripped; refuses empty and oversized posts with a sentence for the writer."""
    text = (body or "").strip()
    limit = int(current_app.config["POST_MAX_LENGTH"])
    if not text:
        raise GroupRuleError(_l("Write something first: the post is empty."))
    if len(text) > limit:
        raise GroupRuleError(
            _l(
                "The post is %(length)d characters long; the limit is %(limit)d.",
                length=len(text),
                limit=limit,
            )
        )
    return text


def start_thread(
    author: User,
    group: Group,
    *,
    title: str,
    body: str,
    is_question: bool = False,
    now: datetime | None = None,
) -> Thread:
    now = now or utcnow()
    text = check_body(body)
    title = (title or "").strip()
    if not title:
        raise GroupRuleError(_l("Give the thread a title."))
    thread = Thread(
        group=group,
        author=author,
        title=title,
        is_question=is_question,
        created_at=now,
        last_activity_at=now,
    )
    db.session.add(thread)
    post = Post(thread=thread, author=author, body=text, is_opening=True, created_at=now)
    db.session.add(post)
    touch(group, now)
    db.session.flush()
    subscribe_thread(author, thread)
    followers = db.session.scalars(
        select(GroupSubscription.user_id).where(GroupSubscription.group_id == group.id)
    )
    _announce(
        group, author, url_for("groups.thread", thread_id=thread.id),
        mentioned=_mentioned_ids(text), followers=set(followers), kind="groups.new_thread",
        thread=title, group=group.name,
    )  # fmt: skip
    return thread


def reply(author: User, thread: Thread, body: str, *, now: datetime | None = None) -> Post:
    """Add a reply. Refused in a locked thread unless a moderator writes (the view checks who)."""
    now = now or utcnow()
    text = check_body(body)
    post = Post(thread=thread, author=author, body=text, created_at=now)
    db.session.add(post)
    thread.reply_count = Thread.reply_count + 1  # in SQL: concurrent replies both count
    thread.last_activity_at = now
    touch(thread.group, now)
    db.session.flush()
    followers = db.session.scalars(
        select(ThreadSubscription.user_id).where(ThreadSubscription.thread_id == thread.id)
    )
    _announce(
        thread.group, author, url_for("groups.thread", thread_id=thread.id, _anchor=f"post-{post.id}"),
        mentioned=_mentioned_ids(text), followers=set(followers), kind="groups.reply", thread=thread.title,
    )  # fmt: skip
    subscribe_thread(author, thread)
    return post


def edit_post(editor: User, post: Post, body: str, expected_version: int) -> Post:
    """Save a new text, keeping the old one in the history.

    ``expected_version`` is the version the editor started from: if the post
    changed since (or was hidden or deleted meanwhile), :class:`EditConflict` is
    raised and nothing is written (the view shows both texts so nobody's words are
    lost). The check runs on the locked row, so of two saves at once one wins.
    """
    text = check_body(body)
    lock_post(post)
    if post.version != expected_version or post.is_hidden or post.is_deleted:
        raise EditConflict(_l("Someone changed this post while you were editing it."))
    if text == post.body:
        return post
    now = utcnow()
    db.session.add(
        PostRevision(
            post_id=post.id,
            version=post.version,
            body=post.body,
            edited_by_id=editor.id,
            written_at=post.edited_at or post.created_at,
        )
    )
    post.body = text
    post.edited_at = now
    post.version = expected_version + 1
    db.session.flush()
    link = url_for("groups.thread", thread_id=post.thread_id, _anchor=f"post-{post.id}")
    _announce(
        post.thread.group, editor, link,
        mentioned=_mentioned_ids(text) - _mentioned_ids_of_revisions(post), thread=post.thread.title,
    )  # fmt: skip
    return post


def delete_post(author: User, post: Post) -> None:
    """The author's own delete: a placeholder stays in the thread, the text is shown to nobody."""
    lock_post(post)
    if post.deleted_at is None:
        post.deleted_at = utcnow()
        if post.thread.accepted_post_id == post.id:
            post.thread.accepted_post_id = None
        db.session.flush()


def set_accepted_answer(thread: Thread, post: Post | None) -> None:
    if post is not None and (
        post.thread_id != thread.id or post.is_opening or post.is_deleted or post.is_hidden
    ):
        raise GroupRuleError(_l("Only a visible reply in this thread can be the accepted answer."))
    thread.accepted_post_id = post.id if post else None
    db.session.flush()


def thread_posts(thread: Thread, page: int):  # noqa: ANN201 - a flask_sqlalchemy Pagination
    """One page of a thread's posts with their authors, in a fixed number of queries."""
    query = (
        select(Post)
        .where(Post.thread_id == thread.id)
        .options(selectinload(Post.author))
        .order_by(Post.created_at, Post.id)
    )
    per_page = int(current_app.config["POSTS_PER_PAGE"])
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def page_of(post: Post) -> int:
    """The page of its thread that shows ``post``, in the order of :func:`thread_posts`."""
    before = db.session.scalar(
        select(func.count())
        .select_from(Post)
        .where(
            Post.thread_id == post.thread_id,
            or_(
                Post.created_at < post.created_at, and_(Post.created_at == post.created_at, Post.id < post.id)
            ),
        )
    )
    return int(before or 0) // int(current_app.config["POSTS_PER_PAGE"]) + 1


def post_history(post: Post) -> list[PostRevision]:
    return list(
        db.session.scalars(
            select(PostRevision)
            .where(PostRevision.post_id == post.id)
            .options(selectinload(PostRevision.edited_by))
            .order_by(PostRevision.version.desc())
        )
    )


def _mentioned_ids(text: str) -> set[int]:
    names = mentioned_names(text)
    if not names:
        return set()
    query = select(User.id).where(func.lower(User.username).in_(names), User.is_deactivated.is_(False))
    return set(db.session.scalars(query))


def _mentioned_ids_of_revisions(post: Post) -> set[int]:
    ids: set[int] = set()
    for body in db.session.scalars(select(PostRevision.body).where(PostRevision.post_id == post.id)):
        ids |= _mentioned_ids(body)
    return ids


def _announce(
    where: Group,
    author: User,
    link: str,
    *,
    mentioned: set[int],
    followers: frozenset[int] | set[int] = frozenset(),
    kind: str = "groups.mention",
    **params: str,
) -> None:
    """Tell the people mentioned, and the other followers (as ``kind``); never the author.

    Only those who may read ``where`` hear of it: a closed group's words never reach a non-member.
    """
    ids = (mentioned | followers) - {author.id}
    if not ids:
        return
    users = db.session.scalars(select(User).where(User.id.in_(ids), User.is_deactivated.is_(False))).all()
    readers = {u.id for u in readers_among(where, list(users))}
    notify(readers & mentioned, "groups.mention", link, person=author.display_name, **params)
    notify(readers - mentioned, kind, link, person=author.display_name, **params)
