"""Threads and posts: start, read, reply, edit (with conflict detection), delete, accept an answer."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from intranet.extensions import db
from intranet.forms import parse_id
from intranet.roles import require

from . import permissions as perm
from . import posting, services
from .forms import AcceptForm, EditPostForm, ReplyForm, ThreadForm
from .loaders import group_or_404, post_or_404, thread_or_404
from .models import Post, Thread
from .posting import EditConflict
from .services import GroupRuleError
from .views import _page, bp, commit_or_explain


@bp.route("/<int:group_id>/threads/new", methods=["GET", "POST"])
def new_thread(group_id: int) -> Response | str | tuple[str, int]:
    group = group_or_404(group_id)
    require(perm.can_post(current_user, group))
    form = ThreadForm()
    if form.validate_on_submit():
        try:
            thread = posting.start_thread(
                current_user,
                group,
                title=form.title.data,
                body=form.body.data,
                is_question=form.is_question.data,
            )
        except GroupRuleError as exc:
            db.session.rollback()
            form.body.errors = [*form.body.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Thread started."), "success")
            return redirect(url_for(".thread", thread_id=thread.id))
    status = 422 if request.method == "POST" else 200
    return render_template("groups/thread_new.html", group=group, form=form), status


def _render_thread(thread: Thread, form: ReplyForm, status: int = 200) -> tuple[str, int]:
    group = thread.group
    page = posting.thread_posts(thread, _page())
    accepted = db.session.get(Post, thread.accepted_post_id) if thread.accepted_post_id else None
    moderator = perm.is_moderator(current_user, group)
    return render_template(
        "groups/thread.html",
        thread=thread,
        group=group,
        page=page,
        accepted=accepted,
        form=form,
        is_moderator=moderator,
        can_reply=perm.can_reply(current_user, thread),
        can_accept=perm.can_accept_answer(current_user, thread),
        following=services.is_subscribed_thread(current_user, thread),
        rights=perm.post_rights(current_user, thread),
    ), status


@bp.get("/threads/<int:thread_id>")
def thread(thread_id: int) -> tuple[str, int]:
    return _render_thread(thread_or_404(thread_id), ReplyForm())


@bp.get("/posts/<int:post_id>")
def post(post_id: int) -> Response:
    """A post's permalink (search results, notifications): its thread at the page that holds it."""
    post = post_or_404(post_id)
    page = posting.page_of(post)
    return redirect(url_for(".thread", thread_id=post.thread_id, page=page, _anchor=f"post-{post.id}"))


@bp.post("/threads/<int:thread_id>/reply")
def reply(thread_id: int) -> Response | tuple[str, int]:
    thread = thread_or_404(thread_id)
    form = ReplyForm()
    if not perm.can_reply(current_user, thread):
        require(thread.is_locked and perm.can_post(current_user, thread.group))
        form.validate_on_submit()
        form.body.errors = [_("This thread is locked: no new replies. Your text is kept below.")]
        return _render_thread(thread, form, 409)
    if form.validate_on_submit():
        try:
            post = posting.reply(current_user, thread, form.body.data)
        except GroupRuleError as exc:
            db.session.rollback()
            form.body.errors = [*form.body.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Reply posted."), "success")
            last = posting.thread_posts(thread, 1).pages or 1
            return redirect(url_for(".thread", thread_id=thread.id, page=last, _anchor=f"post-{post.id}"))
    return _render_thread(thread, form, 422)


@bp.post("/threads/<int:thread_id>/follow")
def follow_thread(thread_id: int) -> Response:
    thread = thread_or_404(thread_id)
    services.subscribe_thread(current_user, thread)
    db.session.commit()
    flash(_("You follow this thread: replies reach your notifications."), "success")
    return redirect(url_for(".thread", thread_id=thread.id))


@bp.post("/threads/<int:thread_id>/unfollow")
def unfollow_thread(thread_id: int) -> Response:
    thread = thread_or_404(thread_id)
    services.unsubscribe_thread(current_user, thread)
    db.session.commit()
    flash(_("You no longer follow this thread."), "success")
    return redirect(url_for(".thread", thread_id=thread.id))


@bp.post("/threads/<int:thread_id>/accept")
def accept(thread_id: int) -> Response:
    """Mark (or, with post_id 0, unmark) the accepted answer of a question."""
    thread = thread_or_404(thread_id)
    require(perm.can_accept_answer(current_user, thread))
    form = AcceptForm()
    if not form.validate_on_submit():
        abort(400)
    post = None
    if form.post_id.data:
        post = db.session.get(Post, form.post_id.data)
        if post is None or post.thread_id != thread.id:
            abort(404)
    return commit_or_explain(
        lambda: posting.set_accepted_answer(thread, post),
        _("Accepted answer marked.") if post else _("Accepted answer cleared."),
        url_for(".thread", thread_id=thread.id),
    )


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int) -> Response | str | tuple[str, int]:
    post = post_or_404(post_id)
    require(perm.can_edit_post(current_user, post))
    form = EditPostForm()
    if request.method in ("GET", "HEAD"):
        form.body.data, form.version.data = post.body, str(post.version)
        return render_template("groups/post_edit.html", post=post, form=form, conflict=False)
    if form.validate_on_submit():
        expected = parse_id(form.version.data)
        if expected is None:
            abort(400)
        try:
            posting.edit_post(current_user, post, form.body.data, expected)
        except EditConflict:
            db.session.rollback()
            current = db.session.get(Post, post_id)
            # Keep the editor's words; show the newer text; the next save starts from the newer version.
            form.version.data = str(current.version)
            return render_template("groups/post_edit.html", post=current, form=form, conflict=True), 409
        except GroupRuleError as exc:
            db.session.rollback()
            form.body.errors = [*form.body.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Post saved."), "success")
            return redirect(url_for(".thread", thread_id=post.thread_id, _anchor=f"post-{post.id}"))
    return render_template("groups/post_edit.html", post=post, form=form, conflict=False), 422


@bp.post("/posts/<int:post_id>/delete")
def delete_post(post_id: int) -> Response:
    post = post_or_404(post_id)
    require(perm.can_delete_post(current_user, post))
    posting.delete_post(current_user, post)
    db.session.commit()
    flash(_("Your post was deleted; a placeholder stays in the thread."), "success")
    return redirect(url_for(".thread", thread_id=post.thread_id, _anchor=f"post-{post.id}"))


@bp.get("/posts/<int:post_id>/history")
def history(post_id: int) -> str:
    post = post_or_404(post_id)
    require(perm.can_see_body(current_user, post), hide=True)
    return render_template("groups/history.html", post=post, revisions=posting.post_history(post))
