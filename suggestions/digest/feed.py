"""An Atom feed (RFC 4287) of the improvements in approved digests, for the intranet portal."""

from __future__ import annotations

from datetime import date

from flask import render_template

from . import report

#: How many of the latest approved months the feed holds.
MONTHS = 12


def atom(published: list[date]) -> str:
    items = report.adopted_items(published)
    items.sort(key=lambda i: (i.adopted_on, i.suggestion_id), reverse=True)
    updated = items[0].adopted_on if items else None
    return render_template("digest/feed.xml", items=items, updated=updated)
