"""Votes: one per person, retractable, counted exactly, also when people click at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from intranet.extensions import db
from intranet.models import User
from suggestions import votes, workflow
from suggestions.lifecycle import Status
from suggestions.models import Suggestion, Vote
from tests.conftest import csrf_token
from tests.groups.conftest import Company, login_as, make_user, post_form
from tests.suggestions.conftest import review, submit

THREADS = 8


def vote_rows(s: Suggestion) -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(select(Vote.user_id).where(Vote.suggestion_id == s.id)))


def count_of(s: Suggestion) -> int:
    db.session.expire_all()
    return db.session.get(Suggestion, s.id).vote_count


def click(app: Flask, user: User, s: Suggestion, vote: str = "1") -> int:
    """The vote button, pressed by ``user`` in a request (and app context) of their own."""
    client = login_as(app.test_client(), user)
    with app.app_context():
        return post_form(client, f"/suggestions/{s.id}/vote", {"vote": vote}, "/suggestions/new").status_code


def test_one_vote_per_person_and_it_can_be_taken_back(app: Flask, company: Company) -> None:
    idea = submit(company.member, department=company.sales)
    voters = [company.colleague, company.outsider, company.lead]
    for user in voters:
        assert click(app, user, idea) == 302
    assert count_of(idea) == 3 and vote_rows(idea) == {u.id for u in voters}

    assert click(app, company.outsider, idea, "0") == 302
    assert count_of(idea) == 2 and vote_rows(idea) == {company.colleague.id, company.lead.id}
    assert click(app, company.outsider, idea, "0") == 302  # taking back a vote there is not
    assert count_of(idea) == 2
    assert click(app, company.outsider, idea) == 302  # and voting again
    assert count_of(idea) == 3

    client = login_as(app.test_client(), company.colleague)
    with app.app_context():
        page = client.get(f"/suggestions/{idea.id}").get_data(as_text=True)
    assert "3 votes" in page and "Take back my vote" in page and "Vote for this" not in page


def test_the_author_may_vote_but_is_not_counted_automatically(app: Flask, company: Company) -> None:
    idea = submit(company.member, department=company.sales)
    assert count_of(idea) == 0 and vote_rows(idea) == set()
    assert click(app, company.member, idea) == 302
    assert count_of(idea) == 1


def test_a_double_vote_counts_once(app: Flask, company: Company) -> None:
    idea = submit(company.member, department=company.sales)
    client = login_as(app.test_client(), company.colleague)
    with app.app_context():
        token = csrf_token(client, "/suggestions/new")
    for _ in range(2):
        with app.app_context():
            response = client.post(f"/suggestions/{idea.id}/vote", data={"csrf_token": token, "vote": "1"})
        assert response.status_code == 302
    assert count_of(idea) == 1 and vote_rows(idea) == {company.colleague.id}


def test_the_services_say_whether_anything_changed(company: Company) -> None:
    idea = submit(company.member, department=company.sales)
    assert votes.vote(company.colleague, idea) is True
    assert votes.vote(company.colleague, idea) is False
    assert idea.vote_count == 1 and votes.has_voted(company.colleague, idea)
    assert votes.unvote(company.colleague, idea) is True
    assert votes.unvote(company.colleague, idea) is False
    assert idea.vote_count == 0 and not votes.has_voted(company.colleague, idea)
    db.session.commit()
    assert count_of(idea) == 0


def _to(company: Company, status: Status) -> Suggestion:
    idea = submit(company.member, department=company.sales)
    other = submit(company.colleague, "The original", department=company.sales)
    votes.vote(company.outsider, idea)
    db.session.commit()
    if status == Status.WITHDRAWN:
        workflow.withdraw(idea, "", author=company.member, expected_version=idea.status_version)
        db.session.commit()
    elif status == Status.ADOPTED:
        review(company.lead, idea, Status.ACCEPTED)
        review(company.lead, idea, Status.ADOPTED, adoption=workflow.AdoptionData("Done."))
    elif status == Status.DUPLICATE:
        review(company.lead, idea, Status.DUPLICATE, duplicate_of=other)
    elif status != Status.SUBMITTED:
        review(company.lead, idea, status)
    assert idea.status == status
    return idea


@pytest.mark.parametrize(
    ("status", "open_"),
    [
        (Status.SUBMITTED, True),
        (Status.UNDER_REVIEW, True),
        (Status.ACCEPTED, True),
        (Status.DECLINED, False),
        (Status.WITHDRAWN, False),
        (Status.ADOPTED, False),
        (Status.DUPLICATE, False),
    ],
)
def test_votes_close_with_the_decision(app: Flask, company: Company, status: Status, open_: bool) -> None:
    idea = _to(company, status)
    before = count_of(idea)
    assert before == 1
    assert click(app, company.admin, idea) == (302 if open_ else 403)
    assert click(app, company.outsider, idea, "0") == (302 if open_ else 403)
    assert vote_rows(idea) == ({company.admin.id} if open_ else {company.outsider.id})
    assert count_of(idea) == (1 if open_ else before)

    client = login_as(app.test_client(), company.admin)
    with app.app_context():
        page = client.get(f"/suggestions/{idea.id}").get_data(as_text=True)
    assert ("Vote for this" in page or "Take back my vote" in page) is open_


def test_a_vote_through_a_duplicate_counts_once_on_the_original(company: Company) -> None:
    original = submit(company.member, "Original", department=company.sales)
    dup = submit(company.colleague, "Duplicate", department=company.sales)
    for user in (company.outsider, company.admin):
        votes.vote(user, dup)
    votes.vote(company.admin, original)
    db.session.commit()
    review(company.lead, dup, Status.DUPLICATE, duplicate_of=original)
    assert count_of(original) == 2
    assert votes.vote(company.outsider, original) is True  # a row of its own on the original ...
    db.session.commit()
    assert count_of(original) == 2  # ... but the same person
    votes.vote(company.lead, original)
    db.session.commit()
    assert count_of(original) == 3


def test_a_vote_from_before_a_merge_counts_at_the_original(app: Flask, company: Company) -> None:
    """The voter's request read the suggestion while it was open; the merge committed before its vote."""
    original = submit(company.member, "Original", department=company.sales)
    dup = submit(company.colleague, "Duplicate", department=company.sales)
    db.session.commit()
    seen = db.session.get(Suggestion, dup.id)
    assert seen.status == Status.SUBMITTED
    with app.app_context(), app.test_request_context():  # the reviewer's request: a session of its own
        merged, into = db.session.get(Suggestion, dup.id), db.session.get(Suggestion, original.id)
        reviewer = db.session.get(User, company.lead.id)
        workflow.change_status(
            reviewer, merged, Status.DUPLICATE, "Same.", expected_version=1, duplicate_of=into
        )
        db.session.commit()

    assert votes.vote(company.outsider, seen) is True
    db.session.commit()

    assert count_of(original) == 1
    assert votes.unvote(company.outsider, db.session.get(Suggestion, dup.id)) is True
    db.session.commit()
    assert count_of(original) == 0


def test_the_primary_key_refuses_a_second_vote_row(company: Company) -> None:
    idea = submit(company.member, department=company.sales)
    row = {"suggestion_id": idea.id, "user_id": company.colleague.id}
    db.session.execute(insert(Vote).values(**row))
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(insert(Vote).values(**row))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 1


# --- at the same moment ----------------------------------------------------------------------------


def _voters(n: int, prefix: str = "voter") -> list[User]:
    people = [make_user(f"{prefix}{i}", None) for i in range(n)]
    db.session.commit()
    return people


def _at_once(app: Flask, jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs in threads released together; each in an app context (and database session) of its own.

    Returns each job's result, or the exception it raised.
    """
    start = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        with app.app_context():
            try:
                start.wait(timeout=30)
                results[i] = job()
            except Exception as exc:  # noqa: BLE001 - reported by the test
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a voter is still waiting: a deadlock?"
    return results


def _button(app: Flask, user: User, s: Suggestion, vote: str) -> Callable[[], int]:
    """A logged-in browser on the suggestion's page, about to press the vote button."""
    client: FlaskClient = login_as(app.test_client(), user)
    with app.app_context():
        token = csrf_token(client, f"/suggestions/{s.id}")
    url = f"/suggestions/{s.id}/vote"
    return lambda: client.post(url, data={"csrf_token": token, "vote": vote}).status_code


def test_people_voting_at_the_same_moment_are_all_counted(app: Flask, company: Company) -> None:
    idea = submit(company.member, department=company.sales)
    people = _voters(THREADS)
    results = _at_once(app, [_button(app, user, idea, "1") for user in people])
    assert results == [302] * THREADS
    assert vote_rows(idea) == {u.id for u in people}
    assert count_of(idea) == THREADS


def test_votes_and_retractions_at_the_same_moment_end_exact(app: Flask, company: Company) -> None:
    idea = submit(company.member, department=company.sales)
    leaving, coming = _voters(THREADS // 2, "leaving"), _voters(THREADS // 2, "coming")
    for user in leaving:
        votes.vote(user, idea)
    db.session.commit()
    assert count_of(idea) == len(leaving)
    jobs = [_button(app, u, idea, "0") for u in leaving] + [_button(app, u, idea, "1") for u in coming]
    assert _at_once(app, jobs) == [302] * THREADS
    assert vote_rows(idea) == {u.id for u in coming}
    assert count_of(idea) == len(coming)


def test_one_person_double_clicking_in_two_tabs_counts_once(app: Flask, company: Company) -> None:
    idea = submit(company.member, department=company.sales)
    assert _at_once(app, [_button(app, company.colleague, idea, "1") for _ in range(4)]) == [302] * 4
    assert vote_rows(idea) == {company.colleague.id}
    assert count_of(idea) == 1


def test_a_merge_beside_votes_ends_on_the_exact_count(app: Flask, company: Company) -> None:
    original = submit(company.member, "Original", department=company.sales)
    dup = submit(company.colleague, "Duplicate", department=company.sales)
    early = _voters(3, "early")
    for user in early:
        votes.vote(user, dup)
    votes.vote(early[0], original)
    db.session.commit()
    late = _voters(THREADS - 1, "late")
    # Some of the late voters had voted for the duplicate too: they must still count once.
    for user in late[:2]:
        votes.vote(user, dup)
    db.session.commit()
    reviewer = login_as(app.test_client(), company.lead)
    with app.app_context():
        token = csrf_token(reviewer, f"/suggestions/{dup.id}")
    data = {
        "csrf_token": token,
        "status": "duplicate",
        "duplicate_of": str(original.id),
        "response": "Same idea.",
        "version": str(dup.status_version),
        "responsible": "",
    }

    def merge() -> int:
        return reviewer.post(f"/suggestions/{dup.id}/status", data=data).status_code

    results = _at_once(app, [merge] + [_button(app, u, original, "1") for u in late])
    assert results == [302] * THREADS
    assert count_of(original) == len({u.id for u in early + late})
    assert count_of(dup) == len(early) + 2
