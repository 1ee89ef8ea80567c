"""Counting the SQL statements a request runs (the benchmark's "queries per request" and the test's bound)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.count += 1
        self.statements.append(statement)


@contextmanager
def counting(engine: Engine) -> Iterator[QueryCounter]:
    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def queries_per_page(app: Any, client: Any, urls: dict[str, list[str]]) -> dict[str, int]:
    """The most statements any URL of each page ran (each URL requested once after a warm-up)."""
    from intranet.extensions import db

    with app.app_context():
        engine = db.engine
    out: dict[str, int] = {}
    for page, paths in urls.items():
        worst = 0
        for path in paths:
            client.get(path)  # warm-up: the first request may fill per-process caches
            with counting(engine) as counter:
                response = client.get(path)
            if response.status_code != 200:
                raise AssertionError(f"{path}: {response.status_code}")
            worst = max(worst, counter.count)
        out[page] = worst
    return out
