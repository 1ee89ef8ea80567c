"""Groups, membership, threads and posts, and the moderation trail.

Visibility and moderators are stored resolved on each group (with an
``inherits_*`` flag), so "what may this user see" is a plain query; the
services propagate a parent's change to the sub-groups that inherit it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import Department, User
from intranet.types import UTCDateTime


class Visibility(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class RequestState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class ModAction(enum.StrEnum):
    PIN = "pin"
    UNPIN = "unpin"
    LOCK = "lock"
    UNLOCK = "unlock"
    MOVE_OUT = "move_out"
    MOVE_IN = "move_in"
    HIDE = "hide"
    HIDE_PROPOSED = "hide_proposed"
    HIDE_DECLINED = "hide_declined"
    RESTORE = "restore"
    DISMISS_FLAGS = "dismiss_flags"
    APPROVE_MEMBER = "approve_member"
    DECLINE_MEMBER = "decline_member"
    INVITE = "invite"
    REMOVE_MEMBER = "remove_member"
    BAN = "ban"
    UNBAN = "unban"
    EDIT_GROUP = "edit_group"
    APPOINT_MODERATOR = "appoint_moderator"
    DISMISS_MODERATOR = "dismiss_moderator"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


group_moderators = db.Table(
    "group_moderators",
    db.Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    db.Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Group(db.Model):
    __tablename__ = "groups"
    __table_args__ = (Index("ix_groups_parent_activity", "parent_id", "last_activity_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    #: None: a company-wide group.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    #: 1 for a top-level group; bounded by GROUP_MAX_DEPTH.
    depth: Mapped[int] = mapped_column(Integer, default=1)
    visibility: Mapped[Visibility] = mapped_column(_enum(Visibility, "group_visibility"))
    inherits_visibility: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Only for closed groups: not listed to the department, only to members.
    is_unlisted: Mapped[bool] = mapped_column(Boolean, default=False)
    inherits_moderators: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The department's default open group, created with the department.
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    department: Mapped[Department | None] = relationship()
    parent: Mapped[Group | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Group]] = relationship(back_populates="parent", order_by="Group.name")
    moderators: Mapped[list[User]] = relationship(secondary=group_moderators, order_by=User.display_name)

    @property
    def is_closed(self) -> bool:
        return self.visibility == Visibility.CLOSED

    def ancestors(self) -> list[Group]:
        """Parent first, root last."""
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def __repr__(self) -> str:
        return f"<Group {self.id} {self.name!r}>"


class Membership(db.Model):
    __tablename__ = "group_members"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    group: Mapped[Group] = relationship()


#: At most one open request per person and group: two clicks at once are one request.
PENDING_ONLY = text("state = 'pending'")


class JoinRequest(db.Model):
    __tablename__ = "group_join_requests"
    __table_args__ = (
        Index("ix_group_join_requests_group_state", "group_id", "state"),
        Index(
            "uq_group_join_requests_pending",
            "group_id",
            "user_id",
            unique=True,
            postgresql_where=PENDING_ONLY,
            sqlite_where=PENDING_ONLY,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[RequestState] = mapped_column(_enum(RequestState, "join_request_state"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_message: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    group: Mapped[Group] = relationship()


class Ban(db.Model):
    __tablename__ = "group_bans"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    banned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class GroupSubscription(db.Model):
    __tablename__ = "group_subscriptions"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class ThreadSubscription(db.Model):
    __tablename__ = "thread_subscriptions"
    __table_args__ = (UniqueConstraint("thread_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class Thread(db.Model):
    __tablename__ = "threads"
    __table_args__ = (Index("ix_threads_group_order", "group_id", "is_pinned", "last_activity_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    is_question: Mapped[bool] = mapped_column(Boolean, default=False)
    accepted_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", use_alter=True, name="fk_threads_accepted_post_id_posts", ondelete="SET NULL")
    )
    is_pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Replies, not counting the opening post.
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group] = relationship()
    author: Mapped[User] = relationship()


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (Index("ix_posts_thread_created", "thread_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    is_opening: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Bumped by every edit (only: hides and deletes leave it); a stale one means someone edited meanwhile.
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hidden_reason: Mapped[str] = mapped_column(Text, default="")
    #: A hide that needs a second moderator: the first one concerns the post.
    hide_proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hide_proposed_reason: Mapped[str] = mapped_column(Text, default="")
    hide_proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    thread: Mapped[Thread] = relationship(foreign_keys=[thread_id])
    author: Mapped[User] = relationship(foreign_keys=[author_id])

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class PostRevision(db.Model):
    """The text a post had before an edit: the history stays."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: When this text was written (the post's creation or an earlier edit).
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)

    edited_by: Mapped[User | None] = relationship()


class Flag(db.Model):
    """A member's report of a post. Who flagged is kept only to stop repeats; it is never shown."""

    __tablename__ = "post_flags"
    __table_args__ = (UniqueConstraint("post_id", "flagged_by_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    flagged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    post: Mapped[Post] = relationship()


class ModerationEntry(db.Model):
    """The moderation log, readable by everyone who may read the group."""

    __tablename__ = "moderation_log"
    __table_args__ = (Index("ix_moderation_log_group_created", "group_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[ModAction] = mapped_column(_enum(ModAction, "moderation_action"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    target_user: Mapped[User | None] = relationship(foreign_keys=[target_user_id])
    thread: Mapped[Thread | None] = relationship()
