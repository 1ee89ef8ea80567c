"""The domains whose content is searchable, and what each gives the index (intranet/indexing.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import ModuleType

import groups.indexing
import suggestions.indexing
from intranet.indexing import Document, Found, Realms
from intranet.models import User

PROVIDERS: tuple[ModuleType, ...] = (groups.indexing, suggestions.indexing)
KINDS: tuple[str, ...] = tuple(kind for p in PROVIDERS for kind in p.KINDS)


def provider_for(key: str) -> ModuleType:
    kind = key.partition(":")[0]
    for p in PROVIDERS:
        if kind in p.KINDS or kind in getattr(p, "REFRESH_KINDS", ()):
            return p
    raise ValueError(f"no search provider for {key!r}")


def documents(keys: Iterable[str]) -> Iterator[tuple[str, Document | None]]:
    by_provider: dict[ModuleType, list[str]] = {}
    for key in keys:
        by_provider.setdefault(provider_for(key), []).append(key)
    for p, some in by_provider.items():
        yield from p.documents(some)


def all_documents() -> Iterator[Document]:
    for p in PROVIDERS:
        yield from p.all_documents()


def count() -> int:
    return sum(p.count() for p in PROVIDERS)


def realms(user: User) -> Realms:
    readable: set[str] = set()
    moderated: set[str] = set()
    for p in PROVIDERS:
        r = p.realms(user)
        readable |= r.readable
        moderated |= r.moderated
    return Realms(readable=frozenset(readable), moderated=frozenset(moderated & readable))


def found(keys: Iterable[str], user: User) -> dict[str, Found]:
    by_provider: dict[ModuleType, list[str]] = {}
    for key in keys:
        by_provider.setdefault(provider_for(key), []).append(key)
    out: dict[str, Found] = {}
    for p, some in by_provider.items():
        out.update(p.found(some, user))
    return out
