"""Tell reviewers about new suggestions in a daily batch, never at the moment one comes in (TRUST.md A6).

``flask suggestions announce`` (cron, once a day) sends each reviewer one
notification with the number of suggestions submitted before today that they
review and have not yet been told about.
"""

from __future__ import annotations

from collections import Counter

from flask import url_for
from sqlalchemy import select, update

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import User, department_leads
from intranet.notifications import notify

from .models import Suggestion


def announce_new() -> int:
    """Notify reviewers of yesterday's (and older) unannounced suggestions; returns notifications written."""
    today = utcnow().date()
    rows = db.session.execute(
        select(Suggestion.id, Suggestion.department_id).where(
            Suggestion.announced.is_(False), Suggestion.submitted_on < today
        )
    ).all()
    if not rows:
        return 0
    per_reviewer: Counter[int] = Counter()
    management = set(
        db.session.scalars(
            select(User.id).where(User.is_management.is_(True), User.is_deactivated.is_(False))
        )
    )
    leads: dict[int, set[int]] = {}
    for dept_id, user_id in db.session.execute(
        select(department_leads.c.department_id, department_leads.c.user_id)
    ):
        leads.setdefault(dept_id, set()).add(user_id)
    for _id, dept_id in rows:
        for reviewer in management | leads.get(dept_id, set()):
            per_reviewer[reviewer] += 1
    written = 0
    link = url_for("suggestions.queue")
    for reviewer, count in sorted(per_reviewer.items()):
        written += notify([reviewer], "suggestions.new_batch", link, count=count)
    db.session.execute(
        update(Suggestion)
        .where(Suggestion.id.in_([r[0] for r in rows]))
        .values(announced=True)
        .execution_options(synchronize_session=False)
    )
    return written
