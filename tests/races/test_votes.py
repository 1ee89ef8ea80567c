"""Votes at the same moment: many people on one suggestion, and one person clicking twice."""

from __future__ import annotations

from functools import partial

from sqlalchemy import func, select

from intranet.extensions import db
from intranet.models import Department, User
from suggestions.models import Suggestion, Vote
from tests.races.conftest import Server, at_once

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
