"""The Whoosh engine behind :mod:`search.backend`.

One index; each document's text goes into the fields of its detected language
(``title_no``, ``body_no``…), each stemmed for that language, and a query word is
looked up in every language's fields with that language's stem. Permissions are a
filter inside the query: ``And([text, ConstantScoreQuery(allowed, 0)])`` ranks like
the text alone (``query.Require`` fails an assertion in whoosh-reloaded), and the
collector only ever sees allowed documents, so totals and facets are allowed counts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape
from whoosh import highlight, index, sorting, writing
from whoosh import query as wq
from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema
from whoosh.index import LockError

from intranet.indexing import Document, Realms

from . import analysis
from .backend import FACETS, Criteria, Hit, IndexBusy, IndexUnavailable, Loader, Results, stamp
from .query import AnyOf, Phrase, Query, Word

SNIPPET_CHARS = 240
#: How long a rebuild waits for a writer that is still busy.
REBUILD_LOCK_WAIT = 120.0


def _when(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value
    return datetime(value.year, value.month, value.day)


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
        return self.path.is_dir() and index.exists_in(str(self.path))

    def _open(self, create: bool = False) -> Any:
        if not self.exists():
            if not create:
                raise IndexUnavailable("missing")
            self.path.mkdir(parents=True, exist_ok=True)
            return index.create_in(str(self.path), self.schema())
        try:
            ix = index.open_dir(str(self.path))
        except Exception as exc:  # a damaged index: whatever Whoosh raised, search is degraded
            raise IndexUnavailable("unreadable") from exc
        if set(ix.schema.names()) != set(self.schema().names()):
            raise IndexUnavailable("settings changed")
        return ix

    def _searcher(self) -> Any:
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = self._open().searcher()
        else:
            try:
                searcher = searcher.refresh()
            except Exception as exc:
                self._local.searcher = None
                raise IndexUnavailable("unreadable") from exc
        self._local.searcher = searcher
        return searcher

    def close(self) -> None:
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None

    # -- writing -----------------------------------------------------------------------------------

    def _fields(self, doc: Document) -> dict[str, Any]:
        lang = analysis.detect_language(f"{doc.title}\n{doc.body}", self.languages)
        fields = {
            "key": doc.key,
            "kind": doc.kind,
            "realm": doc.realm,
            "restricted": "y" if doc.restricted else "n",
            "department": str(doc.department_id) if doc.department_id is not None else "none",
            "date": _when(doc.date),
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
        try:
            w = self._open(create=True).writer(timeout=timeout, limitmb=self.limitmb)
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
            w = ix.writer(timeout=REBUILD_LOCK_WAIT, limitmb=self.limitmb)
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
        options = []
        for lang in self.languages:
            for prefix in ("title", "body"):
                name = f"{prefix}_{lang}"
                if word.prefix:
                    options.append(wq.Prefix(name, word.text.lower()))
                    continue
                terms = analysis.stem_words(lang, word.text)
                if len(terms) == 1:
                    options.append(wq.Term(name, terms[0]))
                elif terms:
                    options.append(wq.Phrase(name, terms))
        return wq.Or(options) if options else None

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

    @staticmethod
    def _any(field: str, values: Iterable[str]) -> wq.Query:
        terms = [wq.Term(field, v) for v in sorted(values)]
        return wq.Or(terms) if terms else wq.NullQuery

    def _allowed(self, access: Realms) -> wq.Query:
        """What the user may see: readable realms' open documents, and all of the moderated ones."""
        visible = wq.And([self._any("realm", access.readable), wq.Term("restricted", "n")])
        moderated = access.moderated & access.readable
        return wq.Or([visible, self._any("realm", moderated)]) if moderated else visible

    def _compose(self, criteria: Criteria, access: Realms) -> wq.Query:
        filters = [self._allowed(access)]
        for field, values in (
            ("kind", criteria.kinds),
            ("status", criteria.statuses),
            ("department", criteria.departments),
            ("realm", criteria.realms),
        ):
            if values is not None:
                filters.append(self._any(field, values))
        q = wq.And([self._text(criteria.query), *(wq.ConstantScoreQuery(f, 0) for f in filters)])
        excluded = [q for q in (self._clause(c) for c in criteria.query.excluded) if q is not None]
        excluded += [self._any(field, values) for field, values in criteria.excluded.items() if values]
        return wq.AndNot(q, wq.Or(excluded)) if excluded else q

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
        searcher = self._searcher()
        q = self._compose(criteria, access)
        kwargs: dict[str, Any] = {"limit": page * per_page}
        if facets:
            kwargs["groupedby"] = {f: sorting.FieldFacet(f, maptype=sorting.Count) for f in FACETS}
        if order == "date":
            kwargs["sortedby"] = sorting.FieldFacet("date", reverse=True)
        results = searcher.search(q, **kwargs)
        results.fragmenter = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60)
        results.formatter = _Mark()
        page_hits = list(results)[(page - 1) * per_page :]
        shown = load([hit["key"] for hit in page_hits])
        hits = []
        for hit in page_hits:
            found = shown.get(hit["key"])
            if found is None:
                continue
            snippet = hit.highlights(f"body_{hit['lang']}", text=found.text, top=2) if found.text else ""
            if not snippet:
                snippet = escape(_shorten(found.text))
            hits.append(Hit(found=found, snippet=Markup(snippet)))  # noqa: S704 - escaped by _Mark
        # Documents without a value (a thread has no status) are not a facet entry.
        counted = {f: {k: n for k, n in results.groups(f).items() if k} for f in FACETS} if facets else {}
        return Results(hits=hits, total=len(results), facets=counted)

    def has_hits(self, criteria: Criteria, access: Realms) -> bool:
        return not self._searcher().search(self._compose(criteria, access), limit=1).is_empty()

    def similar(self, text: str, kinds: Iterable[str], access: Realms, limit: int) -> list[str]:
        options = []
        for lang in self.languages:
            for term in dict.fromkeys(analysis.stem_words(lang, text)):
                options.append(wq.Term(f"title_{lang}", term, boost=2.0))
                options.append(wq.Term(f"body_{lang}", term))
        if not options:
            return []
        allowed = wq.And([self._allowed(access), self._any("kind", kinds)])
        q = wq.And([wq.Or(options), wq.ConstantScoreQuery(allowed, 0)])
        return [hit["key"] for hit in self._searcher().search(q, limit=limit)]

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


def _shorten(text: str) -> str:
    return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


class _Writer:
    def __init__(self, backend: WhooshBackend, writer: Any) -> None:
        self._backend = backend
        self._w = writer

    def put(self, doc: Document) -> None:
        self._w.update_document(**self._backend._fields(doc))

    def delete(self, key: str) -> None:
        self._w.delete_by_term("key", key)
