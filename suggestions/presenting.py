"""What the suggestion pages' remembered fragments depend on (see intranet.rendering.fragment).

A key holds every value its macro shows or branches on; a test renders each fragment with
and without the cache for every kind of suggestion and viewer and compares.
"""

from __future__ import annotations

from collections.abc import Hashable, Set

from intranet.clock import utcnow

from .models import Suggestion


def row_key(s: Suggestion, voted: Set[int]) -> Hashable:
    """templates/suggestions/_macros.html's ``row``: the suggestion, today (days waited) and
    whether this viewer voted for it."""
    return (
        "suggestions.row",
        s.id,
        s.title,
        s.status,
        s.vote_count,
        s.comment_count,
        s.department.name if s.department else None,
        s.category,
        s.is_anonymous,
        s.credited.display_name if s.credited else None,
        s.author.display_name if s.author else None,
        s.submitted_on,
        s.first_response_at,
        utcnow().date(),
        s.id in voted,
    )


def template_helpers() -> dict[str, object]:
    return {"suggestion_row_key": row_key}
