"""Months as the digest counts them: calendar months in UTC, written YYYY-MM."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse(text: str) -> date | None:
    """The first day of the month ``YYYY-MM``, or None when it is not one."""
    match = _MONTH.match(text or "")
    if not match or int(match.group(1)) < 1970:
        return None
    return date(int(match.group(1)), int(match.group(2)), 1)


def key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def first_of(day: date) -> date:
    return day.replace(day=1)


def shift(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def previous(today: date) -> date:
    """The month the digest is about by default: the last complete one."""
    return shift(first_of(today), -1)


def bounds(month: date) -> tuple[datetime, datetime]:
    """The month as a half-open range of UTC times."""
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end_day = shift(month, 1)
    return start, datetime(end_day.year, end_day.month, 1, tzinfo=UTC)
