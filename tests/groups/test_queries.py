"""A thread page costs the same number of SQL queries with 10 posts as with 200 (no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from groups import moderation, posting, services
from groups.models import Visibility
from intranet.extensions import db
from tests.groups.conftest import login_as, make_user, new_group


@contextmanager
def count_queries(app) -> Iterator[list[str]]:  # noqa: ANN001
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _thread_with(company, group, posts: int, authors: list) -> int:  # noqa: ANN001
    thread = posting.start_thread(
        company.lead, group, title=f"{posts} posts", body="Opening post", is_question=True
    )
    for i in range(posts - 1):
        post = posting.reply(authors[i % len(authors)], thread, f"Reply {i} mentioning @member **bold**")
        if i % 7 == 3:
            posting.edit_post(post.author, post, f"Reply {i}, edited", post.version)
        if i % 11 == 5:
            moderation.hide_post(company.admin, post, "Off topic")
        if i % 13 == 6:
            posting.delete_post(post.author, post)
    return thread.id


@pytest.mark.parametrize("viewer", ["member", "lead"])
@pytest.mark.parametrize("visibility", [Visibility.OPEN, Visibility.CLOSED])
def test_thread_page_query_count_does_not_grow_with_posts(make_app, viewer, visibility):
    app = make_app(POSTS_PER_PAGE=500)
    with app.test_request_context():
        from tests.groups.conftest import build_company

        company = build_company()
        authors = [company.member, company.colleague] + [
            make_user(f"writer{i}", company.sales) for i in range(18)
        ]
        db.session.flush()
        group = new_group(company, "Counted", visibility=visibility)
        for person in authors:
            services.invite_member(company.lead, group, person)
        small = _thread_with(company, group, 10, authors)
        large = _thread_with(company, group, 200, authors)
        db.session.commit()
        viewer_id = company.person(viewer).get_id()

    client = login_as(app.test_client(), viewer_id)
    counts = {}
    for thread_id, size in ((small, 10), (large, 200)):
        client.get(f"/groups/threads/{thread_id}")  # warm-up: caches outside the database
        with count_queries(app) as statements:
            response = client.get(f"/groups/threads/{thread_id}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert html.count('<article class="post') == size  # every post is on the one page
        counts[size] = len(statements)
    assert counts[10] == counts[200], counts
    assert counts[10] < 25, counts  # and it is a small number, not merely a constant one
