"""A month's digest: its editorial state, highlighted items and the addresses it was delivered to."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import User
from intranet.types import UTCDateTime


class DigestStatus(enum.StrEnum):
    DRAFT = "draft"  # management writes the introduction and picks highlights
    APPROVED = "approved"  # ready: `flask digest send` mails it; employees may read it when public
    SENT = "sent"  # every recipient of the current round has it


class Digest(db.Model):
    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The first day of the month.
    month: Mapped[date] = mapped_column(Date, unique=True)
    status: Mapped[DigestStatus] = mapped_column(
        Enum(
            DigestStatus,
            name="digest_status",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=DigestStatus.DRAFT,
    )
    introduction: Mapped[str] = mapped_column(Text, default="")
    #: Checked and bumped by every editorial change: two managers cannot both win silently.
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Every `--resend` starts a new round; deliveries are counted per round.
    send_round: Mapped[int] = mapped_column(Integer, default=1)
    #: A send in progress (perhaps on another host) holds the month until then.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    highlights: Mapped[list[DigestHighlight]] = relationship(
        cascade="all, delete-orphan", order_by="DigestHighlight.suggestion_id"
    )


class DigestHighlight(db.Model):
    __tablename__ = "digest_highlights"

    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"), primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), primary_key=True
    )


class DigestDelivery(db.Model):
    """One address that has this round's mail: a retry after a failure skips it."""

    __tablename__ = "digest_deliveries"

    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"), primary_key=True)
    send_round: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
