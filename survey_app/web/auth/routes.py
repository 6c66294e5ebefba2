"""Sign-in and sign-out."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import abort, redirect, render_template, request, url_for

from ...extensions import db_session
from ...services.users import authenticate
from ..common import current_user, sign_in, sign_out
from . import bp
from .forms import LoginForm, LogoutForm

HOME_BY_ROLE = {"admin": "admin.index", "analyst": "admin.index", "staff": "entry.start"}


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
    return render_template("auth/login.html", form=form, error=error), 200 if error is None else 401


@bp.post("/dang-xuat")
def logout():
    if not LogoutForm().validate_on_submit():
        abort(400)
    sign_out()
    return redirect(url_for("auth.login"))


@bp.app_context_processor
def inject_user():
    return {"current_user": current_user()}
