"""Search fixtures: the groups' small company (every role), content written through the real
services and committed so the outbox puts it into the test's own index, and people
searching over HTTP, each request in an app context of its own as in production.

``TEST_SEARCH_BACKEND=postgresql`` (with a PostgreSQL ``TEST_DATABASE_URL``) runs the same tests
on the PostgreSQL engine; tests of Whoosh's own files are marked ``whoosh_only`` and are
deselected in that run (``-m "not whoosh_only"``), or skipped if run anyway. The helpers that
read "the index itself" read the engine's files or tables.

The ``company`` fixture keeps one app context open for the whole test. The outbox is applied
after a commit when a request or app context ends; since this one does not end, the helpers
here apply it themselves (:func:`index_pending`), exactly as the teardown would.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g
from werkzeug.test import TestResponse
from whoosh import index as whoosh_index

from groups import moderation, posting
from groups import services as group_services
from groups.models import Group, Post, Thread, Visibility
from groups.permissions import forget_access
from intranet.extensions import db
from intranet.models import User
from search import outbox, pg_backend
from search import services as search_services
from suggestions.models import Suggestion
from tests.groups.conftest import (  # noqa: F401 - fixtures and helpers shared with the groups tests
    Company,
    app,
    build_company,
    company,
    login_as,
    make_user,
    new_group,
    post_form,
)
from tests.suggestions.conftest import draft, staffed, submit  # noqa: F401 - shared with the suggestions tests

#: How long the helpers wait for the index's writer lock (nothing else writes in a test).
LOCK_WAIT = 10.0
#: The engine the search tests run on (tests/conftest.py's base_config reads the same variable).
SEARCH_BACKEND = os.environ.get("TEST_SEARCH_BACKEND", "whoosh")
ON_POSTGRESQL = SEARCH_BACKEND == "postgresql"
whoosh_only = pytest.mark.whoosh_only


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run on PostgreSQL without ``-m "not whoosh_only"``, the Whoosh tests say why they do not run."""
    if not ON_POSTGRESQL:
        return
    skip = pytest.mark.skip(reason="tests Whoosh's index files; TEST_SEARCH_BACKEND=postgresql")
    for item in items:
        if item.get_closest_marker("whoosh_only"):
            item.add_marker(skip)


# -- keeping the index in step ------------------------------------------------------------------------


def index_pending() -> int:
    """Apply the whole outbox now, as the end of a request would; afterwards the outbox is empty."""
    g.pop("_search_apply", None)
    applied = outbox.sync(timeout=LOCK_WAIT)
    assert outbox.pending_count() == 0
    return applied


def commit() -> None:
    """Commit what the services flushed, then bring the index up to date."""
    db.session.commit()
    index_pending()


def stamps(site: Flask) -> dict[str, str]:
    """Every indexed key with its fingerprint: equal before and after means the index was not touched."""
    return dict(site.extensions["search"].stamps())


# -- content through the real services, committed and indexed ----------------------------------------


def group(staff: Company, name: str, visibility: Visibility = Visibility.CLOSED, **kwargs: Any) -> Group:
    """A group in sales created by its lead (closed unless told otherwise)."""
    grp = new_group(staff, name, visibility=visibility, **kwargs)
    commit()
    return grp


def thread(author: User, grp: Group, title: str, body: str = "Opening words.") -> Thread:
    started = posting.start_thread(author, grp, title=title, body=body)
    commit()
    return started


def reply(author: User, to: Thread, body: str) -> Post:
    post = posting.reply(author, to, body)
    commit()
    return post


def hide(moderator: User, post: Post, reason: str = "Off topic.") -> None:
    assert moderation.hide_post(moderator, post, reason), "the hide waits for a second moderator"
    commit()


def delete(author: User, post: Post) -> None:
    posting.delete_post(author, post)
    commit()


def add_member(staff: Company, grp: Group, user: User) -> None:
    """``user`` asks to join the closed group and its department's lead approves."""
    request = group_services.request_to_join(user, grp, "Please let me in.")
    group_services.decide_request(staff.lead, request, approve=True)
    db.session.commit()


def suggestion(author: User | None, title: str, **kw: Any) -> Suggestion:
    """A named suggestion, or an anonymous one when ``author`` is None; indexed."""
    made = submit(author, title, **kw)
    index_pending()
    return made


# -- searching ----------------------------------------------------------------------------------------


def search_as(user: User, text: str, **kw: Any) -> search_services.Outcome:
    """The search service for ``user``, with their group access read afresh (as a new request would)."""
    forget_access()
    return search_services.search(user, text, **kw)


def similar_as(user: User, title: str) -> list[Any]:
    forget_access()
    return search_services.similar_suggestions(user, title)


def keys(outcome: search_services.Outcome) -> set[str]:
    """The keys of the hits on the outcome's page (``thread:3``, ``post:7``…)."""
    assert outcome.results is not None, "the search did not run (empty query or degraded index)"
    return {hit.found.key for hit in outcome.results.hits}


class Searcher:
    """One person's browser on the search pages; each request has an app context of its own."""

    def __init__(self, site: Flask, user: User) -> None:
        self.app, self.client = site, login_as(site.test_client(), user)

    def get(self, url: str, **params: str) -> TestResponse:
        with self.app.app_context():
            return self.client.get(url, query_string=params or None)

    def page(self, url: str, **params: str) -> str:
        response = self.get(url, **params)
        assert response.status_code == 200, (url, params, response.status_code)
        return response.get_data(as_text=True)

    def search(self, q: str, **params: str) -> str:
        """The results page for ``q`` (as HTML)."""
        return self.page("/search/", q=q, **params)

    def similar(self, title: str) -> str:
        """The duplicate-hints fragment for a title being typed (as HTML)."""
        return self.page("/search/similar", title=title)


# -- the index itself, read directly --------------------------------------------------------------------


def _rows(site: Flask, statement: Any) -> list[Any]:
    """Rows of the PostgreSQL engine's tables, read on a connection of its own."""
    with site.app_context(), db.engine.connect() as conn:
        return list(conn.execute(statement))


def indexed(site: Flask) -> dict[str, str]:
    """Every key the index holds with its stamp, read afresh (not through the app's searcher)."""
    if ON_POSTGRESQL:
        docs = pg_backend.documents
        return dict(_rows(site, sa.select(docs.c.key, docs.c.stamp)))
    with index_reader(site) as reader:
        return {fields["key"]: fields["stamp"] for fields in reader.all_stored_fields()}


def indexed_date(site: Flask, key: str) -> datetime:
    """The date the index keeps for a document (what "newest first" sorts by)."""
    if ON_POSTGRESQL:
        docs = pg_backend.documents
        return _rows(site, sa.select(docs.c.date).where(docs.c.key == key))[0].date
    with index_reader(site) as reader:
        return reader.column_reader("date", translate=True)[reader.first_id("key", key)]


def indexed_realm(site: Flask, key: str) -> str | None:
    """The realm the index files ``key`` under."""
    if ON_POSTGRESQL:
        docs = pg_backend.documents
        rows = _rows(site, sa.select(docs.c.realm).where(docs.c.key == key))
        return rows[0].realm if rows else None
    from whoosh import query as wq

    ix = whoosh_index.open_dir(site.config["INDEX_DIR"])
    try:
        with ix.searcher() as searcher:  # realm is indexed, not stored
            for realm in searcher.reader().field_terms("realm"):
                hits = searcher.search(wq.And([wq.Term("key", key), wq.Term("realm", realm)]), limit=1)
                if not hits.is_empty():
                    return realm
    finally:
        ix.close()
    return None


def wipe_index(site: Flask) -> None:
    """Lose the whole index, as a new host or a restore without it would."""
    if ON_POSTGRESQL:
        with site.app_context(), db.engine.begin() as conn:
            conn.execute(pg_backend.documents.delete())
            conn.execute(pg_backend.words.delete())
        return
    shutil.rmtree(site.config["INDEX_DIR"])


def document_count(site: Flask) -> int:
    """How many documents the index holds (a document put twice would count twice in Whoosh)."""
    if ON_POSTGRESQL:
        return _rows(site, sa.select(sa.func.count()).select_from(pg_backend.documents))[0][0]
    with index_reader(site) as reader:
        return reader.doc_count()


#: Where the words of a title end up, per engine (see index_contents).
TITLE_TERM_FIELDS = {"spell", "vector"} if ON_POSTGRESQL else {"spell", "title_en"}


@contextmanager
def write_lock_held(site: Flask) -> Iterator[None]:
    """The index's writer lock, held as another process would hold it (nothing is written)."""
    if ON_POSTGRESQL:
        with site.app_context(), db.engine.connect() as conn, conn.begin():
            pg_backend._lock(conn, timeout=LOCK_WAIT)
            yield
        return
    writer = whoosh_index.open_dir(site.config["INDEX_DIR"]).writer()
    try:
        yield
    finally:
        writer.cancel()


@contextmanager
def own_index(site: Flask) -> Iterator[None]:
    """Give apps made in the block an index of their own, as Whoosh's INDEX_DIR does: on
    PostgreSQL every app on the database shares the tables, so they are put back afterwards."""
    if not ON_POSTGRESQL:
        yield
        return
    tables = (pg_backend.documents, pg_backend.words)
    saved = {table.name: [row._asdict() for row in _rows(site, sa.select(table))] for table in tables}
    try:
        yield
    finally:
        with site.app_context(), db.engine.begin() as conn:
            for table in tables:
                conn.execute(table.delete())
                if saved[table.name]:
                    conn.execute(table.insert(), saved[table.name])


@contextmanager
def index_reader(site: Flask) -> Iterator[Any]:
    """A Whoosh reader on the test's index directory, opened without the app's backend."""
    ix = whoosh_index.open_dir(site.config["INDEX_DIR"])
    reader = ix.reader()
    try:
        yield reader
    finally:
        reader.close()
        ix.close()


def index_contents(site: Flask) -> list[tuple[str, str, str]]:
    """Everything the index holds, as text: ("stored", field, value) and ("term", field, term) rows
    (on PostgreSQL: every column of every document, each lexeme of their vectors as a "vector"
    term, and each word for "did you mean" as a "spell" term)."""
    rows: list[tuple[str, str, str]] = []
    if ON_POSTGRESQL:
        docs, words = pg_backend.documents, pg_backend.words
        for row in _rows(site, sa.select(docs)):
            rows += [("stored", name, str(value)) for name, value in row._asdict().items()]
        lexemes = sa.func.unnest(sa.func.tsvector_to_array(docs.c.vector))
        rows += [("term", "vector", lexeme) for (lexeme,) in _rows(site, sa.select(lexemes))]
        rows += [("term", "spell", word) for (word,) in _rows(site, sa.select(words.c.word))]
        return rows
    with index_reader(site) as reader:
        schema = reader.schema
        for fields in reader.all_stored_fields():
            rows += [("stored", name, str(value)) for name, value in fields.items()]
        for name, raw in reader.all_terms():
            try:
                value = schema[name].from_bytes(raw)
            except Exception:  # a term type without a decoder: keep its bytes as latin-1
                value = raw.decode("latin-1")
            rows.append(("term", name, str(value)))
    return rows
