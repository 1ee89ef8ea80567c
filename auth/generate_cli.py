"""`flask demo generate`: a company-sized data set (see :mod:`intranet.generate`)."""

from __future__ import annotations

import sys
import time
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from intranet.clock import utcnow
from intranet.config import is_production
from intranet.extensions import db
from intranet.generate import Plan
from intranet.models import User
from intranet.signals import demo_generating

from . import get_directory
from .generate import generate_people


class _Bars:
    """One progress bar per kind of row, on stderr (cron-friendly: stdout stays the summary)."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._what = ""
        self._done = 0

    def __call__(self, what: str, done: int, total: int) -> None:
        if what != self._what:
            self.close()
            self._bar = click.progressbar(length=max(total, 1), label=f"{what:>20}", file=sys.stderr)
            self._bar.__enter__()
            self._what, self._done = what, 0
        self._bar.update(done - self._done)
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@click.command("generate")
@with_appcontext
@click.option("--employees", default=5000, show_default=True, type=click.IntRange(1))
@click.option("--groups", default=300, show_default=True, type=click.IntRange(1))
@click.option("--posts", default=200_000, show_default=True, type=click.IntRange(1))
@click.option("--suggestions", default=30_000, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=1, show_default=True, help="The same seed gives the same data.")
def generate_command(employees: int, groups: int, posts: int, suggestions: int, seed: int) -> None:
    """Fill the database with a generated company (once; then run `flask search rebuild`)."""
    if is_production(current_app.config) or get_directory().kind != "demo":
        raise click.ClickException(
            "Generated data goes only into a demo site (no INTRANET_LDAP_URL, not production)."
        )
    if db.session.scalar(select(User.id).where(User.dn.like("%,ou=generated,%")).limit(1)) is not None:
        raise click.ClickException("This database already holds generated data: start from an empty one.")
    bars = _Bars()
    plan = Plan(seed, employees, groups, posts, suggestions, now=utcnow(), progress=bars)
    started = time.monotonic()
    try:
        generate_people(plan)
        demo_generating.send(plan)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        bars.close()
    click.echo(
        f"Generated {employees} employees, {groups} groups, {posts} posts and {suggestions} suggestions "
        f"in {time.monotonic() - started:.0f} s (seed {seed}). Now run: flask search rebuild"
    )
