"""Job leases: one host at a time runs a scheduled job, however many hosts cron fires it on.

A job takes the lease row named after it before it starts: one INSERT, or, when the
row is there, an UPDATE that succeeds only if the holder's lease has run out. Both are
single statements, so two hosts can never both win (SQLite serialises writers;
PostgreSQL re-checks the UPDATE's condition on the row a concurrent winner just wrote).
A thread renews the lease while the job runs; the row is deleted at the end, and a
crashed holder's lease simply expires. Lease statements run on a connection of their
own: taking or renewing a lease never commits or rolls back the job's own work.

Expiry compares the app hosts' clocks, so they are expected to keep time (NTP).
The digest's send keeps its own lease on the digest row (``suggestions/digest/sending.py``).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from flask import current_app
from sqlalchemy import Engine, String, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .clock import utcnow
from .extensions import db
from .types import UTCDateTime

log = logging.getLogger(__name__)

#: A second run while the first holds the lease exits with this (EX_TEMPFAIL in sysexits.h:
#: "try again later"), so cron's mail and a systemd timer's status tell "skipped" from "failed".
EXIT_BUSY = 75


class JobLease(db.Model):
    """Who runs a scheduled job now, since when, and until when their claim holds unless renewed."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LeaseBusy(Exception):
    """Someone else holds the lease."""

    def __init__(self, name: str, holder: str, taken_at: datetime, expires_at: datetime) -> None:
        self.name, self.holder, self.taken_at, self.expires_at = name, holder, taken_at, expires_at
        super().__init__(
            f"{name} is already running on another host or process ({holder}, since {_when(taken_at)}, "
            f"until {_when(expires_at)} unless it renews): this run did nothing."
        )


@dataclass
class Held:
    """A lease this process holds; ``lost`` once a renewal found someone else had taken it."""

    name: str
    holder: str
    expires_at: datetime
    lost: bool = False


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def new_holder() -> str:
    """This host and process, and a random tag so two runs in one process are not taken for one."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"[:64]


def take(engine: Engine, name: str, minutes: float, *, holder: str | None = None) -> Held:
    """Take the lease ``name`` for ``minutes``, or raise :class:`LeaseBusy` naming who holds it."""
    table = JobLease.__table__
    for _attempt in range(3):  # the holder may release between our INSERT and UPDATE
        now = utcnow()
        held = Held(name, holder or new_holder(), now + timedelta(minutes=minutes))
        claim = {"holder": held.holder, "taken_at": now, "expires_at": held.expires_at}
        try:
            with engine.begin() as conn:
                conn.execute(insert(table).values(name=name, **claim))
            return held
        except IntegrityError:
            pass
        with engine.begin() as conn:
            expired = (table.c.name == name) & (table.c.expires_at < now)
            if conn.execute(update(table).where(expired).values(**claim)).rowcount == 1:
                return held
            row = conn.execute(select(table).where(table.c.name == name)).one_or_none()
        if row is not None:
            raise LeaseBusy(name, row.holder, row.taken_at, row.expires_at)
    raise LeaseBusy(name, "unknown", now, now)


def renew(engine: Engine, held: Held, minutes: float) -> bool:
    """Push the lease's end out again; False if it ran out and someone else took it meanwhile."""
    until = utcnow() + timedelta(minutes=minutes)
    table = JobLease.__table__
    mine = (table.c.name == held.name) & (table.c.holder == held.holder)
    with engine.begin() as conn:
        if conn.execute(update(table).where(mine).values(expires_at=until)).rowcount != 1:
            held.lost = True
            return False
    held.expires_at = until
    return True


def release(engine: Engine, held: Held) -> None:
    """Give the lease back, if it is still ours."""
    table = JobLease.__table__
    with engine.begin() as conn:
        conn.execute(delete(table).where((table.c.name == held.name) & (table.c.holder == held.holder)))


class _Renewer(threading.Thread):
    """Renews a lease every third of its length, so a long job keeps it and a dead one loses it."""

    def __init__(self, engine: Engine, held: Held, minutes: float) -> None:
        super().__init__(name=f"lease-{held.name}", daemon=True)
        self.engine, self.held, self.minutes = engine, held, minutes
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.minutes * 60 / 3):
            try:
                if not renew(self.engine, self.held, self.minutes):
                    log.error("Lost the lease %s: it ran out and another run took it.", self.held.name)
                    return
            except Exception:  # a database hiccup: the next beat tries again before the lease ends
                log.warning("Could not renew the lease %s; trying again.", self.held.name, exc_info=True)


@contextmanager
def lease(name: str, minutes: float | None = None) -> Iterator[Held]:
    """Hold the lease ``name`` while the block runs (renewed as it goes); raise LeaseBusy if taken.

    A block that raises has its session rolled back before the lease is given back, so
    the next run starts from what was committed.
    """
    minutes = float(minutes if minutes is not None else current_app.config["JOB_LEASE_MINUTES"])
    engine = db.engine
    held = take(engine, name, minutes)
    renewer = _Renewer(engine, held, minutes)
    renewer.start()
    try:
        yield held
    except BaseException:
        db.session.rollback()
        raise
    finally:
        renewer.done.set()
        renewer.join()
        release(engine, held)


@contextmanager
def exclusive(name: str) -> Iterator[Held]:
    """For a CLI command: run the block under the lease, or say who holds it and exit EXIT_BUSY."""
    with ExitStack() as stack:
        try:
            held = stack.enter_context(lease(name))
        except LeaseBusy as busy:
            click.echo(str(busy), err=True)
            sys.exit(EXIT_BUSY)
        yield held
