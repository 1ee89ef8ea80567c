"""Department discussion groups (coming with their issue)."""

from .views import bp

__all__ = ["bp"]
