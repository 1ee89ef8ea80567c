"""Remembered fragments (thread posts, group thread rows, suggestion rows) show every viewer
exactly what a fresh render shows them, before and after the things they show change."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from groups import moderation, posting
from groups.models import Post, Thread
from intranet.extensions import db
from intranet.models import User
from suggestions import votes
from suggestions.models import Suggestion
from tests.conftest import login

VIEWERS = ("zoe", "amelie", "sanna", "bjorn", "jurgen", "ingrid", "priya")
CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(r'value="([^"]+)"')


def _tokens(html: str) -> list[str]:
    return [VALUE.search(tag).group(1) for tag in CSRF_INPUT.findall(html)]


def _without_tokens(html: str) -> str:
    return CSRF_INPUT.sub("<csrf>", html)


def _urls(app: Flask) -> list[str]:
    with app.app_context():
        thread = db.session.scalars(
            select(Thread).where(Thread.title == "How do I get access to the staging database?")
        ).one()
        return [
            f"/groups/threads/{thread.id}",
            f"/groups/{thread.group_id}",
            "/suggestions/?status=",
            "/suggestions/?sort=votes",
        ]


def _clients(app: Flask) -> dict[str, FlaskClient]:
    out = {}
    for name in VIEWERS:
        client = app.test_client()
        assert login(client, name, "demo").status_code == 302
        out[name] = client
    return out


def _same_pages(cached: dict[str, FlaskClient], fresh: dict[str, FlaskClient], urls: list[str]) -> None:
    for order in (VIEWERS, tuple(reversed(VIEWERS))):  # each viewer after the others warmed the cache
        for name in order:
            for url in urls:
                got = cached[name].get(url)
                want = fresh[name].get(url)
                assert got.status_code == want.status_code, (name, url)
                html = got.get_data(as_text=True)
                assert _without_tokens(html) == _without_tokens(want.get_data(as_text=True)), (name, url)
                # Every form on the page carries this viewer's own token, none another's.
                if got.status_code == 200:
                    assert len(set(_tokens(html))) == 1, (name, url)


def _rename_and_deactivate(app: Flask) -> None:
    """The directory renames one author and removes another: their posts stay as they were."""
    with app.app_context():
        user = {u.username: u for u in db.session.scalars(select(User))}
        user["jurgen"].display_name = "Jürgen Renamed"
        user["sanna"].is_deactivated = True  # her name is marked; she is logged out
        db.session.commit()


def _change_posts_and_votes(app: Flask) -> None:
    """Edit, hide, delete, unaccept, lock, vote: what the keys must notice."""
    with app.test_request_context():  # the services notify, with links
        user = {u.username: u for u in db.session.scalars(select(User))}
        thread = db.session.scalars(
            select(Thread).where(Thread.title == "How do I get access to the staging database?")
        ).one()
        posts = list(db.session.scalars(select(Post).where(Post.thread_id == thread.id).order_by(Post.id)))
        opening, first_reply, _answer, critique = posts[:4]
        posting.edit_post(user["zoe"], opening, opening.body + " (Edited: found the form.)", opening.version)
        moderation.hide_post(user["bjorn"], critique, "Off topic for this question.")
        posting.delete_post(user["amelie"], first_reply)
        posting.set_accepted_answer(thread, None)
        thread.is_locked = True
        top = db.session.scalars(select(Suggestion).order_by(Suggestion.vote_count.desc())).first()
        votes.vote(user["zoe"], top)
        db.session.commit()


def test_remembered_fragments_match_a_fresh_render_for_every_viewer(make_app: Any) -> None:
    cached = make_app()
    fresh = make_app(FRAGMENT_CACHE_SIZE=0)
    result = cached.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    urls = _urls(cached)
    cached_clients, fresh_clients = _clients(cached), _clients(fresh)

    _same_pages(cached_clients, fresh_clients, urls)
    remembered = len(cached.extensions["fragments"]._items)
    assert remembered > 10  # the pages did use the cache
    assert len(fresh.extensions["fragments"]._items) == 0

    for change in (_rename_and_deactivate, _change_posts_and_votes):
        change(cached)
        _same_pages(cached_clients, fresh_clients, urls)
        now = len(cached.extensions["fragments"]._items)
        assert now > remembered  # changed cards were rendered anew
        remembered = now
