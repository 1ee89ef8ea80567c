"""The search-backend interface: what any engine must do, so that another can serve larger sites.

Like Wagtail's search backends, the permission filter is handed to the engine as data
(:class:`~intranet.indexing.Realms`) and pushed into its query, so counts, facets and
the top results only ever see what the user may read. Whoosh is the engine we ship
(:mod:`search.whoosh_backend`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

from markupsafe import Markup

from intranet.indexing import Document, Found, Realms

from .query import Query

ORDERS = ("relevance", "date")
FACETS = ("kind", "department", "status")
#: A snippet's length, and how much of a text's start is searched for one before the whole text is.
SNIPPET_CHARS = 240
SNIPPET_SCAN = 3000


def naive_utc(value: date | datetime) -> datetime:
    """A document's date as both engines store it: naive UTC (a day is its midnight)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value
    return datetime(value.year, value.month, value.day)


def shorten(text: str) -> str:
    """The start of a text, cut at a word, for a hit whose text matched nothing to highlight."""
    return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


def stamp(doc: Document) -> str:
    """A fingerprint of everything indexed about ``doc``: a changed stamp means a stale document."""
    parts = (doc.kind, doc.title, doc.body, doc.realm, doc.department_id, doc.date, doc.status)
    parts += (doc.restricted,)
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).hexdigest()


class IndexBusy(Exception):
    """Another process is writing to the index: try again later (the outbox keeps the work)."""


class IndexUnavailable(Exception):
    """The index is missing, unreadable or built for other settings: search is degraded."""


@dataclass(frozen=True)
class Criteria:
    """A parsed query whose filters are resolved to index values (None: no such filter)."""

    query: Query
    kinds: frozenset[str] | None = None
    statuses: frozenset[str] | None = None
    departments: frozenset[str] | None = None  # department ids as text, "none" for company-wide
    realms: frozenset[str] | None = None  # from in:"group"
    excluded: dict[str, frozenset[str]] = field(default_factory=dict)  # the same fields, negated


@dataclass(frozen=True)
class Hit:
    found: Found
    snippet: Markup


@dataclass
class Results:
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]]


Loader = Callable[[list[str]], dict[str, Found]]


class Writer(Protocol):
    """One batch of changes; each key at most once per batch (Whoosh cannot delete a document
    added in the same batch: outbox.apply_pending hands over each key once)."""

    def put(self, doc: Document) -> None: ...
    def delete(self, key: str) -> None: ...


class Backend(Protocol):
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
        """One page of hits (loaded by ``load`` and highlighted), the total and the facet counts."""

    def has_hits(self, criteria: Criteria, access: Realms) -> bool: ...

    def similar(self, text: str, kinds: Iterable[str], access: Realms, limit: int) -> list[str]:
        """Keys of documents like ``text`` (duplicate hints), best first."""

    def corrections(self, word: str, limit: int = 3) -> list[str]:
        """Indexed words close to ``word``, most frequent first (candidates: callers check access)."""

    def writer(self, timeout: float) -> AbstractContextManager[Writer]:
        """Exclusive writing, committed on a clean exit; raises :class:`IndexBusy` after ``timeout``."""

    def rebuild(self, documents: Iterator[Document], progress: Callable[[int], None]) -> int: ...

    def stamps(self) -> dict[str, str]:
        """Every indexed key with a fingerprint of its content (for ``flask search check``)."""

    def stats(self) -> dict[str, int]: ...
