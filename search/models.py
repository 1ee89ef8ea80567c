"""The outbox: which documents the index still has to refresh.

A row is written in the same transaction as the content it concerns (by the flush
listener in :mod:`search.outbox`), so a rolled-back change leaves none and a committed
one cannot be forgotten. Rows hold only a refresh key ("post:12"): applying one
reads the current database state, so rows can be applied twice or in any order.
Ids are random and there is no timestamp: the outbox cannot date an anonymous
suggestion against the rows around it (TRUST.md A6).
"""

from __future__ import annotations

import secrets

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from intranet.extensions import db

ID_LOW, ID_HIGH = 10**9, 2**53


def random_id() -> int:
    return ID_LOW + secrets.randbelow(ID_HIGH - ID_LOW)


class OutboxEntry(db.Model):
    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, default=random_id)
    key: Mapped[str] = mapped_column(String(80), index=True)
