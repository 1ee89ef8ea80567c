"""The people and departments every domain builds on, as the directory describes them."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, func, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from .clock import utcnow
from .extensions import db
from .types import UTCDateTime

department_leads = Table(
    "department_leads",
    db.metadata,
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Department(db.Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    leads: Mapped[list[User]] = relationship(
        secondary=department_leads, back_populates="led_departments", order_by="User.display_name"
    )

    def __repr__(self) -> str:
        return f"<Department {self.name!r}>"


class User(UserMixin, db.Model):
    """A person from the directory, keyed on its stable id (entryUUID / objectGUID).

    Rows are never deleted: someone who leaves the directory is deactivated and
    their content stays.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_id: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(256), index=True)
    dn: Mapped[str] = mapped_column(String(1024))
    display_name: Mapped[str] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(320))
    title: Mapped[str | None] = mapped_column(String(256))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_management: Mapped[bool] = mapped_column(Boolean, default=False)
    is_deactivated: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped at logout: every session cookie issued before then stops working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # The language this person picked (a code from LANGUAGES); None: their browser's.
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    department: Mapped[Department | None] = relationship()
    manager: Mapped[User | None] = relationship(remote_side=[id])
    led_departments: Mapped[list[Department]] = relationship(
        secondary=department_leads, back_populates="leads", order_by=Department.name
    )

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users cannot hold a session
        return not self.is_deactivated

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.username!r}>"


def load_session_user(session_id: str) -> User | None:
    """Flask-Login loader: the user, if the session's version is still current."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    # The departments a person leads: every page's navigation asks (one query, not two).
    user = db.session.get(User, int(user_id), options=[joinedload(User.led_departments)])
    if user is None or user.session_version != int(version) or user.is_deactivated:
        return None
    return user


def active_staff_counts() -> dict[int, int]:
    """Number of active users per department id."""
    rows = db.session.execute(
        select(User.department_id, func.count())
        .where(User.is_deactivated.is_(False), User.department_id.is_not(None))
        .group_by(User.department_id)
    )
    return {dept_id: n for dept_id, n in rows}
