"""The one clock: timezone-aware UTC, replaceable in tests."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
