"""Sign-in and sign-out."""
from __future__ import annotations

import logging
from urllib.parse import urlparse

from flask import abort, current_app, redirect, render_template, request, url_for

from ...extensions import db_session
from ...services.setup_code import check_setup_code
from ...services.users import UserError, authenticate, create_user, users_exist
from ..common import current_user, sign_in, sign_out
from . import bp
from .forms import LoginForm, LogoutForm, SetupForm

HOME_BY_ROLE = {"admin": "admin.index", "analyst": "admin.index", "staff": "entry.start"}
log = logging.getLogger("survey_app.auth")


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (no scheme, no host) may be the page after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target \
            or any(ord(ch) < 32 for ch in target):
        return None  # "/\\evil" is "//evil" to a browser
    parsed = urlparse(target)
    return target if not parsed.scheme and not parsed.netloc else None


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = authenticate(db_session(), form.username.data, form.password.data)
        if user is not None:
            sign_in(user)
            return redirect(_safe_next(request.args.get("next")) or url_for(HOME_BY_ROLE[user.role]))
        error = "Tên đăng nhập hoặc mật khẩu không đúng."
        _log_failure(form.username.data)
    return render_template("auth/login.html", form=form, error=error), 200 if error is None else 401


def _log_failure(username: str | None) -> None:
    """A failed sign-in, for the operator: the account's name when it exists (a password typed into
    the name field by mistake must not be written down), never the password."""
    from ...services.users import find_user

    known = find_user(db_session(), username or "")
    log.warning("failed sign-in: %s from %s", f"account {known.username!r}" if known else "unknown account",
                request.remote_addr)


def setup_allowed() -> bool:
    """The first-admin page is offered on a new instance only (no account at all). It opens the form
    only with the code ``parsurvey setup-code`` prints on the server (see services.setup_code): an
    address or a Host header proves nothing behind a proxy."""
    return not users_exist(db_session())


@bp.route("/thiet-lap", methods=["GET", "POST"])
def setup():
    """Create the first administrator, in the browser, on a new instance (else 404)."""
    if not setup_allowed():
        abort(404)
    form = SetupForm()
    error = None
    if form.validate_on_submit() and not check_setup_code(current_app.config["SECRET_KEY"], form.setup_code.data):
        error = "Mã thiết lập không đúng hoặc đã hết hạn. Chạy lại lệnh parsurvey setup-code trên máy chủ."
        log.warning("first-admin page: wrong setup code from %s", request.remote_addr)
        return render_template("auth/setup.html", form=form, error=error), 401
    if form.validate_on_submit():
        try:
            user = create_user(db_session(), form.username.data, form.password.data, "admin",
                               full_name=(form.full_name.data or "").strip(), actor="thiet-lap")
        except UserError as exc:
            error = str(exc)[:1].upper() + str(exc)[1:] + "."
        else:
            sign_in(user)
            return redirect(url_for("admin.index"))
    elif form.is_submitted():
        error = next((m for messages in form.errors.values() for m in messages), None)
    return render_template("auth/setup.html", form=form, error=error), 400 if error else 200


@bp.post("/dang-xuat")
def logout():
    if not LogoutForm().validate_on_submit():
        abort(400)
    sign_out()
    return redirect(url_for("auth.login"))


@bp.app_context_processor
def inject_user():
    return {"current_user": current_user(), "setup_allowed": setup_allowed}
