"""A moderator hides a post while its author edits it, and two moderators hide (or restore) one post."""

from __future__ import annotations

import html
from functools import partial

from sqlalchemy import func, select

from groups.models import ModAction, ModerationEntry, Post, PostRevision, Thread
from intranet.extensions import db
from intranet.models import User
from intranet.notifications import Notification
from tests.served import Server, at_once, hidden, textarea

STAGING = "How do I get access"


def _reply_by(username: str) -> int:
    thread = db.session.scalars(select(Thread).where(Thread.title.startswith(STAGING))).one()
    return db.session.scalars(
        select(Post.id)
        .join(User, Post.author_id == User.id)
        .where(Post.thread_id == thread.id, User.username == username, Post.is_opening.is_(False))
    ).one()


def _log(post_id: int, action: ModAction) -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(ModerationEntry)
            .where(ModerationEntry.post_id == post_id, ModerationEntry.action == action)
        )
    )


def test_post_hidden_while_its_author_edits_it_loses_neither(server: Server, ctx: None) -> None:
    pid = _reply_by("amelie")
    db.session.rollback()
    amelie, priya = server.visitor("amelie"), server.visitor("priya")
    for number in range(1, 4):
        db.session.rollback()
        before = db.session.get(Post, pid).body
        version = hidden(amelie.get(f"/groups/posts/{pid}/edit").text, "version")
        text = f"Round {number}: it was a ticket to IT, category Databases."

        edit, hide = at_once(
            partial(amelie.post, f"/groups/posts/{pid}/edit", body=text, version=version),
            partial(priya.post, f"/groups/posts/{pid}/hide", reason=f"Round {number}: off topic."),
        )

        assert hide.status == 302, hide.text[:500]
        # The edit came first, or it is refused: told so with the text kept, or no longer editable.
        assert edit.status in (302, 409, 403), edit.text[:500]
        if edit.status == 409:
            assert "Someone changed this post" in html.unescape(edit.text)
            assert textarea(edit.text, "body") == text
        db.session.rollback()
        post = db.session.get(Post, pid)
        assert post.is_hidden and post.hidden_reason == f"Round {number}: off topic."
        assert post.body == (text if edit.status == 302 else before)
        assert priya.post(f"/groups/posts/{pid}/restore").status == 302

    db.session.rollback()
    post = db.session.get(Post, pid)
    revisions = db.session.scalars(select(PostRevision).where(PostRevision.post_id == pid)).all()
    assert len(revisions) == post.version - 1  # every saved edit kept the text before it
    assert _log(pid, ModAction.HIDE) == _log(pid, ModAction.RESTORE) == 3


def test_post_hidden_by_two_moderators_at_once_is_hidden_once(server: Server, ctx: None) -> None:
    pid = _reply_by("jurgen")
    author = db.session.get(Post, pid).author_id
    db.session.rollback()
    moderators = [server.visitor("bjorn"), server.visitor("priya")]
    for number in range(1, 3):
        hides = at_once(
            *(
                partial(m.post, f"/groups/posts/{pid}/hide", reason=f"Round {number}: reason {i}.")
                for i, m in enumerate(moderators)
            )
        )

        statuses = sorted(a.status for a in hides)
        assert statuses == [302, 422], [(a.status, a.text[:300]) for a in hides]
        refused = next(a for a in hides if a.status == 422)
        assert "This post is already hidden." in html.unescape(refused.text)
        db.session.rollback()
        assert _log(pid, ModAction.HIDE) == number

        restores = at_once(*(partial(m.post, f"/groups/posts/{pid}/restore") for m in moderators))

        assert [a.status for a in restores] == [302, 302]
        db.session.rollback()
        assert _log(pid, ModAction.RESTORE) == number
        assert not db.session.get(Post, pid).is_hidden
    hidden_kind = Notification.kind == "groups.post_hidden"
    assert db.session.scalar(select(func.count()).where(Notification.user_id == author, hidden_kind)) == 2
