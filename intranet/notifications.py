"""The one in-app inbox every domain writes to.

A notification stores its kind, the words to fill in and a link; the sentence
itself is looked up at display time, so it shows in the reader's language.
Domains register their kinds with :func:`register_kind`. Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from .clock import utcnow
from .extensions import db
from .types import UTCDateTime

#: kind -> lazily translated sentence with %(name)s placeholders
KINDS: dict[str, Any] = {}


#: Domains' answers to "which of these notifications is about something the reader may no
#: longer read?" (a member removed from a closed group keeps no thread titles from it).
GUARDS: list[Callable[[Any, list[Any]], set[int]]] = []


def register_kind(kind: str, sentence: Any) -> None:
    KINDS[kind] = sentence


def register_guard(guard: Callable[[Any, list[Any]], set[int]]) -> None:
    GUARDS.append(guard)


def withheld(user: Any, notifications: list[Any]) -> set[int]:
    """Ids of ``notifications`` whose words and link the reader may no longer see."""
    ids: set[int] = set()
    for guard in GUARDS:
        ids |= guard(user, notifications)
    return ids


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def text(self) -> str:
        sentence = KINDS.get(self.kind)
        if sentence is None:
            return self.kind
        try:
            return str(sentence) % {k: str(v) for k, v in (self.params or {}).items()}
        except (KeyError, TypeError, ValueError):
            return str(sentence)


def notify(user_ids: Iterable[int], kind: str, link: str, **params: Any) -> int:
    """One notification per distinct user; returns how many were written."""
    ids = sorted(set(user_ids))
    now = utcnow()
    db.session.add_all(
        Notification(user_id=uid, kind=kind, params=params, link=link, created_at=now) for uid in ids
    )
    db.session.flush()
    return len(ids)


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )


def inbox_query(user_id: int):  # noqa: ANN201 - a Select for db.paginate
    return (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user_id: int) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount or 0
