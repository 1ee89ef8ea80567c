"""Members of a group: the list, requests to join, invitations, removal, bans, appointed moderators."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from intranet.extensions import db
from intranet.models import User
from intranet.roles import require

from . import permissions as perm
from . import services
from .forms import DecisionForm, InviteForm, OptionalReasonForm, ReasonForm
from .loaders import group_or_404
from .models import Ban, JoinRequest, Membership, RequestState
from .views import _page, bp, commit_or_explain

# -- members ------------------------------------------------------------------------------------------


@bp.get("/<int:group_id>/members")
def members(group_id: int) -> str:
    group = group_or_404(group_id)
    moderating = perm.can_approve_members(current_user, group)
    query = (
        select(Membership)
        .join(Membership.user)
        .where(Membership.group_id == group.id)
        .options(selectinload(Membership.user))
        .order_by(User.display_name)
    )
    page = db.paginate(query, page=_page(), per_page=50, error_out=False)
    requests_, bans = [], []
    if moderating:
        requests_ = db.session.scalars(
            select(JoinRequest)
            .where(JoinRequest.group_id == group.id, JoinRequest.state == RequestState.PENDING)
            .options(selectinload(JoinRequest.user))
            .order_by(JoinRequest.created_at)
        ).all()
        bans = db.session.scalars(
            select(Ban)
            .where(Ban.group_id == group.id)
            .options(selectinload(Ban.user))
            .order_by(Ban.created_at)
        ).all()
    return render_template(
        "groups/members.html",
        group=group,
        page=page,
        moderating=moderating,
        can_appoint=perm.can_appoint_moderators(current_user, group),
        leads=group.department.leads if group.department else [],
        join_requests=requests_,
        bans=bans,
        invite_form=InviteForm(),
        decision_form=DecisionForm(),
        reason_form=ReasonForm(),
    )


@bp.post("/<int:group_id>/requests/<int:request_id>")
def decide(group_id: int, request_id: int) -> Response:
    group = group_or_404(group_id)
    require(perm.can_approve_members(current_user, group))
    req = db.session.get(JoinRequest, request_id)
    if req is None or req.group_id != group.id:
        abort(404)
    form = DecisionForm()
    decision = request.form.get("decision")
    if decision not in ("approve", "decline") or not form.validate_on_submit():
        flash(_("Choose approve or decline; a message may be up to 1,000 characters."), "error")
        return redirect(url_for(".members", group_id=group.id))
    approve, name = decision == "approve", req.user.display_name
    return commit_or_explain(
        lambda: services.decide_request(current_user, req, approve=approve, message=form.message.data or ""),
        _("%(person)s is now a member.", person=name)
        if approve
        else _("The request of %(person)s was declined.", person=name),
        url_for(".members", group_id=group.id),
    )


@bp.post("/<int:group_id>/invite")
def invite(group_id: int) -> Response:
    group = group_or_404(group_id)
    require(perm.can_approve_members(current_user, group))
    form = InviteForm()
    if not form.validate_on_submit():
        flash(_("Give the user name of the colleague to add."), "error")
        return redirect(url_for(".members", group_id=group.id))
    user = _active_user_named(form.username.data)
    if user is None:
        flash(
            _("Nobody active is called “%(name)s” in the directory.", name=form.username.data.strip()),
            "error",
        )
        return redirect(url_for(".members", group_id=group.id))
    return commit_or_explain(
        lambda: services.invite_member(current_user, group, user),
        _("%(person)s was added to the group.", person=user.display_name),
        url_for(".members", group_id=group.id),
    )


def _active_user_named(username: str) -> User | None:
    name = username.strip().lower()
    return db.session.scalar(
        select(User).where(func.lower(User.username) == name, User.is_deactivated.is_(False))
    )


@bp.post("/<int:group_id>/moderators")
def appoint(group_id: int) -> Response:
    group = group_or_404(group_id)
    require(perm.can_appoint_moderators(current_user, group))
    form = InviteForm()
    user = _active_user_named(form.username.data or "") if form.validate_on_submit() else None
    if user is None:
        flash(_("Give the user name of an active colleague."), "error")
        return redirect(url_for(".members", group_id=group.id))
    return commit_or_explain(
        lambda: services.appoint_moderator(current_user, group, user),
        _("%(person)s now moderates the group.", person=user.display_name),
        url_for(".members", group_id=group.id),
    )


@bp.post("/<int:group_id>/moderators/<int:user_id>/dismiss")
def dismiss(group_id: int, user_id: int) -> Response:
    group = group_or_404(group_id)
    require(perm.can_appoint_moderators(current_user, group))
    user = db.get_or_404(User, user_id)
    return commit_or_explain(
        lambda: services.dismiss_moderator(current_user, group, user),
        _("%(person)s no longer moderates the group.", person=user.display_name),
        url_for(".members", group_id=group.id),
    )


@bp.post("/<int:group_id>/members/<int:user_id>/remove")
def remove(group_id: int, user_id: int) -> Response:
    group = group_or_404(group_id)
    require(perm.can_approve_members(current_user, group))
    user = db.get_or_404(User, user_id)
    form = OptionalReasonForm()
    form.validate_on_submit()
    services.remove_member(current_user, group, user, form.reason.data or "")
    db.session.commit()
    flash(_("%(person)s was removed from the group.", person=user.display_name), "success")
    return redirect(url_for(".members", group_id=group.id))


@bp.post("/<int:group_id>/members/<int:user_id>/ban")
def ban(group_id: int, user_id: int) -> Response:
    group = group_or_404(group_id)
    require(perm.can_moderate(current_user, group))
    user = db.get_or_404(User, user_id)
    reason = ReasonForm()
    given = reason.reason.data if reason.validate_on_submit() else ""  # the service asks for one
    return commit_or_explain(
        lambda: services.ban_member(current_user, group, user, given),
        _("%(person)s is banned from the group.", person=user.display_name),
        url_for(".members", group_id=group.id),
    )


@bp.post("/<int:group_id>/bans/<int:user_id>/lift")
def unban(group_id: int, user_id: int) -> Response:
    group = group_or_404(group_id)
    require(perm.can_moderate(current_user, group))
    user = db.get_or_404(User, user_id)
    services.unban_member(current_user, group, user)
    db.session.commit()
    flash(_("The ban on %(person)s was lifted.", person=user.display_name), "success")
    return redirect(url_for(".members", group_id=group.id))
