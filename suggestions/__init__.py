"""The suggestion box (coming with its issue)."""

from .views import bp

__all__ = ["bp"]
