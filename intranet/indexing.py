"""What a domain hands the search index, in plain data (DESIGN.md: search reads what domains give it).

Each domain with searchable content (``groups/indexing.py``, ``suggestions/indexing.py``)
offers the same few functions; ``search`` calls them and never reads their tables.

- A :class:`Document` is what the index stores. It carries no person: authors are not
  indexed at all, so an anonymous suggestion cannot be tied to anyone through the index.
- Its ``realm`` says whose permission covers it (``"group:12"``, ``"suggestions"``);
  ``restricted`` documents (hidden posts) are for the realm's moderators only. Who may
  read which realm is asked of the domain's permission rules at query time.
- A :class:`Found` is what a result shows, loaded from the database when it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Document:
    key: str  # unique in the index: "<kind>:<id>"
    kind: str  # thread, post, suggestion, comment, response
    title: str
    body: str  # plain text
    realm: str
    department_id: int | None
    date: date | datetime
    status: str | None = None
    restricted: bool = False


@dataclass(frozen=True)
class Found:
    key: str
    kind: str
    title: str
    url: str
    where: str  # the group or the suggestion it belongs to
    text: str  # current plain text, for the snippet
    date: date | datetime
    status: str | None = None


@dataclass(frozen=True)
class Realms:
    """The realms one user may read, and those whose restricted documents they may read too."""

    readable: frozenset[str]
    moderated: frozenset[str]


def realm_key(kind: str, ident: int | str) -> str:
    return f"{kind}:{ident}"


def split_key(key: str) -> tuple[str, int]:
    """``"post:12"`` → ``("post", 12)``; a malformed key raises ValueError."""
    kind, _, ident = key.partition(":")
    return kind, int(ident)
