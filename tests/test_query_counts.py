"""SQL statements per page stay the same whatever the size of the data (no query per row).

The same pages (bench/pages.py: the ones bench/web measures), for each role, on a small
generated company and on one three times its size: the counts must be equal, and within
the bound below. A page that ran a query per thread, post, vote or notification shown would
differ between the two (both sizes fill a page of every list).
"""

from __future__ import annotations

import pytest
from flask import Flask

from bench import pages
from bench.queries import queries_per_page
from intranet.extensions import db
from tests.conftest import login

#: The most statements a page may run (session user, permissions, the page's own queries);
#: the digest is a report: a fixed set of aggregates for the month and the one before.
BOUND = 20
BOUNDS = {"digest": 32}
SMALL = {"employees": 120, "groups": 16, "posts": 1600, "suggestions": 150}


def _fill(app: Flask, factor: int) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    sizes = [f"--{name}={value * factor}" for name, value in SMALL.items()]
    result = runner.invoke(args=["demo", "generate", "--seed=7", *sizes])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["search", "rebuild"]).exit_code == 0


def _empty(app: Flask) -> None:
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()


def _counts(app: Flask) -> dict[str, dict[str, int]]:
    out = {}
    for role in pages.ROLES:
        with app.app_context():
            urls = pages.urls(role, per_page=3)
        assert all(urls.values()), (role, urls)  # every page kind has something to show
        client = app.test_client()
        assert login(client, pages.ROLES[role], "demo").status_code == 302
        out[role] = queries_per_page(app, client, urls)
    return out


@pytest.fixture
def site(make_app) -> Flask:
    return make_app(DIGEST_PUBLIC=True, LOGIN_LIMIT_PER_USER="100 per minute")


def test_queries_per_page_do_not_grow_with_the_data(site: Flask):
    _fill(site, 1)
    small = _counts(site)
    _empty(site)
    _fill(site, 3)
    large = _counts(site)
    grew = {
        (role, page): (small[role][page], n)
        for role in large
        for page, n in large[role].items()
        if n != small[role][page]
    }
    assert not grew, f"statements changed with the data size (small, large): {grew}"
    worst = {
        (role, page): n
        for role, counts in large.items()
        for page, n in counts.items()
        if n > BOUNDS.get(page, BOUND)
    }
    assert not worst, f"pages over their bound ({BOUND}, {BOUNDS}): {worst}"
