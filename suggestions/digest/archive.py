"""Which months have a digest: the archive, the default month, the feed's months."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from intranet.extensions import db

from ..lifecycle import Status
from ..models import Suggestion
from ..permissions import digest_filter
from . import months
from .models import Digest, DigestStatus

PUBLISHED = (DigestStatus.APPROVED, DigestStatus.SENT)


@dataclass(frozen=True)
class Entry:
    month: date
    status: DigestStatus  # a month nobody has touched yet is a draft
    adopted: int
    sent_at: object = None


def entries(*, include_drafts: bool) -> list[Entry]:
    """Every month with adopted improvements or a digest, newest first."""
    counts = Counter(
        months.first_of(day)
        for day in db.session.scalars(
            select(Suggestion.adopted_on).where(
                digest_filter(), Suggestion.status == Status.ADOPTED, Suggestion.adopted_on.is_not(None)
            )
        )
    )
    digests = {d.month: d for d in db.session.scalars(select(Digest))}
    result = []
    for month in sorted(set(counts) | set(digests), reverse=True):
        digest = digests.get(month)
        status = digest.status if digest else DigestStatus.DRAFT
        if include_drafts or status in PUBLISHED:
            result.append(Entry(month, status, counts.get(month, 0), digest.sent_at if digest else None))
    return result


def published_months(limit: int) -> list[date]:
    return list(
        db.session.scalars(
            select(Digest.month)
            .where(Digest.status.in_(PUBLISHED))
            .order_by(Digest.month.desc())
            .limit(limit)
        )
    )


def latest_published(upto: date) -> date | None:
    return db.session.scalar(
        select(Digest.month)
        .where(Digest.status.in_(PUBLISHED), Digest.month <= upto)
        .order_by(Digest.month.desc())
        .limit(1)
    )
