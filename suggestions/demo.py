"""Demo suggestions for `make run`: every status, votes, a campaign, an adoption to read on the board.

Loaded once (skipped when any suggestion exists), after the demo staff, by `flask demo load`.
The anonymous demo suggestions' receipts are thrown away, as a real author's would be kept
only by them; submit one yourself to try the receipt.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import Department, User

from . import campaigns, services, votes, workflow
from .lifecycle import Status
from .models import Suggestion


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
            benefit_notes="Twelve more people cycle in since November.",
        ),
    )

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
