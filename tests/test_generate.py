"""`flask demo generate`: the sizes asked for, counters as the services keep them, anonymity, seeds."""

from __future__ import annotations

import hashlib

import pytest
from flask import Flask
from sqlalchemy import func, select

from groups.models import Group, Post, Thread
from intranet.extensions import db
from intranet.models import User
from suggestions.models import Comment, StatusChange, Suggestion, Vote
from tests.test_query_counts import _empty

SIZES = ["--employees=200", "--groups=12", "--posts=1500", "--suggestions=300"]


def _generate(app: Flask, *extra: str):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    return runner.invoke(args=["demo", "generate", *SIZES, *extra])


def _sizes() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Group, Post, Suggestion)
    }


def _fingerprint() -> str:
    rows = [
        *db.session.execute(select(Suggestion.title, Suggestion.status, Suggestion.vote_count)),
        *db.session.execute(select(Thread.title, Thread.reply_count)),  # ids depend on the database
        *db.session.execute(select(User.username).where(User.dn.like("%ou=generated%"))),
    ]
    return hashlib.sha256(repr(sorted(map(tuple, rows), key=repr)).encode()).hexdigest()


@pytest.fixture
def site(make_app) -> Flask:
    return make_app()


def test_generates_the_sizes_asked_for_with_consistent_counters(site: Flask):
    runner = site.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with site.app_context():
        before = _sizes()
    result = runner.invoke(args=["demo", "generate", *SIZES])
    assert result.exit_code == 0, result.output
    with site.app_context():
        after = _sizes()
        # 20 departments (15 new) each get their default group besides the 12 asked for.
        added = {name: after[name] - before[name] for name in after}
        assert added == {"User": 200, "Group": 12 + 15, "Post": 1500, "Suggestion": 300}
        # Reply counts and vote counts are what the rows say.
        replies = dict(
            db.session.execute(select(Post.thread_id, func.count() - 1).group_by(Post.thread_id)).all()
        )
        assert all(t.reply_count == replies[t.id] for t in db.session.scalars(select(Thread)))
        votes = dict(
            db.session.execute(select(Vote.suggestion_id, func.count()).group_by(Vote.suggestion_id)).all()
        )
        comments = dict(
            db.session.execute(
                select(Comment.suggestion_id, func.count()).group_by(Comment.suggestion_id)
            ).all()
        )
        for s in db.session.scalars(select(Suggestion).where(Suggestion.duplicate_of_id.is_(None))):
            assert s.vote_count >= votes.get(s.id, 0)
            assert s.comment_count == comments.get(s.id, 0)
        # Long threads exist (the benchmark's thread page shows 50 posts).
        assert db.session.scalar(select(func.max(Thread.reply_count))) >= 49
        # Anonymity: no author on anonymous suggestions, their author's rows carry no person and only a day.
        anonymous = select(Suggestion.id).where(Suggestion.is_anonymous.is_(True))
        assert db.session.scalar(select(func.count()).select_from(anonymous.subquery())) > 20
        assert not db.session.scalar(
            select(func.count()).where(Suggestion.is_anonymous.is_(True), Suggestion.author_id.is_not(None))
        )
        for c in db.session.scalars(select(Comment).where(Comment.kind == "author")):
            assert c.author_id is None and (c.created_at.hour, c.created_at.minute) == (0, 0)
        for change in db.session.scalars(
            select(StatusChange).where(
                StatusChange.to_status == "withdrawn", StatusChange.suggestion_id.in_(anonymous)
            )
        ):
            assert change.actor_id is None and change.created_at.hour == 0


def test_same_seed_same_data_and_a_second_run_is_refused(site: Flask):
    assert _generate(site, "--seed=3").exit_code == 0
    with site.app_context():
        first = _fingerprint()
    again = site.test_cli_runner().invoke(args=["demo", "generate", *SIZES])
    assert again.exit_code != 0 and "already holds generated data" in again.output
    _empty(site)
    assert _generate(site, "--seed=3").exit_code == 0
    with site.app_context():
        assert _fingerprint() == first
    _empty(site)
    assert _generate(site, "--seed=4").exit_code == 0
    with site.app_context():
        assert _fingerprint() != first
