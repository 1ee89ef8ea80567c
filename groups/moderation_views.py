"""Moderation pages: pin, lock, move, hide and restore, flags, the queue and the public log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields import SelectChoice

from intranet.extensions import db
from intranet.roles import require

from . import moderation
from . import permissions as perm
from .forms import MoveForm, OptionalReasonForm, ReasonForm
from .loaders import group_or_404, post_or_404, thread_or_404
from .models import Group, Post
from .services import GroupRuleError
from .views import _page, bp, commit_or_explain


def _back_to(post: Post) -> Response:
    return redirect(url_for(".thread", thread_id=post.thread_id, _anchor=f"post-{post.id}"))


@bp.post("/threads/<int:thread_id>/pin")
def pin(thread_id: int) -> Response:
    thread = thread_or_404(thread_id)
    require(perm.can_moderate(current_user, thread.group))
    pinned = request.form.get("pinned") == "1"
    moderation.set_pinned(current_user, thread, pinned)
    db.session.commit()
    flash(_("Thread pinned.") if pinned else _("Thread unpinned."), "success")
    return redirect(url_for(".thread", thread_id=thread.id))


@bp.post("/threads/<int:thread_id>/lock")
def lock(thread_id: int) -> Response:
    thread = thread_or_404(thread_id)
    require(perm.can_moderate(current_user, thread.group))
    locked = request.form.get("locked") == "1"
    form = OptionalReasonForm()
    form.validate_on_submit()
    moderation.set_locked(current_user, thread, locked, form.reason.data or "")
    db.session.commit()
    flash(_("Thread locked.") if locked else _("Thread unlocked."), "success")
    return redirect(url_for(".thread", thread_id=thread.id))


@bp.route("/threads/<int:thread_id>/move", methods=["GET", "POST"])
def move(thread_id: int) -> Response | str | tuple[str, int]:
    thread = thread_or_404(thread_id)
    require(perm.can_moderate(current_user, thread.group))
    targets = [
        g
        for g in db.session.scalars(
            select(Group)
            .where(Group.id.in_(perm.visible_group_ids(current_user, "moderate")))
            .order_by(Group.name)
        )
        if g.id != thread.group_id
    ]
    form = MoveForm()
    form.target.choices = [
        SelectChoice(str(g.id), g.name + (f" ({g.department.name})" if g.department else "")) for g in targets
    ]
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("groups/move.html", thread=thread, form=form), status
    target = db.session.get(Group, form.target.data)
    require(target is not None and perm.can_move_thread(current_user, thread, target))
    try:
        moderation.move_thread(current_user, thread, target, form.reason.data or "")
    except GroupRuleError as exc:
        db.session.rollback()
        form.target.errors = [str(exc)]
        return render_template("groups/move.html", thread=thread, form=form), 422
    db.session.commit()
    flash(_("Thread moved to %(group)s.", group=target.name), "success")
    return redirect(url_for(".thread", thread_id=thread.id))


@bp.route("/posts/<int:post_id>/hide", methods=["GET", "POST"])
def hide(post_id: int) -> Response | str | tuple[str, int]:
    post = post_or_404(post_id)
    require(perm.can_moderate(current_user, post.thread.group))
    if post.is_deleted:
        abort(404)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            done = moderation.hide_post(current_user, post, form.reason.data)
        except GroupRuleError as exc:
            db.session.rollback()
            form.reason.errors = [str(exc)]
        else:
            db.session.commit()
            if done:
                flash(_("Post hidden. Its author sees the reason; the log records it."), "success")
            else:
                flash(
                    _("This post speaks about you, so a second moderator or an admin must confirm the hide."),
                    "info",
                )
            return _back_to(post)
    status = 422 if request.method == "POST" else 200
    return render_template("groups/reason.html", post=post, form=form, action="hide", perm=perm), status


@bp.post("/posts/<int:post_id>/hide/confirm")
def confirm_hide(post_id: int) -> Response:
    return _second_opinion(post_id, moderation.confirm_hide, _("Post hidden."))


@bp.post("/posts/<int:post_id>/hide/decline")
def decline_hide(post_id: int) -> Response:
    return _second_opinion(post_id, moderation.decline_hide, _("The post stays visible."))


def _second_opinion(post_id: int, decide, done: str) -> Response:  # noqa: ANN001
    post = post_or_404(post_id)
    require(perm.can_moderate(current_user, post.thread.group))
    return commit_or_explain(lambda: decide(current_user, post), done, url_for(".queue"))


@bp.post("/posts/<int:post_id>/restore")
def restore(post_id: int) -> Response:
    post = post_or_404(post_id)
    require(perm.can_moderate(current_user, post.thread.group))
    form = OptionalReasonForm()
    form.validate_on_submit()
    return commit_or_explain(
        lambda: moderation.restore_post(current_user, post, form.reason.data or ""),
        _("Post restored."),
        url_for(".thread", thread_id=post.thread_id, _anchor=f"post-{post.id}"),
    )


@bp.route("/posts/<int:post_id>/flag", methods=["GET", "POST"])
def flag(post_id: int) -> Response | str | tuple[str, int]:
    post = post_or_404(post_id)
    require(perm.can_flag(current_user, post))
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            moderation.flag_post(current_user, post, form.reason.data)
        except GroupRuleError as exc:
            db.session.rollback()
            form.reason.errors = [str(exc)]
        else:
            db.session.commit()
            flash(_("Thank you. The moderators will look at it; nobody is told who flagged it."), "success")
            return _back_to(post)
    status = 422 if request.method == "POST" else 200
    return render_template("groups/reason.html", post=post, form=form, action="flag", perm=perm), status


@bp.post("/posts/<int:post_id>/flags/dismiss")
def dismiss_flags(post_id: int) -> Response:
    post = post_or_404(post_id)
    require(perm.can_moderate(current_user, post.thread.group))
    form = OptionalReasonForm()
    form.validate_on_submit()
    moderation.dismiss_flags(current_user, post, form.reason.data or "")
    db.session.commit()
    flash(_("Flags dismissed; the post stays visible."), "success")
    return redirect(url_for(".queue"))


@bp.get("/queue")
def queue() -> str:
    require(bool(perm.visible_group_ids(current_user, "moderate")))
    return render_template(
        "groups/queue.html", queue=moderation.moderation_queue(current_user), concerns=moderation.concerns
    )


@bp.get("/<int:group_id>/log")
def log(group_id: int) -> str:
    group = group_or_404(group_id)
    require(perm.can_read_log(current_user, group), hide=True)
    page = db.paginate(moderation.log_query(group), page=_page(), per_page=50, error_out=False)
    return render_template("groups/log.html", group=group, page=page)
