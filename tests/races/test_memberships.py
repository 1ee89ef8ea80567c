"""Join requests of a closed group decided by several moderators at once, and asked for twice at once."""

from __future__ import annotations

from functools import partial

from sqlalchemy import func, select

from groups.models import Group, JoinRequest, Membership, ModAction, ModerationEntry, RequestState
from intranet.extensions import db
from intranet.models import User
from intranet.notifications import Notification
from tests.served import Answer, Server, Visitor, at_once

MODERATORS = ["bjorn", "priya", "jurgen"]  # the department's leads and an admin


def _group(name: str) -> Group:
    return db.session.scalars(select(Group).where(Group.name == name)).one()


def _user_id(name: str) -> int:
    return db.session.scalars(select(User.id).where(User.username == name)).one()


def _count(model: type, **where: object) -> int:
    query = select(func.count()).select_from(model)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    return int(db.session.scalar(query))


def _pending(group_id: int, user_id: int) -> list[JoinRequest]:
    return list(
        db.session.scalars(
            select(JoinRequest).where(
                JoinRequest.group_id == group_id,
                JoinRequest.user_id == user_id,
                JoinRequest.state == RequestState.PENDING,
            )
        )
    )


def _approve_and_read(moderator: Visitor, group_id: int, request_id: int) -> Answer:
    """Approve, then read the members page: the sentence this moderator was told."""
    answer = moderator.post(f"/groups/{group_id}/requests/{request_id}", decision="approve", message="")
    assert answer.status == 302, answer.text[:500]
    return moderator.get(f"/groups/{group_id}/members")


def test_approvals_of_one_request_at_once_make_one_member(server: Server, ctx: None) -> None:
    group = _group("On-call rota")
    gid, zoe = group.id, _user_id("zoe")
    [request] = _pending(gid, zoe)
    rid = request.id
    db.session.rollback()
    moderators = [server.visitor(name) for name in MODERATORS]

    pages = [p.text for p in at_once(*(partial(_approve_and_read, m, gid, rid) for m in moderators))]

    told_member = [p for p in pages if "is now a member" in p]
    told_answered = [p for p in pages if "This request was already answered." in p]
    assert len(told_member) == 1 and len(told_answered) == len(MODERATORS) - 1
    db.session.rollback()
    assert _count(Membership, group_id=gid, user_id=zoe) == 1
    assert db.session.get(JoinRequest, rid).state == RequestState.APPROVED
    assert _count(ModerationEntry, group_id=gid, target_user_id=zoe, action=ModAction.APPROVE_MEMBER) == 1
    assert _count(Notification, user_id=zoe, kind="groups.request_approved") == 1


def test_approvals_of_several_requests_at_once_make_each_member_once(server: Server, ctx: None) -> None:
    gid = _group("On-call rota").id
    db.session.rollback()
    askers = ["amelie", "sanna", "kenji"]
    for name in askers:
        answer = server.visitor(name).post(f"/groups/{gid}/request", message=f"{name} would like to join.")
        assert answer.status == 302
    ids = {name: _user_id(name) for name in askers}
    requests = {name: _pending(gid, uid)[0].id for name, uid in ids.items()}
    members_before = _count(Membership, group_id=gid)
    db.session.rollback()
    bjorn, priya = server.visitor("bjorn"), server.visitor("priya")

    answers = at_once(
        *(
            partial(m.post, f"/groups/{gid}/requests/{rid}", decision="approve", message="Welcome!")
            for rid in requests.values()
            for m in (bjorn, priya)
        )
    )

    assert [a.status for a in answers] == [302] * 2 * len(askers)
    db.session.rollback()
    assert _count(Membership, group_id=gid) == members_before + len(askers)
    for name, uid in ids.items():
        assert _count(Membership, group_id=gid, user_id=uid) == 1, name
        assert db.session.get(JoinRequest, requests[name]).state == RequestState.APPROVED
        assert _count(ModerationEntry, group_id=gid, target_user_id=uid, action=ModAction.APPROVE_MEMBER) == 1
        assert _count(Notification, user_id=uid, kind="groups.request_approved") == 1


def test_a_request_sent_twice_at_once_is_one_and_decided_once(server: Server, ctx: None) -> None:
    gid = _group("On-call rota").id
    db.session.rollback()
    emil = server.visitor("emil")  # the last of the department neither in the group nor asking
    tabs = [emil, emil.tab(), emil.tab(), emil.tab()]

    answers = at_once(*(partial(t.post, f"/groups/{gid}/request", message="Me too, please.") for t in tabs))

    assert [a.status for a in answers] == [302] * len(tabs), [a.text[:300] for a in answers]
    db.session.rollback()
    assert len(_pending(gid, _user_id("emil"))) == 1

    # One lead approves while another declines: one decision, and membership follows it.
    [request] = _pending(gid, _user_id("emil"))
    rid, emil_id = request.id, _user_id("emil")
    db.session.rollback()
    bjorn, priya = server.visitor("bjorn"), server.visitor("priya")

    decisions = at_once(
        partial(bjorn.post, f"/groups/{gid}/requests/{rid}", decision="approve", message=""),
        partial(priya.post, f"/groups/{gid}/requests/{rid}", decision="decline", message="Full this year."),
    )

    assert [a.status for a in decisions] == [302, 302]
    db.session.rollback()
    state = db.session.get(JoinRequest, rid).state
    assert state in (RequestState.APPROVED, RequestState.DECLINED)
    assert _count(Membership, group_id=gid, user_id=emil_id) == (1 if state == RequestState.APPROVED else 0)
    decided = (ModAction.APPROVE_MEMBER, ModAction.DECLINE_MEMBER)
    logged = db.session.scalars(
        select(ModerationEntry.action).where(
            ModerationEntry.target_user_id == emil_id, ModerationEntry.action.in_(decided)
        )
    ).all()
    assert logged == [decided[0] if state == RequestState.APPROVED else decided[1]]
