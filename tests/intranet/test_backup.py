"""``flask backup create | restore`` on the suite's database kind, each on a database of its own.

A backup taken of the demo data plus new posts, suggestions and votes (one anonymous) must
bring back every row of every table after later edits, additions and deletions, with the
search index rebuilt to match; and a restore that cannot be done must change nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tarfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import delete, inspect, select, text, update

from groups import posting
from groups.models import Group, Post, Thread, Visibility
from groups.permissions import forget_access
from intranet import create_app
from intranet.extensions import db
from intranet.models import User
from search import services as search_services
from suggestions import services, votes
from suggestions.models import Suggestion, Vote
from tests.conftest import Databases, base_config, with_empty_index
from tests.suggestions.conftest import draft

ON_POSTGRESQL = os.environ.get("TEST_DATABASE_URL", "").strip() not in ("", "sqlite")
HEAD = "0011"

# Words no demo text holds: each is found only where the test put it.
KEPT_WORD = "quorvantine"  # written before the backup
ANON_WORD = "plexiborant"  # in the anonymous suggestion, before the backup
LATER_WORD = "zindlemarsh"  # written after the backup: gone with the restore
EDIT_WORD = "brumbletoft"  # an edit after the backup: gone too

Tables = dict[str, list[tuple[Any, ...]]]


@pytest.fixture(scope="module")
def fresh(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Apps on databases of their own at a given revision, each with its own search index."""
    apps: list[Flask] = []
    tmp = tmp_path_factory.mktemp("backup-apps")

    def make(revision: str | None = "head", *, url: str | None = None, **config: Any) -> Flask:
        """``revision=None``: an empty database, as on a new machine."""
        url = url or databases.create()
        app = create_app(base_config(url, INDEX_DIR=str(tmp / f"index-{len(apps)}"), **config))
        with app.app_context():
            if revision:
                upgrade(revision=revision)
            db.engine.dispose()
        apps.append(with_empty_index(app))
        return app

    yield make
    for app in apps:
        app.extensions["search"].close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def cli(app: Flask, *args: str, input: str | None = None) -> Any:
    return app.test_cli_runner().invoke(args=list(args), input=input)


def rows() -> Tables:
    """Every row of every table in the database (not only the models'), sorted, table by table."""
    tables: Tables = {}
    with db.engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            result = conn.execute(text(f'SELECT * FROM "{name}"'))  # noqa: S608 - names from the database
            tables[name] = sorted((tuple(r) for r in result), key=repr)
    return tables


def schema() -> dict[str, set[str]]:
    """Tables and their columns, in every schema Ting uses."""
    found: dict[str, set[str]] = {}
    with db.engine.connect() as conn:
        schemas = [None] + (["ting_search"] if conn.dialect.name == "postgresql" else [])
        sa = inspect(conn)
        for name in schemas:
            for table in sa.get_table_names(schema=name):
                found[f"{name or ''}.{table}"] = {c["name"] for c in sa.get_columns(table, schema=name)}
    return found


def person(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def hits(username: str, word: str) -> int:
    forget_access()
    outcome = search_services.search(person(username), word)
    assert not outcome.degraded
    return outcome.results.total if outcome.results else 0


def demo_company(app: Flask) -> None:
    """The demo staff and content, plus a thread, a reply, suggestions (one anonymous) and votes."""
    result = cli(app, "demo", "load")
    assert result.exit_code == 0, result.output
    with app.test_request_context():
        zoe, bjorn, ingrid = person("zoe"), person("bjorn"), person("ingrid")
        group = db.session.scalars(select(Group).where(Group.visibility == Visibility.OPEN)).first()
        thread = posting.start_thread(zoe, group, title="Kept thread", body=f"About {KEPT_WORD} and more.")
        posting.reply(bjorn, thread, "A reply that stays.")
        named = services.submit_named(bjorn, draft("Signed idea", body="Longer lunch breaks, please."))
        anonymous, _receipt = services.submit_anonymous(
            draft("Unsigned idea", body=f"The {ANON_WORD} leaks.")
        )
        db.session.flush()
        for voter in (zoe, ingrid):
            votes.vote(voter, anonymous)
        votes.vote(zoe, named)
        db.session.commit()


def change_everything(app: Flask) -> None:
    """After the backup: new content, an edit, deleted rows, a changed suggestion."""
    with app.test_request_context():
        zoe = person("zoe")
        group = db.session.scalars(select(Group).where(Group.visibility == Visibility.OPEN)).first()
        posting.start_thread(zoe, group, title="Later thread", body=f"About {LATER_WORD}.")
        kept = db.session.scalar(select(Thread).where(Thread.title == "Kept thread"))
        first = db.session.scalars(select(Post).where(Post.thread_id == kept.id).order_by(Post.id)).first()
        posting.edit_post(zoe, first, f"Now about {EDIT_WORD}.", expected_version=first.version)
        db.session.commit()
    with app.test_request_context():
        db.session.execute(delete(Vote))
        db.session.execute(update(Suggestion).values(title="Renamed after the backup"))
        db.session.commit()


@pytest.mark.parametrize(
    "engine",
    [
        "whoosh",
        pytest.param("postgresql", marks=pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL only")),
    ],
)
def test_restore_brings_back_every_row_and_a_matching_index(fresh: Any, tmp_path: Path, engine: str) -> None:
    app = fresh(SEARCH_BACKEND=engine)
    demo_company(app)
    with app.test_request_context():
        before, shape = rows(), schema()
        assert hits("zoe", KEPT_WORD) == 1 and hits("zoe", ANON_WORD) == 1
    backup = tmp_path / "backups" / "nightly.tar"

    made = cli(app, "backup", "create", "--output", str(backup))
    assert made.exit_code == 0, made.output
    assert backup.is_file() and backup.stat().st_mode & 0o077 == 0, "the backup is its owner's alone"
    assert_plain_manifest(app, backup)

    change_everything(app)
    with app.test_request_context():
        changed = rows()
        assert hits("zoe", LATER_WORD) == 1 and hits("zoe", EDIT_WORD) == 1
    assert changed != before

    restored = cli(app, "backup", "restore", str(backup), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "Rebuilt the search index" in restored.output

    with app.test_request_context():
        after = rows()
        assert sorted(after) == sorted(before)
        for name in before:
            assert after[name] == before[name], name
        assert schema() == shape, "the restore adds no table or column (TRUST.md A1)"
        anonymous = db.session.scalar(select(Suggestion).where(Suggestion.title == "Unsigned idea"))
        assert anonymous.is_anonymous and anonymous.author_id is None and anonymous.credited_id is None
        assert anonymous.vote_count == 2
        assert hits("zoe", KEPT_WORD) == 1 and hits("zoe", ANON_WORD) == 1
        assert hits("zoe", LATER_WORD) == 0 and hits("zoe", EDIT_WORD) == 0
    check = cli(app, "search", "check")
    assert check.exit_code == 0 and "In step." in check.output, check.output


def test_a_backup_restores_onto_a_new_machine_with_an_empty_database(fresh: Any, tmp_path: Path) -> None:
    old = fresh()
    demo_company(old)
    backup = tmp_path / "b.tar"
    assert cli(old, "backup", "create", "--output", str(backup)).exit_code == 0
    with old.test_request_context():
        before = rows()

    new = fresh(revision=None)
    restored = cli(new, "backup", "restore", str(backup), "--yes")
    assert restored.exit_code == 0, restored.output
    with new.test_request_context():
        assert rows() == before
        assert hits("zoe", ANON_WORD) == 1


def test_an_older_backup_is_restored_then_migrated(fresh: Any, tmp_path: Path) -> None:
    """Ting was upgraded (migration 0011) after the backup: the restore goes back, then forward again."""
    app = fresh(revision="0010")
    demo_company(app)
    backup = tmp_path / "old.tar"
    made = cli(app, "backup", "create", "--output", str(backup))
    assert made.exit_code == 0 and "revision 0010" in made.output, made.output
    with app.test_request_context():
        users = rows()["users"]
        upgrade()
    change_everything(app)

    restored = cli(app, "backup", "restore", str(backup), "--yes")
    assert restored.exit_code == 0, restored.output
    assert f"Migrated the restored database to revision {HEAD}" in restored.output
    with app.test_request_context():
        assert rows()["users"] == users
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == HEAD
        assert "ix_suggestions_status_adopted" in {
            i["name"] for i in inspect(db.engine).get_indexes("suggestions")
        }
        assert hits("zoe", KEPT_WORD) == 1 and hits("zoe", LATER_WORD) == 0


def assert_plain_manifest(app: Flask, backup: Path) -> None:
    """The file holds the manifest and the database, and names no local user, host or database."""
    with tarfile.open(backup) as tar:
        members = tar.getmembers()
        data = tar.extractfile("ting-backup.json").read()  # type: ignore[union-attr]
    manifest = json.loads(data)
    assert [m.name for m in members] == ["ting-backup.json", manifest["payload"]]
    assert {(m.uname, m.gname, m.uid, m.gid) for m in members} == {("", "", 0, 0)}
    assert set(manifest) == {"format", "kind", "revision", "created_at", "payload", "size", "sha256"}
    assert manifest["kind"] == ("postgresql" if ON_POSTGRESQL else "sqlite") and manifest["revision"] == HEAD
    # Every value has its shape: none can hold a user, host, path or database name.
    assert isinstance(manifest["size"], int) and re.fullmatch(r"[0-9a-f]{64}", manifest["sha256"])
    assert datetime.fromisoformat(manifest["created_at"]).tzinfo is not None


# --- refusals: a message, a non-zero exit, nothing changed -----------------------------------------


@pytest.fixture(scope="module")
def target(fresh: Any) -> Flask:
    """The database a refused restore must leave exactly as it was (each refusal test checks)."""
    app = fresh()
    demo_company(app)
    return app


def refused(app: Flask, path: Path, message: str, input: str | None = None) -> None:
    with app.test_request_context():
        before = rows()
    result = cli(app, "backup", "restore", str(path), *([] if input else ["--yes"]), input=input)
    assert result.exit_code != 0, result.output
    assert message in result.output, result.output
    with app.test_request_context():
        assert rows() == before
        assert hits("zoe", KEPT_WORD) == 1


def good_backup(app: Flask, path: Path) -> Path:
    assert cli(app, "backup", "create", "--output", str(path)).exit_code == 0
    return path


def test_a_missing_backup_is_refused(target: Flask, tmp_path: Path) -> None:
    refused(target, tmp_path / "nowhere.tar", "There is no backup file at")


def test_a_file_that_is_no_backup_is_refused(target: Flask, tmp_path: Path) -> None:
    path = tmp_path / "notes.tar"
    path.write_text("shopping list\n" * 200)
    refused(target, path, "is not a Ting backup, or it is damaged")


def test_a_truncated_backup_is_refused(target: Flask, tmp_path: Path) -> None:
    path = good_backup(target, tmp_path / "b.tar")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    refused(target, path, "is not a Ting backup, or it is damaged")


def test_a_backup_with_a_changed_byte_is_refused(target: Flask, tmp_path: Path) -> None:
    path = good_backup(target, tmp_path / "b.tar")
    data = bytearray(path.read_bytes())
    with tarfile.open(path) as tar:
        payload = tar.getmembers()[1]
    middle = payload.offset_data + payload.size // 2
    data[middle] ^= 0xFF
    path.write_bytes(bytes(data))
    refused(target, path, "is damaged: its database does not match its checksum")


def test_a_backup_from_newer_code_is_refused(target: Flask, tmp_path: Path) -> None:
    with target.test_request_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = '0099'"))
        db.session.commit()
    try:
        path = good_backup(target, tmp_path / "newer.tar")
    finally:
        with target.test_request_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": HEAD})
            db.session.commit()
    refused(target, path, "revision 0099, which this code does not know: it was made by a newer version")


def test_a_declined_confirmation_restores_nothing(target: Flask, tmp_path: Path) -> None:
    path = good_backup(target, tmp_path / "b.tar")
    with target.test_request_context():
        db.session.execute(delete(Vote))
        db.session.commit()
    refused(target, path, "Nothing was restored.", input="n\n")


@pytest.mark.skipif(not ON_POSTGRESQL, reason="needs PostgreSQL: runs in the suite's PostgreSQL pass")
def test_a_backup_of_the_other_kind_of_database_is_refused(fresh: Any, target: Flask, tmp_path: Path) -> None:
    sqlite = fresh(url=f"sqlite:///{tmp_path / 'other.sqlite'}")
    demo_company(sqlite)
    refused(target, good_backup(sqlite, tmp_path / "sqlite.tar"), "This backup is of a sqlite database")
    refused(sqlite, good_backup(target, tmp_path / "pg.tar"), "This backup is of a postgresql database")


def test_a_restore_whose_index_cannot_be_rebuilt_says_so_and_keeps_the_database(
    fresh: Any, tmp_path: Path
) -> None:
    app = fresh()
    demo_company(app)
    backup = good_backup(app, tmp_path / "b.tar")
    with app.test_request_context():
        before = rows()
    change_everything(app)
    index = Path(app.config["INDEX_DIR"])
    app.extensions["search"].close()
    shutil.rmtree(index)
    index.write_text("a file where the index should be: the disk went wrong")

    result = cli(app, "backup", "restore", str(backup), "--yes")
    assert result.exit_code == 1, result.output
    assert "The database is restored, but the search index could not be rebuilt" in result.output
    assert "run `flask search rebuild`" in result.output
    with app.test_request_context():
        assert rows() == before
    index.unlink()
    assert cli(app, "search", "rebuild").exit_code == 0
    with app.test_request_context():
        assert hits("zoe", KEPT_WORD) == 1 and hits("zoe", LATER_WORD) == 0


@pytest.mark.skipif(not ON_POSTGRESQL, reason="pg_restore into psql: runs in the suite's PostgreSQL pass")
def test_an_archive_that_breaks_off_midway_is_refused(target: Flask, tmp_path: Path) -> None:
    """A dump cut short, its manifest made to match (a checksum proves only what it was given)."""
    whole = good_backup(target, tmp_path / "b.tar")
    with tarfile.open(whole) as tar:
        manifest = json.loads(tar.extractfile("ting-backup.json").read())  # type: ignore[union-attr]
        dump = tar.extractfile("database.pgdump").read()  # type: ignore[union-attr]
    cut = dump[: len(dump) * 4 // 5]
    manifest.update(size=len(cut), sha256=hashlib.sha256(cut).hexdigest())
    path = tmp_path / "cut.tar"
    with tarfile.open(path, "w") as tar:
        for name, data in (("ting-backup.json", json.dumps(manifest).encode()), ("database.pgdump", cut)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with target.test_request_context():
        db.session.execute(delete(Vote))  # differs from the backup: a restore would show
        db.session.commit()
    refused(target, path, "The backup's PostgreSQL archive is damaged")
