"""suggestions' part of `flask demo generate`: suggestions in every status, votes, comments, trails.

Kept to the anonymity rules the services keep (TRUST.md §2): an anonymous suggestion has no
author, random ids, a day for its dates, and the anonymous author's own comments carry no
person and midnight for a time. The generated anonymous receipts all share one hash of a
secret nobody keeps (hashing 6,000 receipts with scrypt would take longer than the rest);
submit a suggestion yourself to try a receipt.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from werkzeug.security import generate_password_hash

from intranet.generate import Plan, bulk_insert
from intranet.textgen import TextMaker

from .forms import CATEGORIES
from .lifecycle import Status
from .models import (
    ID_HIGH,
    ID_LOW,
    ROW_ID_HIGH,
    Adoption,
    Comment,
    CommentKind,
    StatusChange,
    Suggestion,
    Vote,
)

HISTORY_DAYS = 3 * 365
MAX_VOTES = 900
ANONYMOUS_SHARE = 0.2
#: Where suggestions end up, by share.
OUTCOMES = (
    (Status.SUBMITTED, 0.30),
    (Status.UNDER_REVIEW, 0.20),
    (Status.ACCEPTED, 0.10),
    (Status.ADOPTED, 0.14),
    (Status.DECLINED, 0.16),
    (Status.DUPLICATE, 0.06),
    (Status.WITHDRAWN, 0.04),
)
#: The trail that leads to each final status.
PATHS = {
    Status.SUBMITTED: (),
    Status.UNDER_REVIEW: (Status.UNDER_REVIEW,),
    Status.ACCEPTED: (Status.UNDER_REVIEW, Status.ACCEPTED),
    Status.ADOPTED: (Status.UNDER_REVIEW, Status.ACCEPTED, Status.ADOPTED),
    Status.DECLINED: (Status.UNDER_REVIEW, Status.DECLINED),
    Status.DUPLICATE: (Status.DUPLICATE,),
    Status.WITHDRAWN: (Status.WITHDRAWN,),
}
RESPONSES = {
    Status.UNDER_REVIEW: "We are looking into it and will answer within the month.",
    Status.ACCEPTED: "Yes: we will do this. The department lead plans it this quarter.",
    Status.ADOPTED: "Done. Thank you for the idea.",
    Status.DECLINED: "Not now: the cost is higher than what it would save this year.",
    Status.DUPLICATE: "This was suggested before: the discussion goes on at the original.",
    Status.WITHDRAWN: "",
}


def generate_suggestions(plan: Plan) -> None:
    rng = plan.rng("suggestions")
    text = plan.text("suggestions")
    everyone = plan.everyone()
    reviewers = [plan.demo_staff[n] for n in ("ingrid", "mateo", "bjorn", "lars") if n in plan.demo_staff]
    reviewers = reviewers or everyone[:3]
    receipt = generate_password_hash(secrets.token_hex(16), method="scrypt")
    statuses, shares = zip(*OUTCOMES, strict=True)
    ids = _ids(rng, plan.suggestions, ID_LOW, ID_HIGH)
    rows: list[dict[str, Any]] = []
    votes: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    trail: list[dict[str, Any]] = []
    adoptions: list[dict[str, Any]] = []
    originals: list[int] = []
    row_ids = _fresh_ids(rng, ID_LOW, ROW_ID_HIGH)
    for sid in ids:
        status = rng.choices(statuses, shares)[0]
        if status == Status.DUPLICATE and not originals:
            status = Status.SUBMITTED
        anonymous = rng.random() < ANONYMOUS_SHARE
        author = None if anonymous else rng.choice(everyone)
        submitted = plan.now.date() - timedelta(days=int(rng.triangular(0, HISTORY_DAYS, 0)))
        row = _suggestion(plan, rng, text, sid, status, anonymous, author, submitted, receipt)
        if status == Status.DUPLICATE:
            row["duplicate_of_id"] = rng.choice(originals)
        else:
            originals.append(sid)
        when = _at(submitted)
        for step in PATHS[status]:
            when = min(plan.now, when + timedelta(days=rng.uniform(1, 40)))
            _step(row, step, when)
            trail.append(_trail_row(next(row_ids), sid, row, step, when, rng.choice(reviewers), anonymous))
        if status == Status.ADOPTED:
            adoptions.append(_adoption(rng, sid, row, reviewers))
        voters = [] if status == Status.DUPLICATE else rng.sample(everyone, _vote_count(rng, len(everyone)))
        votes += [{"suggestion_id": sid, "user_id": uid, "created_at": _at(submitted)} for uid in voters]
        row["vote_count"] = len(voters)
        mine = [
            _comment(plan, rng, text, next(row_ids), sid, row, everyone) for _ in range(_comment_count(rng))
        ]
        if anonymous and rng.random() < 0.1:
            mine.append(_author_comment(plan, rng, text, next(row_ids), sid, row))
        comments += mine
        row["comment_count"] = len(mine)
        rows.append(row)
    bulk_insert(plan, "suggestions", Suggestion.__table__, rows, len(rows))
    bulk_insert(plan, "status changes", StatusChange.__table__, trail, len(trail))
    bulk_insert(plan, "adoptions", Adoption.__table__, adoptions, len(adoptions))
    bulk_insert(plan, "votes", Vote.__table__, votes, len(votes))
    bulk_insert(plan, "comments", Comment.__table__, comments, len(comments))


def _vote_count(rng: random.Random, people: int) -> int:
    """Heavy-tailed: most suggestions get a few votes, a few get hundreds (about 8 on average)."""
    return min(people, MAX_VOTES, int(rng.paretovariate(1.3) * 2))


def _comment_count(rng: random.Random) -> int:
    return min(11, int(rng.expovariate(0.6)))


def _ids(rng: random.Random, count: int, low: int, high: int) -> list[int]:
    """Distinct random ids (as the models draw them, but from the seeded RNG)."""
    seen: set[int] = set()
    while len(seen) < count:
        seen.add(rng.randrange(low, high))
    out = sorted(seen)
    rng.shuffle(out)
    return out


def _fresh_ids(rng: random.Random, low: int, high: int) -> Iterator[int]:
    seen: set[int] = set()
    while True:
        candidate = rng.randrange(low, high)
        if candidate not in seen:
            seen.add(candidate)
            yield candidate


def _at(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _suggestion(
    plan: Plan, rng: random.Random, text: TextMaker, sid: int, status: Status, anonymous: bool,
    author: int | None, submitted: date, receipt: str,
) -> dict[str, Any]:  # fmt: skip
    lang = text.language()
    title, topic = text.title(lang)
    return {
        "id": sid,
        "title": title,
        "body": text.body(lang, topic, (3, 8)),
        "expected_benefit": text.body(lang, topic, (1, 2)) if rng.random() < 0.6 else "",
        "category": rng.choice(list(CATEGORIES)),
        "department_id": None if rng.random() < 0.35 else rng.choice(plan.departments),
        "campaign_id": None,
        "is_anonymous": anonymous,
        "author_id": author,
        "credited_id": None,
        "receipt_hash": receipt if anonymous else None,
        "status": status,
        "status_version": 1 + len(PATHS[status]),
        "submitted_on": submitted,
        "first_response_at": None,
        "decided_at": None,
        "adopted_on": None,
        "duplicate_of_id": None,
        "announced": True,
    }


def _step(row: dict[str, Any], step: Status, when: datetime) -> None:
    if step != Status.WITHDRAWN and row["first_response_at"] is None:
        row["first_response_at"] = when
    if step in (Status.ACCEPTED, Status.DECLINED):
        row["decided_at"] = when
    if step == Status.ADOPTED:
        row["adopted_on"] = when.date()


def _trail_row(
    row_id: int, sid: int, row: dict[str, Any], step: Status, when: datetime, reviewer: int, anonymous: bool
) -> dict[str, Any]:
    previous = {
        Status.UNDER_REVIEW: Status.SUBMITTED,
        Status.ACCEPTED: Status.UNDER_REVIEW,
        Status.ADOPTED: Status.ACCEPTED,
        Status.DECLINED: Status.UNDER_REVIEW,
        Status.DUPLICATE: Status.SUBMITTED,
        Status.WITHDRAWN: Status.SUBMITTED,
    }[step]
    by_author = step == Status.WITHDRAWN
    return {
        "id": row_id,
        "suggestion_id": sid,
        "from_status": previous,
        "to_status": step,
        "response": RESPONSES[step],
        # A withdrawal is the author's: no person when anonymous, and then only the day.
        "actor_id": (None if anonymous else row["author_id"]) if by_author else reviewer,
        "duplicate_of_id": row["duplicate_of_id"] if step == Status.DUPLICATE else None,
        "created_at": _at(when.date()) if by_author and anonymous else when,
    }


def _adoption(rng: random.Random, sid: int, row: dict[str, Any], reviewers: list[int]) -> dict[str, Any]:
    money = Decimal(rng.randrange(0, 400)) * 250 if rng.random() < 0.7 else None
    hours = Decimal(rng.randrange(0, 800)) if rng.random() < 0.6 else None
    return {
        "suggestion_id": sid,
        "what_was_done": "Rolled out in the department after a one-month trial.",
        "department_id": row["department_id"],
        "estimated_money": money,
        "estimated_hours": hours,
        "actual_money": money * Decimal("0.8") if money is not None and rng.random() < 0.5 else None,
        "actual_hours": None,
        "benefit_notes": "",
        "recorded_by_id": rng.choice(reviewers),
        "updated_at": _at(row["adopted_on"]),
    }


def _comment(
    plan: Plan,
    rng: random.Random,
    text: TextMaker,
    row_id: int,
    sid: int,
    row: dict[str, Any],
    everyone: list[int],
) -> dict[str, Any]:
    lang = text.language()
    start = _at(row["submitted_on"])
    return {
        "id": row_id,
        "suggestion_id": sid,
        "kind": CommentKind.COMMENT,
        "author_id": rng.choice(everyone),
        "body": text.reply(lang, "it"),
        "created_at": min(plan.now, start + timedelta(hours=rng.uniform(1, 24 * 60))),
    }


def _author_comment(
    plan: Plan, rng: random.Random, text: TextMaker, row_id: int, sid: int, row: dict[str, Any]
) -> dict[str, Any]:
    """The anonymous author answering through the receipt: no person, and midnight of a day."""
    day = min(plan.now.date(), row["submitted_on"] + timedelta(days=rng.randint(1, 20)))
    return {
        "id": row_id,
        "suggestion_id": sid,
        "kind": CommentKind.AUTHOR,
        "author_id": None,
        "body": text.reply(text.language(), "it"),
        "created_at": _at(day),
    }
