"""Search fixtures: the groups' small company (every role), content written through the real
services and committed so the outbox puts it into the test's own Whoosh index, and people
searching over HTTP, each request in an app context of its own as in production.

The ``company`` fixture keeps one app context open for the whole test. The outbox is applied
after a commit when a request or app context ends; since this one does not end, the helpers
here apply it themselves (:func:`index_pending`), exactly as the teardown would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, g
from werkzeug.test import TestResponse
from whoosh import index as whoosh_index

from groups import moderation, posting
from groups import services as group_services
from groups.models import Group, Post, Thread, Visibility
from groups.permissions import forget_access
from intranet.extensions import db
from intranet.models import User
from search import outbox
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

#: How long the helpers wait for Whoosh's writer lock (nothing else writes in a test).
LOCK_WAIT = 10.0


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
    """Everything the index holds, as text: ("stored", field, value) and ("term", field, term) rows."""
    rows: list[tuple[str, str, str]] = []
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
