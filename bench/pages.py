"""The pages the web benchmark and the query-count test request, per role, picked from the data.

Each page kind gets several URLs (the busiest groups, the longest threads, the most voted
suggestions a person may read, a handful of searches), so a run does not measure one row
in a warm cache. Call inside an app context on a database filled by ``flask demo load`` and
``flask demo generate``.
"""

from __future__ import annotations

from urllib.parse import quote_plus

from sqlalchemy import func, select

from groups.models import Group, Thread
from groups.permissions import can_read
from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import User
from suggestions.digest import months
from suggestions.models import Suggestion

#: One demo account per role (they can log in: the demo directory knows them).
ROLES = {"employee": "zoe", "lead": "bjorn", "management": "ingrid", "admin": "jurgen"}
PAGES = ("front", "group", "thread", "suggestions", "suggestion", "search", "digest", "notifications")
#: Words people search for: common ones, stems in other languages, a phrase, a filter, a rare code.
SEARCHES = (
    "canteen",
    "forslagene",
    "parkering",
    "voorstellen",
    '"night shift"',
    "printers kind:suggestion",
    "VPN",
    "kaffemaskinerna",
    "onboarding -coffee",
    "Trondheim",
)
PER_PAGE = 10


def user(role: str) -> User:
    return db.session.scalars(select(User).where(User.username == ROLES[role])).one()


def urls(role: str, per_page: int = PER_PAGE) -> dict[str, list[str]]:
    person = user(role)
    return {
        "front": ["/profile"],  # where "/" sends a person after login
        "group": [f"/groups/{g}" for g in _busiest_groups(person, per_page)],
        "thread": [f"/groups/threads/{t}" for t in _long_threads(person, per_page)],
        "suggestions": ["/suggestions/?sort=votes", "/suggestions/?sort=votes&page=2"],
        "suggestion": [f"/suggestions/{s}" for s in _popular_suggestions(per_page)],
        "search": ["/search/?q=" + quote_plus(q) for q in SEARCHES],
        "digest": [f"/digest/{months.key(months.previous(utcnow().date()))}"],
        "notifications": ["/notifications"],
    }


def _readable(person: User, group_ids: list[int], wanted: int) -> list[int]:
    out = []
    for gid in group_ids:
        if can_read(person, db.session.get(Group, gid)):
            out.append(gid)
            if len(out) == wanted:
                break
    return out


def _busiest_groups(person: User, wanted: int) -> list[int]:
    rows = db.session.scalars(
        select(Thread.group_id)
        .group_by(Thread.group_id)
        .order_by(func.count().desc(), Thread.group_id)
        .limit(200)
    ).all()
    return _readable(person, list(rows), wanted)


def _long_threads(person: User, wanted: int) -> list[int]:
    """Threads of at least 50 posts (the first page shows 50), in groups the person reads."""
    rows = db.session.execute(
        select(Thread.id, Thread.group_id)
        .where(Thread.reply_count >= 49)
        .order_by(Thread.reply_count, Thread.id)
        .limit(400)
    ).all()
    readable = set(_readable(person, sorted({g for _, g in rows}), len(rows)))
    return [t for t, g in rows if g in readable][:wanted]


def _popular_suggestions(wanted: int) -> list[int]:
    return list(
        db.session.scalars(
            select(Suggestion.id).order_by(Suggestion.vote_count.desc(), Suggestion.id).limit(wanted)
        )
    )
