"""Two reviewers change one suggestion's status at the same moment: one wins, the other is told."""

from __future__ import annotations

import html
from functools import partial

from sqlalchemy import select

from intranet.extensions import db
from intranet.models import Department
from suggestions.models import StatusChange, Suggestion
from suggestions.workflow import trail
from tests.served import Server, Visitor, at_once, hidden, textarea

CONFLICT = "Someone else changed this suggestion while you were writing"


def _change(reviewer: Visitor, sid: int, version: str, status: str, response: str):  # noqa: ANN202
    return reviewer.post(f"/suggestions/{sid}/status", status=status, response=response, version=version)


def test_status_changed_by_two_reviewers_at_once_loses_no_update(server: Server, ctx: None) -> None:
    engineering = db.session.scalar(select(Department.id).where(Department.name == "Engineering"))
    db.session.rollback()
    sid = server.visitor("zoe").suggest("Two reviewers at once", engineering)
    reviewers = {name: server.visitor(name) for name in ("ingrid", "bjorn", "priya")}
    rounds = [  # from "submitted": each pair's targets are allowed whichever of the pair won before
        {"ingrid": "same", "bjorn": "under_review"},
        {"bjorn": "accepted", "priya": "declined"},
        {"ingrid": "same", "priya": "same", "bjorn": "same"},
    ]
    winners: list[tuple[str, str]] = []
    for number, targets in enumerate(rounds, 1):
        versions = {
            name: hidden(reviewers[name].get(f"/suggestions/{sid}").text, "version") for name in targets
        }
        assert len(set(versions.values())) == 1
        texts = {name: f"Round {number}: the answer of {name}." for name in targets}

        calls = [partial(_change, reviewers[n], sid, versions[n], t, texts[n]) for n, t in targets.items()]
        answers = dict(zip(targets, at_once(*calls), strict=True))

        won = [name for name, a in answers.items() if a.status == 302]
        assert len(won) == 1, {n: (a.status, a.text[:300]) for n, a in answers.items()}
        for name, answer in answers.items():
            if name not in won:  # told, with their words kept in the form
                assert answer.status == 409
                assert CONFLICT in html.unescape(answer.text)
                assert textarea(answer.text, "response") == texts[name]
        winners.append((targets[won[0]], texts[won[0]]))

    db.session.rollback()
    suggestion = db.session.get(Suggestion, sid)
    changes = [c for c in trail(suggestion) if c.response.startswith("Round ")]
    assert [c.response for c in changes] == [text for _, text in winners]
    assert suggestion.status_version == 1 + len(rounds)
    assert db.session.scalars(select(StatusChange).where(StatusChange.suggestion_id == sid)).all() == changes
    # Each change starts where the one before it ended: no change was made from a stale status.
    for before, after in zip(changes, changes[1:], strict=False):
        assert after.from_status == before.to_status
    for change, (target, _) in zip(changes, winners, strict=True):
        assert change.to_status == (change.from_status if target == "same" else target)
    assert suggestion.status == changes[-1].to_status
