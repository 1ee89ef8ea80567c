"""Snippets of long texts: the start is searched first, and a match further on is still shown."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from intranet.indexing import Document, Found, Realms
from search.backend import SNIPPET_SCAN, Criteria
from search.query import parse
from search.whoosh_backend import WhooshBackend
from tests.search.conftest import ON_POSTGRESQL

FILLER = "The weekly report covers deliveries and orders for the whole team. "
READER = Realms(readable=frozenset({"group:1"}), moderated=frozenset())


@pytest.fixture
def make_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """The engine of the run (TEST_SEARCH_BACKEND): Whoosh in a temp dir, or PostgreSQL on the
    run's database (its search tables emptied after the test)."""
    if not ON_POSTGRESQL:
        yield lambda: WhooshBackend(tmp_path / "ix", ["en"])
        return
    from intranet.config import with_driver
    from search.pg_backend import PostgresBackend

    url = request.getfixturevalue("database_url")
    engine = sa.create_engine(with_driver(url))
    yield lambda: PostgresBackend(engine, ["en"])
    PostgresBackend(engine, ["en"]).rebuild(iter(()), lambda n: None)
    engine.dispose()


def snippet_of(make_engine: Any, body: str, query: str) -> str:
    doc = Document("post:1", "post", "", body, "group:1", None, date(2026, 3, 1))
    engine = make_engine()
    engine.rebuild(iter([doc]), lambda n: None)

    def load(keys: list[str]) -> dict[str, Found]:
        return {doc.key: Found(doc.key, doc.kind, "", "/", "Lunch", body, doc.date)}

    try:
        results = engine.search(Criteria(query=parse(query)), READER, load)
    finally:
        engine.close()
    assert results.total == 1
    return str(results.hits[0].snippet)


@pytest.mark.parametrize("at", ["start", "cut", "end"])
def test_a_long_texts_snippet_marks_the_word_wherever_it_is(make_engine: Any, at: str) -> None:
    filler = FILLER * (2 * SNIPPET_SCAN // len(FILLER))
    cut = SNIPPET_SCAN - 4  # the word straddles the end of the start that is searched first
    body = {
        "start": "Forklift batteries run flat. " + filler,
        "cut": filler[:cut] + " forklift batteries " + filler[cut:],
        "end": filler + "Forklift batteries run flat.",
    }[at]
    snippet = snippet_of(make_engine, body, "forklift")
    assert "<mark>forklift</mark>" in snippet.lower()
    assert "batteries" in snippet


def test_a_prefix_is_marked_in_a_long_texts_start(make_engine: Any) -> None:
    body = "Forklifts everywhere. " + FILLER * 80
    snippet = snippet_of(make_engine, body, "forklift*")
    assert snippet.startswith("<mark>Forklifts</mark>")


@pytest.mark.parametrize("query", ["xss", "batteries", "onerror", "href"])
def test_words_in_text_that_looks_like_html_are_found_and_shown_as_text(make_engine: Any, query: str) -> None:
    # PostgreSQL's parser took "<...>" for a tag and dropped it, and everything after "<script>".
    body = (
        'Quote <a href="https://wiki.example/x">the wiki</a>: <img src=x onerror=alert(1)> and '
        "<script>xss(1)</script>, then forklift batteries."
    )
    snippet = snippet_of(make_engine, body, query)
    assert f"<mark>{query}</mark>" in snippet.lower()
    assert "&lt;script&gt;" in snippet and "<script>" not in snippet and "<img" not in snippet
