"""Group pages: list, create, edit, show, and membership. Load → check → validate → one service → commit."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms.fields import SelectChoice

from intranet.extensions import db
from intranet.forms import page_arg, parse_id
from intranet.models import Department
from intranet.roles import require

from . import permissions as perm
from . import services
from .forms import (
    INHERIT,
    GroupForm,
    JoinRequestForm,
    visibility_choices,
)
from .loaders import group_or_404
from .models import Group, Thread, Visibility
from .services import GroupRuleError

bp = Blueprint("groups", __name__, url_prefix="/groups")

COMPANY_WIDE = "company"


@bp.before_request
@login_required
def _logged_in() -> None:
    """Every group page needs a login."""


def _page() -> int:
    return page_arg()


def commit_or_explain(action: Callable[[], object], done: str, target: str) -> Response:
    """Run one service call: commit and say ``done``, or roll back and say why. Then go to ``target``."""
    try:
        action()
    except GroupRuleError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(target)


@bp.get("/")
def index() -> str:
    listed = perm.visible_group_ids(current_user, "list")
    readable = perm.visible_group_ids(current_user, "read")
    query = (
        select(Group)
        .where(Group.id.in_(listed), Group.parent_id.is_(None))
        .options(selectinload(Group.department))
        .order_by(perm.activity_order_sql(readable).desc(), Group.id.desc())
    )
    page = db.paginate(
        query, page=_page(), per_page=int(current_app.config["GROUPS_PER_PAGE"]), error_out=False
    )
    ids = [g.id for g in page.items]
    subgroups = dict(
        db.session.execute(
            select(Group.parent_id, func.count())
            .where(Group.parent_id.in_(ids), Group.id.in_(listed))
            .group_by(Group.parent_id)
        ).all()
    )
    members = {g.id for g in page.items if perm.is_member(current_user, g)}
    activity = {g.id: perm.last_activity_shown(current_user, g) for g in page.items}
    return render_template(
        "groups/index.html",
        page=page,
        readable=readable,
        subgroups=subgroups,
        members=members,
        activity=activity,
        can_create=bool(_creatable_departments()),
    )


def _creatable_departments() -> list[SelectChoice]:
    """(value, label) of where this user may create a top-level group."""
    choices: list[SelectChoice] = []
    if current_user.is_admin:
        choices.append(SelectChoice(COMPANY_WIDE, _("Whole company")))
        departments = db.session.scalars(select(Department).order_by(Department.name)).all()
    else:
        departments = current_user.led_departments
    choices += [
        SelectChoice(str(d.id), d.name) for d in departments if perm.can_create_group(current_user, d.id)
    ]
    return choices


def _visibility(value: str) -> Visibility | None:
    return None if value == INHERIT else Visibility(value)


@bp.route("/new", methods=["GET", "POST"])
def new() -> Response | str | tuple[str, int]:
    parent_id = parse_id(request.args.get("parent"))
    parent = group_or_404(parent_id) if parent_id else None
    form = GroupForm()
    form.visibility.choices = visibility_choices(parent is not None)
    if parent is not None:
        require(perm.can_create_group(current_user, parent.department_id, parent))
        form.department.choices = [SelectChoice(str(parent.department_id or COMPANY_WIDE))]
        form.department.data = str(parent.department_id or COMPANY_WIDE)
        if request.method in ("GET", "HEAD"):
            form.visibility.data = INHERIT
    else:
        form.department.choices = _creatable_departments()
        require(bool(form.department.choices))
    if not form.validate_on_submit():
        return render_template("groups/form.html", form=form, parent=parent, group=None), (
            422 if request.method == "POST" else 200
        )
    department = None
    if parent is None and form.department.data != COMPANY_WIDE:
        department = db.get_or_404(Department, int(form.department.data))
        require(perm.can_create_group(current_user, department.id))
    elif parent is None:
        require(perm.can_create_group(current_user, None))
    try:
        group = services.create_group(
            current_user,
            name=form.name.data,
            description=form.description.data or "",
            department=department,
            parent=parent,
            visibility=_visibility(form.visibility.data),
            is_unlisted=form.is_unlisted.data,
            inherits_moderators=form.inherits_moderators.data,
        )
    except GroupRuleError as exc:
        db.session.rollback()
        form.name.errors.append(str(exc))
        return render_template("groups/form.html", form=form, parent=parent, group=None), 422
    db.session.commit()
    flash(_("Group “%(name)s” created.", name=group.name), "success")
    return redirect(url_for(".show", group_id=group.id))


@bp.route("/<int:group_id>/edit", methods=["GET", "POST"])
def edit(group_id: int) -> Response | str | tuple[str, int]:
    group = group_or_404(group_id)
    require(perm.can_moderate(current_user, group))
    form = GroupForm(obj=group if request.method in ("GET", "HEAD") else None)
    form.visibility.choices = visibility_choices(group.parent is not None)
    form.department.choices = [SelectChoice(str(group.department_id or COMPANY_WIDE))]
    form.department.data = str(group.department_id or COMPANY_WIDE)
    if request.method in ("GET", "HEAD"):
        form.visibility.data = INHERIT if group.inherits_visibility else group.visibility.value
    if not form.validate_on_submit():
        return render_template("groups/form.html", form=form, parent=group.parent, group=group), (
            422 if request.method == "POST" else 200
        )
    services.update_group(
        current_user,
        group,
        name=form.name.data,
        description=form.description.data or "",
        visibility=_visibility(form.visibility.data),
        is_unlisted=form.is_unlisted.data,
        inherits_moderators=form.inherits_moderators.data,
    )
    db.session.commit()
    flash(_("Group settings saved."), "success")
    return redirect(url_for(".show", group_id=group.id))


@bp.get("/<int:group_id>")
def show(group_id: int) -> str:
    group = group_or_404(group_id, content=False)
    readable = perm.can_read(current_user, group)
    threads = None
    if readable:
        query = (
            select(Thread)
            .where(Thread.group_id == group.id)
            .options(selectinload(Thread.author))
            .order_by(Thread.is_pinned.desc(), Thread.last_activity_at.desc(), Thread.id.desc())
        )
        threads = db.paginate(
            query, page=_page(), per_page=int(current_app.config["THREADS_PER_PAGE"]), error_out=False
        )
    children = [c for c in group.children if perm.can_list(current_user, c)]
    children.sort(key=lambda c: perm.activity_order(current_user, c), reverse=True)
    return render_template(
        "groups/show.html",
        group=group,
        readable=readable,
        threads=threads,
        children=children,
        is_member=perm.is_member(current_user, group),
        is_moderator=perm.is_moderator(current_user, group),
        can_post=perm.can_post(current_user, group),
        can_join=perm.can_join(current_user, group),
        can_request=perm.can_request_to_join(current_user, group),
        pending=services.pending_request(current_user, group),
        following=services.is_subscribed_group(current_user, group),
        can_create_sub=perm.can_create_group(current_user, group.department_id, group)
        and group.depth < services.max_depth(),
    )


@bp.post("/<int:group_id>/join")
def join(group_id: int) -> Response:
    group = group_or_404(group_id)
    require(perm.can_join(current_user, group))
    services.join_group(current_user, group)
    db.session.commit()
    flash(_("You joined %(group)s and follow its new threads.", group=group.name), "success")
    return redirect(url_for(".show", group_id=group.id))


@bp.post("/<int:group_id>/leave")
def leave(group_id: int) -> Response:
    group = group_or_404(group_id, content=False)
    require(perm.can_leave(current_user, group))
    services.leave_group(current_user, group)
    db.session.commit()
    flash(_("You left %(group)s.", group=group.name), "success")
    return redirect(
        url_for(".index") if not perm.can_list(current_user, group) else url_for(".show", group_id=group.id)
    )


@bp.route("/<int:group_id>/request", methods=["GET", "POST"])
def request_join(group_id: int) -> Response | str | tuple[str, int]:
    group = group_or_404(group_id, content=False)
    require(perm.can_request_to_join(current_user, group))
    form = JoinRequestForm()
    if not form.validate_on_submit():
        return render_template("groups/request.html", group=group, form=form), (
            422 if request.method == "POST" else 200
        )
    return commit_or_explain(
        lambda: services.request_to_join(current_user, group, form.message.data or ""),
        _("Your request was sent to the moderators of %(group)s.", group=group.name),
        url_for(".show", group_id=group.id),
    )


@bp.post("/<int:group_id>/follow")
def follow(group_id: int) -> Response:
    group = group_or_404(group_id)
    services.subscribe_group(current_user, group)
    db.session.commit()
    flash(_("You follow %(group)s: new threads reach your notifications.", group=group.name), "success")
    return redirect(url_for(".show", group_id=group.id))


@bp.post("/<int:group_id>/unfollow")
def unfollow(group_id: int) -> Response:
    group = group_or_404(group_id, content=False)
    services.unsubscribe_group(current_user, group)
    db.session.commit()
    flash(_("You no longer follow %(group)s.", group=group.name), "success")
    return redirect(url_for(".show", group_id=group.id))


from . import member_views, moderation_views, thread_views  # noqa: E402, F401 - routes on the same blueprint
