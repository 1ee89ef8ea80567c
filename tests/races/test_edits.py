"""Two editors of one post at the same moment (two tabs, two browsers): nobody's words are lost."""

from __future__ import annotations

import html
from functools import partial

from sqlalchemy import select

from groups.models import Post, PostRevision, Thread
from intranet.extensions import db
from tests.served import Server, Visitor, at_once, hidden, textarea

CONFLICT = "Someone changed this post while you were editing it."


def _save(editor: Visitor, post_id: int, version: str, body: str):  # noqa: ANN202 - an Answer
    return editor.post(f"/groups/posts/{post_id}/edit", body=body, version=version)


def test_post_edited_in_two_places_at_once_loses_no_words(server: Server, ctx: None) -> None:
    thread = db.session.scalars(select(Thread).where(Thread.title.startswith("How do I get access"))).one()
    post = db.session.scalars(select(Post).where(Post.thread_id == thread.id, Post.is_opening)).one()
    pid, original = post.id, post.body
    db.session.rollback()
    zoe = server.visitor("zoe")
    rounds = [
        [zoe, zoe.tab()],  # two tabs of one browser
        [zoe, server.visitor("zoe"), server.visitor("zoe")],  # three browsers
    ]
    bodies = [original]
    for number, editors in enumerate(rounds, 1):
        versions = [hidden(e.get(f"/groups/posts/{pid}/edit").text, "version") for e in editors]
        assert len(set(versions)) == 1
        texts = [f"Round {number}, editor {i}: who approves staging access?" for i in range(len(editors))]

        answers = at_once(
            *(partial(_save, e, pid, v, t) for e, v, t in zip(editors, versions, texts, strict=True))
        )

        won = [i for i, a in enumerate(answers) if a.status == 302]
        assert len(won) == 1, [(a.status, a.text[:300]) for a in answers]
        for i, answer in enumerate(answers):
            if i not in won:  # told; their text back in the form, the newer one shown beside it
                assert answer.status == 409
                assert CONFLICT in html.unescape(answer.text)
                assert textarea(answer.text, "body") == texts[i]
                assert texts[won[0]] in html.unescape(answer.text)
        bodies.append(texts[won[0]])

    db.session.rollback()
    post = db.session.get(Post, pid)
    assert post.body == bodies[-1] and post.version == 1 + len(rounds)
    revisions = db.session.scalars(
        select(PostRevision).where(PostRevision.post_id == pid).order_by(PostRevision.version)
    ).all()
    assert [(r.version, r.body) for r in revisions] == list(enumerate(bodies[:-1], 1))
