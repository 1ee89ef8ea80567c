"""Demo suggestions for `make run`: every status, votes, a campaign, adoptions to read on the board.

Loaded once (skipped when any suggestion exists), after the demo staff, by `flask demo load`.
Four improvements were adopted last calendar month, and that month's digest is approved, so
`flask digest send` has something to mail and /digest something to show.
The anonymous demo suggestions' receipts are thrown away, as a real author's would be kept
only by them; submit one yourself to try the receipt.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select, update

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import Department, User

from . import campaigns, services, votes, workflow
from .digest import months
from .digest import services as digests
from .lifecycle import Status
from .models import StatusChange, Suggestion


def load_demo_content() -> None:
    if db.session.scalar(select(Suggestion.id).limit(1)) is not None:
        return
    with current_app.test_request_context():  # links in notifications need a URL adapter
        _load()


def _user(name: str) -> User:
    return db.session.scalars(select(User).where(User.username == name)).one()


def _department(name: str) -> Department:
    return db.session.scalars(select(Department).where(Department.name == name)).one()


def _aged(suggestion: Suggestion, days: int) -> None:
    suggestion.submitted_on = utcnow().date() - timedelta(days=days)


def _last_month(suggestion: Suggestion, submitted: int, responded: int, decided: int, adopted: int) -> None:
    """Move an adopted suggestion's dates to those days of the previous calendar month."""
    month = months.previous(utcnow().date())

    def at(day: int) -> datetime:
        return datetime.combine(month.replace(day=day), time(10, 30), tzinfo=UTC)

    db.session.flush()
    db.session.execute(
        update(Suggestion)
        .where(Suggestion.id == suggestion.id)
        .values(
            submitted_on=month.replace(day=submitted),
            first_response_at=at(responded),
            decided_at=at(decided),
            adopted_on=month.replace(day=adopted),
        )
        .execution_options(synchronize_session=False)
    )
    when = {Status.UNDER_REVIEW: at(responded), Status.ACCEPTED: at(decided), Status.ADOPTED: at(adopted)}
    for status, moment in when.items():
        db.session.execute(
            update(StatusChange)
            .where(StatusChange.suggestion_id == suggestion.id, StatusChange.to_status == status)
            .values(created_at=moment)
            .execution_options(synchronize_session=False)
        )
    db.session.refresh(suggestion)


def _adopt(reviewer: User, suggestion: Suggestion, response: str, adoption: workflow.AdoptionData) -> None:
    _change(reviewer, suggestion, Status.UNDER_REVIEW, "We are looking into it.")
    _change(reviewer, suggestion, Status.ACCEPTED, "Yes: we will do it.")
    _change(reviewer, suggestion, Status.ADOPTED, response, adoption=adoption)


def _change(reviewer: User, suggestion: Suggestion, target: Status, response: str, **kw: object) -> None:
    workflow.change_status(
        reviewer, suggestion, target, response, expected_version=suggestion.status_version, **kw
    )


def _load() -> None:
    ingrid, bjorn, zoe, lars, chloe = (_user(n) for n in ("ingrid", "bjorn", "zoe", "lars", "chloe"))
    helga, raul, amelie, sanna = (_user(n) for n in ("helga", "raul", "amelie", "sanna"))
    engineering, operations = _department("Engineering"), _department("Operations")
    staff = db.session.scalars(select(User).order_by(User.username)).all()

    campaign = campaigns.open_campaign(
        ingrid,
        title="Where do we waste the most time?",
        description=(
            "Meetings, forms, waiting for approvals… Tell us where the hours go, and how to get them back."
        ),
        closes_at=utcnow() + timedelta(days=14),
        department=None,
    )

    bikes = services.submit_named(
        raul,
        services.Draft(
            title="Covered bicycle parking by the north entrance",
            body="Thirty people cycle in every day and the racks are in the rain. A simple roof would do.",
            category="workplace",
            department=operations,
            expected_benefit="Dry bikes, and more people cycling in winter.",
        ),
    )
    _aged(bikes, 75)
    _change(helga, bikes, Status.UNDER_REVIEW, "Facilities are pricing two designs.")
    _change(helga, bikes, Status.ACCEPTED, "Approved for this year's budget.")
    _change(
        helga,
        bikes,
        Status.ADOPTED,
        "The shelter is up: 40 places, with lights.",
        adoption=workflow.AdoptionData(
            what_was_done="Built a lit shelter for 40 bicycles at the north entrance.",
            department=operations,
            estimated_money=Decimal("0"),
            estimated_hours=None,
            benefit_notes="Twelve more people cycle in since it went up.",
        ),
    )
    _last_month(bikes, submitted=1, responded=3, decided=8, adopted=24)

    badges, _receipt = services.submit_anonymous(
        services.Draft(
            title="Visitor badges printed at reception, not by hand",
            body="Reception writes every visitor badge by hand and copies the name into a spreadsheet.",
            category="process",
            department=operations,
            expected_benefit="Faster check-in, and a visitor list for fire drills.",
        )
    )
    _adopt(
        helga,
        badges,
        "Reception prints badges from the visitor list now.",
        workflow.AdoptionData(
            what_was_done="A label printer at reception prints badges from the visitor booking list.",
            department=operations,
            estimated_money=Decimal("1200"),
            estimated_hours=Decimal("6"),
            benefit_notes="Check-in takes a minute instead of five; the fire-drill list is always current.",
        ),
    )
    _last_month(badges, submitted=2, responded=4, decided=6, adopted=15)

    tests = services.submit_named(
        zoe,
        services.Draft(
            title="Run the slow integration tests at night",
            body="Every push waits for the full integration suite. Most of it could run once a night.",
            category="tools",
            department=engineering,
            expected_benefit="Quicker feedback on every push.",
        ),
    )
    _adopt(
        bjorn,
        tests,
        "The nightly suite runs from this month on.",
        workflow.AdoptionData(
            what_was_done="Split the test suite: fast tests on every push, the slow ones every night.",
            department=engineering,
            estimated_money=None,
            estimated_hours=Decimal("40"),
            benefit_notes="A push is checked in 6 minutes instead of 25.",
        ),
    )
    _last_month(tests, submitted=5, responded=6, decided=9, adopted=20)

    invoices = services.submit_named(
        lars,
        services.Draft(
            title="Send invoices as PDF by e-mail",
            body="We still post paper invoices to clients who have asked for e-mail.",
            category="process",
            expected_benefit="Less postage, and clients pay sooner.",
        ),
    )
    _adopt(
        ingrid,
        invoices,
        "Invoices go by e-mail to every client who agreed.",
        workflow.AdoptionData(
            what_was_done="Invoices are e-mailed as PDF; paper only on request.",
            department=None,
            estimated_money=Decimal("3400"),
            estimated_hours=Decimal("10"),
            benefit_notes="Postage saved every month; clients pay on average a week sooner.",
        ),
    )
    _last_month(invoices, submitted=3, responded=7, decided=10, adopted=27)

    builds, _receipt = services.submit_anonymous(
        services.Draft(
            title="Cache dependencies in the CI pipeline",
            body="Every build downloads the same packages again. Caching them would cut build times in half.",
            category="tools",
            department=engineering,
            expected_benefit="About 20 minutes a day per developer.",
            campaign=campaign,
        )
    )
    _aged(builds, 3)
    _change(bjorn, builds, Status.UNDER_REVIEW, "Good idea. Which pipelines are slowest for you?")

    meetings = services.submit_named(
        chloe,
        services.Draft(
            title="No-meeting Wednesday mornings",
            body="One morning a week without meetings, for the work that needs concentration.",
            category="process",
            campaign=campaign,
        ),
    )
    _aged(meetings, 40)

    forms, _receipt = services.submit_anonymous(
        services.Draft(
            title="One travel expense form instead of three",
            body="Travel costs go on three forms in three systems. One form would save everyone time.",
            category="process",
        )
    )
    _aged(forms, 12)

    coffee = services.submit_named(
        sanna,
        services.Draft(
            title="A second coffee machine on floor 3", body="The queue at 9 is long.", category="workplace"
        ),
    )
    _aged(coffee, 20)
    _change(ingrid, coffee, Status.DECLINED, "Floor 3 gets the new kitchen in spring, with two machines.")

    again = services.submit_named(
        amelie,
        services.Draft(
            title="Meeting-free mornings",
            body="Could we keep mornings free of meetings, once a week?",
            category="process",
        ),
    )
    _aged(again, 5)
    _change(
        ingrid,
        again,
        Status.DUPLICATE,
        "Same idea as “No-meeting Wednesday mornings”.",
        duplicate_of=meetings,
    )

    for i, person in enumerate(staff):
        if i % 2 == 0:
            votes.vote(person, meetings)
        if i % 3 == 0 and person.id != raul.id:
            votes.vote(person, bikes)
        if i % 4 == 0:
            votes.vote(person, builds)
        if i % 5 == 0:
            votes.vote(person, forms)
    services.add_comment(lars, meetings, "Sales would love this too, as long as clients can still reach us.")
    services.add_comment(zoe, builds, "Yes please. The integration tests alone take 15 minutes.")
    services.follow(zoe, builds)
    db.session.flush()
    _approved_digest(ingrid, highlight=bikes)


def _approved_digest(manager: User, highlight: Suggestion) -> None:
    """Last month's digest, written and approved: ready for `flask digest send`."""
    month = months.previous(utcnow().date())
    if digests.find(month) is not None:
        return
    digest = digests.edit(
        manager,
        month,
        "Four of your ideas became real last month: dry bikes, quicker builds, printed visitor badges "
        "and invoices by e-mail. Thank you, and keep them coming.",
        {highlight.id},
        expected_version=0,
    )
    digests.approve(manager, month, expected_version=digest.version)
