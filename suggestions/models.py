"""Suggestions, votes, comments, the status trail, adoption records, campaigns.

Anonymity is in the schema (TRUST.md §2): an anonymous suggestion has no author
column filled, its ids are random (no insertion order), its dates are days, and
its receipt is kept only as a slow hash. ``tests/suggestions/test_anonymity.py``
holds the allow-list of the columns attached to a suggestion.
"""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import Department, User
from intranet.types import UTCDateTime

from .lifecycle import Status

#: Suggestion ids are random in [10^9, 2^48): the id says nothing about when a suggestion came in.
ID_LOW, ID_HIGH = 10**9, 2**48


def random_id() -> int:
    return ID_LOW + secrets.randbelow(ID_HIGH - ID_LOW)


#: Comments and status changes: random too, so their order of ids cannot date what an anonymous
#: author wrote between two timed rows (SQLite would even number every later row after it).
ROW_ID_HIGH = 2**53


def random_row_id() -> int:
    return ID_LOW + secrets.randbelow(ROW_ID_HIGH - ID_LOW)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


def reading_order(created_at: datetime, anonymous: bool, row_id: int) -> tuple[object, ...]:
    """How comments and trail rows are shown: by day, the anonymous author's day-stamped rows
    after the timed rows of their day, then by time (ids are random: they only break ties)."""
    return (created_at.date(), anonymous, created_at, row_id)


class CommentKind(enum.StrEnum):
    COMMENT = "comment"  # anyone, signed
    QUESTION = "question"  # a reviewer asks the author (answered with the receipt when anonymous)
    AUTHOR = "author"  # the anonymous author, through the receipt: no person attached


class Campaign(db.Model):
    """A time-boxed question from management that suggestions answer."""

    __tablename__ = "suggestion_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: None: asked of the whole company.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at


class Suggestion(db.Model):
    __tablename__ = "suggestions"
    __table_args__ = (
        Index("ix_suggestions_status_submitted", "status", "submitted_on"),
        Index("ix_suggestions_votes", "vote_count"),
        Index("ix_suggestions_status_adopted", "status", "adopted_on"),  # the digest's month
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, default=random_id)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    expected_benefit: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40), index=True)
    #: None: the whole company.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("suggestion_campaigns.id"), index=True)
    is_anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Always None when anonymous.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: An anonymous author who, once adopted, chose to be credited by name.
    credited_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: werkzeug scrypt hash of the secret half of the receipt (anonymous only).
    receipt_hash: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[Status] = mapped_column(_enum(Status, "suggestion_status"), default=Status.SUBMITTED)
    #: Checked and bumped by every status change: two reviewers cannot both win silently.
    status_version: Mapped[int] = mapped_column(Integer, default=1)
    #: A day, never a time (TRUST.md A6), for named and anonymous alike.
    submitted_on: Mapped[date] = mapped_column(Date, index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    adopted_on: Mapped[date | None] = mapped_column(Date, index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("suggestions.id"), index=True)
    #: Distinct voters on this suggestion and its duplicates, kept by ``votes.recount``.
    vote_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Reviewers were told about it (in a daily batch, never at the moment of submission).
    announced: Mapped[bool] = mapped_column(Boolean, default=False)

    department: Mapped[Department | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    credited: Mapped[User | None] = relationship(foreign_keys=[credited_id])
    duplicate_of: Mapped[Suggestion | None] = relationship(remote_side=[id])
    adoption: Mapped[Adoption | None] = relationship(back_populates="suggestion", uselist=False)

    @property
    def credited_person(self) -> User | None:
        """Who gets the credit: the named author, or an anonymous author who claimed it."""
        return self.author if not self.is_anonymous else self.credited

    def __repr__(self) -> str:
        return f"<Suggestion {self.id} {self.status}>"


class Vote(db.Model):
    """One per person and suggestion: the primary key is the uniqueness rule."""

    __tablename__ = "suggestion_votes"

    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Follow(db.Model):
    __tablename__ = "suggestion_follows"

    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class Comment(db.Model):
    __tablename__ = "suggestion_comments"
    __table_args__ = (Index("ix_suggestion_comments_suggestion", "suggestion_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, default=random_row_id)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"))
    kind: Mapped[CommentKind] = mapped_column(_enum(CommentKind, "suggestion_comment_kind"))
    #: None for the anonymous author's answers.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    #: For the anonymous author: midnight of the day (TRUST.md A6).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()


class StatusChange(db.Model):
    """The audit trail, and the official responses people read: one row per change or response."""

    __tablename__ = "suggestion_status_changes"
    __table_args__ = (Index("ix_suggestion_status_changes_suggestion", "suggestion_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, default=random_row_id)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id", ondelete="CASCADE"))
    from_status: Mapped[Status] = mapped_column(_enum(Status, "suggestion_status"))
    to_status: Mapped[Status] = mapped_column(_enum(Status, "suggestion_status"))
    #: The public official response (for a decline, its reason).
    response: Mapped[str] = mapped_column(Text, default="")
    #: The reviewer; None when the anonymous author withdrew.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("suggestions.id"))
    #: For a change by the anonymous author: midnight of the day.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()
    duplicate_of: Mapped[Suggestion | None] = relationship(foreign_keys=[duplicate_of_id])


class Adoption(db.Model):
    """What was done about an adopted suggestion, and what it brought."""

    __tablename__ = "suggestion_adoptions"

    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), primary_key=True
    )
    what_was_done: Mapped[str] = mapped_column(Text)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    estimated_money: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    estimated_hours: Mapped[Decimal | None] = mapped_column(Numeric(12, 1))
    actual_money: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    actual_hours: Mapped[Decimal | None] = mapped_column(Numeric(12, 1))
    #: Benefits without a number ("fewer complaints from the night shift").
    benefit_notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    suggestion: Mapped[Suggestion] = relationship(back_populates="adoption")
    department: Mapped[Department | None] = relationship()


class AnonymousQuota(db.Model):
    """Today's anonymous submissions per person, under a key nobody can turn back into the person.

    ``bucket`` is HMAC(day key, user id); the day key is random, kept in memory or
    the shared Redis only, never here (``anonymity.day_key``), and yesterday's rows
    are deleted. No suggestion id is kept.
    """

    __tablename__ = "suggestion_anonymous_quota"

    bucket: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    used: Mapped[int] = mapped_column(Integer, default=0)
