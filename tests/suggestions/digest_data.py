"""A month of the suggestion box for the digest tests: adopted, declined and waiting suggestions
with chosen dates, an anonymous author, a department too small to show, and a closed group."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from groups import posting
from groups.models import Visibility
from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import Department, User
from suggestions import workflow
from suggestions.digest import months
from suggestions.lifecycle import Status
from suggestions.models import Suggestion
from tests.groups.conftest import Company, make_user, new_group
from tests.suggestions.conftest import review, submit

CLOSED_MARKER = "Qzxclosedgroupsecret"


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 30, tzinfo=UTC)


def dated(s: Suggestion, **values: Any) -> Suggestion:
    """Move a suggestion's dates (and vote count) to where the test wants them."""
    db.session.execute(update(Suggestion).where(Suggestion.id == s.id).values(**values))
    db.session.commit()
    db.session.refresh(s)
    return s


@dataclass
class Month:
    month: date
    company: Company
    whistleblower: User  # the anonymous author: must appear nowhere
    legal: Department  # two people: below the minimum
    named: Suggestion
    anonymous: Suggestion
    small: Suggestion
    declined: Suggestion
    waiting: Suggestion
    earlier: Suggestion  # adopted the month before
    later: Suggestion  # adopted the month after (or not at all yet)
    extra: dict[str, Any] = field(default_factory=dict)


def adopt(reviewer: User, s: Suggestion, what: str, **adoption: Any) -> Suggestion:
    review(reviewer, s, Status.ACCEPTED, "Yes, we will do it.")
    review(reviewer, s, Status.ADOPTED, "Done.", adoption=workflow.AdoptionData(what, **adoption))
    return s


def build_month(c: Company, month: date | None = None) -> Month:
    month = month or months.previous(utcnow().date())
    day = lambda n: month + timedelta(days=n - 1)  # noqa: E731
    before = months.shift(month, -1)
    boss = c.management
    legal = Department(name="Legal", slug="legal")
    db.session.add(legal)
    lawyer = make_user("lawyer", legal, display_name="Lena Lawyer")
    make_user("paralegal", legal)
    whistleblower = make_user("whistle", c.engineering, display_name="Wilma Whistleblower")
    db.session.commit()

    named = submit(c.member, "A second coffee machine", department=c.sales)
    adopt(
        boss,
        named,
        "Bought a second machine for floor 2.",
        actual_money=Decimal("1200"),
        estimated_hours=Decimal("50"),
    )
    dated(
        named,
        submitted_on=before + timedelta(days=19),
        first_response_at=at(before + timedelta(days=24)),
        decided_at=at(day(3)),
        adopted_on=day(10),
        vote_count=7,
    )

    anonymous = submit(None, "Brighter lights for the night shift", department=c.engineering)
    adopt(boss, anonymous, "New LED panels in hall B.", benefit_notes="Fewer mistakes at night")
    dated(
        anonymous,
        submitted_on=day(2),
        first_response_at=at(day(4)),
        decided_at=at(day(8)),
        adopted_on=day(20),
        vote_count=3,
    )

    small = submit(lawyer, "Contract templates in one place", department=legal)
    adopt(boss, small, "One shared folder of templates.")
    dated(
        small,
        submitted_on=day(1),
        first_response_at=at(day(2)),
        decided_at=at(day(5)),
        adopted_on=day(15),
        vote_count=1,
    )

    declined = submit(c.colleague, "A pool on the roof", department=c.sales)
    review(boss, declined, Status.DECLINED, "The roof cannot carry it.")
    dated(declined, submitted_on=day(5), first_response_at=at(day(12)), decided_at=at(day(12)))

    waiting = submit(c.outsider, "Standing desks", department=c.engineering)
    dated(waiting, submitted_on=before + timedelta(days=1))  # no answer: overdue by the month's end

    earlier = submit(c.colleague, "Recycling bins", department=c.sales)
    adopt(boss, earlier, "Bins on every floor.")
    dated(
        earlier,
        submitted_on=before + timedelta(days=2),
        first_response_at=at(before + timedelta(days=3)),
        decided_at=at(before + timedelta(days=4)),
        adopted_on=before + timedelta(days=9),
    )

    later = submit(c.member, "Quieter printers", department=c.sales)
    review(boss, later, Status.ACCEPTED, "Yes.")
    dated(later, submitted_on=day(20), first_response_at=at(day(21)), decided_at=at(day(21)))

    # A closed group's discussion about the same improvements: none of it may reach the digest.
    closed = new_group(c, name=f"Board room {CLOSED_MARKER}", visibility=Visibility.CLOSED)
    posting.start_thread(
        c.lead, closed, title=f"Coffee budget {CLOSED_MARKER}", body=f"Secret numbers {CLOSED_MARKER}"
    )
    db.session.commit()
    return Month(month, c, whistleblower, legal, named, anonymous, small, declined, waiting, earlier, later)
