"""What the Whoosh engine keeps per index generation (:class:`View`) and reads per search (:class:`Lookup`).

Matching works on sets of document numbers: the permission and filter fields' sets are kept per
searcher; a text term's postings are read once per search (a block at a time, see
:mod:`search.postings`) and serve matching, phrase checks and ranking. Nothing of a search's
text is kept across searches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh import query as wq

from intranet.indexing import Realms

from . import postings

Docs = set[int] | frozenset[int]


class View:
    """One searcher (one index generation) and what searches keep asking of it, worked out once.

    Sets of document numbers for the permission and filter fields (realm, restricted, kind, …: a
    few hundred distinct values, at most one set entry per document and field), the facet
    columns as lists, and the text fields' one-byte lengths (for BM25F).
    """

    CACHED = frozenset({"realm", "restricted", "kind", "status", "department", "lang"})

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self._terms: dict[tuple[str, str], frozenset[int]] = {}
        self._columns: dict[tuple[str, bool], list[Any]] = {}
        self._lengths: dict[str, bytes] = {}

    def term(self, field: str, text: str) -> frozenset[int]:
        key = (field, text)
        docs = self._terms.get(key)
        if docs is None:
            docs = frozenset(postings.read(self.reader, field, text).ids)
            if field in self.CACHED:
                self._terms[key] = docs
        return docs

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
            lengths = self._lengths[field] = postings.field_lengths(self.reader, field)
        return lengths

    def column(self, field: str, raw: bool = False) -> list[Any]:
        """Every document's value of a sortable field, by document number (raw: as sorted)."""
        key = (field, raw)
        values = self._columns.get(key)
        if values is None:
            values = []
            fieldobj = self.searcher.schema[field]
            for reader, _offset in self.reader.leaf_readers():
                if reader.has_column(field):
                    values.extend(reader.column_reader(field, translate=not raw))
                else:
                    default = fieldobj.column_type.default_value(False)
                    values.extend(
                        [default if raw else fieldobj.from_column_value(default)] * reader.doc_count_all()
                    )
            self._columns[key] = values
        return values

    def count(self, field: str, docs: set[int]) -> dict[str, int]:
        """Facet counts, the most frequent value first (ties by value)."""
        values = self.column(field)
        counts = Counter(map(values.__getitem__, docs))
        return {value: n for value, n in sorted(counts.items(), key=lambda vn: (-vn[1], vn[0])) if value}

    def words(self, field: str, q: wq.Query) -> frozenset[str]:
        from_bytes = self.searcher.schema[field].from_bytes
        terms = q.existing_terms(self.reader, expand=True, fieldname=field)
        return frozenset(from_bytes(text) for _field, text in terms)


class Lookup:
    """One search over a :class:`View`: text terms read once, phrases checked only where needed."""

    def __init__(self, view: View) -> None:
        self.view = view
        self._postings: dict[tuple[str, str], postings.Postings] = {}
        self._sets: dict[tuple[str, str], frozenset[int]] = {}
        self._phrases: dict[tuple[str, tuple[str, ...]], set[int]] = {}

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

    def _expand(self, q: wq.Prefix) -> list[str]:
        return list(self.view.reader.expand_prefix(q.fieldname, q.text))

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
        if isinstance(q, wq.Prefix):
            out = set()
            for text in self._expand(q):
                out |= self.term(q.fieldname, text)
            return out
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
        return set(self.docs(text, allowed)) & allowed

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
