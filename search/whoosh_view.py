"""What the Whoosh engine keeps per index generation (:class:`View`) and reads per search (:class:`Lookup`).

Matching works on sets of document numbers: the permission and filter fields' sets are kept per
searcher; a text term's postings are read once per search (a block at a time, see
:mod:`search.postings`) and serve matching, phrase checks and ranking. Nothing of a search's
text is kept across searches.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from whoosh import query as wq

from intranet.indexing import Realms

from . import postings

Docs = set[int] | frozenset[int]


class SegmentCache:
    """What a segment's files say, kept across index generations.

    Whoosh never rewrites a segment: a change adds a small new one (merging some small ones) and
    marks deletions. So the per-segment facts the views need (a filter term's documents, a facet
    column, field lengths) are kept by segment id, and a new view after a change reads only the
    new segments; deletions are applied when the segments' facts are combined.
    """

    def __init__(self) -> None:
        self._data: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], make: Callable[..., Any], *args: Any) -> Any:
        """The fact under ``key`` (its first part the segment id), from ``make(*args)`` the first time."""
        found = self._data.get(key)
        if found is None:
            found = make(*args)
            with self._lock:
                self._data[key] = found
        return found

    def keep(self, segment_ids: set[str]) -> None:
        """Forget segments that are no longer in the index (merged away, or a rebuild)."""
        with self._lock:
            for key in [k for k in self._data if k[0] not in segment_ids]:
                del self._data[key]


class View:
    """One searcher (one index generation) and what searches keep asking of it, worked out once.

    Sets of document numbers for the permission and filter fields (realm, restricted, kind, …: a
    few hundred distinct values, at most one set entry per document and field), the facet
    columns as lists, and the text fields' one-byte lengths (for BM25F); each from the
    :class:`SegmentCache` for the segments it already knows.
    """

    CACHED = frozenset({"realm", "restricted", "kind", "status", "department", "lang"})

    def __init__(self, searcher: Any, segments: SegmentCache | None = None) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.segments = segments or SegmentCache()
        self.leaves = [
            (leaf, offset, leaf.segment().segment_id(), leaf.has_deletions() and leaf.deleted_docs_set)
            for leaf, offset in self.reader.leaf_readers()
            if leaf.segment() is not None  # an index with no segment yet (Whoosh's EmptyReader)
        ]
        self.segments.keep({segment_id for _leaf, _offset, segment_id, _deleted in self.leaves})
        self._terms: dict[tuple[str, str], frozenset[int]] = {}
        self._columns: dict[tuple[str, bool], list[Any]] = {}
        self._lengths: dict[str, bytes] = {}

    def term(self, field: str, text: str) -> frozenset[int]:
        """A filter field's term (one of ``CACHED``; text terms are :class:`Lookup`'s)."""
        key = (field, text)
        docs = self._terms.get(key)
        if docs is None:
            docs = self._terms[key] = self._combine(field, text)
        return docs

    def _combine(self, field: str, text: str) -> frozenset[int]:
        out: set[int] | frozenset[int] = frozenset()
        for leaf, offset, segment_id, deleted in self.leaves:
            local = self.segments.get((segment_id, "term", field, text), _segment_term, leaf, field, text)
            if deleted:
                local = local - deleted
            if offset:
                local = {docnum + offset for docnum in local}
            out = local if not out else out | local
        return frozenset(out)

    def any(self, field: str, values: Iterable[str]) -> set[int]:
        out: set[int] = set()
        for value in values:
            out |= self.term(field, value)
        return out

    def allowed(self, access: Realms) -> set[int]:
        """What the user may see: readable realms' open documents, and all of the moderated ones."""
        visible = self.any("realm", access.readable) - self.term("restricted", "y")
        return visible | self.any("realm", access.moderated & access.readable)

    def lengths(self, field: str) -> bytes:
        lengths = self._lengths.get(field)
        if lengths is None:
            lengths = self._lengths[field] = b"".join(
                self.segments.get((segment_id, "lengths", field), postings.segment_lengths, leaf, field)
                for leaf, _offset, segment_id, _deleted in self.leaves
            )
        return lengths

    def column(self, field: str, raw: bool = False) -> list[Any]:
        """Every document's value of a sortable field, by document number (raw: as sorted)."""
        key = (field, raw)
        values = self._columns.get(key)
        if values is None:
            values = []
            for leaf, _offset, segment_id, _deleted in self.leaves:
                fact = (segment_id, "column", field, raw)
                values += self.segments.get(fact, self._segment_column, leaf, field, raw)
            self._columns[key] = values
        return values

    def _segment_column(self, leaf: Any, field: str, raw: bool) -> list[Any]:
        if leaf.has_column(field):
            return list(leaf.column_reader(field, translate=not raw))
        fieldobj = self.searcher.schema[field]
        default = fieldobj.column_type.default_value(False)
        return [default if raw else fieldobj.from_column_value(default)] * leaf.doc_count_all()

    def count(self, field: str, docs: set[int]) -> dict[str, int]:
        """Facet counts, the most frequent value first (ties by value)."""
        values = self.column(field)
        counts = Counter(map(values.__getitem__, docs))
        return {value: n for value, n in sorted(counts.items(), key=lambda vn: (-vn[1], vn[0])) if value}

    def words(self, field: str, q: wq.Query) -> frozenset[str]:
        from_bytes = self.searcher.schema[field].from_bytes
        terms = q.existing_terms(self.reader, expand=True, fieldname=field)
        return frozenset(from_bytes(text) for _field, text in terms)


def _segment_term(leaf: Any, field: str, text: str) -> frozenset[int]:
    return frozenset(postings.segment_ids(leaf, field, text))


class Lookup:
    """One search over a :class:`View`: text terms read once, phrases checked only where needed."""

    def __init__(self, view: View) -> None:
        self.view = view
        self._postings: dict[tuple[str, str], postings.Postings] = {}
        self._sets: dict[tuple[str, str], frozenset[int]] = {}
        self._phrases: dict[tuple[str, tuple[str, ...]], set[int]] = {}
        self._prefixes: dict[tuple[str, str], frozenset[int]] = {}

    def postings(self, field: str, text: str, values: bool = False) -> postings.Postings:
        """The term's postings, read once per search (with their positions' values for a phrase)."""
        key = (field, text)
        found = self._postings.get(key)
        if found is None or (values and found.blocks is None):
            found = self._postings[key] = postings.read(self.view.reader, field, text, values)
        return found

    def term(self, field: str, text: str) -> frozenset[int]:
        if field in View.CACHED:
            return self.view.term(field, text)
        key = (field, text)
        docs = self._sets.get(key)
        if docs is None:
            docs = self._sets[key] = frozenset(self.postings(field, text).ids)
        return docs

    def docs(self, q: wq.Query, within: Docs | None = None) -> Docs:
        """The documents ``q`` matches, of ``within`` at least (phrases are checked only there)."""
        if isinstance(q, wq.Term):
            return self.term(q.fieldname, q.text)
        if isinstance(q, wq.Or):
            out: set[int] = set()
            for sub in q.subqueries:
                out |= self.docs(sub, within)
            return out
        if isinstance(q, wq.And):
            found = within
            for sub in q.subqueries:
                found = self.docs(sub, found) if found is None else found & self.docs(sub, found)
                if not found:
                    return set()
            return set(found) if found is not None else set()
        if isinstance(q, wq.Prefix):  # worked out once per search: ranking asks again
            key = (q.fieldname, q.text)
            found = self._prefixes.get(key)
            if found is None:
                union: set[int] = set()
                for text in self.view.reader.expand_prefix(q.fieldname, q.text):
                    union |= self.term(q.fieldname, text)
                found = self._prefixes[key] = frozenset(union)
            return found
        if isinstance(q, wq.Phrase):
            return self._phrase(q.fieldname, tuple(q.words), within)
        if isinstance(q, wq.Every):
            return within if within is not None else set(self.view.reader.all_doc_ids())
        if q is wq.NullQuery:
            return set()
        return set(self.view.searcher.docs_for_query(q))

    def _phrase(self, field: str, words: tuple[str, ...], within: Docs | None) -> set[int]:
        for word in set(words):
            self.postings(field, word, values=True)  # read once, for the sets and the positions
        sets = sorted((self.term(field, word) for word in set(words)), key=len)
        candidates = set(sets[0]).intersection(*sets[1:])
        if within is not None:
            candidates &= within
        found = postings.phrase(
            self.view.reader, field, list(words), candidates, lambda word: self.postings(field, word, True)
        )
        self._phrases.setdefault((field, words), set()).update(found)
        return found

    def matches(self, text: wq.Query, allowed: set[int]) -> set[int]:
        """The allowed documents that the text query matches."""
        if not allowed or text is wq.NullQuery:
            return set()
        return allowed & self.docs(text, allowed)

    def rank(self, q: wq.Query, matched: set[int], limit: int) -> list[int]:
        """The ``limit`` best of ``matched`` for ``q`` by BM25F (a phrase scores as its words)."""
        scorer = postings.Scorer(self.view.searcher, self.view.lengths)
        for leaf in _leaves(q):
            if isinstance(leaf, wq.Term):
                scorer.add_term(leaf.fieldname, leaf.text, self.postings(leaf.fieldname, leaf.text), matched)
            elif isinstance(leaf, wq.Phrase):
                found = self._phrases.get((leaf.fieldname, tuple(leaf.words)), set()) & matched
                if found:
                    for word in dict.fromkeys(leaf.words):
                        scorer.add_term(leaf.fieldname, word, self.postings(leaf.fieldname, word), found)
            elif isinstance(leaf, wq.Prefix):  # Whoosh scores a prefix as a constant 1 per field
                scorer.add_constant(self.docs(leaf, matched) & matched)
        return scorer.top(matched, limit)


def _leaves(q: wq.Query) -> Iterator[wq.Query]:
    if isinstance(q, wq.Or | wq.And):
        for sub in q.subqueries:
            yield from _leaves(sub)
    else:
        yield q
