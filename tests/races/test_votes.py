"""Votes at the same moment: many people on one suggestion, and one person clicking twice."""

from __future__ import annotations

from functools import partial

from sqlalchemy import func, select

from intranet.extensions import db
from intranet.models import Department, User
from suggestions.lifecycle import Status
from suggestions.models import Suggestion, Vote
from tests.served import Server, at_once, hidden

PEOPLE = ["amelie", "sanna", "kenji", "emil", "chloe", "omar", "tomas", "lea", "noah", "ines", "raul", "yuki"]


def _new_suggestion(server: Server, title: str) -> int:
    """A fresh suggestion to Operations, sent by its lead (who does not vote here)."""
    department = db.session.scalar(select(Department.id).where(Department.name == "Operations"))
    db.session.rollback()
    return server.visitor("helga").suggest(title, department)


def _voters(suggestion_id: int) -> list[int]:
    return list(db.session.scalars(select(Vote.user_id).where(Vote.suggestion_id == suggestion_id)))


def _ids(names: list[str]) -> set[int]:
    return set(db.session.scalars(select(User.id).where(User.username.in_(names))))


def test_votes_of_many_people_at_once_count_exactly(server: Server, ctx: None) -> None:
    sid = _new_suggestion(server, "Votes at once")
    people = PEOPLE
    visitors = [server.visitor(name) for name in people]

    answers = at_once(*(partial(v.post, f"/suggestions/{sid}/vote") for v in visitors))

    assert [a.status for a in answers] == [302] * len(people), [a.text[:300] for a in answers]
    db.session.rollback()
    rows = _voters(sid)
    assert len(rows) == len(set(rows)) == len(people)
    assert set(rows) == _ids(people)
    assert db.session.get(Suggestion, sid).vote_count == len(rows)


def test_votes_of_one_person_clicking_twice_count_once(server: Server, ctx: None) -> None:
    sid = _new_suggestion(server, "A double click")
    for name in ("raul", "olu", "francois"):
        first = server.visitor(name)
        tabs = [first, first.tab(), first.tab(), first.tab()]  # a double click, and more

        answers = at_once(*(partial(t.post, f"/suggestions/{sid}/vote") for t in tabs))

        assert [a.status for a in answers] == [302] * len(tabs)
    db.session.rollback()
    rows = _voters(sid)
    assert sorted(rows) == sorted(_ids(["raul", "olu", "francois"]))
    assert db.session.get(Suggestion, sid).vote_count == len(rows)


def test_votes_given_and_taken_back_at_once_leave_an_exact_count(server: Server, ctx: None) -> None:
    """Half vote while the other half take their votes back: the counter still equals the rows."""
    sid = _new_suggestion(server, "Votes and second thoughts")
    visitors = [server.visitor(name) for name in PEOPLE[:8]]
    for v in visitors[4:]:
        assert v.post(f"/suggestions/{sid}/vote").status == 302

    answers = at_once(
        *(partial(v.post, f"/suggestions/{sid}/vote") for v in visitors[:4]),
        *(partial(v.post, f"/suggestions/{sid}/vote", vote="0") for v in visitors[4:]),
    )

    assert [a.status for a in answers] == [302] * 8
    db.session.rollback()
    rows = set(_voters(sid))
    assert rows == _ids(PEOPLE[:4])
    assert db.session.get(Suggestion, sid).vote_count == db.session.scalar(
        select(func.count()).select_from(Vote).where(Vote.suggestion_id == sid)
    )


def test_votes_during_a_merge_count_each_voter_once(server: Server, ctx: None) -> None:
    """Votes on a suggestion and its original while it is marked a duplicate: the original counts both."""
    operations = db.session.scalar(select(Department.id).where(Department.name == "Operations"))
    db.session.rollback()
    helga = server.visitor("helga")
    visitors = [server.visitor(name) for name in PEOPLE[:8]]
    for number in range(3):  # a vote that waits for the merge's lock is rare: give it chances
        copy = helga.suggest(f"Merged while voted on {number}", operations)
        original = helga.suggest(f"The original {number}", operations)
        version = hidden(helga.get(f"/suggestions/{copy}").text, "version")

        answers = at_once(
            partial(
                helga.post, f"/suggestions/{copy}/status",
                status="duplicate", duplicate_of=str(original), response="The same idea.", version=version,
            ),
            # Votes landing after the merge are refused (403): a duplicate takes no votes.
            *(partial(v.post, f"/suggestions/{copy}/vote") for v in visitors[:5]),
            *(partial(v.post, f"/suggestions/{original}/vote") for v in visitors[3:]),  # three vote on both
        )  # fmt: skip

        assert answers[0].status == 302, answers[0].text[:500]
        assert {a.status for a in answers[1:6]} <= {302, 403} and {a.status for a in answers[6:]} == {302}
        db.session.rollback()
        voters = set(_voters(copy)) | set(_voters(original))
        assert db.session.get(Suggestion, original).vote_count == len(voters)
        assert _ids(PEOPLE[3:8]) <= voters
        db.session.rollback()


def test_two_suggestions_merged_into_each_other_at_once_make_no_loop(server: Server, ctx: None) -> None:
    operations = db.session.scalar(select(Department.id).where(Department.name == "Operations"))
    db.session.rollback()
    helga, ingrid = server.visitor("helga"), server.visitor("ingrid")
    for number in range(3):
        one, two = (helga.suggest(f"Twin {number} {side}", operations) for side in "ab")
        versions = [hidden(helga.get(f"/suggestions/{sid}").text, "version") for sid in (one, two)]

        answers = at_once(
            partial(helga.post, f"/suggestions/{one}/status", status="duplicate", duplicate_of=str(two),
                    response="Same as the other.", version=versions[0]),
            partial(ingrid.post, f"/suggestions/{two}/status", status="duplicate", duplicate_of=str(one),
                    response="Same as the other.", version=versions[1]),
        )  # fmt: skip

        assert sorted(a.status for a in answers) == [302, 422], [(a.status, a.text[:300]) for a in answers]
        db.session.rollback()
        statuses = {db.session.get(Suggestion, sid).status for sid in (one, two)}
        assert statuses == {Status.DUPLICATE, Status.SUBMITTED}
        db.session.rollback()
