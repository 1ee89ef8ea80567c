"""What the suggestion box gives the search index: suggestions, comments, official responses.

No document names a person: an anonymous suggestion is indexed exactly like a named
one, without any author. Dates are days, as for the anonymous author in the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flask import url_for
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, joinedload

from intranet.extensions import db
from intranet.indexing import Document, Found, Realms, split_key
from intranet.markdown import plain_text
from intranet.models import User

from . import permissions
from .models import Adoption, Comment, StatusChange, Suggestion
from .workflow import STATUS_LABELS

KINDS = ("suggestion", "comment", "response")
REALM = "suggestions"
BATCH = 2000
_SUGGESTION_FIELDS = ("title", "body", "expected_benefit", "status", "department_id")


def touched(session: Session) -> set[str]:
    """Refresh keys for what this flush changes. A status change always adds a trail row."""
    keys: set[str] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        new_or_gone = obj in session.new or obj in session.deleted
        if isinstance(obj, Suggestion):
            state = inspect(obj)
            if new_or_gone or any(state.attrs[f].history.has_changes() for f in _SUGGESTION_FIELDS):
                keys.add(f"suggestion:{obj.id}")
        elif isinstance(obj, Adoption) and (new_or_gone or session.is_modified(obj)):
            keys.add(f"suggestion:{obj.suggestion_id}")
        elif isinstance(obj, Comment) and (new_or_gone or session.is_modified(obj)):
            keys.add(f"comment:{obj.id}")
        elif isinstance(obj, StatusChange) and new_or_gone:
            keys.update((f"suggestion:{obj.suggestion_id}", f"response:{obj.id}"))
    return keys


def _suggestion_query() -> Any:
    return select(
        Suggestion.id,
        Suggestion.title,
        Suggestion.body,
        Suggestion.expected_benefit,
        Suggestion.department_id,
        Suggestion.status,
        Suggestion.submitted_on,
        Adoption.what_was_done,
        Adoption.benefit_notes,
    ).outerjoin(Adoption, Adoption.suggestion_id == Suggestion.id)


def _comment_query() -> Any:
    return select(Comment.id, Comment.body, Comment.created_at, Suggestion.department_id).join(
        Suggestion, Suggestion.id == Comment.suggestion_id
    )


def _response_query() -> Any:
    return (
        select(StatusChange.id, StatusChange.response, StatusChange.created_at, Suggestion.department_id)
        .join(Suggestion, Suggestion.id == StatusChange.suggestion_id)
        .where(StatusChange.response != "")
    )


def _suggestion_doc(row: Any) -> Document:
    parts = (row.body, row.expected_benefit, row.what_was_done, row.benefit_notes)
    return Document(
        key=f"suggestion:{row.id}",
        kind="suggestion",
        title=row.title,
        body="\n\n".join(p for p in parts if p),
        realm=REALM,
        department_id=row.department_id,
        date=row.submitted_on,
        status=str(row.status.value if hasattr(row.status, "value") else row.status),
    )


def _comment_doc(row: Any) -> Document:
    return Document(
        key=f"comment:{row.id}",
        kind="comment",
        title="",
        body=row.body,
        realm=REALM,
        department_id=row.department_id,
        date=row.created_at.date(),
    )


def _response_doc(row: Any) -> Document:
    return Document(
        key=f"response:{row.id}",
        kind="response",
        title="",
        body=row.response,
        realm=REALM,
        department_id=row.department_id,
        date=row.created_at.date(),
    )


_SOURCES = {
    "suggestion": (_suggestion_query, Suggestion.id, _suggestion_doc),
    "comment": (_comment_query, Comment.id, _comment_doc),
    "response": (_response_query, StatusChange.id, _response_doc),
}


def documents(keys: Iterable[str]) -> Iterator[tuple[str, Document | None]]:
    """(document key, its current document or None to remove it) for refresh keys of this domain."""
    ids: dict[str, set[int]] = {}
    for key in keys:
        kind, ident = split_key(key)
        ids.setdefault(kind, set()).add(ident)
    for kind, (query, column, make) in _SOURCES.items():
        wanted = ids.get(kind)
        if not wanted:
            continue
        found = {row.id: make(row) for row in db.session.execute(query().where(column.in_(wanted)))}
        for ident in wanted:
            yield f"{kind}:{ident}", found.get(ident)


def all_documents() -> Iterator[Document]:
    for query, column, make in _SOURCES.values():
        for row in db.session.execute(query().order_by(column).execution_options(yield_per=BATCH)):
            yield make(row)


def count() -> int:
    total = 0
    for query, _column, _make in _SOURCES.values():
        total += int(db.session.scalar(select(func.count()).select_from(query().subquery())) or 0)
    return total


def realms(user: User) -> Realms:
    readable = frozenset({REALM}) if permissions.can_browse(user) else frozenset()
    return Realms(readable=readable, moderated=frozenset())


def status_labels() -> dict[str, str]:
    return {status.value: str(label) for status, label in STATUS_LABELS.items()}


def found(keys: Iterable[str], user: User) -> dict[str, Found]:
    """What results show, from the database now; nothing if the user may not read suggestions."""
    if not permissions.can_browse(user):
        return {}
    ids: dict[str, list[int]] = {}
    for key in keys:
        kind, ident = split_key(key)
        ids.setdefault(kind, []).append(ident)
    out: dict[str, Found] = {}
    labels = status_labels()
    if ids.get("suggestion"):
        query = select(Suggestion).where(Suggestion.id.in_(ids["suggestion"]))
        for s in db.session.scalars(query.options(joinedload(Suggestion.department))):
            out[f"suggestion:{s.id}"] = Found(
                key=f"suggestion:{s.id}",
                kind="suggestion",
                title=s.title,
                url=url_for("suggestions.show", suggestion_id=s.id),
                where=str(s.department.name) if s.department else "",
                text=plain_text(s.body),
                date=s.submitted_on,
                status=labels.get(str(s.status.value)),
            )
    for kind, model, anchor, text_of in (
        ("comment", Comment, "comment", lambda row: row.body),
        ("response", StatusChange, "change", lambda row: row.response),
    ):
        if not ids.get(kind):
            continue
        rows = db.session.execute(
            select(model, Suggestion.title)
            .join(Suggestion, Suggestion.id == model.suggestion_id)
            .where(model.id.in_(ids[kind]))
        )
        for row, title in rows:
            out[f"{kind}:{row.id}"] = Found(
                key=f"{kind}:{row.id}",
                kind=kind,
                title=title,
                url=url_for(
                    "suggestions.show", suggestion_id=row.suggestion_id, _anchor=f"{anchor}-{row.id}"
                ),
                where=title,
                text=plain_text(text_of(row)),
                date=row.created_at.date(),
            )
    return out
