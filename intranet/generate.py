"""`flask demo generate`: a company-sized data set, for benchmarks and for trying Ting at scale.

auth puts in the departments and employees, then sends ``demo_generating`` with a
:class:`Plan`; groups and suggestions add their content through it. Rows go in with bulk
Core inserts in chunks (no ORM objects, no per-row flush), ids are allocated up front, and
every counter a page reads (reply counts, vote counts, last activity) is worked out while
generating, so the data looks exactly like what the services would have written.

Deterministic: each domain draws from its own RNG seeded with ``seed`` and its name, so
the same seed gives the same rows whatever else changed. Search is not updated row by row:
run ``flask search rebuild`` afterwards.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, insert, select

from .extensions import db
from .textgen import TextMaker

CHUNK = 5000


@dataclass
class Plan:
    seed: int
    employees: int
    groups: int
    posts: int
    suggestions: int
    now: datetime
    #: Every generated employee's user id, with their department id.
    people: list[tuple[int, int]] = field(default_factory=list)
    #: The demo staff's ids by username (they log in, so they get a share of everything).
    demo_staff: dict[str, int] = field(default_factory=dict)
    departments: list[int] = field(default_factory=list)
    #: Called with (what, rows done, rows in all) while inserting.
    progress: Callable[[str, int, int], None] = lambda what, done, total: None

    def rng(self, domain: str) -> random.Random:
        return random.Random(f"{self.seed}:{domain}")  # noqa: S311 - reproducible test data

    def text(self, domain: str) -> TextMaker:
        return TextMaker(self.rng(f"{domain}:text"))

    def everyone(self) -> list[int]:
        return [uid for uid, _ in self.people] + list(self.demo_staff.values())


def next_id(table: Table) -> int:
    """The first free integer id of ``table`` (generated rows take consecutive ids from it)."""
    return int(db.session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1


def bulk_insert(plan: Plan, what: str, table: Table, rows: Iterable[dict[str, Any]], total: int) -> int:
    """Insert ``rows`` in chunks (one executemany each), reporting progress; returns the count."""
    done = 0
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            done += _flush(table, chunk)
            plan.progress(what, done, total)
    if chunk:
        done += _flush(table, chunk)
    plan.progress(what, done, total)
    return done


def _flush(table: Table, chunk: list[dict[str, Any]]) -> int:
    db.session.execute(insert(table), chunk)
    count = len(chunk)
    chunk.clear()
    return count


def zipf_weights(count: int, exponent: float = 1.1) -> list[float]:
    """Weights 1/rank^s: a few very busy groups and authors, a long quiet tail."""
    return [1.0 / (rank**exponent) for rank in range(1, count + 1)]


def spread(rng: random.Random, total: int, buckets: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` items over ``buckets`` by ``weights`` (each gets its share; they sum to total)."""
    norm = sum(weights)
    counts = [int(total * w / norm) for w in weights]
    for _ in range(total - sum(counts)):
        counts[rng.randrange(buckets)] += 1
    return counts
