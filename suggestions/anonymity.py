"""The pieces that keep an anonymous suggestion unlinkable (TRUST.md §2).

- Receipts: ``<suggestion id>-dddd-dddd-dddd-dddd`` (16 random digits after the
  public id). Only a scrypt hash of the digits is stored; the code is shown once.
- The daily quota: a per-person counter under HMAC(day key, user id). The day key
  is random and never in the database or on disk, so nobody holding the database
  (or the secret key) can recompute whose bucket is whose. With a Redis configured
  (``INTRANET_REDIS_URL``) every worker on every host reads the same day key from
  it, so the limit holds across them; it expires shortly after the day ends. Without
  one, or while Redis does not answer, each process keeps its own (the limit is then
  per process: counted per worker, never unlimited).
- Days, not times: what an anonymous author writes is stamped at midnight UTC.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.shared_state import redis_client

from .models import AnonymousQuota, Suggestion

log = logging.getLogger(__name__)

RECEIPT_DIGITS = 16
# A shared day key outlives midnight UTC by this much, for hosts whose clocks are a little behind.
DAY_KEY_GRACE = timedelta(minutes=10)
_RECEIPT = re.compile(r"^\s*(\d{6,20})\s*-\s*((?:\d[\s-]*){16})$")


@dataclass(frozen=True)
class Receipt:
    suggestion_id: int
    secret: str  # the 16 digits

    def __str__(self) -> str:
        groups = [self.secret[i : i + 4] for i in range(0, RECEIPT_DIGITS, 4)]
        return f"{self.suggestion_id}-" + "-".join(groups)


def new_receipt(suggestion_id: int) -> tuple[Receipt, str]:
    """A fresh receipt for the suggestion, and the hash to store."""
    digits = "".join(str(secrets.randbelow(10)) for _ in range(RECEIPT_DIGITS))
    return Receipt(suggestion_id, digits), generate_password_hash(digits, method="scrypt")


def parse_receipt(code: str) -> Receipt | None:
    match = _RECEIPT.match(code or "")
    if not match:
        return None
    digits = re.sub(r"\D", "", match.group(2))
    return Receipt(int(match.group(1)), digits) if len(digits) == RECEIPT_DIGITS else None


def suggestion_for_receipt(code: str) -> Suggestion | None:
    """The anonymous suggestion this receipt opens, or None (same answer for every kind of wrong)."""
    receipt = parse_receipt(code)
    suggestion = db.session.get(Suggestion, receipt.suggestion_id) if receipt else None
    stored = suggestion.receipt_hash if suggestion is not None else None
    if receipt is None or not stored:
        # Spend the same time as a real check, so a wrong id and a wrong code look alike.
        check_password_hash(_dummy_hash(), "0" * RECEIPT_DIGITS)
        return None
    return suggestion if check_password_hash(stored, receipt.secret) else None


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash("x" * RECEIPT_DIGITS, method="scrypt")


def day_stamp(moment: datetime | None = None) -> datetime:
    """Midnight UTC of the day: the only time stored for what an anonymous author does."""
    moment = moment or utcnow()
    return datetime.combine(moment.astimezone(UTC).date(), time(), tzinfo=UTC)


class QuotaExceeded(Exception):
    pass


class _DayKey:
    """A random key per day, kept in this process's memory only (one per app)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._day: date | None = None
        self._key = b""

    def for_day(self, day: date) -> bytes:
        with self._lock:
            if day != self._day:
                self._day, self._key = day, secrets.token_bytes(32)
            return self._key


def day_key(day: date) -> bytes:
    """Today's key: the one in the shared Redis when there is one, else this process's own."""
    client = redis_client(current_app)
    if client is not None:
        import redis

        try:
            return _shared_day_key(client, day)
        except redis.RedisError:
            # No person in this line (TRUST.md A4): only that the quota is per process for now.
            log.warning("Redis does not answer: the anonymous daily quota is counted per process meanwhile.")
    return current_app.extensions.setdefault("anon_day_key", _DayKey()).for_day(day)


def _shared_day_key(client: Any, day: date) -> bytes:
    """The day's key in Redis: the first worker to ask creates it (SET NX), the others read that one."""
    import redis

    name = f"{current_app.config['REDIS_KEY_PREFIX']}:anon-day-key:{day.isoformat()}"
    ends = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC) + DAY_KEY_GRACE
    for _attempt in range(3):  # the key can expire between SET NX and GET, right at the grace's end
        ttl = int((ends - utcnow()).total_seconds())
        if ttl <= 0:
            break
        client.set(name, secrets.token_bytes(32), nx=True, ex=ttl)
        key = client.get(name)
        if key is not None:
            return bytes(key)
    raise redis.RedisError("the day key could not be kept")


def spend_quota(user_id: int, limit: int) -> None:
    """Count one anonymous submission for this person today; raise :class:`QuotaExceeded` past ``limit``.

    Flushes, never commits; yesterday's buckets are deleted on the way.
    """
    today = utcnow().date()
    bucket = hmac.new(day_key(today), str(user_id).encode(), hashlib.sha256).hexdigest()
    db.session.execute(delete(AnonymousQuota).where(AnonymousQuota.day < today))
    used = db.session.scalar(select(AnonymousQuota.used).where(AnonymousQuota.bucket == bucket))
    if used is None:
        if _first_today(bucket, today):
            return
        # Another worker counted this person a moment ago (workers share the day key).
        used = db.session.scalar(select(AnonymousQuota.used).where(AnonymousQuota.bucket == bucket))
    if used >= limit:
        raise QuotaExceeded
    db.session.execute(
        update(AnonymousQuota).where(AnonymousQuota.bucket == bucket).values(used=AnonymousQuota.used + 1)
    )


def _first_today(bucket: str, today: date) -> bool:
    """Start today's count for this bucket; False if a concurrent request (any worker) started it first."""
    try:
        with db.session.begin_nested():
            db.session.add(AnonymousQuota(bucket=bucket, day=today, used=1))
    except IntegrityError:
        return False
    return True
