"""Searching: parse what was typed, resolve its filters, ask the engine with the user's permissions.

Every surface (results, totals, facets, "did you mean", duplicate hints) goes through
:func:`realms_for` and the engine's permission filter; nothing is counted or suggested
from documents the user may not read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

import groups.indexing
import suggestions.indexing
from intranet.extensions import db
from intranet.indexing import Realms
from intranet.models import Department, User

from . import providers
from .backend import Criteria, IndexUnavailable, Results
from .outbox import backend
from .query import Query, parse

log = logging.getLogger(__name__)

KIND_LABELS = {
    "thread": _l("Threads"),
    "post": _l("Replies"),
    "suggestion": _l("Suggestions"),
    "comment": _l("Comments"),
    "response": _l("Official responses"),
}
KIND_ALIASES = {
    "threads": "thread",
    "discussion": "thread",
    "posts": "post",
    "reply": "post",
    "replies": "post",
    "suggestions": "suggestion",
    "idea": "suggestion",
    "ideas": "suggestion",
    "comments": "comment",
    "responses": "response",
    "answer": "response",
}
COMPANY = "none"  # the department value of company-wide content
MAX_PAGE = 50  # deep pages cost the engine more than anyone reads


@dataclass
class Outcome:
    query: Query
    text: str
    order: str = "relevance"
    page: int = 1
    per_page: int = 20
    results: Results | None = None
    did_you_mean: Query | None = None
    notices: list[str] = field(default_factory=list)
    degraded: bool = False

    @property
    def pages(self) -> int:
        if self.results is None:
            return 0
        return min(MAX_PAGE, max(1, -(-self.results.total // self.per_page)))


def realms_for(user: User) -> Realms:
    return providers.realms(user)


def _loader(user: User):  # noqa: ANN202 - a search.backend.Loader
    return lambda keys: providers.found(keys, user)


def resolve(query: Query, user: User) -> tuple[Criteria, list[str]]:
    """Turn the typed filters into index values; unknown values are dropped with a notice."""
    notices: list[str] = []
    excluded: dict[str, frozenset[str]] = {}
    resolved: dict[str, frozenset[str] | None] = {}
    for name, resolver in (
        ("kind", _kinds),
        ("status", _statuses),
        ("department", _departments),
        ("in", lambda values, n: _groups(values, n, user)),
    ):
        for negated, values in ((False, query.filter(name)), (True, query.excluded_filter(name))):
            if not values:
                continue
            found = resolver(values, notices)
            if negated:
                excluded[_FIELD[name]] = found
            elif found:
                resolved[name] = found
    return (
        Criteria(
            query=query,
            kinds=resolved.get("kind"),
            statuses=resolved.get("status"),
            departments=resolved.get("department"),
            realms=resolved.get("in"),
            excluded=excluded,
        ),
        notices,
    )


_FIELD = {"kind": "kind", "status": "status", "department": "department", "in": "realm"}


def _kinds(values: tuple[str, ...], notices: list[str]) -> frozenset[str]:
    out = set()
    for value in values:
        kind = KIND_ALIASES.get(value.lower(), value.lower())
        if kind in KIND_LABELS:
            out.add(kind)
        else:
            notices.append(_("There is no kind “%(value)s”: it was left out.", value=value))
    return frozenset(out)


def _statuses(values: tuple[str, ...], notices: list[str]) -> frozenset[str]:
    labels = suggestions.indexing.status_labels()
    by_name = {v.lower(): v for v in labels} | {label.lower(): v for v, label in labels.items()}
    out = set()
    for value in values:
        status = by_name.get(value.lower().replace(" ", "_")) or by_name.get(value.lower())
        if status:
            out.add(status)
        else:
            notices.append(_("There is no status “%(value)s”: it was left out.", value=value))
    return frozenset(out)


def _departments(values: tuple[str, ...], notices: list[str]) -> frozenset[str]:
    out = set()
    for value in values:
        wanted = value.strip().lower()
        if wanted in ("company", "company-wide", "none"):
            out.add(COMPANY)
            continue
        ids = list(
            db.session.scalars(
                select(Department.id).where(
                    or_(Department.slug == wanted, func.lower(Department.name) == wanted)
                )
            )
        ) or list(
            db.session.scalars(
                select(Department.id).where(func.lower(Department.name).startswith(wanted)).limit(5)
            )
        )
        if ids:
            out.update(str(i) for i in ids)
        else:
            notices.append(_("There is no department “%(value)s”: it was left out.", value=value))
    return frozenset(out)


def _groups(values: tuple[str, ...], notices: list[str], user: User) -> frozenset[str]:
    out: set[str] = set()
    for value in values:
        realms = groups.indexing.realms_named(value, user)
        if realms:
            out |= realms
        else:
            notices.append(_("There is no group “%(value)s” you can see: it was left out.", value=value))
    return frozenset(out)


def search(user: User, text: str, *, order: str = "relevance", page: int = 1) -> Outcome:
    query = parse(text)
    per_page = int(current_app.config["SEARCH_PER_PAGE"])
    outcome = Outcome(
        query=query,
        text=text,
        order=order if order in ("relevance", "date") else "relevance",
        page=min(max(1, page), MAX_PAGE),
        per_page=per_page,
    )
    if query.is_empty:
        return outcome
    criteria, outcome.notices = resolve(query, user)
    access = realms_for(user)
    engine = backend()
    try:
        outcome.results = engine.search(
            criteria, access, _loader(user), order=outcome.order, page=outcome.page, per_page=per_page
        )
        if outcome.results.total == 0 and query.words():
            outcome.did_you_mean = _did_you_mean(criteria, access)
    except IndexUnavailable as exc:
        outcome.degraded = True
        # Why, never what was searched for. No local holds the cause: its traceback holds this
        # frame, and the cycle would keep Whoosh's unclosed file open until the collector runs.
        log.warning("Search degraded: the index is %s%s", exc, _cause(exc))
    return outcome


def _cause(exc: BaseException) -> str:
    return f" ({type(exc.__cause__).__name__})" if exc.__cause__ is not None else ""


def _did_you_mean(criteria: Criteria, access: Realms) -> Query | None:
    """A corrected query, offered only if it finds something this user may see."""
    engine = backend()
    candidates = {word: engine.corrections(word) for word in dict.fromkeys(criteria.query.words())}
    candidates = {word: options for word, options in candidates.items() if options}
    if not candidates:
        return None
    for attempt in range(3):
        mapping = {word: options[min(attempt, len(options) - 1)] for word, options in candidates.items()}
        corrected = criteria.query.replace_words(mapping)
        check = Criteria(
            query=corrected,
            kinds=criteria.kinds,
            statuses=criteria.statuses,
            departments=criteria.departments,
            realms=criteria.realms,
            excluded=criteria.excluded,
        )
        if engine.has_hits(check, access):
            return corrected
    return None


def similar_suggestions(user: User, title: str, limit: int = 5) -> list:  # list[Found]
    """Existing suggestions like a title being typed (duplicate hints), best first."""
    title = (title or "").strip()[:200]
    if len(title) < 4:
        return []
    try:
        keys = backend().similar(title, ["suggestion"], realms_for(user), limit)
    except IndexUnavailable:
        return []
    shown = providers.found(keys, user)
    return [shown[k] for k in keys if k in shown]


@dataclass(frozen=True)
class FacetNames:
    """Readable names for facet values and what to type to filter by one, from one department query."""

    labels: dict[str, dict[str, str]]
    slugs: dict[str, str]

    def filter_value(self, facet: str, value: str) -> str:
        """What to type for a facet value (``department:sales``)."""
        if facet == "department":
            return "company" if value == COMPANY else self.slugs.get(value, value)
        return value


def facet_names() -> FacetNames:
    departments = list(db.session.scalars(select(Department)))
    names = {str(d.id): d.name for d in departments}
    names[COMPANY] = str(_("Company-wide"))
    return FacetNames(
        labels={
            "kind": {k: str(v) for k, v in KIND_LABELS.items()},
            "status": suggestions.indexing.status_labels(),
            "department": names,
        },
        slugs={str(d.id): d.slug for d in departments},
    )
