"""Campaigns: list, open (management), show with its suggestions, close early."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields import SelectChoice

from intranet.clock import utcnow
from intranet.extensions import db
from intranet.models import Department
from intranet.roles import require

from . import campaigns as service
from . import permissions as perm
from . import queries
from .forms import COMPANY, CampaignForm
from .models import Campaign
from .services import SuggestionRuleError
from .views import _page, _render_list, bp


@bp.get("/campaigns")
def campaigns() -> str:
    page = db.paginate(queries.campaigns(), page=_page(), per_page=20, error_out=False)
    return render_template(
        "suggestions/campaigns.html",
        page=page,
        counts=queries.campaign_counts([c.id for c in page.items]),
        now=utcnow(),
        can_run=perm.can_run_campaigns(current_user),
    )


@bp.route("/campaigns/new", methods=["GET", "POST"])
def new_campaign() -> Response | str | tuple[str, int]:
    require(perm.can_run_campaigns(current_user))
    form = CampaignForm()
    departments = db.session.scalars(select(Department).order_by(Department.name))
    form.target.choices = [
        SelectChoice(COMPANY, _("The whole company")),
        *(SelectChoice(str(d.id), d.name) for d in departments),
    ]
    if not form.validate_on_submit():
        return render_template("suggestions/campaign_form.html", form=form), (
            422 if form.is_submitted() else 200
        )
    department = None if form.target.data == COMPANY else db.session.get(Department, int(form.target.data))
    # Open until the end of the chosen day (UTC).
    closes_at = datetime.combine(form.closes_on.data + timedelta(days=1), time(), tzinfo=UTC)
    try:
        campaign = service.open_campaign(
            current_user,
            title=form.title.data,
            description=form.description.data or "",
            closes_at=closes_at,
            department=department,
        )
    except SuggestionRuleError as exc:
        db.session.rollback()
        form.closes_on.errors = [str(exc)]
        return render_template("suggestions/campaign_form.html", form=form), 422
    db.session.commit()
    flash(_("Campaign opened: suggestions can now be sent into it."), "success")
    return redirect(url_for(".campaign", campaign_id=campaign.id))


def campaign_or_404(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


@bp.get("/campaigns/<int:campaign_id>")
def campaign(campaign_id: int) -> str:
    campaign = campaign_or_404(campaign_id)
    filters = queries.Filters(sort="votes", campaign_id=campaign.id)
    return _render_list(
        "suggestions/campaign.html",
        queries.listing(current_user, filters),
        campaign=campaign,
        is_open=campaign.is_open(utcnow()),
        can_run=perm.can_run_campaigns(current_user),
    )


@bp.post("/campaigns/<int:campaign_id>/close")
def close_campaign(campaign_id: int) -> Response:
    campaign = campaign_or_404(campaign_id)
    require(perm.can_run_campaigns(current_user))
    try:
        service.close_campaign(campaign)
    except SuggestionRuleError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Campaign closed."), "success")
    return redirect(url_for(".campaign", campaign_id=campaign.id))
