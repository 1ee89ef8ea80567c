"""The engine's per-segment cache: an index changed bit by bit answers exactly as one rebuilt at once.

The permission and filter sets, facet columns and field lengths are kept per Whoosh segment
across index generations (search/whoosh_view.py); deletions (updates, moves, hidden posts) are
applied when segments are combined. These tests change one index in many small commits (many
segments, deletions in old ones), search it after every change, and compare each answer with a
fresh index rebuilt from the same documents.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from intranet.indexing import Document, Found, Realms
from search.backend import Criteria
from search.query import parse
from search.whoosh_backend import WhooshBackend

WORDS = ["canteen", "coffee", "parking", "printer", "bicycle", "shift", "holiday", "lunch", "window", "desk"]
STATUSES = ("submitted", "adopted", "declined")


def make_doc(rnd: random.Random, i: int) -> Document:
    kind = rnd.choice(["post", "thread", "suggestion"])
    return Document(
        key=f"{kind}:{i}",
        kind=kind,
        title=" ".join(rnd.choices(WORDS, k=3)) if kind != "post" else "",
        body=" ".join(rnd.choices(WORDS, k=rnd.randint(4, 30))),
        realm="suggestions" if kind == "suggestion" else f"group:{rnd.randint(1, 4)}",
        department_id=rnd.choice([1, 2, None]),
        date=date(2026, 1, 1) + timedelta(days=rnd.randrange(300)),
        status=rnd.choice(STATUSES) if kind == "suggestion" else None,
        restricted=kind == "post" and rnd.random() < 0.2,
    )


def change(rnd: random.Random, doc: Document) -> Document:
    """Move it, hide or show it, reword it, decide it: what edits and moderation do."""
    if doc.kind == "suggestion":
        return replace(doc, status=rnd.choice(STATUSES), body=doc.body + " " + rnd.choice(WORDS))
    return replace(doc, realm=f"group:{rnd.randint(1, 4)}", restricted=not doc.restricted)


EVERY_REALM = frozenset({"group:1", "group:2", "group:3", "group:4", "suggestions"})
READERS = [
    Realms(readable=frozenset({"group:1", "suggestions"}), moderated=frozenset()),
    Realms(readable=frozenset({"group:1", "group:2", "group:3"}), moderated=frozenset({"group:2"})),
    Realms(readable=EVERY_REALM, moderated=frozenset()),
]
# "": no words, only the permission filter (and status:adopted): every allowed document, and none deleted.
QUERIES = ["", "canteen", "coffee parking", '"coffee parking"', "print*", "lunch OR desk", "lunch -window"]


def answers(engine: WhooshBackend, docs: dict[str, Document]) -> list[tuple]:
    def load(keys: list[str]) -> dict[str, Found]:
        found = [docs[k] for k in keys if k in docs]
        return {d.key: Found(d.key, d.kind, d.title, "/", d.realm, d.body, d.date, d.status) for d in found}

    out = []
    for access in READERS:
        for text in QUERIES:
            query = parse(text)
            for criteria in (Criteria(query=query), Criteria(query=query, statuses=frozenset({"adopted"}))):
                # Every hit on one page. Document numbers differ between the two indexes, and so do
                # BM25's statistics (Whoosh counts deleted documents in them) and the order of ties:
                # compared are what is found, the counts, and the date order's dates.
                found = engine.search(criteria, access, load, per_page=500)
                newest = engine.search(criteria, access, load, order="date", per_page=500)
                keys = sorted(h.found.key for h in found.hits)
                dates = [h.found.date for h in newest.hits]
                out.append((text, found.total, newest.total, found.facets, keys, dates))
    return out


@pytest.fixture
def engines(tmp_path: Path) -> Iterator[tuple[WhooshBackend, WhooshBackend]]:
    changed = WhooshBackend(tmp_path / "changed", ["en"])
    fresh = WhooshBackend(tmp_path / "fresh", ["en"])
    yield changed, fresh
    changed.close()
    fresh.close()


def test_an_index_changed_in_small_commits_answers_as_a_rebuilt_one(
    engines: tuple[WhooshBackend, WhooshBackend],
) -> None:
    changed, fresh = engines
    rnd = random.Random(7)
    docs = {d.key: d for d in (make_doc(rnd, i) for i in range(150))}
    changed.rebuild(iter(docs.values()), lambda n: None)
    answers(changed, docs)  # the first generation's segment facts are cached now
    segments_seen = set()
    for step in range(12):
        with changed.writer(timeout=5.0) as writer:
            # Each key once per batch, as the outbox hands them over (search/backend.py Writer).
            *updated, gone = rnd.sample(sorted(docs), 9)
            for key in updated:  # updates: deletions in the older segments
                docs[key] = change(rnd, docs[key])
                writer.put(docs[key])
            del docs[gone]
            writer.delete(gone)
            new = make_doc(rnd, 1000 + step)
            docs[new.key] = new
            writer.put(new)
        segments_seen.add(changed.stats()["segments"])
        fresh.rebuild(iter(docs.values()), lambda n: None)
        assert answers(changed, docs) == answers(fresh, docs), f"after change {step}"
    assert max(segments_seen) > 1  # the comparison covered a multi-segment index


def test_the_cache_forgets_segments_that_are_merged_away(
    engines: tuple[WhooshBackend, WhooshBackend],
) -> None:
    changed, _fresh = engines
    rnd = random.Random(3)
    docs = [make_doc(rnd, i) for i in range(40)]
    changed.rebuild(iter(docs), lambda n: None)
    access = READERS[2]
    changed.search(Criteria(query=parse("canteen")), access, lambda keys: {})
    first = {key[0] for key in changed._segments._data}
    assert first  # the rebuilt segment's facts were kept
    changed.rebuild(iter(docs[:20]), lambda n: None)  # a rebuild writes new segments only
    results = changed.search(Criteria(query=parse("canteen")), access, lambda keys: {})
    kept = {key[0] for key in changed._segments._data}
    assert kept and not kept & first
    # READERS[2] reads every realm and moderates none: what is not hidden.
    visible = [d for d in docs[:20] if not d.restricted]
    assert results.total == sum(1 for d in visible if "canteen" in f"{d.title} {d.body}")


def test_a_search_opened_as_a_writer_merges_its_segments_away_still_answers(
    engines: tuple[WhooshBackend, WhooshBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the table of contents and opening its segments are two steps; a writer's merge in
    between deletes segment files the searcher was about to open (bench/soak saw it as a 503)."""
    from whoosh import writing

    from search.whoosh_codec import Codec

    engine, _fresh = engines
    rnd = random.Random(5)
    docs = [make_doc(rnd, i) for i in range(30)]
    engine.rebuild(iter(docs[:15]), lambda n: None)
    with engine.writer(timeout=5.0) as writer:
        for doc in docs[15:]:
            writer.put(doc)
    stale = engine._open_toc()  # two segments, as a search reads them just before the merge
    assert len(stale[1].segments) == 2
    merging = engine._open().writer(codec=Codec())
    merging.commit(mergetype=writing.OPTIMIZE)  # one segment now: the two files are gone
    files = {p.name for p in engine.path.iterdir()}
    assert not any(s.segment_id() in name for s in stale[1].segments for name in files)

    reads = []
    real = engine._open_toc

    def open_toc(create: bool = False) -> tuple:
        reads.append(create)
        return stale if len(reads) == 1 else real(create)

    monkeypatch.setattr(engine, "_open_toc", open_toc)
    results = engine.search(Criteria(query=parse("")), READERS[2], lambda keys: {})
    assert len(reads) == 2  # the stale table of contents, then the merged one
    assert results.total == sum(1 for d in docs if d.realm in READERS[2].readable and not d.restricted)


def test_an_index_with_no_documents_answers_nothing_found(
    engines: tuple[WhooshBackend, WhooshBackend],
) -> None:
    """As a rebuild's new index is before its first commit (searches are served meanwhile)."""
    from whoosh import index

    engine, _fresh = engines
    engine.path.mkdir()
    index.create_in(str(engine.path), engine.schema())  # what rebuild does first, on a lost index
    assert engine.stats()["documents"] == 0
    for text in QUERIES:
        assert engine.search(Criteria(query=parse(text)), READERS[2], lambda keys: {}).total == 0
    assert not engine.has_hits(Criteria(query=parse("canteen")), READERS[2])
    assert engine.corrections("canten") == []
    assert engine.similar("canteen coffee", ["post"], READERS[2], 5) == []
