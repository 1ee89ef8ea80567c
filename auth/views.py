"""Login, logout and my profile."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from intranet.extensions import db, limiter
from intranet.roles import roles_of
from intranet.security import safe_next

from . import demo, get_directory, role_rules, services
from .base import DirectoryUnavailable, InvalidCredentials, account_key
from .forms import LoginForm

bp = Blueprint("auth", __name__)

FAILED = 401  # only failed credentials count against the rate limits


def _login_name_key() -> str:
    return f"login-name:{account_key(request.form.get('username') or '')}"


def _failed(response: Response) -> bool:
    return response.status_code == FAILED


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_USER"],
    key_func=_login_name_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="login-name",
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_CLIENT"],
    methods=["POST"],
    deduct_when=_failed,
    scope="login-client",
)
def login() -> Response | tuple[str, int] | str:
    form = LoginForm()
    target = safe_next(request.values.get("next"), url_for("auth.profile"))
    if request.method in ("GET", "HEAD"):
        if current_user.is_authenticated:
            return redirect(target)
        form.next.data = request.args.get("next", "")
    if not form.validate_on_submit():
        return _login_page(form, 422 if request.method == "POST" else 200)
    try:
        user = services.log_in(get_directory(), role_rules(), form.username.data, form.password.data)
    except InvalidCredentials:
        db.session.rollback()
        return _login_page(form, FAILED, _("Unknown user name or wrong password."))
    except DirectoryUnavailable:
        db.session.rollback()
        message = _("The company directory is not answering right now. Please try again in a few minutes.")
        return _login_page(form, 503, message)
    db.session.commit()
    session.clear()  # no session fixation: the logged-in session starts empty
    login_user(user)
    session.permanent = True
    return redirect(target)


def _login_page(form: LoginForm, status: int, error: str | None = None) -> tuple[str, int]:
    form.password.data = ""
    page = render_template(
        "auth/login.html",
        form=form,
        error=error,
        demo_accounts=demo.SHOWCASE if get_directory().kind == "demo" else None,
        demo_password=demo.DEMO_PASSWORD,
    )
    return page, status


@bp.post("/logout")
@login_required
def logout() -> Response:
    # CSRFProtect has already refused a POST without a valid token.
    services.log_out(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/profile")
@login_required
def profile() -> str:
    return render_template("auth/profile.html", user=current_user, roles=roles_of(current_user))
