"""What groups give the search index: threads and replies as plain documents (intranet/indexing.py).

A thread's document is its title and opening post; each reply is a document of its own.
Documents carry the group (their realm) but no author. A hidden post is restricted to
the group's moderators; a deleted one leaves the index.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flask import url_for
from sqlalchemy import Select, and_, func, inspect, select
from sqlalchemy.orm import Session, aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from intranet.extensions import db
from intranet.indexing import Document, Found, Realms, split_key
from intranet.markdown import plain_text
from intranet.models import User

from . import permissions
from .models import Group, Post, Thread
from .services import descendant_ids, with_parents

KINDS = ("thread", "post")
#: Refresh keys that stand for several documents.
REFRESH_KINDS = ("thread-posts", "group")
BATCH = 2000

#: What a changed row means for the index. Refresh keys besides document keys:
#: "thread-posts:<id>" (every reply of a moved thread), "group:<id>" (all its content).
_THREAD_FIELDS = ("title", "group_id")
_GROUP_FIELDS = ("department_id",)


def _changed(obj: Any, fields: Iterable[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[f].history.has_changes() for f in fields)


def touched(session: Session) -> set[str]:
    """Refresh keys for what this flush changes (called after the flush, before commit)."""
    keys: set[str] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Post) and (
            obj in session.new or session.is_modified(obj) or obj in session.deleted
        ):
            keys.add(f"thread:{obj.thread_id}" if obj.is_opening else f"post:{obj.id}")
        elif isinstance(obj, Thread):
            if obj in session.new or obj in session.deleted or _changed(obj, _THREAD_FIELDS):
                keys.add(f"thread:{obj.id}")
            if obj not in session.new and _changed(obj, ("group_id",)):
                keys.add(f"thread-posts:{obj.id}")
        elif isinstance(obj, Group) and obj not in session.new and _changed(obj, _GROUP_FIELDS):
            keys.add(f"group:{obj.id}")
    return keys


def _thread_query() -> Select:
    opening = aliased(Post)
    return (
        select(
            Thread.id,
            Thread.title,
            Thread.group_id,
            Thread.created_at,
            Group.department_id,
            opening.body,
            opening.hidden_at,
            opening.deleted_at,
        )
        .join(Group, Group.id == Thread.group_id)
        .outerjoin(opening, and_(opening.thread_id == Thread.id, opening.is_opening.is_(True)))
    )


def _reply_query() -> Select:
    return (
        select(Post.id, Post.body, Post.hidden_at, Post.created_at, Thread.group_id, Group.department_id)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Group, Group.id == Thread.group_id)
        .where(Post.is_opening.is_(False), Post.deleted_at.is_(None))
    )


def _thread_doc(row: Any) -> Document:
    body = "" if row.deleted_at is not None else (row.body or "")
    return Document(
        key=f"thread:{row.id}",
        kind="thread",
        title=row.title,
        body=body,
        realm=f"group:{row.group_id}",
        department_id=row.department_id,
        date=row.created_at,
        restricted=row.hidden_at is not None,
    )


def _reply_doc(row: Any) -> Document:
    return Document(
        key=f"post:{row.id}",
        kind="post",
        title="",
        body=row.body,
        realm=f"group:{row.group_id}",
        department_id=row.department_id,
        date=row.created_at,
        restricted=row.hidden_at is not None,
    )


def documents(keys: Iterable[str]) -> Iterator[tuple[str, Document | None]]:
    """(document key, its current document or None to remove it) for refresh keys of this domain."""
    ids: dict[str, set[int]] = {}
    for key in keys:
        kind, ident = split_key(key)
        ids.setdefault(kind, set()).add(ident)
    threads = ids.get("thread", set())
    posts = ids.get("post", set())
    if ids.get("group"):
        groups = set(ids["group"])
        threads |= set(db.session.scalars(select(Thread.id).where(Thread.group_id.in_(groups))))
        moved = select(Post.id).join(Thread).where(Thread.group_id.in_(groups), Post.is_opening.is_(False))
        posts |= set(db.session.scalars(moved))
    if ids.get("thread-posts"):
        moved = select(Post.id).where(Post.thread_id.in_(ids["thread-posts"]), Post.is_opening.is_(False))
        posts |= set(db.session.scalars(moved))
    if threads:
        found = {
            row.id: _thread_doc(row)
            for row in db.session.execute(_thread_query().where(Thread.id.in_(threads)))
        }
        for ident in threads:
            yield f"thread:{ident}", found.get(ident)
    if posts:
        found = {
            row.id: _reply_doc(row) for row in db.session.execute(_reply_query().where(Post.id.in_(posts)))
        }
        for ident in posts:
            yield f"post:{ident}", found.get(ident)


def all_documents() -> Iterator[Document]:
    """Every document, streamed in batches (for a rebuild)."""
    for row in db.session.execute(_thread_query().order_by(Thread.id).execution_options(yield_per=BATCH)):
        yield _thread_doc(row)
    for row in db.session.execute(_reply_query().order_by(Post.id).execution_options(yield_per=BATCH)):
        yield _reply_doc(row)


def count() -> int:
    replies = (
        select(func.count()).select_from(Post).where(Post.is_opening.is_(False), Post.deleted_at.is_(None))
    )
    return int(db.session.scalar(select(func.count()).select_from(Thread)) or 0) + int(
        db.session.scalar(replies) or 0
    )


def realms(user: User) -> Realms:
    """The groups this user reads, and those whose hidden posts they may find: the rules of permissions.py."""
    visible = permissions.visible_groups(user, "read", "moderate")
    return Realms(
        readable=frozenset(f"group:{gid}" for gid in visible["read"]),
        moderated=frozenset(f"group:{gid}" for gid in visible["moderate"]),
    )


def realms_named(name: str, user: User) -> set[str]:
    """Realms for ``in:"name"``: groups of that name (any case) that ``user`` sees listed, with sub-groups.

    Only listed groups count, so the answer never tells whether a hidden group has that name.
    """
    wanted = name.strip().lower()
    listed = permissions.visible_group_ids(user, "list")
    named = select(Group).where(func.lower(Group.name) == wanted)
    groups = [g for g in db.session.scalars(named) if g.id in listed]
    if not groups:
        starting = select(Group).where(func.lower(Group.name).startswith(wanted))
        groups = [g for g in db.session.scalars(starting) if g.id in listed][:20]
    ids = {g.id for g in groups}
    for grp in groups:
        ids.update(descendant_ids(grp))
    return {f"group:{gid}" for gid in ids}


def found(keys: Iterable[str], user: User) -> dict[str, Found]:
    """What results show, from the database now; anything the user may not see (any more) is left out."""
    ids: dict[str, list[int]] = {}
    for key in keys:
        kind, ident = split_key(key)
        ids.setdefault(kind, []).append(ident)
    out: dict[str, Found] = {}
    if ids.get("thread"):
        opening = select(Post).where(Post.thread_id.in_(ids["thread"]), Post.is_opening.is_(True))
        bodies = {p.thread_id: p for p in db.session.scalars(opening)}
        threads = db.session.scalars(select(Thread).where(Thread.id.in_(ids["thread"]))).all()
        groups = with_parents(*{t.group_id for t in threads})  # permission checks walk up: no query per level
        for thread in threads:
            set_committed_value(thread, "group", groups[thread.group_id])
            post = bodies.get(thread.id)
            if not permissions.can_read(user, thread.group):
                continue
            if post is not None and post.is_hidden and not permissions.is_moderator(user, thread.group):
                continue
            text = plain_text(post.body) if post is not None and not post.is_deleted else ""
            out[f"thread:{thread.id}"] = Found(
                key=f"thread:{thread.id}",
                kind="thread",
                title=thread.title,
                url=url_for("groups.thread", thread_id=thread.id),
                where=thread.group.name,
                text=text,
                date=thread.created_at,
            )
    if ids.get("post"):
        query = (
            select(Post)
            .where(Post.id.in_(ids["post"]), Post.deleted_at.is_(None))
            .options(joinedload(Post.thread))
        )
        posts = db.session.scalars(query).all()
        groups = with_parents(*{p.thread.group_id for p in posts})
        for post in posts:
            group = groups[post.thread.group_id]
            if not permissions.can_read(user, group) or post.is_deleted:
                continue
            if post.is_hidden and not permissions.is_moderator(user, group):
                continue
            out[f"post:{post.id}"] = Found(
                key=f"post:{post.id}",
                kind="post",
                title=post.thread.title,
                url=url_for("groups.post", post_id=post.id),
                where=group.name,
                text=plain_text(post.body),
                date=post.created_at,
            )
    return out
