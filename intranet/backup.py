"""``flask backup create | restore``: the database in one checked file; the search index is rebuilt.

A backup is a tar file holding ``ting-backup.json`` (format, database kind, migration revision,
the payload's size and SHA-256) and the payload: a SQLite copy made with SQLite's online
backup API (consistent while the app writes; then vacuumed: compact, no free pages) or a
``pg_dump --format=custom`` archive. The search index is derived (DESIGN.md invariant 3) and
left out (the PostgreSQL engine's tables keep their structure, not their rows); the secret key
and the instance config are the operator's to keep elsewhere. The file holds nothing the
database does not: the manifest and the tar headers name no local user, host or path.

A restore checks everything before it changes anything: the file is whole (checksum), from
the same kind of database, and of a revision this code knows. Then it replaces the database in
one step (SQLite's backup API into the live file; on PostgreSQL one ``psql`` transaction that
drops Ting's tables and replays the archive), runs the migrations if the backup is older, and
has the search index rebuilt (``signals.database_restored``; ``search`` listens).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.engine import URL

from .clock import utcnow
from .extensions import db
from .signals import database_restored

FORMAT = 1
MANIFEST = "ting-backup.json"
PAYLOADS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
#: The PostgreSQL search engine's tables (migration 0008): their structure is kept, not their rows.
INDEX_SCHEMA = "ting_search"
CHUNK = 1 << 20


class BackupRefused(Exception):
    """The backup cannot be made or restored; nothing was changed."""


@dataclass(frozen=True)
class Manifest:
    format: int
    kind: str
    revision: str
    created_at: str
    payload: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    upgraded_to: str | None
    documents: int | None
    index_error: str | None = None


def database_kind() -> str:
    return db.engine.dialect.name


# --- create -------------------------------------------------------------------------------------


def create(output: Path) -> Manifest:
    """Write a backup of the app's database to ``output`` (atomically: a finished file or none)."""
    kind = database_kind()
    if kind not in PAYLOADS:
        raise BackupRefused(f"Backups of {kind} databases are not supported (SQLite and PostgreSQL are).")
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".ting-backup-", dir=output.parent) as tmp:
        payload = Path(tmp) / PAYLOADS[kind]
        revision = _dump_sqlite(payload) if kind == "sqlite" else _dump_postgresql(payload)
        if not revision:
            raise BackupRefused("The database has no migration revision: run `flask db upgrade` first.")
        manifest = Manifest(
            format=FORMAT,
            kind=kind,
            revision=revision,
            created_at=utcnow().isoformat(timespec="seconds"),
            payload=payload.name,
            size=payload.stat().st_size,
            sha256=_sha256(payload),
        )
        partial = Path(tmp) / "backup.tar"
        # The file holds everything people wrote: readable by its owner only.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
            info = tarfile.TarInfo(MANIFEST)
            data = json.dumps(asdict(manifest), indent=2).encode()
            info.size, info.mode, info.mtime = len(data), 0o600, int(utcnow().timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(payload, arcname=payload.name, filter=_anonymous_member)
        with partial.open("rb+") as written:
            os.fsync(written.fileno())  # on disk before it takes the final name
        os.replace(partial, output)
    return manifest


def _anonymous_member(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """No local user or group names in the archive."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    return info


def _sqlite_path() -> str:
    path = db.engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        raise BackupRefused("Only a SQLite database in a file can be backed up.")
    return path


def _dump_sqlite(payload: Path) -> str | None:
    live = _sqlite_path()
    if not Path(live).is_file():
        raise BackupRefused(f"There is no SQLite database at {live}.")
    source = sqlite3.connect(f"file:{live}?mode=ro", uri=True)
    with closing(source) as src, closing(sqlite3.connect(payload)) as dst:
        src.backup(dst)  # one consistent snapshot, whatever the app writes meanwhile
    with closing(sqlite3.connect(payload)) as copy:
        copy.execute("VACUUM")
        return _sqlite_revision(copy)


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _dump_postgresql(payload: Path) -> str | None:
    _run(
        [
            "pg_dump",
            "--format=custom",
            f"--file={payload}",
            f"--exclude-table-data={INDEX_SCHEMA}.*",
            f"--dbname={_conninfo()}",
        ],
        "pg_dump",
    )
    return _archive_revision(payload)


def _archive_revision(payload: Path) -> str | None:
    """The revision inside the archive itself (not read beside it, where a migration could race)."""
    script = _run(
        ["pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(payload)], "pg_restore"
    )
    lines = script.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("COPY public.alembic_version") and i + 1 < len(lines):
            return None if lines[i + 1] == "\\." else lines[i + 1].strip()
    return None


# --- restore ------------------------------------------------------------------------------------


@contextmanager
def opened(path: Path) -> Iterator[tuple[Manifest, Path]]:
    """The backup's manifest and its payload extracted and checked, or BackupRefused."""
    if not path.is_file():
        raise BackupRefused(f"There is no backup file at {path}.")
    with tempfile.TemporaryDirectory(prefix=".ting-restore-") as tmp:
        try:
            with tarfile.open(path, mode="r:") as tar:
                manifest = _manifest(tar)
                member = tar.getmember(manifest.payload)
                source = tar.extractfile(member)
                if source is None:
                    raise KeyError(manifest.payload)
                payload = Path(tmp) / PAYLOADS[manifest.kind]
                digest = hashlib.sha256()
                with source, payload.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        except (tarfile.TarError, KeyError, EOFError, OSError, ValueError, TypeError) as exc:
            raise BackupRefused(f"{path} is not a Ting backup, or it is damaged ({exc}).") from None
        if payload.stat().st_size != manifest.size or digest.hexdigest() != manifest.sha256:
            raise BackupRefused(f"{path} is damaged: its database does not match its checksum.")
        yield manifest, payload


def _manifest(tar: tarfile.TarFile) -> Manifest:
    member = tar.extractfile(MANIFEST)
    if member is None:
        raise KeyError(MANIFEST)
    data = json.loads(member.read())
    if data.get("format") != FORMAT:
        raise ValueError(f"backup format {data.get('format')!r}, this version reads {FORMAT}")
    manifest = Manifest(**data)
    if manifest.kind not in PAYLOADS or manifest.payload != PAYLOADS[manifest.kind]:
        raise ValueError(f"unknown database kind {manifest.kind!r}")
    return manifest


def check(manifest: Manifest, payload: Path) -> str | None:
    """Refuse what cannot be restored here; the revision to upgrade from, or None if current."""
    kind = database_kind()
    if manifest.kind != kind:
        raise BackupRefused(
            f"This backup is of a {manifest.kind} database and this Ting runs on {kind}: "
            "restore it into the kind of database it was made from."
        )
    inside = _payload_revision(manifest, payload)
    if inside != manifest.revision:
        raise BackupRefused(
            f"The backup is damaged: its database is at revision {inside!r}, its manifest says "
            f"{manifest.revision!r}."
        )
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    try:
        known = script.get_revision(manifest.revision)
    except CommandError:
        known = None
    if known is None:
        raise BackupRefused(
            f"The backup is at migration revision {manifest.revision}, which this code does not "
            "know: it was made by a newer version of Ting. Install that version (or newer) to restore it."
        )
    head = script.get_current_head()
    return None if manifest.revision == head else manifest.revision


def _payload_revision(manifest: Manifest, payload: Path) -> str | None:
    if manifest.kind == "postgresql":
        try:  # the whole archive reads, to its end (the load must not be the first to find out)
            _run(["pg_restore", f"--file={os.devnull}", str(payload)], "pg_restore")
        except BackupRefused as exc:
            raise BackupRefused(f"The backup's PostgreSQL archive is damaged: {exc}") from None
        return _archive_revision(payload)
    try:
        with closing(sqlite3.connect(f"file:{payload}?mode=ro", uri=True)) as conn:
            (result,) = conn.execute("PRAGMA integrity_check").fetchone()
            if result != "ok":
                raise BackupRefused(f"The backup's SQLite database is damaged: {result}.")
            return _sqlite_revision(conn)
    except sqlite3.DatabaseError as exc:
        raise BackupRefused(f"The backup's SQLite database is damaged: {exc}.") from None


def restore(path: Path, confirm: Any = lambda manifest: True) -> Restored:
    """Replace the app's database with the backup at ``path``, then migrate and rebuild the index."""
    with opened(path) as (manifest, payload):
        older = check(manifest, payload)
        if not confirm(manifest):
            raise BackupRefused("Nothing was restored.")
        db.session.remove()
        db.engine.dispose()  # no pooled connection holds a lock or an old schema
        if manifest.kind == "sqlite":
            _load_sqlite(payload)
        else:
            _load_postgresql(payload)
        db.engine.dispose()
    upgraded_to = None
    if older:
        from flask_migrate import upgrade

        upgrade()
        upgraded_to = ScriptDirectory.from_config(
            current_app.extensions["migrate"].migrate.get_config()
        ).get_current_head()
        db.engine.dispose()
    try:
        answers = database_restored.send(current_app._get_current_object())
    except Exception as exc:  # the database is restored; the index can be rebuilt at any time
        db.session.rollback()
        return Restored(manifest, upgraded_to, None, index_error=f"{type(exc).__name__}: {exc}")
    counts = [n for _receiver, n in answers if n is not None]
    return Restored(manifest, upgraded_to, sum(counts) if counts else None)


def _load_sqlite(payload: Path) -> None:
    # The backup API writes the whole copy in one transaction on the live file: readers see
    # the old database or the restored one, never a mix, and no running app needs a restart.
    live = _sqlite_path()
    with closing(sqlite3.connect(payload)) as src, closing(sqlite3.connect(live, timeout=30)) as dst:
        src.backup(dst)


def _load_postgresql(payload: Path) -> None:
    tables = [t.name for t in db.metadata.sorted_tables] + ["alembic_version"]
    # Ting's tables go first, also those a newer revision added that the backup has not (the
    # migrations after the restore create them again); then the archive replays itself,
    # streamed from pg_restore into psql. One transaction, committed only once pg_restore has
    # said all it had to: a failure anywhere (or a cut stream) leaves the database as it was.
    prelude = f"BEGIN;\nDROP SCHEMA IF EXISTS {INDEX_SCHEMA} CASCADE;\n" + "".join(
        f'DROP TABLE IF EXISTS public."{name}" CASCADE;\n' for name in tables
    )
    psql = ["psql", "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", f"--dbname={_conninfo()}"]
    dump = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--file=-", str(payload)]
    for tool in ("psql", "pg_restore"):
        _require(tool)
    env = _environment()
    with (
        tempfile.TemporaryFile() as load_err,
        tempfile.TemporaryFile() as dump_err,
        subprocess.Popen(  # noqa: S603
            psql, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=load_err, env=env
        ) as load,
        subprocess.Popen(dump, stdout=subprocess.PIPE, stderr=dump_err, env=env) as source,  # noqa: S603
    ):
        into, out = load.stdin, source.stdout
        if into is None or out is None:  # pragma: no cover - PIPE always gives both
            raise RuntimeError("no pipes to pg_restore and psql")
        try:
            into.write(prelude.encode())
            shutil.copyfileobj(out, into, CHUNK)
            out.close()
            if source.wait() == 0:
                into.write(b"COMMIT;\n")
        except BrokenPipeError:  # psql stopped at an error: its message follows
            source.kill()
        finally:
            out.close()
            with suppress(BrokenPipeError):
                into.close()
            source.wait()
            load.wait()
        outcomes = ((source.returncode, dump_err, "pg_restore"), (load.returncode, load_err, "psql"))
        for code, err, tool in outcomes:
            if code != 0:
                err.seek(0)
                message = err.read().decode(errors="replace").strip()
                raise BackupRefused(f"{tool} failed (exit {code}), nothing was restored: {message}")


def _conninfo() -> str:
    """A libpq connection string for the app's database, without the password (that goes in PGPASSWORD)."""
    url: URL = db.engine.url
    parts = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    parts.update({k: v for k, v in url.query.items() if isinstance(v, str)})
    return " ".join(f"{k}='{_quote(str(v))}'" for k, v in parts.items() if v not in (None, ""))


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _require(tool: str) -> None:
    if shutil.which(tool) is None:
        raise BackupRefused(f"{tool} is not installed (Debian: apt-get install postgresql-client).")


def _environment() -> dict[str, str]:
    env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
    password = db.engine.url.password
    if password:
        env["PGPASSWORD"] = str(password)  # never on a command line, where `ps` shows it
    return env


def _run(args: list[str], tool: str) -> str:
    _require(args[0])
    # The arguments are ours and fixed; the connection details go as one --dbname value, no shell.
    done = subprocess.run(args, capture_output=True, text=True, env=_environment(), check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupRefused(f"{tool} failed (exit {done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- the commands -------------------------------------------------------------------------------

backup_cli = AppGroup("backup", help="Back up the database, and restore it (the search index is rebuilt).")


@backup_cli.command("create")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: instance/backups/ting-<date>-<time>.tar).",
)
def create_command(output: Path | None) -> None:
    """Back up the database while Ting runs (the search index and the secret key are not in it)."""
    if output is None:
        stamp = utcnow().strftime("%Y%m%d-%H%M%S")
        output = Path(current_app.instance_path) / "backups" / f"ting-{stamp}.tar"
    try:
        manifest = create(output)
    except BackupRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Backed up the {manifest.kind} database (revision {manifest.revision}, "
        f"{manifest.size / 1e6:.1f} MB) to {output}."
    )


@backup_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database without asking.")
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database with a backup, migrate it if older, and rebuild the search index."""

    def confirm(manifest: Manifest) -> bool:
        return yes or click.confirm(
            f"Replace everything in this {manifest.kind} database with the backup of "
            f"{manifest.created_at} (revision {manifest.revision})?",
            default=False,
        )

    try:
        restored = restore(path, confirm)
    except BackupRefused as exc:
        raise click.ClickException(str(exc)) from None
    manifest = restored.manifest
    click.echo(f"Restored the backup of {manifest.created_at} (revision {manifest.revision}).")
    if restored.upgraded_to:
        click.echo(f"Migrated the restored database to revision {restored.upgraded_to}.")
    if restored.index_error:
        raise click.ClickException(
            f"The database is restored, but the search index could not be rebuilt ({restored.index_error}): "
            "run `flask search rebuild`."
        )
    if restored.documents is None:
        click.echo("Nothing rebuilt the search index: run `flask search rebuild`.")
    else:
        click.echo(f"Rebuilt the search index: {restored.documents} document(s).")
