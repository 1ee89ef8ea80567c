"""The editorial steps of a month's digest: draft → approved → sent. Services flush, never commit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import User

from ..models import Suggestion
from ..services import SuggestionRuleError
from . import report
from .models import Digest, DigestHighlight, DigestStatus


class DigestConflict(Exception):
    """Someone else changed this digest since the form was loaded."""


def find(month: date) -> Digest | None:
    return db.session.scalar(select(Digest).where(Digest.month == month))


def find_or_new(month: date) -> Digest:
    """The month's digest; a month nobody has touched is an unsaved draft."""
    return find(month) or Digest(month=month, status=DigestStatus.DRAFT, introduction="", version=0)


def highlighted_ids(digest: Digest) -> set[int]:
    return {h.suggestion_id for h in digest.highlights} if digest.id is not None else set()


def build_report(digest: Digest, *, fresh: bool = False) -> report.Report:
    """The month's report, from this worker's short-lived cache when nothing it shows has changed.

    A month's report costs a few hundred milliseconds at company scale (a hundred improvements
    and two months of figures) and is read by everyone at once when the digest goes out.
    The key holds what an editor changes (the highlights) and what a reviewer changes (the
    adoptions of the month: their number and latest edit), so those show at once; the other
    figures may lag by ``DIGEST_REPORT_CACHE_SECONDS``. A cache per worker, not shared state:
    every host computes the same report.
    """
    seconds = float(current_app.config["DIGEST_REPORT_CACHE_SECONDS"])
    highlights = highlighted_ids(digest)
    if fresh or seconds <= 0:
        return report.build(digest.month, highlighted=highlights)
    key = (digest.month, frozenset(highlights), report.adoptions_stamp(digest.month))
    return _reports.get(key, seconds, lambda: report.build(digest.month, highlighted=highlights))


class _ReportCache:
    MAX = 32

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[object, tuple[float, report.Report]] = {}

    def get(self, key: object, seconds: float, build: Callable[[], report.Report]) -> report.Report:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        built = build()
        with self._lock:
            if len(self._entries) >= self.MAX:
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            self._entries[key] = (now + seconds, built)
        return built

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_reports = _ReportCache()


def edit(
    manager: User, month: date, introduction: str, highlights: set[int], *, expected_version: int
) -> Digest:
    """Save the introduction and the highlighted items of a draft."""
    digest = _for_change(month, expected_version)
    if digest.status != DigestStatus.DRAFT:
        raise SuggestionRuleError(_l("Only a draft can be edited. Move it back to draft first."))
    adopted = set(db.session.scalars(select(Suggestion.id).where(report.adopted_in(month))))
    unknown = highlights - adopted
    if unknown:
        raise SuggestionRuleError(_l("Only improvements adopted this month can be highlighted."))
    digest.introduction = (introduction or "").strip()
    digest.highlights = [DigestHighlight(suggestion_id=i) for i in sorted(highlights)]
    _touch(digest, manager)
    return digest


def approve(manager: User, month: date, *, expected_version: int) -> Digest:
    digest = _for_change(month, expected_version)
    if digest.status != DigestStatus.DRAFT:
        raise SuggestionRuleError(_l("This digest is already approved."))
    digest.status = DigestStatus.APPROVED
    digest.approved_by_id = manager.id
    digest.approved_at = utcnow()
    _touch(digest, manager)
    return digest


def reopen(manager: User, month: date, *, expected_version: int) -> Digest:
    """Back to draft, before it is sent (a sent month is final; `--resend` mails it again)."""
    digest = _for_change(month, expected_version)
    if digest.status != DigestStatus.APPROVED:
        raise SuggestionRuleError(_l("Only an approved digest that has not been sent can go back to draft."))
    if digest.lease_until is not None and digest.lease_until > utcnow():
        raise SuggestionRuleError(_l("This digest is being sent right now."))
    digest.status = DigestStatus.DRAFT
    digest.approved_by_id = None
    digest.approved_at = None
    _touch(digest, manager)
    return digest


def _for_change(month: date, expected_version: int) -> Digest:
    """The digest, created as a draft when new; the version check is one conditional UPDATE."""
    digest = find(month)
    if digest is None:
        if expected_version != 0:
            raise DigestConflict
        digest = Digest(month=month, status=DigestStatus.DRAFT, introduction="", version=1)
        try:
            with db.session.begin_nested():  # another manager may be creating it at this moment
                db.session.add(digest)
        except IntegrityError:
            raise DigestConflict from None
        return digest
    result = db.session.execute(
        update(Digest)
        .where(Digest.id == digest.id, Digest.version == expected_version)
        .values(version=Digest.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DigestConflict
    db.session.refresh(digest)
    return digest


def _touch(digest: Digest, manager: User) -> None:
    digest.updated_by_id = manager.id
    digest.updated_at = utcnow()
    db.session.flush()
