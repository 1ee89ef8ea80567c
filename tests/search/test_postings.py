"""search.postings (block-at-a-time postings, positions, phrases, field lengths, BM25F) against
Whoosh's own public answers, on real on-disk indexes."""

from __future__ import annotations

import pickle
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as default
from types import SimpleNamespace
from typing import Any

import pytest
from whoosh import index
from whoosh.codec import whoosh3
from whoosh.fields import ID, TEXT, Schema
from whoosh.formats import Positions
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import Or, Phrase, Term
from whoosh.system import pack_uint
from whoosh.util.numeric import length_to_byte

from search import postings
from search.analysis import analyzer, stem_words

COMMON = ["alpha", "bravo", "kilo", "zulu"]  # in most documents: several blocks of postings
DOCS = 700


@dataclass
class Corpus:
    searcher: Any
    titles: list[str]
    bodies: list[str]
    deleted: set[int]
    reader: Any = default(init=False)
    _cache: dict[Any, Any] = default(default_factory=dict)  # Whoosh's answers, worked out once

    def __post_init__(self) -> None:
        self.reader = self.searcher.reader()

    def postings(self, fieldname: str, text: str) -> list[tuple[int, float, list[int] | None]]:
        """(docnum, weight, positions or None) per live posting, through Whoosh's own matcher."""
        key = (fieldname, text)
        if key not in self._cache:
            self._cache[key] = out = []
            positions = self.reader.schema[fieldname].format.supports("positions")
            m = self.reader.postings(fieldname, text) if (fieldname, text) in self.reader else None
            while m is not None and m.is_active():
                out.append((m.id(), m.weight(), m.value_as("positions") if positions else None))
                m.next()
        return self._cache[key]

    def counts(self, fieldname: str) -> list[Counter[str]]:
        """Each document's terms in the field, as the analyzer gives them (deleted ones too)."""
        key = ("counts", fieldname)
        if key not in self._cache:
            docs = self.titles if fieldname == "title" else self.bodies
            self._cache[key] = [Counter(stem_words("en", text)) for text in docs]
        return self._cache[key]

    def phrase(self, fieldname: str, words: list[str]) -> set[int]:
        key = (fieldname, *words)
        if key not in self._cache:
            self._cache[key] = set(self.searcher.docs_for_query(Phrase(fieldname, words)))
        return self._cache[key]


def schema() -> Schema:
    return Schema(
        key=ID(stored=True, unique=True),
        tag=ID,
        title=TEXT(analyzer=analyzer("en"), phrase=True, field_boost=2.0),
        body=TEXT(analyzer=analyzer("en"), phrase=True),
    )


def texts(rng: random.Random) -> tuple[list[str], list[str]]:
    syllables = [c + v for c in "bdfgkmnprt" for v in "aiou"]
    rare = sorted({"".join(rng.choices(syllables, k=3)) for _ in range(700)})
    mid = rare[:40]
    vocab = COMMON + mid + rare + ["the", "and", "of"]
    weights = [5.0] * len(COMMON) + [1.0] * len(mid) + [35.0 / len(rare)] * len(rare) + [2.0] * 3
    titles, bodies = [], []
    for i in range(DOCS):  # some "solo" terms of one document; no title for some, at a segment's end too
        words = rng.choices(vocab, weights, k=rng.randint(1, 70))
        if i % 10 == 3:
            words.insert(rng.randrange(len(words) + 1), f"solo{i}")
        bodies.append(" ".join(words))
        titles.append("" if i % 7 == 0 or i % 175 > 170 else " ".join(rng.choices(vocab, weights, k=6)))
    return titles, bodies


def build(path: Any, batches: int, delete: bool) -> Corpus:
    """The corpus in ``batches`` segments (never merged), with some documents deleted if ``delete``."""
    titles, bodies = texts(random.Random(20240611))
    path.mkdir()
    ix = index.create_in(str(path), schema())
    size = DOCS // batches
    deleted: set[int] = set()
    for b in range(batches):
        last = b == batches - 1
        if last and delete:
            deleted = set(range(5, b * size, 11)) | set(range(size, size + 40))  # 40 at a segment's start
            w = ix.writer()
            for i in sorted(deleted):
                w.delete_by_term("key", f"k{i}")
            w.commit(merge=False)
        w = ix.writer()
        for i in range(b * size, DOCS if last else (b + 1) * size):
            fields = {"key": f"k{i}", "tag": ("red", "green", "blue")[i % 3], "body": bodies[i]}
            w.add_document(**fields, **({"title": titles[i]} if titles[i] else {}))
        w.commit(merge=False)
    return Corpus(ix.searcher(), titles, bodies, deleted)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Corpus]]:
    root = tmp_path_factory.mktemp("postings")
    built = {
        "single": build(root / "single", 1, delete=False),
        "multi": build(root / "multi", 4, delete=True),
    }
    yield built
    for corpus in built.values():
        corpus.searcher.close()


@pytest.fixture(params=["single", "multi"])
def corpus(request: pytest.FixtureRequest, corpora: dict[str, Corpus]) -> Corpus:
    return corpora[request.param]


@pytest.fixture(params=["blocks", "public"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """With "public", search.postings sees no W3 classes and takes Whoosh's public API throughout
    (its path for the matchers and per-document readers of other codecs)."""
    if request.param == "public":
        other = type("Other", (), {})
        monkeypatch.setattr(postings, "whoosh3", SimpleNamespace(W3LeafMatcher=other, W3PerDocReader=other))
        monkeypatch.setattr(postings, "length_bytes", lambda perdoc, field: None)  # not a W3 reader
    return request.param


def terms(reader: Any, field: str) -> list[str]:
    return [reader.schema[field].from_bytes(t) for t in reader.lexicon(field)]


def test_the_indexes_hold_what_the_tests_need(corpora: dict[str, Corpus]) -> None:
    single, multi = corpora["single"].reader, corpora["multi"].reader
    assert len(single.leaf_readers()) == 1 and len(multi.leaf_readers()) == 4
    assert sum(leaf.has_deletions() for leaf, _ in multi.leaf_readers()) >= 3
    matchers = {type(leaf.postings("body", "alpha")) for leaf, _ in multi.leaf_readers()}
    assert matchers == {whoosh3.W3LeafMatcher, FilterMatcher}
    assert 0 in postings.field_lengths(multi, "title")  # documents without a title
    assert single.doc_frequency("body", "alpha") > 4 * 128  # several blocks
    assert single.doc_frequency("body", "solo3") == 1
    found = [p for t in terms(single, "body") for _, _, p in corpora["single"].postings("body", t)]
    assert any(len(p) > 5 for p in found)
    assert any(p[-1] - (p[-2] if len(p) > 1 else 0) == 46 for p in found)  # the last delta pickles as '.'


@pytest.mark.parametrize("field", ["body", "title", "tag", "key"])
def test_read_equals_whoosh_for_every_term(corpus: Corpus, path: str, field: str) -> None:
    reader = corpus.reader
    for text in terms(reader, field)[:: 1 if path == "blocks" else 3]:  # the public path is slow
        expected = corpus.postings(field, text)
        for values in (False, True):
            found = postings.read(reader, field, text, values)
            assert list(found.ids) == [d for d, _, _ in expected], text
            assert list(found.weights) == [w for _, w, _ in expected], text
            assert not corpus.deleted & set(found.ids)
            assert (found.blocks is not None) == values
    unknown = postings.read(reader, field, "nosuchword", values=True)
    assert (list(unknown.ids), list(unknown.weights), unknown.blocks) == ([], [], [])


def test_read_weights_are_frequencies_times_field_boost(corpus: Corpus, path: str) -> None:
    reader = corpus.reader
    live = [d for d in range(DOCS) if d not in corpus.deleted]
    for field, docs, boost in (("title", corpus.titles, 2.0), ("body", corpus.bodies, 1.0)):
        counts = corpus.counts(field)
        for text in ("alpha", "zulu", stem_words("en", docs[live[3]])[-1]):
            found = postings.read(reader, field, text)
            assert list(found.ids) == [d for d in live if counts[d][text]]
            assert list(found.weights) == [boost * counts[d][text] for d in found.ids]


def test_positions_equal_whoosh_values(corpus: Corpus, path: str) -> None:
    reader = corpus.reader
    rng = random.Random(5)
    for text in terms(reader, "body")[::4] + COMMON + ["nosuchword"]:
        docs = set(rng.sample(range(DOCS), DOCS // 2)) | corpus.deleted
        expected = {d: p for d, _, p in corpus.postings("body", text) if d in docs}
        # read here, read earlier with values, read earlier without them (positions re-reads)
        for found in (None, postings.read(reader, "body", text, True), postings.read(reader, "body", text)):
            assert postings.positions(reader, "body", text, docs, found) == expected, text


def random_positions(rng: random.Random) -> list[int]:
    n = rng.choice([1, 1, 2, 3, 10, 200, 1500])
    return sorted(rng.sample(range(rng.choice([3000, 200_000, 2**33])), n))


def test_decode_positions_equals_whoosh_decoder() -> None:
    fmt, rng = Positions(), random.Random(3)
    # one element, 46 ('.') last, pickle's 1-, 2-, 4- and 8-byte integers, batches of 1000 appends
    lists = [[46], [0], [5, 46], [0, 46, 92], [255, 256], [65535, 65536, 70000], [2**31 + 7]]
    lists += [list(range(2500))] + [random_positions(rng) for _ in range(300)]
    values = [fmt.encode(p) for p in lists]
    values += [fmt.encode(p)[:-1] for p in lists[:20]]  # without the final STOP, as Whoosh also reads
    rng.shuffle(values)
    assert postings._decode_positions(values, fmt.decode_positions) == [
        fmt.decode_positions(v) for v in values
    ]


@pytest.mark.parametrize("protocol", [0, 1, 4])
def test_decode_positions_falls_back_to_the_decoder(protocol: int) -> None:
    fmt, calls = Positions(), []

    def decode(value: bytes) -> list[int]:
        calls.append(value)
        return fmt.decode_positions(value)

    odd = pack_uint(3) + pickle.dumps([1, 2, 46], protocol)
    values = [fmt.encode([3, 4]), odd, fmt.encode([46])]
    assert postings._decode_positions(values, decode) == [[3, 4], [1, 3, 49], [46]]
    assert calls == values


def phrases(corpus: Corpus, rng: random.Random) -> list[tuple[str, list[str]]]:
    out = []
    for _ in range(80):
        field, docs = rng.choice([("body", corpus.bodies), ("title", corpus.titles)])
        words = stem_words("en", rng.choice(docs))
        n = rng.choice([2, 3])
        if len(words) >= n:
            start = rng.randrange(len(words) - n + 1)
            out.append((field, words[start : start + n]))
    repeated = [["alpha", "bravo", "alpha"], ["kilo", "kilo"], ["zulu", "zulu", "zulu"]]
    absent = [["alpha", "nosuchword"], ["solo3", "alpha"], rng.sample(COMMON, 3)]
    return out + [("body", words) for words in repeated + absent]


@pytest.mark.parametrize("half", [False, True])
def test_phrase_equals_whoosh_phrase_query(corpus: Corpus, path: str, half: bool) -> None:
    reader = corpus.reader
    rng = random.Random(11)
    sizes = []
    for field, words in phrases(corpus, rng):
        candidates = set(rng.sample(range(DOCS), DOCS // 2)) if half else set(range(DOCS))
        expected = corpus.phrase(field, words) & candidates
        # with the half, the caller's postings_of (postings read once per search) gives them
        postings_of = (lambda w, f=field: postings.read(reader, f, w, True)) if half else None
        assert postings.phrase(reader, field, words, candidates, postings_of) == expected, (field, words)
        sizes.append(len(expected))
    assert min(sizes) == 0 and max(sizes) > 20 and sum(map(bool, sizes)) > len(sizes) // 3


@pytest.mark.parametrize("field", ["body", "title"])
def test_field_lengths_equal_whoosh_length_bytes(corpus: Corpus, path: str, field: str) -> None:
    reader = corpus.reader
    lengths = postings.field_lengths(reader, field)
    assert len(lengths) == reader.doc_count_all()
    assert list(lengths) == [length_to_byte(reader.doc_field_length(d, field, 0)) for d in range(DOCS)]
    assert max(lengths) > 0


def test_segment_ids_and_lengths_are_by_segment(corpus: Corpus, path: str) -> None:
    counts = corpus.counts("body")
    for leaf, offset in corpus.reader.leaf_readers():
        mine = range(leaf.doc_count_all())
        deleted = leaf.deleted_docs_set if leaf.has_deletions() else set()
        for text in ["alpha", "solo3", "solo13", "nosuchword", *counts[offset]]:
            ids = list(postings.segment_ids(leaf, "body", text))
            assert ids == sorted(ids)
            live = [d for d in ids if d not in deleted]  # deleted ones: see the test below
            assert live == [d for d in mine if counts[d + offset][text] and d not in deleted], text
        for field in ("body", "title"):
            expected = [length_to_byte(leaf.doc_field_length(d, field, 0)) for d in mine]
            assert list(postings.segment_lengths(leaf, field)) == expected


def test_segment_ids_include_leading_deleted_documents(tmp_path: Any, path: str) -> None:
    ix = index.create_in(str(tmp_path), schema())
    with ix.writer() as w:
        for i in range(300):
            w.add_document(key=f"k{i}", body=f"alpha filler{i % 7}")
    w = ix.writer()
    for i in range(200):  # the first 200 postings of "alpha": a whole block of 128 and more
        w.delete_by_term("key", f"k{i}")
    w.commit(merge=False)
    with ix.reader() as reader:
        assert list(postings.read(reader, "body", "alpha").ids) == list(range(200, 300))
        assert list(postings.segment_ids(reader, "body", "alpha")) == list(range(300))


QUERIES = [
    Term("body", "alpha"),
    Term("body", "solo3"),
    Term("title", "kilo"),
    Or([Term("body", "bravo"), Term("title", "bravo"), Term("title", "zulu")]),
    Or([Term("body", "alpha"), Term("tag", "red")]),
    Term("tag", "green"),
]


def scorer_for(corpus: Corpus, q: Any, docs: set[int]) -> postings.Scorer:
    reader = corpus.reader
    scorer = postings.Scorer(corpus.searcher, lambda field: postings.field_lengths(reader, field))
    for t in q.leaves():
        scorer.add_term(t.fieldname, t.text, postings.read(reader, t.fieldname, t.text), docs)
    return scorer


@pytest.mark.parametrize("q", QUERIES, ids=str)
def test_scorer_equals_whoosh_bm25f(corpus: Corpus, q: Any) -> None:
    expected = {hit.docnum: hit.score for hit in corpus.searcher.search(q, limit=None)}
    assert expected
    scorer = scorer_for(corpus, q, set(expected))
    assert scorer.scores == pytest.approx(expected, rel=1e-5)
    some = set(random.Random(2).sample(sorted(expected), len(expected) // 2))
    assert scorer_for(corpus, q, some).scores == pytest.approx({d: expected[d] for d in some}, rel=1e-5)
    if q == Term("tag", "green"):
        assert set(scorer.scores.values()) == {1.0}  # WeightScorer: the posting's weight


@pytest.mark.parametrize("q", QUERIES, ids=str)
@pytest.mark.parametrize("limit", [1, 10, 100, 10_000])
def test_scorer_top_orders_like_whoosh(corpus: Corpus, q: Any, limit: int) -> None:
    searcher = corpus.searcher
    matched = set(searcher.docs_for_query(q))
    scorer = scorer_for(corpus, q, matched)
    ranked = [hit.docnum for hit in searcher.search(q, limit=limit)]
    assert scorer.top(matched, limit) == ranked
    assert scorer.top(matched, 0) == []
    others = {d for d in range(0, DOCS, 50) if d not in matched}  # unscored: 0, by document number
    expected = [hit.docnum for hit in searcher.search(q, limit=None)] + sorted(others)
    assert scorer.top(matched | others, limit) == expected[:limit]
