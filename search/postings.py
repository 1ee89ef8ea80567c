"""Whoosh's postings read a block at a time, phrase checks and BM25F over them.

Whoosh's matchers step through postings one document at a time in Python, several method calls
per posting; at 100,000 documents that was most of a query's time (ranking walked every match of
every field's matcher tree, a phrase was checked document by document with span objects). Here
a term's postings are read a block (up to 128 postings) at a time into arrays of document
numbers and weights, positions are decoded only for the documents a phrase still needs, and
BM25F is computed with Whoosh's own formula and statistics (``searcher.idf``, the average field
length, the one-byte field lengths of the segment) for the documents that matched only.

The block reading uses the internals of Whoosh's default codec (``W3LeafMatcher``: ``_ids``,
``_weights``, ``_values``); other matchers (postings inlined in the term info, other codecs)
take the slow, public path. ``tests/search/test_postings.py`` checks both against Whoosh.
"""

from __future__ import annotations

import heapq
import pickle
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import accumulate
from typing import Any, NamedTuple

from whoosh.codec import whoosh3
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length, length_to_byte

from .whoosh_codec import length_bytes

_DEFAULT = BM25F()
K1: float = _DEFAULT.K1
B: float = _DEFAULT.B


class Postings(NamedTuple):
    ids: array  # document numbers of the whole index, ascending
    weights: array  # the term's frequency in each, times the field's boost
    #: With ``values=True``: per block, its document numbers and their Whoosh values (positions).
    blocks: list[tuple[Sequence[int], Sequence[bytes]]] | None = None


def _leaf_blocks(leaf: Any, field: str, text: Any, values: bool) -> Iterator[tuple[Any, Any, Any]]:
    """(ids, weights, values or None) per block of one segment's postings, deletions included."""
    if (field, text) not in leaf:
        return
    m = leaf.postings(field, text)
    if isinstance(m, FilterMatcher):  # the segment's deletions, applied by the caller: the raw
        # matcher, not m.child, which the filter has already moved past leading deleted postings
        m = leaf._terms.matcher(field, text, leaf.schema[field].format)
    if isinstance(m, whoosh3.W3LeafMatcher):
        while m.is_active():
            if m._data is None:
                m._read_data()
            if m._byteids:
                m._read_ids()
            else:  # delta-encoded: Whoosh's delta_decode() is a Python generator, accumulate() is not
                m._ids = tuple(accumulate(m._data[0]))
            m._read_weights()
            if values:
                m._read_values()
            yield m._ids, m._weights, m._values if values else None
            m._next_block()
        return
    ids, weights, vals = [], [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        if values:
            vals.append(m.value())
        m.next()
    yield ids, weights, vals if values else None


def _leaves(reader: Any) -> Iterator[tuple[Any, int, frozenset[int] | set[int]]]:
    for leaf, offset in reader.leaf_readers():
        yield leaf, offset, (leaf.deleted_docs_set if leaf.has_deletions() else frozenset())


def read(reader: Any, field: str, text: str, values: bool = False) -> Postings:
    """Every live posting of ``text`` in ``field`` (and its values by block, for positions)."""
    ids, weights = array("I"), array("f")
    blocks: list[tuple[Sequence[int], Sequence[bytes]]] | None = [] if values else None
    btext = reader.schema[field].to_bytes(text)
    for leaf, offset, deleted in _leaves(reader):
        for block_ids, block_weights, block_values in _leaf_blocks(leaf, field, btext, values):
            if not offset and not deleted:
                ids.extend(block_ids)
                weights.extend(block_weights)
                if blocks is not None:
                    blocks.append((block_ids, block_values))
                continue
            live = [i for i, docnum in enumerate(block_ids) if docnum not in deleted]
            ids.extend(block_ids[i] + offset for i in live)
            weights.extend(block_weights[i] for i in live)
            if blocks is not None:
                blocks.append(([block_ids[i] + offset for i in live], [block_values[i] for i in live]))
    return Postings(ids, weights, blocks)


def positions(
    reader: Any, field: str, text: str, docs: set[int], found: Postings | None = None
) -> dict[int, list[int]]:
    """The term's positions in each of ``docs`` that holds it (``found``: its postings, read with values)."""
    if found is None or found.blocks is None:
        found = read(reader, field, text, values=True)
    return dict(_positions_in(found, docs, reader.schema[field].format.decode_positions))


def _positions_in(found: Postings, docs: set[int], decode: Any) -> Iterator[tuple[int, list[int]]]:
    """(docnum, positions) for each of ``docs`` in the postings; blocks with none of them skipped."""
    for block_ids, block_values in found.blocks or ():
        wanted = [i for i, docnum in enumerate(block_ids) if docnum in docs]
        if wanted:
            decoded = _decode_positions([block_values[i] for i in wanted], decode)
            for i, where in zip(wanted, decoded, strict=True):
                yield block_ids[i], where


_PICKLE2 = b"\x80\x02"


def _decode_positions(values: list[bytes], decode: Any) -> list[list[int]]:
    """Whoosh's Positions values (a length, then a protocol-2 pickle of the deltas) with one
    ``pickle.loads`` for them all: the pickles' bodies are joined into one tuple's."""
    bodies = []
    for value in values:
        if value[4:6] != _PICKLE2 or not value.endswith((b".", b"a", b"e")):
            return [decode(v) for v in values]  # not the layout this knows: Whoosh's own decoder
        bodies.append(value[6:-1] if value.endswith(b".") else value[6:])
    deltas = pickle.loads(_PICKLE2 + b"(" + b"".join(bodies) + b"t.")  # noqa: S301 - the index's own data
    return [list(accumulate(d)) for d in deltas]


def phrase(
    reader: Any,
    field: str,
    terms: list[str],
    candidates: set[int],
    postings_of: Callable[[str], Postings] | None = None,
) -> set[int]:
    """The candidates in which ``terms`` stand next to each other, in order, in ``field``.

    ``postings_of(term)``: the term's postings read with values, if the caller has them. Where a
    phrase could start is kept as one set of ``docnum << 32 | position`` integers, not a list per
    document: a common phrase has thousands of candidates, and fewer objects means less work for
    Python's garbage collector."""
    decode = reader.schema[field].format.decode_positions
    found = set(candidates)
    starts: set[int] | None = None
    for i, text in enumerate(terms):
        if not found:
            return set()
        have = postings_of(text) if postings_of else read(reader, field, text, values=True)
        here: set[int] = set()
        for docnum, where in _positions_in(have, found, decode):
            base = (docnum << 32) - i
            here.update(base + p for p in where if p >= i)
        starts = here if starts is None else starts & here
        found = {key >> 32 for key in starts}
    return found


def field_lengths(reader: Any, field: str) -> bytes:
    """Each document's length in ``field`` as Whoosh stores it: one byte (``length_to_byte``)."""
    return b"".join(segment_lengths(leaf, field) for leaf, _offset in reader.leaf_readers())


def segment_lengths(leaf: Any, field: str) -> bytes:
    """:func:`field_lengths` of one segment, by its own document numbers."""
    raw = length_bytes(getattr(leaf, "_perdoc", None), field)
    if raw is not None:
        return raw
    # The public path: lengths through the reader, converted back to their byte.
    return bytes(length_to_byte(leaf.doc_field_length(d, field, 0) or 0) for d in range(leaf.doc_count_all()))


def segment_ids(leaf: Any, field: str, text: str) -> array:
    """The term's document numbers in one segment, by its own numbers, deleted ones included."""
    ids = array("I")
    for block_ids, _weights, _values in _leaf_blocks(leaf, field, leaf.schema[field].to_bytes(text), False):
        ids.extend(block_ids)
    return ids


class Scorer:
    """BM25F as Whoosh computes it, summed over the query's terms, for some documents only."""

    def __init__(self, searcher: Any, lengths: Any) -> None:
        self.searcher = searcher
        self._lengths = lengths  # field -> bytes, from the view's cache
        self.scores: dict[int, float] = {}

    def add_term(self, field: str, text: str, postings: Postings, docs: Iterable[int] | set[int]) -> None:
        """Add the term's score to each of ``docs`` (a set) that holds it."""
        scores, get = self.scores, self.scores.get
        if not self.searcher.schema[field].scorable:  # an ID field: its weight, as Whoosh scores it
            for docnum, weight in zip(postings.ids, postings.weights, strict=True):
                if docnum in docs:
                    scores[docnum] = get(docnum, 0.0) + weight
            return
        idf = self.searcher.idf(field, text)
        avgfl = self.searcher.avg_field_length(field) or 1
        lengths = self._lengths(field)
        # K1 * ((1 - B) + B * fl / avgfl) for each stored length byte (0: no length, read as 1).
        norm = [K1 * ((1 - B) + B * (byte_to_length(b) if b else 1) / avgfl) for b in range(256)]
        factor = idf * (K1 + 1)
        for docnum, tf in zip(postings.ids, postings.weights, strict=True):
            if docnum in docs:
                scores[docnum] = get(docnum, 0.0) + factor * tf / (tf + norm[lengths[docnum]])

    def add_constant(self, docs: Iterable[int], value: float = 1.0) -> None:
        scores, get = self.scores, self.scores.get
        for docnum in docs:
            scores[docnum] = get(docnum, 0.0) + value

    def top(self, docs: set[int], limit: int) -> list[int]:
        """The ``limit`` best of ``docs``; ties to the lower document number, as Whoosh orders them."""
        scores = self.scores
        if len(scores) != len(docs) or not scores.keys() <= docs:
            scores = {d: scores.get(d, 0.0) for d in docs}
        if limit <= 0 or not scores:
            return []
        cut = heapq.nlargest(limit, scores.values())[-1]  # the limit-th best score
        above = [d for d, score in scores.items() if score > cut]
        above.sort(key=lambda d: (-scores[d], d))
        return above + heapq.nsmallest(limit - len(above), [d for d, score in scores.items() if score == cut])
