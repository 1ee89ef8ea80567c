"""What is the PostgreSQL engine's own: its migration, stems per language, its lock, its snippets,
and the configuration that selects it. Runs on a PostgreSQL TEST_DATABASE_URL only (the
PostgreSQL runs of tests/run-suites.sh); the SQLite run has no server to run them on."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from intranet import create_app
from intranet.config import ConfigError
from intranet.indexing import Document, Found, Realms
from search.backend import Criteria, IndexBusy, IndexUnavailable
from search.pg_backend import PostgresBackend, _lock, edit_distance
from search.query import parse
from tests.conftest import base_config

if os.environ.get("TEST_DATABASE_URL", "").strip() in ("", "sqlite"):
    pytest.skip("PostgreSQL engine tests need a PostgreSQL TEST_DATABASE_URL", allow_module_level=True)

READER = Realms(readable=frozenset({"group:1"}), moderated=frozenset())
LANGUAGES = ["en", "no", "da", "nl", "sv"]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The run's migrated database; its search tables are emptied after each test."""
    from intranet.config import with_driver

    eng = sa.create_engine(with_driver(database_url))
    yield eng
    with eng.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM ting_search.search_documents; DELETE FROM ting_search.search_words")
        )
    eng.dispose()


def doc(key: str, title: str, body: str = "", realm: str = "group:1", **kw: object) -> Document:
    return Document(key, kw.pop("kind", "post"), title, body, realm, None, date(2026, 3, 1), **kw)  # type: ignore[arg-type]


def backend_with(engine: Engine, *docs: Document) -> PostgresBackend:
    backend = PostgresBackend(engine, LANGUAGES)
    backend.rebuild(iter(docs), lambda n: None)
    return backend


def search(backend: PostgresBackend, text: str, docs: dict[str, Document] | None = None) -> list[str]:
    results = backend.search(Criteria(query=parse(text)), READER, _loader(docs or {}))
    return [hit.found.key for hit in results.hits]


def _loader(docs: dict[str, Document]):  # noqa: ANN202 - a search.backend.Loader
    def load(keys: list[str]) -> dict[str, Found]:
        return {
            k: Found(
                k,
                docs[k].kind if k in docs else "post",
                "",
                "/",
                "Lunch",
                docs[k].body if k in docs else "",
                date(2026, 3, 1),
            )
            for k in keys
        }

    return load


def test_migration_made_the_gin_index_and_the_realm_index(engine: Engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = 'ting_search' AND tablename = 'search_documents'"
            )
        )
        indexes = {name: definition for name, definition in rows}
    assert "USING gin (vector)" in indexes["ix_search_documents_vector"]
    assert "(realm, restricted)" in indexes["ix_search_documents_realm"]


@pytest.mark.parametrize(
    ("title", "query"),
    [
        ("Forslag om lengre åpningstid i kantinen", "kantine"),  # Norwegian: kantinen / kantine
        ("Vi har fått mange forslag om kantina", "forslagene"),
        ("Nieuwe koffieautomaten op de derde verdieping", "koffieautomaat"),  # Dutch
        ("Overdækket cykelskur til medarbejderne", "medarbejder"),  # Danish
    ],
)
def test_a_word_finds_another_form_of_it_in_its_language(engine: Engine, title: str, query: str) -> None:
    backend = backend_with(engine, doc("post:1", title), doc("post:2", "Parking permits for visitors"))
    assert search(backend, query) == ["post:1"]


def test_a_phrase_skips_stop_words_as_whoosh_does(engine: Engine) -> None:
    backend = backend_with(
        engine, doc("post:1", "Swapping a shift at night"), doc("post:2", "Night shift notes")
    )
    assert search(backend, '"shift night"') == ["post:1"]
    assert search(backend, '"night shift"') == ["post:2"]


def test_a_busy_writer_lock_is_index_busy_after_the_timeout(engine: Engine) -> None:
    backend = backend_with(engine)
    with engine.connect() as other, other.begin():
        _lock(other, timeout=1.0)
        with pytest.raises(IndexBusy), backend.writer(timeout=0.1) as writer:
            writer.put(doc("post:1", "Never written"))
    with backend.writer(timeout=1.0) as writer:  # the lock went with the other transaction
        writer.put(doc("post:1", "Written now"))
    assert set(backend.stamps()) == {"post:1"}


def test_a_writer_that_fails_writes_nothing(engine: Engine) -> None:
    backend = backend_with(engine, doc("post:1", "Forklift batteries"))
    with pytest.raises(RuntimeError), backend.writer(timeout=1.0) as writer:
        writer.delete("post:1")
        writer.put(doc("post:2", "Forklift tyres"))
        raise RuntimeError
    assert set(backend.stamps()) == {"post:1"}


def test_snippets_escape_html_and_mark_only_the_words(engine: Engine) -> None:
    body = 'Planning the zanzibar offsite <script>alert("xss")</script> <img src=x onerror=alert(1)> & more'
    d = doc("post:1", "Offsite", body)
    backend = backend_with(engine, d)
    results = backend.search(Criteria(query=parse("zanzibar")), READER, _loader({"post:1": d}))
    snippet = str(results.hits[0].snippet)
    assert "<mark>zanzibar</mark>" in snippet
    assert "&lt;script&gt;" in snippet and "&lt;img src=x" in snippet and "&amp; more" in snippet
    assert "<script" not in snippet and "<img" not in snippet


def test_corrections_come_from_the_words_table_and_follow_deletions(engine: Engine) -> None:
    backend = backend_with(
        engine, doc("post:1", "Whiteboard markers are dry"), doc("post:2", "Whiteboard wipes")
    )
    assert backend.corrections("whitebord") == ["whiteboard"]
    assert backend.corrections("whiteboard") == []  # an indexed word needs no correction
    with backend.writer(timeout=1.0) as writer:
        writer.delete("post:1")
        writer.put(doc("post:2", "Magnets"))
    assert backend.corrections("whitebord") == []
    assert backend.corrections("magnats") == ["magnets"]


def test_edit_distance_is_levenshtein_with_a_cut_off() -> None:
    assert edit_distance("kantien", "kantinen", 2) == 1
    assert edit_distance("recyling", "recycling", 2) == 1
    assert edit_distance("abc", "xyz", 1) == 2  # past the limit: limit + 1


def test_a_missing_table_is_index_unavailable(engine: Engine) -> None:
    backend = PostgresBackend(engine, LANGUAGES)
    with engine.connect() as conn:
        conn.execute(sa.text("ALTER TABLE ting_search.search_documents RENAME TO search_documents_away"))
        conn.commit()
        try:
            with pytest.raises(IndexUnavailable):
                search(backend, "anything")
            with pytest.raises(IndexUnavailable), backend.writer(timeout=1.0) as writer:
                writer.put(doc("post:1", "Lost"))
        finally:
            conn.rollback()
            conn.execute(sa.text("ALTER TABLE ting_search.search_documents_away RENAME TO search_documents"))
            conn.commit()


def test_config_postgresql_search_on_sqlite_is_a_config_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ting.sqlite'}"
    with pytest.raises(ConfigError, match="INTRANET_SEARCH_BACKEND=postgresql .* must then be PostgreSQL"):
        create_app(base_config(url, SEARCH_BACKEND="postgresql", INDEX_DIR=str(tmp_path / "index")))


def test_config_unknown_search_backend_is_a_config_error(database_url: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="INTRANET_SEARCH_BACKEND must be one of whoosh, postgresql"):
        create_app(base_config(database_url, SEARCH_BACKEND="elastic", INDEX_DIR=str(tmp_path / "index")))


def test_config_postgresql_search_on_postgresql_builds_the_engine(database_url: str, tmp_path: Path) -> None:
    app = create_app(
        base_config(database_url, SEARCH_BACKEND="PostgreSQL", INDEX_DIR=str(tmp_path / "index"))
    )
    try:
        assert isinstance(app.extensions["search"], PostgresBackend)
        assert not (tmp_path / "index").exists()  # nothing on local disk
    finally:
        with app.app_context():
            from intranet.extensions import db

            db.engine.dispose()
