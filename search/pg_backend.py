"""The PostgreSQL full-text engine behind :mod:`search.backend`, for several app hosts on one database.

Whoosh keeps its index on local disk, so two app hosts cannot share it; this engine keeps the
documents in the database they already share. It mirrors :mod:`search.whoosh_backend`:

- Each document's language is detected as for Whoosh (``analysis.detect_language``) and picks
  the text search configuration of its vector (title weight A, body B). A query word is looked
  up in every configured language, with that language's stem (an OR of one tsquery per
  configuration); text in a language the word is a stop word of need not hold it.
- The permission filter (:class:`~intranet.indexing.Realms`) and the field filters are in the
  SQL ``WHERE``, so totals, facets, the top results, ``has_hits`` and ``similar`` only ever
  count what the user may read.
- Writing is exclusive through a transaction-level advisory lock, like Whoosh's write lock.
- "Did you mean" reads ``search_words`` (each plain, unstemmed word with the number of
  documents holding it, kept in step by the writer): candidates share the first letter and are
  within 1 edit (2 from six letters) in Python, as Whoosh's ``terms_within(prefix=1)``; so no
  extension (pg_trgm, fuzzystrmatch) is needed on the server.

The tables are SQLAlchemy Core tables in a MetaData of their own and a PostgreSQL schema of
their own (``ting_search``), made by migration 0008 on PostgreSQL only (tsvector and GIN have no
SQLite equivalent). Not ``db.Model``: ``tests/intranet/test_migrations`` compares ``db.metadata``
with the migrated database's default schema, and the tables exist on PostgreSQL only, so in
``db.metadata`` they would be missing from SQLite, and in the default schema but not in
``db.metadata`` they would be "removed tables" on PostgreSQL. In their own schema, the models
equal the migrations on both, with no app-dependent global state; and the index, derived from
the database (DESIGN.md invariant 3), stays apart from the tables that are the truth.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from intranet.indexing import Document, Realms

from . import analysis
from .backend import (
    FACETS,
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

#: The PostgreSQL schema of the engine's tables and function (migration 0008).
SCHEMA = "ting_search"
CONFIGS = {"en": "english", "no": "norwegian", "da": "danish", "nl": "dutch", "sv": "swedish"}
#: How long a rebuild waits for a writer that is still busy.
REBUILD_LOCK_WAIT = 120.0
#: The advisory lock of the index's writer (advisory locks are per database).
WRITE_LOCK = 0x7469_6E67_7365_6172  # "tingsear"
#: Rows per round trip when writing.
BATCH = 500
# Marks for ts_headline that no text holds (they are removed from it first), escaped, then replaced.
_START, _STOP = "\ue000", "\ue001"
_HEADLINE = f'StartSel="{_START}", StopSel="{_STOP}", MaxWords=35, MinWords=15, MaxFragments=2, FragmentDelimiter=" … "'  # noqa: E501
_MISSING = ("42P01", "3F000", "42883")  # no such table, schema, function: not migrated
_SIZE = "SELECT " + " + ".join(
    f"pg_total_relation_size('{SCHEMA}.{t}')" for t in ("search_documents", "search_words")
)
_QUOTED = "'''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || ''''"  # lexeme as tsquery text
_UNNEST = "FROM unnest(CAST(:cs AS text[]), CAST(:ts AS text[])) AS u(c, t)"
#: What a text means in a configuration: as a phrase query, or its lexemes (joined by chr(1)).
_ANALYSE = {
    # The lexemes in the order of their positions, joined by <-> (the positions as the documents'
    # vectors number them: stop words leave no gap, see search_packed_tsvector in migration 0008).
    "phrase": sa.text(
        "SELECT c, t, (SELECT string_agg(" + _QUOTED + ", ' <-> ' ORDER BY p) "
        "FROM unnest(to_tsvector(CAST(c AS regconfig), t)) AS v(lexeme, positions, weights), "
        "unnest(positions) AS p) " + _UNNEST
    ),
    "lexemes": sa.text(
        "SELECT c, t, array_to_string(tsvector_to_array(to_tsvector(CAST(c AS regconfig), t)), chr(1)) "
        + _UNNEST
    ),
}

metadata = sa.MetaData(schema=SCHEMA)

documents = sa.Table(
    "search_documents",
    metadata,
    sa.Column("key", sa.String(80)),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("realm", sa.String(80), nullable=False),
    sa.Column("department", sa.String(20), nullable=False),  # a department id as text, "none"
    sa.Column("status", sa.String(40), nullable=True),
    sa.Column("restricted", sa.Boolean(), nullable=False),
    sa.Column("date", sa.DateTime(), nullable=False),  # UTC, naive
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("stamp", sa.String(16), nullable=False),
    sa.Column("language", sa.String(2), nullable=False),
    sa.Column("vector", pg.TSVECTOR(), nullable=False),
    sa.PrimaryKeyConstraint("key", name="pk_search_documents"),
    sa.Index("ix_search_documents_vector", "vector", postgresql_using="gin"),
    sa.Index("ix_search_documents_realm", "realm", "restricted"),
    sa.Index("ix_search_documents_date", "date"),
)

words = sa.Table(
    "search_words",
    metadata,
    sa.Column("word", sa.Text(collation="C")),  # code point order: first-letter ranges
    sa.Column("docs", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("word", name="pk_search_words"),
)


def _clean(text: str) -> str:
    """PostgreSQL text cannot hold NUL."""
    return text.replace("\x00", " ")


def _words(text: str) -> str:
    """``text`` as PostgreSQL's parser is to read it: without HTML tags.

    Its default parser takes ``<...>`` for a tag and drops it, words and all, and drops everything
    after ``<script>``: "the <b> tag" lost "b", and a post quoting ``<script>`` lost its words from
    there on. As a space, "<" splits words as it does for Whoosh.
    """
    return _clean(text).replace("<", " ")


def _literal(lexeme: str, prefix: bool = False) -> str:
    """One lexeme as tsquery text, quoted so that nothing in it is an operator."""
    quoted = "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"
    return quoted + (":*" if prefix else "")


def _any(parts: Iterable[str]) -> str:
    return " | ".join(f"({p})" for p in parts)


def plain_words(doc: Document) -> set[str]:
    """The unstemmed words of a document, as Whoosh's "spell" field holds them (for corrections)."""
    return {token.text for token in analysis.plain_analyzer()(f"{doc.title}\n{doc.body}")}


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or ``limit + 1`` as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class _Match:
    """A clause as tsquery text, and the languages whose documents it matches regardless
    (a stop word there: "the parking garage" need not hold "the" in English text)."""

    tsquery: str
    stopped: frozenset[str] = frozenset()

    def condition(self) -> sa.ColumnElement[bool]:
        found = documents.c.vector.op("@@", is_comparison=True)(sa.cast(self.tsquery, pg.TSQUERY))
        return sa.or_(found, documents.c.language.in_(self.stopped)) if self.stopped else found


@dataclass(frozen=True)
class _Text:
    """A query's text part: the SQL condition, the tsquery to rank by and the one snippets mark."""

    condition: sa.ColumnElement[bool] | None  # None: every document
    rank: str | None
    marks: str | None


class PostgresBackend:
    def __init__(self, engine: Engine | Callable[[], Engine], languages: Iterable[str]) -> None:
        self._engine = engine if callable(engine) and not isinstance(engine, Engine) else lambda: engine
        self.languages = tuple(dict.fromkeys(analysis.normalize_language(lang) for lang in languages))
        self._analysed: dict[tuple[str, str, str], str] = {}  # (function, config, text) -> tsquery text

    def close(self) -> None:
        """Nothing is held between calls (connections go back to the engine's pool)."""

    # -- connections -------------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with self._engine().connect() as conn:
                yield conn
        except DBAPIError as exc:
            _raise_unavailable(exc)
            raise

    @contextmanager
    def _locked(self, timeout: float) -> Iterator[Connection]:
        """A transaction of its own holding the writer's lock, committed on a clean exit."""
        try:
            with self._engine().connect() as conn, conn.begin():
                _lock(conn, timeout)
                yield conn
        except DBAPIError as exc:
            _raise_unavailable(exc)
            raise

    # -- writing -----------------------------------------------------------------------------------

    def _row(self, doc: Document) -> dict[str, Any]:
        lang = analysis.detect_language(f"{doc.title}\n{doc.body}", self.languages)
        return {
            "key": doc.key,
            "kind": doc.kind,
            "realm": doc.realm,
            "department": str(doc.department_id) if doc.department_id is not None else "none",
            "status": doc.status or None,
            "restricted": bool(doc.restricted),
            "date": naive_utc(doc.date),
            "title": _clean(doc.title),
            "body": _clean(doc.body),
            "title_words": _words(doc.title),
            "body_words": _words(doc.body),
            "stamp": stamp(doc),
            "language": lang,
            "config": CONFIGS[lang],
        }

    @contextmanager
    def writer(self, timeout: float) -> Iterator[_Writer]:
        """Changes, written when the block ends cleanly; committed before this returns (so the
        caller's outbox rows are removed only once the documents are in)."""
        with self._locked(timeout) as conn:
            batch = _Writer(self)
            yield batch
            batch.flush(conn)

    def rebuild(self, documents_: Iterator[Document], progress: Callable[[int], None]) -> int:
        """Replace every document in one transaction: searches see the old ones until the commit."""
        count = 0
        vocabulary: Counter[str] = Counter()
        with self._locked(REBUILD_LOCK_WAIT) as conn:
            conn.execute(documents.delete())
            conn.execute(words.delete())
            rows: list[dict[str, Any]] = []
            for doc in documents_:
                rows.append(self._row(doc))
                vocabulary.update(plain_words(doc))
                count += 1
                if len(rows) >= BATCH:
                    _insert(conn, rows)
                    rows = []
                progress(count)
            _insert(conn, rows)
            _add_words(conn, vocabulary)
        return count

    # -- the query's text --------------------------------------------------------------------------

    def _analyse(self, conn: Connection, function: str, texts: Iterable[str]) -> None:
        """Ask the server what each text means in each language's configuration, once per text."""
        wanted = [
            (CONFIGS[lang], _words(text))
            for text in dict.fromkeys(texts)
            for lang in self.languages
            if (function, CONFIGS[lang], _words(text)) not in self._analysed
        ]
        if not wanted:
            return
        if len(self._analysed) > 50_000:
            self._analysed.clear()
        result = conn.execute(
            _ANALYSE[function], {"cs": [c for c, _ in wanted], "ts": [t for _, t in wanted]}
        )
        for config, text, value in result:
            self._analysed[(function, config, text)] = value or ""

    def _phrase_query(self, text: str) -> dict[str, str]:
        """Per language: ``text`` as a phrase tsquery there ('' when only stop words)."""
        return {lang: self._analysed[("phrase", CONFIGS[lang], _words(text))] for lang in self.languages}

    def _clause(self, clause: Any) -> _Match | None:
        if isinstance(clause, Word):
            if clause.prefix:  # as Whoosh: the typed letters against every language's stems
                return _Match(_literal(clause.text.lower(), prefix=True))
            per_language = self._phrase_query(clause.text)
            options = [q for q in per_language.values() if q]
            if not options:
                return None  # a stop word in every language: nothing to look for
            stopped = frozenset(lang for lang, q in per_language.items() if not q)
            return _Match(_any(dict.fromkeys(options)), stopped)
        if isinstance(clause, Phrase):
            options = [q for q in self._phrase_query(" ".join(clause.words)).values() if q]
            return _Match(_any(dict.fromkeys(options))) if options else None
        if isinstance(clause, AnyOf):
            matches = [m for m in map(self._clause, clause.options) if m is not None]
            if not matches:
                return None
            return _Match(_any(m.tsquery for m in matches), frozenset().union(*(m.stopped for m in matches)))
        raise TypeError(clause)

    def _texts_to_analyse(self, query: Query) -> list[str]:
        out = []
        for clause in (*query.required, *query.excluded):
            for option in clause.options if isinstance(clause, AnyOf) else (clause,):
                if isinstance(option, Phrase):
                    out.append(" ".join(option.words))
                elif not option.prefix:
                    out.append(option.text)
        return out

    def _text(self, conn: Connection, query: Query) -> _Text:
        self._analyse(conn, "phrase", self._texts_to_analyse(query))
        required = [m for m in map(self._clause, query.required) if m is not None]
        excluded = [m for m in map(self._clause, query.excluded) if m is not None]
        # Every word of the query is marked, in a phrase or not, as Whoosh does (lexemes hold no space).
        marks = _any(m.tsquery.replace(" <-> ", " | ") for m in required + excluded) or None
        if query.required and not required:
            return _Text(sa.false(), None, marks)  # only stop words: nothing to look for
        plain = [m.tsquery for m in required if not m.stopped]  # one tsquery: one GIN lookup
        conditions = [_Match(" & ".join(f"({q})" for q in plain)).condition()] if plain else []
        conditions += [m.condition() for m in required if m.stopped]
        if excluded:
            either = _Match(
                _any(m.tsquery for m in excluded), frozenset().union(*(m.stopped for m in excluded))
            )
            conditions.append(sa.not_(either.condition()))
        condition = sa.and_(*conditions) if conditions else None
        return _Text(condition, _any(m.tsquery for m in required) or None, marks)

    # -- reading -----------------------------------------------------------------------------------

    def _where(self, criteria: Criteria, access: Realms, text: _Text) -> list[sa.ColumnElement[bool]]:
        where = [_allowed(access)]
        for column, values in (
            (documents.c.kind, criteria.kinds),
            (documents.c.status, criteria.statuses),
            (documents.c.department, criteria.departments),
            (documents.c.realm, criteria.realms),
        ):
            if values is not None:
                where.append(column.in_(sorted(values)))
        for name, values in criteria.excluded.items():
            if values:
                column = documents.c[name]
                where.append(sa.or_(column.is_(None), column.not_in(sorted(values))))
        if text.condition is not None:
            where.append(text.condition)
        return where

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
        with self._reading() as conn:
            text = self._text(conn, criteria.query)
            where = self._where(criteria, access, text)
            total, counted = _counts(conn, where) if facets else (_count(conn, where), {})
            rows = conn.execute(
                sa.select(documents.c.key, documents.c.language)
                .where(*where)
                .order_by(*self._order(order, text))
                .limit(per_page)
                .offset((page - 1) * per_page)
            ).all()
            shown = load([row.key for row in rows])
            page_hits = [(shown[row.key], row.language) for row in rows if row.key in shown]
            snippets = self._snippets(conn, page_hits, text.marks)
        hits = [
            Hit(found=found, snippet=snippet)
            for (found, _lang), snippet in zip(page_hits, snippets, strict=True)
        ]
        return Results(hits=hits, total=total, facets=counted if facets else {})

    def _order(self, order: str, text: _Text) -> list[sa.ColumnElement[Any]]:
        # Same-day ties (suggestions are dated by the day) in an order that is not the order of
        # indexing, so it cannot tell which anonymous suggestion came first (TRUST.md A6).
        shuffle = sa.func.md5(documents.c.key)
        if order == "date" or text.rank is None:
            return [documents.c.date.desc(), shuffle]
        rank = sa.func.ts_rank_cd(documents.c.vector, sa.cast(text.rank, pg.TSQUERY), 1)
        return [rank.desc(), documents.c.date.desc(), shuffle]

    def _snippets(self, conn: Connection, hits: Sequence[tuple[Any, str]], marks: str | None) -> list[Markup]:
        """Each hit's best two passages with the query's words in <mark>, the rest escaped; the
        start of a long text is tried first (ts_headline parses all it is given)."""
        # Escaped before ts_headline, which drops what looks like a tag; the marks are all it adds.
        texts = [
            str(escape(_clean(found.text).replace(_START, "").replace(_STOP, ""))) for found, _lang in hits
        ]
        out: list[str | None] = [None] * len(hits)
        if marks:
            langs = [lang for _found, lang in hits]
            starts = [_start(t) for t in texts]
            for i, headline in enumerate(_headlines(conn, langs, starts, marks)):
                if _START in headline or len(starts[i]) == len(texts[i]):
                    out[i] = headline
            rest = [i for i, value in enumerate(out) if value is None and texts[i]]
            again = _headlines(conn, [langs[i] for i in rest], [texts[i] for i in rest], marks)
            for i, headline in zip(rest, again, strict=True):
                out[i] = headline
        snippets = []
        for (found, _lang), headline in zip(hits, out, strict=True):
            if headline and _START in headline:
                html = headline.replace(_START, "<mark>").replace(_STOP, "</mark>")
            else:
                html = str(escape(shorten(found.text)))
            snippets.append(Markup(html))  # noqa: S704 - escaped above, only the marks are ours
        return snippets

    def has_hits(self, criteria: Criteria, access: Realms) -> bool:
        with self._reading() as conn:
            where = self._where(criteria, access, self._text(conn, criteria.query))
            return conn.execute(sa.select(sa.literal(1)).where(*where).limit(1)).first() is not None

    def similar(self, text: str, kinds: Iterable[str], access: Realms, limit: int) -> list[str]:
        with self._reading() as conn:
            self._analyse(conn, "lexemes", [text])
            lexemes = {
                lexeme
                for lang in self.languages
                for lexeme in self._analysed[("lexemes", CONFIGS[lang], _words(text))].split("\x01")
                if lexeme
            }
            kinds = sorted(set(kinds))
            if not lexemes or not kinds:
                return []
            query = sa.cast(" | ".join(map(_literal, sorted(lexemes))), pg.TSQUERY)
            rank = sa.func.ts_rank(documents.c.vector, query)
            rows = conn.execute(
                sa.select(documents.c.key)
                .where(
                    _allowed(access),
                    documents.c.kind.in_(kinds),
                    documents.c.vector.op("@@", is_comparison=True)(query),
                )
                .order_by(rank.desc(), documents.c.date.desc(), sa.func.md5(documents.c.key))
                .limit(limit)
            )
            return [row.key for row in rows]

    def corrections(self, word: str, limit: int = 3) -> list[str]:
        word = word.lower()
        if len(word) < 3:
            return []
        maxdist = 1 if len(word) < 6 else 2
        first = word[0]
        with self._reading() as conn:
            rows = conn.execute(
                sa.select(words.c.word, words.c.docs).where(
                    words.c.word >= first,
                    words.c.word < chr(ord(first) + 1),
                    sa.func.length(words.c.word).between(len(word) - maxdist, len(word) + maxdist),
                )
            ).all()
        counts = {row.word: row.docs for row in rows}
        if counts.get(word):
            return []
        near = [w for w in counts if edit_distance(w, word, maxdist) <= maxdist]
        return sorted(near, key=lambda w: (-counts[w], w))[:limit]

    def stamps(self) -> dict[str, str]:
        with self._reading() as conn:
            return {key: value for key, value in conn.execute(sa.select(documents.c.key, documents.c.stamp))}

    def stats(self) -> dict[str, int]:
        with self._reading() as conn:
            count = conn.scalar(sa.select(sa.func.count()).select_from(documents))
            size = conn.scalar(sa.text(_SIZE))
            vocabulary = conn.scalar(sa.select(sa.func.count()).select_from(words))
        return {"documents": int(count or 0), "bytes": int(size or 0), "words": int(vocabulary or 0)}


def _raise_unavailable(exc: DBAPIError) -> None:
    if getattr(exc.orig, "sqlstate", None) in _MISSING:
        raise IndexUnavailable("missing (run `flask db upgrade`)") from exc


def _lock(conn: Connection, timeout: float) -> None:
    """Take the writer's lock for this transaction, or raise IndexBusy after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while not conn.scalar(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": WRITE_LOCK - (1 << 63)}):
        if time.monotonic() >= deadline:
            raise IndexBusy
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, 0.1)


def _vector() -> sa.ColumnElement[Any]:
    config = sa.cast(sa.bindparam("config"), pg.REGCONFIG)
    packed = getattr(sa.func, SCHEMA).search_packed_tsvector  # to_tsvector without stop-word gaps
    title = sa.func.setweight(packed(config, sa.bindparam("title_words")), sa.literal_column("'A'"))
    body = sa.func.setweight(packed(config, sa.bindparam("body_words")), sa.literal_column("'B'"))
    return title.op("||")(body)


def _insert(conn: Connection, rows: list[dict[str, Any]], upsert: bool = False) -> None:
    if not rows:
        return
    columns = [c.name for c in documents.c if c.name != "vector"]
    statement = pg.insert(documents).values(
        {name: sa.bindparam(name) for name in columns} | {"vector": _vector()}
    )
    if upsert:
        statement = statement.on_conflict_do_update(
            index_elements=[documents.c.key],
            set_={name: statement.excluded[name] for name in columns + ["vector"] if name != "key"},
        )
    conn.execute(statement, rows)


def _add_words(conn: Connection, delta: Counter[str]) -> None:
    """Add ``delta`` to each word's document count; words no document holds any more go."""
    changed = [{"word": w, "docs": n} for w, n in sorted(delta.items()) if n]
    if not changed:
        return
    statement = pg.insert(words)
    statement = statement.on_conflict_do_update(
        index_elements=[words.c.word], set_={"docs": words.c.docs + statement.excluded.docs}
    )
    for i in range(0, len(changed), BATCH * 10):
        conn.execute(statement, changed[i : i + BATCH * 10])
    conn.execute(words.delete().where(words.c.docs <= 0))


def _allowed(access: Realms) -> sa.ColumnElement[bool]:
    """What the user may see: readable realms' open documents, and all of the moderated ones."""
    readable = sorted(access.readable)
    moderated = sorted(access.moderated & access.readable)
    if not readable:
        return sa.false()
    c = documents.c
    open_ = sa.and_(c.realm.in_(readable), sa.not_(c.restricted))
    return sa.or_(open_, c.realm.in_(moderated)) if moderated else open_


def _count(conn: Connection, where: list[sa.ColumnElement[bool]]) -> int:
    return int(conn.scalar(sa.select(sa.func.count()).select_from(documents).where(*where)) or 0)


def _counts(conn: Connection, where: list[sa.ColumnElement[bool]]) -> tuple[int, dict[str, dict[str, int]]]:
    """The total and the facet counts in one pass (documents without a value are no facet entry)."""
    c = documents.c
    grouping = sa.func.grouping(c.kind, c.department, c.status)
    rows = conn.execute(
        sa.select(c.kind, c.department, c.status, grouping.label("g"), sa.func.count().label("n"))
        .where(*where)
        .group_by(sa.text("GROUPING SETS ((kind), (department), (status))"))
    ).all()
    # grouping() sets a bit per column left out: kind 4, department 2, status 1.
    bits = {"kind": 0b011, "department": 0b101, "status": 0b110}
    facets: dict[str, dict[str, int]] = {}
    for facet in FACETS:
        counts = {getattr(r, facet): r.n for r in rows if r.g == bits[facet] and getattr(r, facet)}
        facets[facet] = dict(sorted(counts.items(), key=lambda vn: (-vn[1], vn[0])))
    return sum(facets["kind"].values()), facets


def _start(text: str) -> str:
    if len(text) <= SNIPPET_SCAN:
        return text
    start = text[:SNIPPET_SCAN]
    return start[: max(start.rfind(" "), start.rfind("\n"), 1)]  # not in the middle of a word


def _headlines(conn: Connection, langs: list[str], texts: list[str], marks: str) -> list[str]:
    if not texts:
        return []
    rows = conn.execute(
        sa.text(
            "SELECT ts_headline(CAST(c AS regconfig), t, CAST(:q AS tsquery), :o) FROM "
            "unnest(CAST(:cs AS text[]), CAST(:ts AS text[])) WITH ORDINALITY AS u(c, t, n) ORDER BY n"
        ),
        {"cs": [CONFIGS[lang] for lang in langs], "ts": texts, "q": marks, "o": _HEADLINE},
    )
    return [row[0] or "" for row in rows]


class _Writer:
    """One batch of changes, written in a few round trips when the writer's block ends."""

    def __init__(self, backend: PostgresBackend) -> None:
        self._backend = backend
        self._puts: dict[str, Document] = {}
        self._deletes: set[str] = set()

    def put(self, doc: Document) -> None:
        self._deletes.discard(doc.key)
        self._puts[doc.key] = doc

    def delete(self, key: str) -> None:
        self._puts.pop(key, None)
        self._deletes.add(key)

    def flush(self, conn: Connection) -> None:
        keys = sorted(self._puts.keys() | self._deletes)
        if not keys:
            return
        delta: Counter[str] = Counter()
        old = conn.execute(
            sa.select(documents.c.title, documents.c.body).where(documents.c.key.in_(keys)).with_for_update()
        )
        for row in old:
            delta.subtract(plain_words(Document("", "", row.title, row.body, "", None, date.min)))
        for doc in self._puts.values():
            delta.update(plain_words(doc))
        if self._deletes:
            conn.execute(documents.delete().where(documents.c.key.in_(sorted(self._deletes))))
        rows = [self._backend._row(doc) for doc in self._puts.values()]
        for i in range(0, len(rows), BATCH):
            _insert(conn, rows[i : i + BATCH], upsert=True)
        _add_words(conn, delta)
