"""groups' part of `flask demo generate`: groups and sub-groups, members, threads, posts, notifications.

Shapes follow a real intranet: a few busy groups and a long quiet tail (Zipf), thread
lengths with a heavy tail (most threads get a handful of replies, a few run to hundreds
and span several pages), closed groups whose authors are their members, a few hidden
and deleted posts, and every counter (reply counts, last activity up the parent chain)
as the services keep it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update

from intranet.extensions import db
from intranet.generate import Plan, bulk_insert, next_id, spread, zipf_weights
from intranet.notifications import Notification

from . import services
from .models import Group, Membership, Post, Thread, ThreadSubscription, Visibility, group_moderators

#: Posts per thread on average (the opening post included); sets the thread count.
POSTS_PER_THREAD = 12
#: Longest generated thread (posts): long enough to page, short of absurd.
MAX_THREAD_POSTS = 600
#: Content spans this many days back from now.
HISTORY_DAYS = 3 * 365
GROUP_NAMES = (
    "Ideas",
    "Night shift",
    "Onboarding buddies",
    "Safety reps",
    "Release planning",
    "Customer escalations",
    "Coffee club",
    "Book circle",
    "Carpooling",
    "Budget 2027",
    "Tooling",
    "Warehouse floor",
    "Sustainability",
    "Hiring",
    "Training",
    "Data platform",
    "Quality circle",
    "Lunch and learn",
    "Running club",
    "Field notes",
)
DEMO_MEMBERS = ("zoe", "bjorn", "priya", "lars", "ingrid", "jurgen")


@dataclass
class _Group:
    id: int
    department_id: int | None
    parent: _Group | None
    depth: int
    closed: bool
    members: list[int] = field(default_factory=list)
    last_activity_at: datetime | None = None  # as on Group: services.touch keeps it

    @property
    def visibility(self) -> Visibility:
        return Visibility.CLOSED if self.closed else Visibility.OPEN


def generate_groups(plan: Plan) -> None:
    rng = plan.rng("groups")
    services.ensure_default_groups()
    made = _make_groups(plan, rng)
    _members(plan, rng, made)
    _threads_and_posts(plan, rng, made)
    _notifications(plan, rng)


def _make_groups(plan: Plan, rng: random.Random) -> list[_Group]:
    first = next_id(Group.__table__)
    made: list[_Group] = []
    rows: list[dict[str, Any]] = []
    start = plan.now - timedelta(days=HISTORY_DAYS)
    for n in range(plan.groups):
        parents = [g for g in made if g.depth < 3]
        parent = rng.choice(parents) if parents and rng.random() < 0.3 else None
        dept = (
            parent.department_id
            if parent
            else (None if rng.random() < 0.12 else rng.choice(plan.departments))
        )
        inherits = parent is not None and rng.random() < 0.5
        closed = parent.closed if inherits else rng.random() < 0.4
        grp = _Group(first + n, dept, parent, parent.depth + 1 if parent else 1, closed)
        made.append(grp)
        rows.append(
            {
                "id": grp.id,
                "name": f"{rng.choice(GROUP_NAMES)} {n + 1}",
                "description": "",
                "department_id": dept,
                "parent_id": parent.id if parent else None,
                "depth": grp.depth,
                "visibility": Visibility.CLOSED if closed else Visibility.OPEN,
                "inherits_visibility": inherits,
                "is_unlisted": closed and rng.random() < 0.2,
                "inherits_moderators": parent is not None,
                "is_default": False,
                "created_at": start,
                "last_activity_at": start,
            }
        )
    bulk_insert(plan, "groups", Group.__table__, rows, len(rows))
    return made


def _members(plan: Plan, rng: random.Random, made: list[_Group]) -> None:
    by_dept: dict[int, list[int]] = {}
    for uid, dept in plan.people:
        by_dept.setdefault(dept, []).append(uid)
    everyone = plan.everyone()
    demo = [plan.demo_staff[name] for name in DEMO_MEMBERS if name in plan.demo_staff]
    rows: list[dict[str, Any]] = []
    moderators: list[dict[str, Any]] = []
    for grp in made:
        pool = by_dept.get(grp.department_id, everyone) if grp.department_id else everyone
        size = min(len(pool), int(rng.paretovariate(1.2) * 8))
        grp.members = rng.sample(pool, size) if size else []
        # The demo staff belong to about a third of the groups, so their pages show closed content.
        grp.members += [uid for uid in demo if uid not in grp.members and rng.random() < 0.33]
        rows += [{"group_id": grp.id, "user_id": uid, "joined_at": plan.now} for uid in grp.members]
        if grp.parent is None and grp.members:
            moderators.append({"group_id": grp.id, "user_id": grp.members[0]})
    bulk_insert(plan, "memberships", Membership.__table__, rows, len(rows))
    bulk_insert(plan, "group moderators", group_moderators, moderators, len(moderators))


def _threads_and_posts(plan: Plan, rng: random.Random, made: list[_Group]) -> None:
    text = plan.text("groups")
    everyone = plan.everyone()
    threads = max(1, plan.posts // POSTS_PER_THREAD)
    lengths = [min(MAX_THREAD_POSTS, 1 + n) for n in spread(
        rng, plan.posts - threads, threads, [rng.paretovariate(1.6) for _ in range(threads)]
    )]  # fmt: skip
    rng.shuffle(made)
    homes = rng.choices(made, zipf_weights(len(made)), k=threads)
    first_thread, first_post = next_id(Thread.__table__), next_id(Post.__table__)
    thread_rows: list[dict[str, Any]] = []
    subscriptions: list[dict[str, Any]] = []
    total_posts = sum(lengths)
    start = plan.now - timedelta(days=HISTORY_DAYS)

    def posts() -> Iterator[dict[str, Any]]:
        post_id = first_post
        for n, (grp, length) in enumerate(zip(homes, lengths, strict=True)):
            thread_id = first_thread + n
            authors = grp.members if grp.closed and grp.members else everyone
            lang = text.language()
            title, topic = text.title(lang)
            when = start + timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400))
            opener, opened = rng.choice(authors), when
            for k in range(length):
                if k:
                    when = min(plan.now, when + timedelta(minutes=rng.expovariate(1 / 240)))
                roll = rng.random()
                yield {
                    "id": post_id,
                    "thread_id": thread_id,
                    "author_id": opener if k == 0 else rng.choice(authors),
                    "body": text.body(lang, topic) if k == 0 else text.reply(lang, topic),
                    "is_opening": k == 0,
                    "created_at": when,
                    "version": 1,
                    "deleted_at": when if k and roll < 0.002 else None,
                    "hidden_at": when if k and 0.002 <= roll < 0.005 else None,
                    "hidden_reason": "Off topic." if k and 0.002 <= roll < 0.005 else "",
                }
                post_id += 1
            thread_rows.append(
                {
                    "id": thread_id,
                    "group_id": grp.id,
                    "author_id": opener,
                    "title": title,
                    "is_question": rng.random() < 0.15,
                    "is_pinned": rng.random() < 0.01,
                    "is_locked": rng.random() < 0.01,
                    "reply_count": length - 1,
                    "created_at": opened,
                    "last_activity_at": when,
                }
            )
            subscriptions.append({"thread_id": thread_id, "user_id": opener})
            services.touch(grp, when)  # type: ignore[arg-type] - the same shape as a Group

    # Threads first (posts refer to them): generate the posts into memory, then insert both.
    post_rows = list(posts())
    bulk_insert(plan, "threads", Thread.__table__, thread_rows, len(thread_rows))
    bulk_insert(plan, "posts", Post.__table__, post_rows, total_posts)
    bulk_insert(plan, "thread subscriptions", ThreadSubscription.__table__, subscriptions, len(subscriptions))
    _group_activity(made)


def _group_activity(made: list[_Group]) -> None:
    rows = [{"gid": g.id, "when": g.last_activity_at} for g in made if g.last_activity_at is not None]
    if rows:
        stmt = update(Group.__table__).where(Group.__table__.c.id == bindparam("gid"))
        db.session.execute(stmt.values(last_activity_at=bindparam("when")), rows)


def _notifications(plan: Plan, rng: random.Random) -> None:
    """A full inbox for the demo staff (the notifications page pages through it)."""
    text = plan.text("groups:inbox")
    rows = []
    for uid in plan.demo_staff.values():
        for n in range(300):
            lang = text.language()
            title, _topic = text.title(lang)
            rows.append(
                {
                    "user_id": uid,
                    "kind": "groups.reply",
                    "params": {"person": "Anna Hansen", "thread": title},
                    "link": "/groups/",
                    "created_at": plan.now - timedelta(hours=n * 7 + rng.random()),
                    "read_at": None if n < 12 else plan.now,
                }
            )
    bulk_insert(plan, "notifications", Notification.__table__, rows, len(rows))
