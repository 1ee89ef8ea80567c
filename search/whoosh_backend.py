"""The Whoosh engine behind :mod:`search.backend`.

One index; each document's text goes into the fields of its detected language
(``title_no``, ``body_no``…), each stemmed for that language, and a query word is
looked up in every language's fields with that language's stem. Permissions are a
filter inside the query: ``And([text, ConstantScoreQuery(allowed, 0)])`` ranks like
the text alone (``query.Require`` fails an assertion in whoosh-reloaded), and the
collector only ever sees allowed documents, so totals and facets are allowed counts.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape
from whoosh import highlight, index, writing
from whoosh import query as wq
from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema
from whoosh.index import LockError
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import Searcher

from intranet.indexing import Document, Realms

from . import analysis
from .backend import (
    FACETS,
    SNIPPET_CHARS,
    SNIPPET_SCAN,
    Criteria,
    Hit,
    IndexBusy,
    IndexUnavailable,
    Loader,
    Results,
    naive_utc,
    shorten,
    stamp,
)
from .query import AnyOf, Phrase, Query, Word
from .whoosh_codec import Codec
from .whoosh_view import Lookup, SegmentCache, View

#: How often a table of contents replaced while it was being read is read again.
TOC_READS = 5
#: How long a rebuild waits for a writer that is still busy.
REBUILD_LOCK_WAIT = 120.0


class _Mark(highlight.Formatter):
    """Matched words in <mark>, everything else escaped: snippets are safe HTML."""

    between = " … "

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"<mark>{escape(highlight.get_text(text, token, replace))}</mark>"

    def _text(self, text: str) -> str:
        return str(escape(text))


class WhooshBackend:
    def __init__(self, path: str | Path, languages: Iterable[str], limitmb: int = 128) -> None:
        self.path = Path(path)
        self.languages = tuple(dict.fromkeys(analysis.normalize_language(lang) for lang in languages))
        self.limitmb = limitmb
        self._local = threading.local()
        self._segments = SegmentCache()  # shared by the threads' views: segments never change
        self._highlighter = highlight.Highlighter(
            fragmenter=highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60), formatter=_Mark()
        )

    # -- the index ---------------------------------------------------------------------------------

    def schema(self) -> Schema:
        fields: dict[str, Any] = {
            "key": ID(stored=True, unique=True),
            "kind": ID(sortable=True),
            "realm": ID,
            "restricted": ID,
            "department": ID(sortable=True),
            "status": ID(sortable=True),
            "date": DATETIME(sortable=True),
            "lang": ID(stored=True),
            "stamp": STORED,
            "spell": TEXT(analyzer=analysis.plain_analyzer(), phrase=False),
        }
        for lang in self.languages:
            fields[f"title_{lang}"] = TEXT(analyzer=analysis.analyzer(lang), phrase=True, field_boost=2.0)
            fields[f"body_{lang}"] = TEXT(analyzer=analysis.analyzer(lang), phrase=True)
        return Schema(**fields)

    def exists(self) -> bool:
        """Whether an index is there, readable or not (a damaged one is for :meth:`_open` to report)."""
        if not self.path.is_dir():
            return False
        try:
            return index.exists_in(str(self.path))
        except Exception:  # noqa: BLE001 - Whoosh raises its own errors on a garbage table of contents
            return True

    def _open(self, create: bool = False) -> Any:
        return self._open_toc(create)[0]

    def _open_toc(self, create: bool = False) -> tuple[Any, Any]:
        """The index and its newest table of contents (segments, schema, generation)."""
        if not self.exists():
            if not create:
                raise IndexUnavailable("missing")
            self.path.mkdir(parents=True, exist_ok=True)
            ix = index.create_in(str(self.path), self.schema())
            return ix, ix._read_toc()
        for _attempt in range(TOC_READS):
            try:
                ix = index.open_dir(str(self.path))
                toc = ix._read_toc()
            except FileNotFoundError as exc:  # another process's commit replaced the table of
                missing = exc  # contents between finding it and reading it: read the new one
                continue
            except Exception as exc:  # a damaged index: whatever Whoosh raised, search is degraded
                raise IndexUnavailable("unreadable") from exc
            if set(toc.schema.names()) != set(self.schema().names()):
                raise IndexUnavailable("settings changed")
            return ix, toc
        raise IndexUnavailable("unreadable") from missing

    def _searcher(self) -> Any:
        searcher = getattr(self._local, "searcher", None)
        try:
            if searcher is None or not searcher.up_to_date():
                searcher = self._fresh_searcher_retrying(searcher)
        except Exception as exc:
            self._local.searcher = None
            self._local.view = None
            if isinstance(exc, IndexUnavailable):
                raise
            raise IndexUnavailable("unreadable") from exc
        self._local.searcher = searcher
        return searcher

    def _fresh_searcher_retrying(self, old: Any | None) -> Any:
        """:meth:`_fresh_searcher`, again when a writer merged a segment away between reading the
        table of contents and opening that segment's files (the next table of contents no longer
        lists it). Under steady writes this happened to about one search in 3,000 (bench/soak)."""
        for _attempt in range(TOC_READS - 1):
            try:
                return self._fresh_searcher(old)
            except FileNotFoundError:
                continue
        return self._fresh_searcher(old)

    def _fresh_searcher(self, old: Any | None) -> Any:
        """A searcher for the index as it is now, keeping the old one's reader of each segment
        whose deletions are unchanged (opening a big segment's reader costs tens of ms).

        Not Whoosh's ``searcher.refresh()``: it keeps a segment's old reader even when the
        segment has new deletions, so deleted, hidden and moved posts would still be found.
        """
        ix, toc = self._open_toc()
        reusable = {}
        if old is not None:
            for leaf, _offset in old.reader().leaf_readers():
                if leaf.segment() is not None:
                    reusable[leaf.segment().segment_id()] = leaf
        readers = []
        for segment in toc.segments:
            leaf = reusable.pop(segment.segment_id(), None)
            if leaf is None or leaf.is_closed or leaf.segment().deleted_count() != segment.deleted_count():
                if leaf is not None:
                    leaf.close()
                leaf = SegmentReader(ix.storage, toc.schema, segment, generation=toc.generation)
            readers.append(leaf)
        for leaf in reusable.values():  # merged away
            leaf.close()
        if not readers:
            return Searcher(EmptyReader(toc.schema), fromindex=ix)
        if len(readers) == 1:  # a segment reader alone: Whoosh's MultiReader is slower at everything
            readers[0]._gen = toc.generation  # kept from an older generation: now of this one
            return Searcher(readers[0], fromindex=ix)
        return Searcher(MultiReader(readers, generation=toc.generation), fromindex=ix)

    def _view(self) -> View:
        """The current searcher with its cached lookups (rebuilt when the index has changed)."""
        searcher = self._searcher()
        view = getattr(self._local, "view", None)
        if view is None or view.searcher is not searcher:
            view = self._local.view = View(searcher, self._segments)
        return view

    def close(self) -> None:
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None
        self._local.view = None

    # -- writing -----------------------------------------------------------------------------------

    def _fields(self, doc: Document) -> dict[str, Any]:
        lang = analysis.detect_language(f"{doc.title}\n{doc.body}", self.languages)
        fields = {
            "key": doc.key,
            "kind": doc.kind,
            "realm": doc.realm,
            "restricted": "y" if doc.restricted else "n",
            "department": str(doc.department_id) if doc.department_id is not None else "none",
            "date": naive_utc(doc.date),
            "lang": lang,
            "stamp": stamp(doc),
            "spell": f"{doc.title}\n{doc.body}",
            f"title_{lang}": doc.title,
            f"body_{lang}": doc.body,
        }
        if doc.status:
            fields["status"] = doc.status
        return fields

    @contextmanager
    def writer(self, timeout: float) -> Iterator[_Writer]:
        """Changes to the index; a missing one is not created here (only :meth:`rebuild` may:
        an index created afresh by a change would hold that change alone, silently)."""
        try:
            w = self._open().writer(timeout=timeout, limitmb=self.limitmb, codec=Codec())
        except LockError as exc:
            raise IndexBusy from exc
        try:
            yield _Writer(self, w)
        except BaseException:
            w.cancel()
            raise
        w.commit()

    def rebuild(self, documents: Iterator[Document], progress: Callable[[int], None]) -> int:
        """Replace the whole index; searches see the old one until the commit (memory: ``limitmb``)."""
        try:
            ix = self._open(create=True)
        except IndexUnavailable:  # damaged, or built with other settings: start afresh
            self.close()
            self.path.mkdir(parents=True, exist_ok=True)
            ix = index.create_in(str(self.path), self.schema())
        try:
            w = ix.writer(timeout=REBUILD_LOCK_WAIT, limitmb=self.limitmb, codec=Codec())
        except LockError as exc:
            raise IndexBusy from exc
        count = 0
        try:
            for doc in documents:
                w.add_document(**self._fields(doc))
                count += 1
                progress(count)
        except BaseException:
            w.cancel()
            raise
        w.commit(mergetype=writing.CLEAR)
        return count

    # -- reading -----------------------------------------------------------------------------------

    def _word(self, word: Word) -> wq.Query | None:
        options: list[wq.Query] = []
        stopped = []  # the languages this word is a stop word of
        for lang in self.languages:
            terms = [] if word.prefix else analysis.stem_words(lang, word.text)
            if not word.prefix and not terms:
                stopped.append(lang)
            for prefix in ("title", "body"):
                name = f"{prefix}_{lang}"
                if word.prefix:
                    options.append(wq.Prefix(name, word.text.lower()))
                elif len(terms) == 1:
                    options.append(wq.Term(name, terms[0]))
                elif terms:
                    options.append(wq.Phrase(name, terms))
        if not options:
            return None  # a stop word in every language: nothing to look for
        # "the parking garage": text in a language the word is a stop word of need not hold it.
        return wq.Or(options + [wq.Term("lang", lang) for lang in stopped])

    def _phrase(self, phrase: Phrase) -> wq.Query | None:
        options = []
        for lang in self.languages:
            terms = analysis.stem_words(lang, " ".join(phrase.words))
            for prefix in ("title", "body"):
                name = f"{prefix}_{lang}"
                if len(terms) == 1:
                    options.append(wq.Term(name, terms[0]))
                elif terms:
                    options.append(wq.Phrase(name, terms))
        return wq.Or(options) if options else None

    def _clause(self, clause: Any) -> wq.Query | None:
        if isinstance(clause, Word):
            return self._word(clause)
        if isinstance(clause, Phrase):
            return self._phrase(clause)
        if isinstance(clause, AnyOf):
            options = [q for q in (self._clause(o) for o in clause.options) if q is not None]
            return wq.Or(options) if options else None
        raise TypeError(clause)

    def _text(self, query: Query) -> wq.Query:
        required = [q for q in (self._clause(c) for c in query.required) if q is not None]
        if query.required and not required:
            return wq.NullQuery  # only stop words: nothing to look for
        return wq.And(required) if required else wq.Every()

    def search(
        self,
        criteria: Criteria,
        access: Realms,
        load: Loader,
        *,
        order: str = "relevance",
        page: int = 1,
        per_page: int = 20,
        facets: bool = True,
    ) -> Results:
        view = self._view()
        lookup = Lookup(view)
        text, shown_terms = self._text_and_terms(criteria)
        matched = lookup.matches(self._text(criteria.query), self._filter_docs(view, criteria, access))
        if text is not None and matched:
            matched -= lookup.docs(text, matched)
        limit = page * per_page
        if not matched:
            docnums: list[int] = []
        elif order == "date":
            dates = view.column("date", raw=True)
            # Same-day ties (suggestions are dated by the day) in an order that is not the order
            # of indexing, so it cannot tell which anonymous suggestion came first (TRUST.md A6).
            docnums = heapq.nlargest(limit, matched, key=lambda d: (dates[d], _scramble(d)))
        else:  # BM25F over the text alone, only for the allowed matches
            docnums = lookup.rank(self._text(criteria.query), matched, limit)
        page_docs = docnums[(page - 1) * per_page :]
        stored = [view.searcher.stored_fields(docnum) for docnum in page_docs]
        shown = load([fields["key"] for fields in stored])
        hits = []
        words: dict[str, frozenset[str]] = {}  # per field: the query's terms there (prefixes expanded)
        for fields in stored:
            found = shown.get(fields["key"])
            if found is None:
                continue
            field = f"body_{fields['lang']}"
            if field not in words:
                words[field] = view.words(field, shown_terms)
            snippet = self._snippet(view, field, words[field], found.text) if found.text else ""
            if not snippet:
                snippet = escape(shorten(found.text))
            hits.append(Hit(found=found, snippet=Markup(snippet)))  # noqa: S704 - escaped by _Mark
        # Documents without a value (a thread has no status) are not a facet entry.
        counted = {f: view.count(f, matched) for f in FACETS} if facets else {}
        return Results(hits=hits, total=len(matched), facets=counted)

    def _filter_docs(self, view: View, criteria: Criteria, access: Realms) -> set[int]:
        """The documents the permission filter and the field filters let through."""
        allowed = view.allowed(access)
        for field, values in (
            ("kind", criteria.kinds),
            ("status", criteria.statuses),
            ("department", criteria.departments),
            ("realm", criteria.realms),
        ):
            if values is not None:
                allowed &= view.any(field, values)
        for field, values in criteria.excluded.items():
            if values:
                allowed -= view.any(field, values)
        return allowed

    def _text_and_terms(self, criteria: Criteria) -> tuple[wq.Query | None, wq.Query]:
        """The excluded text, and the query whose words snippets mark (negated ones too, as before)."""
        excluded = [q for q in (self._clause(c) for c in criteria.query.excluded) if q is not None]
        text = self._text(criteria.query)
        if not excluded:
            return None, text
        return wq.Or(excluded), wq.AndNot(text, wq.Or(excluded))

    def _snippet(self, view: View, field: str, words: frozenset[str], text: str) -> str:
        """The best two passages holding the words; looked for in the text's start first (a long
        post is analysed whole only when its start holds none of them)."""
        analyzer = view.searcher.schema[field].analyzer
        if len(text) > SNIPPET_SCAN:
            start = text[:SNIPPET_SCAN]
            start = start[: max(start.rfind(" "), start.rfind("\n"), 1)]  # not in the middle of a word
            snippet = self._passages(analyzer, words, start)
            if "<mark>" in snippet:
                return snippet
        return self._passages(analyzer, words, text)

    def _passages(self, analyzer: Any, words: frozenset[str], text: str) -> str:
        tokens = analyzer(text, positions=True, chars=True, mode="index", removestops=False)
        tokens = self._highlighter._merge_matched_tokens(highlight.set_matched_filter(tokens, words))
        fragments = self._highlighter.fragmenter.fragment_tokens(text, tokens)
        fragments = highlight.top_fragments(fragments, 2, self._highlighter.scorer, highlight.FIRST, 1)
        return self._highlighter.formatter.format(fragments)

    def has_hits(self, criteria: Criteria, access: Realms) -> bool:
        view = self._view()
        lookup = Lookup(view)
        text, _ = self._text_and_terms(criteria)
        matched = lookup.matches(self._text(criteria.query), self._filter_docs(view, criteria, access))
        return bool(matched - lookup.docs(text, matched)) if text is not None and matched else bool(matched)

    def similar(self, text: str, kinds: Iterable[str], access: Realms, limit: int) -> list[str]:
        options = []
        for lang in self.languages:
            for term in dict.fromkeys(analysis.stem_words(lang, text)):
                options.append(wq.Term(f"title_{lang}", term, boost=2.0))
                options.append(wq.Term(f"body_{lang}", term))
        if not options:
            return []
        view = self._view()
        allowed = view.allowed(access) & view.any("kind", kinds)
        if not allowed:
            return []
        results = view.searcher.search(wq.Or(options), limit=limit, filter=allowed)
        return [hit["key"] for hit in results]

    def corrections(self, word: str, limit: int = 3) -> list[str]:
        word = word.lower()
        reader = self._searcher().reader()
        if len(word) < 3 or reader.doc_frequency("spell", word):
            return []
        maxdist = 1 if len(word) < 6 else 2
        near = set(reader.terms_within("spell", word, maxdist, prefix=1))
        return sorted(near, key=lambda w: (-reader.doc_frequency("spell", w), w))[:limit]

    def stamps(self) -> dict[str, str]:
        reader = self._searcher().reader()
        return {fields["key"]: fields["stamp"] for fields in reader.all_stored_fields()}

    def stats(self) -> dict[str, int]:
        searcher = self._searcher()
        size = sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())
        segments = len(searcher.reader().leaf_readers())
        return {"documents": searcher.doc_count(), "bytes": size, "segments": segments}


def _scramble(docnum: int) -> int:
    """A fixed shuffle of document numbers (Knuth's multiplicative hash, a bijection on 32 bits)."""
    return (docnum * 0x9E3779B1) & 0xFFFFFFFF


class _Writer:
    def __init__(self, backend: WhooshBackend, writer: Any) -> None:
        self._backend = backend
        self._w = writer

    def put(self, doc: Document) -> None:
        self._w.update_document(**self._backend._fields(doc))

    def delete(self, key: str) -> None:
        self._w.delete_by_term("key", key)
