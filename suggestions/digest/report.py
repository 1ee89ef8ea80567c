"""A month of the suggestion box, as the digest shows it: adopted items, totals, figures, trend.

Only what every employee may see goes in (``permissions.digest_filter``): the
page, the mail, the CSV and the feed are all made from one :class:`Report`.
Anonymous authors stay anonymous unless they claimed the credit, and
departments with fewer active people than ``ANON_MIN_GROUP_SIZE`` are counted
together as "other departments" (TRUST.md A7).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import selectinload

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import Department, active_staff_counts

from ..lifecycle import Status
from ..models import Adoption, Suggestion
from ..permissions import digest_filter
from . import months

#: The figures' department keys besides department names (a name never holds a NUL).
COMPANY, OTHER = "\0company", "\0other"


@dataclass(frozen=True)
class Item:
    suggestion_id: int
    title: str
    department: str  # a department's name, or COMPANY / OTHER
    what_was_done: str
    benefit_notes: str
    money: Decimal | None  # actual saving per year, else the estimate
    money_is_estimate: bool
    hours: Decimal | None
    hours_is_estimate: bool
    credit: str | None  # the credited person's name; None: anonymous
    votes: int
    days: int  # from submission to adoption
    adopted_on: date
    highlighted: bool


@dataclass(frozen=True)
class Figures:
    submitted: int
    decided: int
    adopted: int
    declined: int
    overdue: int
    median_first_response_days: float | None
    median_decision_days: float | None

    @property
    def adoption_rate(self) -> float | None:
        """Of the suggestions closed with a decision this month, the share adopted."""
        closed = self.adopted + self.declined
        return self.adopted / closed if closed else None


@dataclass(frozen=True)
class DepartmentRow:
    department: str  # a name, or COMPANY / OTHER
    submitted: int
    decided: int
    adopted: int


@dataclass(frozen=True)
class TrendPoint:
    month: date
    submitted: int
    adopted: int


@dataclass
class Report:
    month: date
    items: list[Item]
    figures: Figures
    previous: Figures
    departments: list[DepartmentRow]
    trend: list[TrendPoint] = field(default_factory=list)

    @property
    def money_total(self) -> Decimal:
        return sum((i.money for i in self.items if i.money is not None), Decimal(0))

    @property
    def hours_total(self) -> Decimal:
        return sum((i.hours for i in self.items if i.hours is not None), Decimal(0))

    @property
    def votes_total(self) -> int:
        return sum(i.votes for i in self.items)


def build(month: date, *, highlighted: set[int] | None = None, trend_months: int = 12) -> Report:
    highlighted = highlighted or set()
    small = _small_departments()
    return Report(
        month=month,
        items=_items(month, highlighted, small),
        figures=figures(month),
        previous=figures(months.shift(month, -1)),
        departments=_departments(month, small),
        trend=_trend(month, trend_months),
    )


def adopted_in(month: date) -> ColumnElement[bool]:
    start, end = _days(month)
    return and_(
        digest_filter(),
        Suggestion.status == Status.ADOPTED,
        Suggestion.adopted_on >= start,
        Suggestion.adopted_on < end,
    )


def adoptions_stamp(month: date) -> tuple[int, object]:
    """How many improvements the month has and when the last one's record was edited."""
    row = db.session.execute(
        select(func.count(), func.max(Adoption.updated_at))
        .select_from(Suggestion)
        .outerjoin(Adoption, Adoption.suggestion_id == Suggestion.id)
        .where(adopted_in(month))
    ).one()
    return int(row[0]), row[1]


def adopted_items(firsts: list[date]) -> list[Item]:
    """These months' improvements alone (the feed), as the digest shows them."""
    small = _small_departments()
    return [item for month in firsts for item in _items(month, set(), small)]


def _items(month: date, highlighted: set[int], small: set[int]) -> list[Item]:
    rows = db.session.scalars(
        select(Suggestion)
        .where(adopted_in(month))
        .options(
            selectinload(Suggestion.adoption),
            selectinload(Suggestion.department),
            selectinload(Suggestion.author),
            selectinload(Suggestion.credited),
        )
    )
    items = [_item(s, s.id in highlighted, small) for s in rows]
    return sorted(items, key=lambda i: (not i.highlighted, -i.votes, i.title.casefold(), i.suggestion_id))


def _item(s: Suggestion, highlighted: bool, small: set[int]) -> Item:
    adoption = s.adoption
    person = s.credited_person
    money, money_is_estimate = _actual_or_estimate(adoption, "money")
    hours, hours_is_estimate = _actual_or_estimate(adoption, "hours")
    return Item(
        suggestion_id=s.id,
        title=s.title,
        department=_department_key(s.department_id, s.department, small),
        what_was_done=adoption.what_was_done if adoption else "",
        benefit_notes=adoption.benefit_notes if adoption else "",
        money=money,
        money_is_estimate=money_is_estimate,
        hours=hours,
        hours_is_estimate=hours_is_estimate,
        credit=person.display_name if person is not None else None,
        votes=s.vote_count,
        days=max(0, (s.adopted_on - s.submitted_on).days),
        adopted_on=s.adopted_on,
        highlighted=highlighted,
    )


def _actual_or_estimate(adoption: object, kind: str) -> tuple[Decimal | None, bool]:
    if adoption is None:
        return None, False
    actual = getattr(adoption, f"actual_{kind}")
    if actual is not None:
        return actual, False
    estimate = getattr(adoption, f"estimated_{kind}")
    return estimate, estimate is not None


def _department_key(dept_id: int | None, dept: Department | None, small: set[int]) -> str:
    if dept_id is None or dept is None:
        return COMPANY
    return OTHER if dept_id in small else dept.name


def _small_departments() -> set[int]:
    """Departments too small to be shown on their own: fewer active people than the minimum."""
    minimum = int(current_app.config["ANON_MIN_GROUP_SIZE"])
    counts = active_staff_counts()
    ids = set(db.session.scalars(select(Department.id)))
    return {d for d in ids if counts.get(d, 0) < minimum}


def _days(month: date) -> tuple[date, date]:
    return month, months.shift(month, 1)


def _submitted(month: date) -> ColumnElement[bool]:
    start, end = _days(month)
    return and_(Suggestion.submitted_on >= start, Suggestion.submitted_on < end)


def _decided(month: date) -> ColumnElement[bool]:
    start, end = months.bounds(month)
    return and_(Suggestion.decided_at >= start, Suggestion.decided_at < end)


def figures(month: date) -> Figures:
    start, end = months.bounds(month)
    base = select(func.count()).select_from(Suggestion).where(digest_filter())
    count = lambda *where: db.session.scalar(base.where(*where)) or 0  # noqa: E731
    first = db.session.execute(
        select(Suggestion.submitted_on, Suggestion.first_response_at).where(
            digest_filter(), Suggestion.first_response_at >= start, Suggestion.first_response_at < end
        )
    )
    decided = db.session.execute(
        select(Suggestion.submitted_on, Suggestion.decided_at).where(digest_filter(), _decided(month))
    )
    return Figures(
        submitted=count(_submitted(month)),
        decided=count(_decided(month)),
        adopted=count(adopted_in(month)),
        declined=count(_decided(month), Suggestion.status == Status.DECLINED),
        overdue=count(*_overdue_at(month)),
        median_first_response_days=_median_days(first),
        median_decision_days=_median_days(decided),
    )


def _overdue_at(month: date) -> tuple[ColumnElement[bool], ...]:
    """Waiting past the promised response time at the month's end (or today, for this month),
    with no official response by then."""
    _start, end = months.bounds(month)
    promise = int(current_app.config["SUGGESTION_RESPONSE_DAYS"])
    last_day = min(months.shift(month, 1).toordinal() - 1, utcnow().date().toordinal())
    return (
        digest_filter(),
        Suggestion.submitted_on < date.fromordinal(last_day - promise),
        Suggestion.status.not_in([Status.WITHDRAWN]),
        or_(Suggestion.first_response_at.is_(None), Suggestion.first_response_at >= end),
    )


def _median_days(rows: object) -> float | None:
    days = [max(0, (when.date() - submitted).days) for submitted, when in rows]
    return float(statistics.median(days)) if days else None


def _departments(month: date, small: set[int]) -> list[DepartmentRow]:
    names = dict(db.session.execute(select(Department.id, Department.name)).all())
    totals: dict[str, list[int]] = {}
    for column, where in enumerate((_submitted(month), _decided(month), adopted_in(month))):
        rows = db.session.execute(
            select(Suggestion.department_id, func.count())
            .where(digest_filter(), where)
            .group_by(Suggestion.department_id)
        )
        for dept_id, n in rows:
            label = COMPANY if dept_id is None else OTHER if dept_id in small else names[dept_id]
            totals.setdefault(label, [0, 0, 0])[column] += n
    order = lambda label: (label == OTHER, label == COMPANY, label.casefold())  # noqa: E731
    return [DepartmentRow(label, *totals[label]) for label in sorted(totals, key=order)]


def _trend(month: date, count: int) -> list[TrendPoint]:
    """Submitted and adopted per month, for the ``count`` months up to this one, in one query."""
    firsts = [months.shift(month, -i) for i in range(count - 1, -1, -1)]
    columns = []
    for first in firsts:
        start, end = _days(first)
        columns.append(func.count().filter(_submitted(first)))
        columns.append(
            func.count().filter(
                Suggestion.status == Status.ADOPTED,
                Suggestion.adopted_on >= start,
                Suggestion.adopted_on < end,
            )
        )
    values = db.session.execute(select(*columns).select_from(Suggestion).where(digest_filter())).one()
    return [TrendPoint(first, values[2 * i], values[2 * i + 1]) for i, first in enumerate(firsts)]


def department_label(key: str) -> str:
    """A department key of the figures in words."""
    if key == COMPANY:
        return _("Whole company")
    if key == OTHER:
        return _("Other departments")
    return key
