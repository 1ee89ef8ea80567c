"""Campaigns: management asks a time-boxed question; suggestions answer it until it closes."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import Department, User

from .models import Campaign
from .services import SuggestionRuleError


def open_campaign(
    manager: User, *, title: str, description: str, closes_at: datetime, department: Department | None
) -> Campaign:
    now = utcnow()
    if closes_at <= now:
        raise SuggestionRuleError(_l("The closing date must be in the future."))
    campaign = Campaign(
        title=title.strip(),
        description=(description or "").strip(),
        department_id=department.id if department else None,
        opens_at=now,
        closes_at=closes_at,
        created_by_id=manager.id,
        created_at=now,
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def close_campaign(campaign: Campaign) -> None:
    """Close it now (submissions stop; what came in stays)."""
    now = utcnow()
    if campaign.closes_at <= now:
        raise SuggestionRuleError(_l("This campaign is already closed."))
    campaign.closes_at = now
    db.session.flush()
