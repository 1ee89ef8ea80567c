"""Permission-aware full-text search (coming with its issue)."""

from .views import bp

__all__ = ["bp"]
