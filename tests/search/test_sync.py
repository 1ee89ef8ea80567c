"""The index in step with the database (DESIGN.md invariant 3), on the real database and a real Whoosh index.

A change writes its outbox row in the content's transaction; after the commit the request
applies it, waiting at most SEARCH_LOCK_TIMEOUT for Whoosh's one writer lock; what it could
not apply waits for the next writer or ``flask search sync``. Other processes are real OS
processes (tests/search/writer_worker.py): writers colliding on the lock, a worker killed
inside the index writer, a worker killed between the index commit and the outbox delete,
and a worker that waited for the lock while another applied a newer state.

Whoosh's lock is ``flock`` on MAIN_WRITELOCK: a second open of the file is refused even in
the same process, so a writer held by the test blocks the app exactly as another process
would, and the kernel drops the lock of a process that dies.
"""

# ruff: noqa: F811 - the fixtures imported from tests/groups/conftest.py are parameters by name

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text, update

from groups import posting
from groups.models import Group, Post, Thread
from intranet.extensions import db
from intranet.indexing import Document
from search import outbox, providers
from search.backend import stamp
from search.models import OutboxEntry
from suggestions import services as suggestion_services
from suggestions import workflow
from suggestions.lifecycle import Status
from suggestions.models import Follow, Suggestion
from tests.groups.conftest import Company, app, company, new_group  # noqa: F401 - fixtures by name
from tests.groups.test_journeys import Browser
from tests.search import conftest as search_conftest
from tests.search.conftest import whoosh_only

ROOT = Path(__file__).resolve().parents[2]
#: Seconds any subprocess may live; the concurrent run takes a few.
WORKER_TIMEOUT = 90.0
DEGRADED = "Search is not available right now"


# -- looking at both sides ---------------------------------------------------------------------------


def backend(site: Flask) -> Any:
    return site.extensions["search"]


def pending(site: Flask) -> list[str]:
    """The keys the outbox still holds, read in an app context of its own."""
    with site.app_context():
        return sorted(db.session.scalars(select(OutboxEntry.key)))


def expected(site: Flask) -> dict[str, str]:
    """What the database says the index should hold: every document's key and stamp."""
    with site.app_context():
        return {doc.key: stamp(doc) for doc in providers.all_documents()}


def indexed(site: Flask) -> dict[str, str]:
    """Every key the index holds, with its stamp, read afresh (a fresh Whoosh reader).

    Not the app's searcher: a refreshed searcher still sees deleted documents (see
    test_refreshed_searcher_forgets_deleted_documents), which would hide or fake drift here.
    """
    return search_conftest.indexed(site)


def assert_in_step(site: Flask) -> None:
    assert pending(site) == []
    assert indexed(site) == expected(site)


def settle(site: Flask) -> None:
    """Apply the whole outbox now (the ``company`` fixture's own context never ends)."""
    with site.app_context():
        outbox.sync(timeout=10.0)


@contextmanager
def request_context(site: Flask) -> Iterator[None]:
    """A request context with an app context (and session) of its own, as in production."""
    with site.app_context(), site.test_request_context():
        yield


def here(obj: Any) -> Any:
    """``obj`` (a row of the ``company`` fixture's session) loaded in the current session."""
    return db.session.get(type(obj), obj.id)


def cli(site: Flask, *args: str) -> Any:
    """``flask search …`` in this process; as a new process would, it starts without a searcher."""
    backend(site).close()
    return site.test_cli_runner().invoke(args=["search", *args])


def realm_of(site: Flask, key: str) -> str | None:
    """The realm the index files ``key`` under."""
    return search_conftest.indexed_realm(site, key)


def newest(model: type, site: Flask) -> int:
    with site.app_context():
        return int(db.session.scalar(select(func.max(model.id))))


# -- the content ---------------------------------------------------------------------------------------


@pytest.fixture
def site(app: Flask, company: Company) -> Flask:
    app.config["SEARCH_LOCK_TIMEOUT"] = 0.05
    return app


@pytest.fixture
def floor(site: Flask, company: Company) -> Group:
    """An open sales group with one thread (started by the lead) and one reply, all indexed."""
    group = new_group(company, "Open floor")
    thread = posting.start_thread(
        here(company.lead), group, title="Lunch options", body="Where do we eat lunch?"
    )
    posting.reply(company.lead, thread, "The canteen has soup today.")
    db.session.commit()
    settle(site)
    assert_in_step(site)
    return group


def thread_of(group: Group) -> Thread:
    return db.session.scalars(select(Thread).where(Thread.group_id == group.id).order_by(Thread.id)).first()


def lock_held(site: Flask) -> Any:
    """The index's writer lock, held as another process would hold it (nothing is written)."""
    return search_conftest.write_lock_held(site)


# -- other processes -----------------------------------------------------------------------------------


class Workers:
    """Starts tests/search/writer_worker.py processes; kills any still running at the end."""

    def __init__(self, site: Flask, tmp: Path) -> None:
        self.site, self.tmp = site, tmp
        self.procs: list[subprocess.Popen[str]] = []

    def start(self, mode: str, **cfg: Any) -> subprocess.Popen[str]:
        config = {
            "database_url": self.site.config["SQLALCHEMY_DATABASE_URI"],
            "index_dir": self.site.config["INDEX_DIR"],
            "mode": mode,
            **cfg,
        }
        proc = subprocess.Popen(  # noqa: S603 - our own worker, with the venv's python
            [sys.executable, "-m", "tests.search.writer_worker", json.dumps(config)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.procs.append(proc)
        return proc

    def signal_file(self, name: str) -> str:
        return str(self.tmp / name)

    def finish(self, proc: subprocess.Popen[str], timeout: float = WORKER_TIMEOUT) -> dict[str, Any]:
        """Wait for a worker to end well; its JSON summary."""
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err
        return json.loads(out.strip().splitlines()[-1])

    def wait_for(self, path: str, proc: subprocess.Popen[str], timeout: float = 30.0) -> None:
        """Wait until the worker touched ``path`` (it is then where the test wants it)."""
        until = time.monotonic() + timeout
        while not os.path.exists(path):
            if proc.poll() is not None:
                pytest.fail(f"the worker ended early ({proc.returncode}): {proc.stderr.read()}")
            if time.monotonic() > until:
                pytest.fail(f"the worker did not reach {os.path.basename(path)} in {timeout} s")
            time.sleep(0.02)

    def kill(self, proc: subprocess.Popen[str]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate(timeout=10)


@pytest.fixture
def workers(site: Flask, tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(site, tmp_path)
    yield pool
    pool.close()


# -- 1. committed changes are in the index after the request; rolled-back ones nowhere --------------


def test_committed_thread_reply_and_comment_are_indexed_after_their_request(
    site: Flask,
    company: Company,
    floor: Group,
) -> None:
    lead = Browser(site, company.lead)

    started = lead.post(f"/groups/{floor.id}/threads/new", {"title": "Parking spaces", "body": "Who parks?"})
    assert started.status_code == 302
    thread_key = f"thread:{newest(Thread, site)}"
    assert thread_key in indexed(site) and pending(site) == []

    replied = lead.post(f"/groups/threads/{newest(Thread, site)}/reply", {"body": "Level minus two."})
    assert replied.status_code == 302
    assert f"post:{newest(Post, site)}" in indexed(site) and pending(site) == []

    with request_context(site):  # a suggestion through its service, committed as a view does
        draft = suggestion_services.Draft(title="Bike racks", body="More racks.", category="workplace")
        suggestion_services.submit_named(here(company.lead), draft)
        db.session.commit()
    idea = newest(Suggestion, site)
    assert f"suggestion:{idea}" in indexed(site) and pending(site) == []

    commented = lead.post(f"/suggestions/{idea}/comments", {"body": "Covered ones, please."})
    assert commented.status_code == 302
    assert_in_step(site)
    assert {thread_key, f"suggestion:{idea}"} <= indexed(site).keys()
    assert any(key.startswith("comment:") for key in indexed(site))


def test_outbox_row_is_written_in_the_content_transaction(
    site: Flask,
    company: Company,
    floor: Group,
) -> None:
    other = create_engine(site.config["SQLALCHEMY_DATABASE_URI"])

    def seen_elsewhere() -> tuple[int, list[str]]:
        with other.connect() as conn:
            threads = conn.scalar(text("SELECT count(*) FROM threads"))
            keys = list(conn.scalars(text("SELECT key FROM search_outbox")))
        return int(threads), keys

    before, _ = seen_elsewhere()
    try:
        with request_context(site):
            group = db.session.get(Group, floor.id)
            thread = posting.start_thread(
                here(company.lead), group, title="Flushed", body="Not committed yet."
            )
            key = f"thread:{thread.id}"
            assert key in db.session.scalars(select(OutboxEntry.key)).all()  # in this transaction
            assert seen_elsewhere() == (before, [])  # and only there
            db.session.commit()
            assert seen_elsewhere() == (before + 1, [key])  # both, with the commit
            assert key not in indexed(site)  # applied when the request ends
        assert key in indexed(site)
        assert seen_elsewhere() == (before + 1, [])
    finally:
        other.dispose()
    assert_in_step(site)


def test_failed_write_after_a_commit_is_not_committed_by_applying_the_outbox(
    site: Flask,
    company: Company,
    floor: Group,
) -> None:
    """A request commits, then writes again and fails: the end of the request applies the
    committed change to the index and must not commit the failed one along with it."""
    with pytest.raises(RuntimeError), request_context(site):
        group = here(floor)
        posting.start_thread(here(company.lead), group, title="Committed", body="Saved.")
        db.session.commit()
        posting.start_thread(here(company.lead), group, title="Failed", body="Never saved.")
        raise RuntimeError("the request failed after its second flush")
    with site.app_context():
        titles = set(db.session.scalars(select(Thread.title)))
    assert "Committed" in titles and "Failed" not in titles
    assert_in_step(site)


@pytest.mark.parametrize("ending", ["rollback", "error"])
def test_rolled_back_change_leaves_no_outbox_row_and_no_phantom_document(
    site: Flask,
    company: Company,
    floor: Group,
    ending: str,
) -> None:
    before = indexed(site)
    failing = pytest.raises(RuntimeError) if ending == "error" else nullcontext()
    with failing, request_context(site):
        group = db.session.get(Group, floor.id)
        thread = posting.start_thread(here(company.lead), group, title="Phantom", body="Never saved.")
        posting.reply(here(company.lead), thread, "Never saved either.")
        assert len(db.session.scalars(select(OutboxEntry.key)).all()) == 2
        if ending == "rollback":
            db.session.rollback()  # a view's "rule broken, roll back and explain"
        else:
            raise RuntimeError("the request failed after the flush")
    with site.app_context():
        assert db.session.scalar(select(func.count()).where(Thread.title == "Phantom")) == 0
    assert pending(site) == []
    assert indexed(site) == before
    assert_in_step(site)


def test_rolled_back_savepoint_does_not_cancel_applying_the_commit(
    site: Flask,
    company: Company,
) -> None:
    """A savepoint that catches a double insert (follow, vote, subscribe races) inside a change
    that wrote outbox rows: the commit must still apply them when the request ends."""
    with request_context(site):
        draft = suggestion_services.Draft(title="Quiet room", body="No calls.", category="workplace")
        idea = suggestion_services.submit_named(here(company.lead), draft)
        db.session.add(Follow(suggestion_id=idea.id, user_id=company.member.id))
        db.session.commit()
    settle(site)
    with request_context(site):
        idea = db.session.get(Suggestion, newest(Suggestion, site))
        member = here(company.member)
        suggestion_services.add_comment(member, idea, "Yes, with a lamp.")
        # the member already follows (as if a concurrent request had just inserted it)
        assert suggestion_services.follow(member, idea) is False
        db.session.commit()
    assert pending(site) == []
    assert_in_step(site)


# -- 2. edits, hides, deletes, moves and status changes reach the index --------------------------------


def test_edit_hide_delete_move_and_status_change_update_the_index(
    site: Flask,
    company: Company,
    floor: Group,
) -> None:
    lead = Browser(site, company.lead)
    thread = thread_of(floor)
    reply_id = newest(Post, site)
    thread_key, reply_key = f"thread:{thread.id}", f"post:{reply_id}"
    second = lead.post(f"/groups/threads/{thread.id}/reply", {"body": "Or the pizza place."})
    assert second.status_code == 302
    second_key = f"post:{newest(Post, site)}"

    before = indexed(site)
    edited = lead.post(f"/groups/posts/{reply_id}/edit", {"body": "The canteen has curry.", "version": "1"})
    assert edited.status_code == 302
    assert indexed(site)[reply_key] != before[reply_key]
    assert_in_step(site)

    before = indexed(site)
    hidden = lead.post(f"/groups/posts/{reply_id}/hide", {"reason": "Off topic."})
    assert hidden.status_code == 302
    assert indexed(site)[reply_key] != before[reply_key]  # now restricted to the moderators
    assert_in_step(site)

    deleted = lead.post(f"/groups/posts/{newest(Post, site)}/delete")
    assert deleted.status_code == 302
    assert second_key not in indexed(site)
    assert_in_step(site)

    target = new_group(company, "Canteen")
    db.session.commit()
    moved = lead.post(f"/groups/threads/{thread.id}/move", {"target": str(target.id)})
    assert moved.status_code == 302
    assert realm_of(site, thread_key) == realm_of(site, reply_key) == f"group:{target.id}"
    assert_in_step(site)

    with request_context(site):
        draft = suggestion_services.Draft(title="Standing desks", body="For the back.", category="workplace")
        idea = suggestion_services.submit_named(here(company.member), draft)
        db.session.commit()
        idea_key = f"suggestion:{idea.id}"
    before = indexed(site)
    with request_context(site):
        idea = db.session.get(Suggestion, int(idea_key.partition(":")[2]))
        workflow.change_status(
            here(company.lead),
            idea,
            Status.UNDER_REVIEW,
            "We are measuring.",
            expected_version=idea.status_version,
        )
        db.session.commit()
    assert indexed(site)[idea_key] != before[idea_key]  # the status is indexed
    assert any(key.startswith("response:") for key in indexed(site))  # and the official response
    assert_in_step(site)


# -- 3. a busy index: the content is saved, the outbox keeps the work ----------------------------------


@pytest.mark.parametrize("catch_up", ["next request", "flask search sync"])
def test_busy_index_keeps_the_row_until_the_next_writer_or_sync(
    site: Flask,
    company: Company,
    floor: Group,
    catch_up: str,
) -> None:
    lead = Browser(site, company.lead)
    thread = thread_of(floor)
    with lock_held(site):
        started = time.monotonic()
        response = lead.post(f"/groups/threads/{thread.id}/reply", {"body": "Saved while the index is busy."})
        waited = time.monotonic() - started
        assert response.status_code == 302
        key = f"post:{newest(Post, site)}"
        assert waited < 3.0  # SEARCH_LOCK_TIMEOUT (0.05 s) and the request, not Whoosh's 5 s default
        assert pending(site) == [key]
        assert key not in indexed(site)

        busy = cli(site, "sync", "--timeout", "0.1")
        assert busy.exit_code == 1
        assert "The index stayed busy; the outbox keeps the work." in busy.output
        assert pending(site) == [key]

    if catch_up == "next request":
        lead.post(f"/groups/threads/{thread.id}/reply", {"body": "The next writer applies both."})
        assert {key, f"post:{newest(Post, site)}"} <= indexed(site).keys()
    else:
        result = cli(site, "sync")
        assert result.exit_code == 0
        assert result.output.strip() == "Applied 1 change(s); 0 left."
    assert_in_step(site)
    assert cli(site, "check").exit_code == 0


@pytest.mark.parametrize("isolation", ["statement", "snapshot"])
def test_a_writer_that_waited_never_puts_back_an_older_document(
    site: Flask,
    company: Company,
    floor: Group,
    workers: Workers,
    isolation: str,
) -> None:
    """A worker finds rows in the outbox and waits for the lock; meanwhile the post changes
    again and another writer applies the newest text and deletes the rows. When the worker
    gets the lock it must not write the text it would have seen before it waited."""
    reply_id = newest(Post, site)
    key = f"post:{reply_id}"

    def edit(body: str) -> None:
        with request_context(site):
            post = db.session.get(Post, reply_id)
            posting.edit_post(here(company.lead), post, body, post.version)
            db.session.commit()  # applying it fails: the test holds the lock

    waiting = workers.signal_file("waiting")
    with backend(site).writer(timeout=5.0) as w:
        edit("Second text: soup.")
        assert pending(site) == [key]
        worker = workers.start("apply", timeout=30.0, signal=waiting, snapshot=isolation == "snapshot")
        workers.wait_for(waiting, worker)  # it saw the row and waits for the lock
        edit("Third text: curry.")
        with site.app_context():  # this writer applies the newest text and removes both rows
            rows = db.session.execute(select(OutboxEntry.id, OutboxEntry.key)).all()
            for _key, doc in providers.documents({row.key for row in rows}):
                assert doc is not None and "curry" in doc.body
                w.put(doc)
            db.session.execute(OutboxEntry.__table__.delete().where(OutboxEntry.id.in_([r.id for r in rows])))
            db.session.commit()
    assert workers.finish(worker)["applied"] == 0  # the rows were gone when it could look
    assert pending(site) == []
    assert_in_step(site)


# -- 4. several processes writing at once --------------------------------------------------------------

WRITERS = 4
CHANGES = 30


def test_concurrent_writer_processes_end_with_index_and_database_agreeing(
    site: Flask,
    company: Company,
    floor: Group,
    workers: Workers,
) -> None:
    people = (company.lead, company.other_lead, company.admin, company.management)
    homes = [(new_group(company, f"Home {i}"), new_group(company, f"Away {i}")) for i in range(WRITERS)]
    db.session.commit()
    with lock_held(site):  # the first changes certainly meet a busy index; later ones meet each other
        procs = [
            workers.start(
                "write",
                lock_timeout=0.0,  # one try: the writers collide on the index lock
                user_id=person.id,
                group_ids=[home.id, away.id],
                count=CHANGES,
                seed=i,
                tag=f"w{i}",
            )
            for i, (person, (home, away)) in enumerate(zip(people, homes, strict=True))
        ]
        until = time.monotonic() + WORKER_TIMEOUT
        while len(pending(site)) < 2 * WRITERS:
            assert time.monotonic() < until and any(p.poll() is None for p in procs), (
                "the writers did not write"
            )
            time.sleep(0.05)
    summaries = [workers.finish(proc) for proc in procs]

    assert [s["ops"] for s in summaries] == [CHANGES] * WRITERS
    assert all(s["warnings"] == [] for s in summaries)
    assert sum(s["busy"] for s in summaries) > 0, "the writers never met on the index lock"
    synced = cli(site, "sync")
    assert synced.exit_code == 0 and synced.output.endswith("; 0 left.\n")
    checked = cli(site, "check")
    assert checked.exit_code == 0, checked.output
    assert checked.output.rstrip().endswith("In step.")
    assert indexed(site) == expected(site)
    with site.app_context():
        assert len(expected(site)) == providers.count()


# -- 5. a worker killed halfway loses nothing ------------------------------------------------------------

BATCH = 40


def test_worker_killed_inside_the_index_writer_loses_nothing(
    site: Flask,
    company: Company,
    floor: Group,
    workers: Workers,
) -> None:
    before = indexed(site)
    inside = workers.signal_file("inside")
    proc = workers.start(
        "stall-in-writer", user_id=company.lead.id, thread_id=thread_of(floor).id, count=BATCH, signal=inside
    )
    workers.wait_for(inside, proc)  # every document handed to Whoosh, its commit not begun
    workers.kill(proc)

    with site.app_context():
        replies = db.session.scalar(
            select(func.count()).select_from(Post).where(Post.body.like("batch reply %"))
        )
    assert replies == BATCH  # the content was committed before the index was touched
    assert len(pending(site)) == BATCH  # and the outbox still holds every row
    assert indexed(site) == before  # nothing half-written is visible
    with backend(site).writer(timeout=0.0):  # the kernel dropped the dead process's flock
        pass
    synced = cli(site, "sync")
    assert synced.output.strip() == f"Applied {BATCH} change(s); 0 left."
    assert cli(site, "check").exit_code == 0
    assert_in_step(site)


def test_worker_killed_after_the_index_commit_is_harmlessly_applied_again(
    site: Flask,
    company: Company,
    floor: Group,
    workers: Workers,
) -> None:
    committed = workers.signal_file("committed")
    proc = workers.start(
        "stall-after-index-commit",
        user_id=company.lead.id,
        thread_id=thread_of(floor).id,
        count=5,
        signal=committed,
    )
    workers.wait_for(committed, proc)  # the index has the documents; the outbox rows are still there
    workers.kill(proc)

    assert len(pending(site)) == 5
    assert indexed(site) == expected(site)  # in step already, but the outbox does not know it
    synced = cli(site, "sync")
    assert synced.output.strip() == "Applied 5 change(s); 0 left."
    assert_in_step(site)
    assert search_conftest.document_count(site) == len(expected(site))  # replaced, not added twice


# -- 6. the commands, and a deleted or damaged index -----------------------------------------------------


def test_rebuild_shows_its_progress_and_count_and_check_then_agrees(
    site: Flask,
    company: Company,
    floor: Group,
) -> None:
    search_conftest.wipe_index(site)
    with site.app_context():
        total = providers.count()
    result = cli(site, "rebuild")
    assert result.exit_code == 0, result.output
    assert "Indexing" in result.output
    assert result.output.rstrip().endswith(f"Indexed {total} document(s).")
    checked = cli(site, "check")
    assert checked.exit_code == 0
    assert (
        f"Database: {total} document(s); index: {total}; missing 0, stale 0, extra 0; outbox 0."
        in checked.output
    )


def test_check_lists_missing_stale_and_extra_documents_and_rebuild_heals_them(
    site: Flask,
    company: Company,
    floor: Group,
) -> None:
    thread = thread_of(floor)
    reply_id = newest(Post, site)
    with backend(site).writer(timeout=5.0) as w:
        w.delete(f"thread:{thread.id}")
        w.put(Document(key="post:999999", kind="post", title="", body="gone", realm="group:0",
                       department_id=None, date=date(2024, 1, 1)))  # fmt: skip
    with site.app_context():  # changed behind the outbox's back (a restore, a manual fix)
        db.session.execute(update(Post).where(Post.id == reply_id).values(body="Changed in SQL."))
        db.session.commit()

    checked = cli(site, "check")
    assert checked.exit_code == 1
    assert "missing 1, stale 1, extra 1; outbox 0." in checked.output
    assert f"  missing: thread:{thread.id}\n" in checked.output
    assert f"  stale: post:{reply_id}\n" in checked.output
    assert "  extra: post:999999\n" in checked.output
    assert "Run `flask search sync` (or `flask search rebuild` if that leaves drift)." in checked.output

    assert cli(site, "sync").output.strip() == "Applied 0 change(s); 0 left."
    assert cli(site, "check").exit_code == 1  # nothing in the outbox: only a rebuild finds them
    assert cli(site, "rebuild").exit_code == 0
    assert cli(site, "check").exit_code == 0
    assert_in_step(site)


@whoosh_only
def test_deleted_index_keeps_posting_degrades_search_and_rebuild_heals_it(
    site: Flask,
    company: Company,
    floor: Group,
    caplog: pytest.LogCaptureFixture,
) -> None:
    lead = Browser(site, company.lead)
    shutil.rmtree(site.config["INDEX_DIR"])
    backend(site).close()

    with caplog.at_level("WARNING", logger="search.services"):
        page = lead.get("/search/?q=canteen")
    assert page.status_code == 503 and DEGRADED in page.get_data(as_text=True)
    logged = [r.getMessage() for r in caplog.records if r.name == "search.services"]
    assert logged == ["Search degraded: the index is missing"]  # why, and not what was searched for
    assert cli(site, "check").exit_code == 1  # "The index is missing: run `flask search rebuild`."
    assert "missing: run `flask search rebuild`" in cli(site, "check").output

    assert cli(site, "rebuild").exit_code == 0
    page = lead.get("/search/?q=canteen")
    assert page.status_code == 200 and "soup" in page.get_data(as_text=True)
    assert cli(site, "check").exit_code == 0


@whoosh_only
def test_deleted_index_is_not_silently_replaced_by_a_partial_one(
    site: Flask,
    company: Company,
    floor: Group,
) -> None:
    lead = Browser(site, company.lead)
    shutil.rmtree(site.config["INDEX_DIR"])
    backend(site).close()
    assert (
        lead.post(f"/groups/threads/{thread_of(floor).id}/reply", {"body": "After the loss."}).status_code
        == 302
    )
    assert pending(site) != []  # the outbox keeps it for the rebuild
    assert lead.get("/search/?q=canteen").status_code == 503


#: Whoosh leaves the file open when it cannot parse a table of contents.
whoosh_leaks_the_toc = pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)


def corrupt(site: Flask) -> None:
    backend(site).close()
    for path in Path(site.config["INDEX_DIR"]).iterdir():
        if path.name != "MAIN_WRITELOCK":
            path.write_bytes(b"not an index")


@whoosh_only
@whoosh_leaks_the_toc
def test_corrupted_index_keeps_posting_and_the_outbox_keeps_the_row(
    site: Flask,
    company: Company,
    floor: Group,
) -> None:
    corrupt(site)
    lead = Browser(site, company.lead)
    response = lead.post(f"/groups/threads/{thread_of(floor).id}/reply", {"body": "Saved on a broken index."})
    assert response.status_code == 302
    assert pending(site) == [f"post:{newest(Post, site)}"]
    with site.app_context():
        assert db.session.scalar(select(func.count()).where(Post.body == "Saved on a broken index.")) == 1


@whoosh_only
@whoosh_leaks_the_toc
def test_corrupted_index_degrades_the_search_page(
    site: Flask,
    company: Company,
    floor: Group,
) -> None:
    corrupt(site)
    page = Browser(site, company.lead).get("/search/?q=canteen")
    assert page.status_code == 503 and DEGRADED in page.get_data(as_text=True)


@whoosh_only
@whoosh_leaks_the_toc
def test_rebuild_heals_a_corrupted_index(site: Flask, company: Company, floor: Group) -> None:
    corrupt(site)
    result = cli(site, "rebuild")
    assert result.exit_code == 0, result.output
    assert cli(site, "check").exit_code == 0


def test_refreshed_searcher_forgets_deleted_documents(
    site: Flask,
    company: Company,
    floor: Group,
) -> None:
    lead = Browser(site, company.lead)
    reply_id = newest(Post, site)
    assert f"post:{reply_id}" in backend(site).stamps()  # the app's searcher is open now
    assert lead.post(f"/groups/posts/{reply_id}/delete").status_code == 302
    assert f"post:{reply_id}" not in indexed(site)  # gone from the index files
    assert f"post:{reply_id}" not in backend(site).stamps()  # but not for the app's searcher
