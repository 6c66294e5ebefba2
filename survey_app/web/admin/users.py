"""Accounts, in the browser (admin): create a user, change their role and units, reset a password,
deactivate, list and revoke API tokens. The rules are those of ``parsurvey users``
(:mod:`survey_app.services.users`); every change is audited and ends the user's sessions.

A refused change answers with a redirect and a message, and a redirect is a success to the request's
session, which would commit: :func:`_refused` rolls back first, so a refusal leaves nothing changed."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from ...extensions import db_session
from ...models import User
from ...services import users as user_service
from ..common import actor, current_user, first_error, roles_required
from . import bp
from .forms import ROLE_LABELS, ActiveForm, NewUserForm, PasswordForm, RevokeTokenForm, RoleForm, TokenForm


def _user_or_404(user_id: int) -> User:
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _refused(exc: user_service.UserError, user_id: int):
    """Undo whatever the refused change did in this request, say why, and go back to the account."""
    db_session().rollback()
    flash(str(exc)[:1].upper() + str(exc)[1:] + ".", "error")
    return redirect(url_for("admin.user", user_id=user_id))


def _revoked_words(revoked: list[int]) -> str:
    return f" {len(revoked)} mã truy cập API của tài khoản đã bị thu hồi." if revoked else ""


def _not_self(user: User, what: str):
    """A redirect with a message when an admin would lock themselves out, else None."""
    if user.id == current_user().id:
        flash(f"Không tự {what} tài khoản đang dùng: nhờ một quản trị viên khác.", "error")
        return redirect(url_for("admin.user", user_id=user.id))
    return None


@bp.route("/nguoi-dung", methods=["GET", "POST"])
@roles_required("admin")
def users():
    s = db_session()
    form = NewUserForm()
    choices = user_service.unit_choices(s)
    error = None
    if form.validate_on_submit():
        try:
            user = user_service.create_user(s, form.username.data, form.password.data, form.role.data,
                                            full_name=(form.full_name.data or "").strip(),
                                            unit_codes=tuple(form.units.data or ()), actor=actor())
        except user_service.UserError as exc:
            error = str(exc)[:1].upper() + str(exc)[1:] + "."
        else:
            flash(f"Đã tạo tài khoản {user.username}. Báo cho người dùng tên đăng nhập và mật khẩu qua kênh riêng.",
                  "ok")
            return redirect(url_for("admin.users"))
    elif form.is_submitted():
        error = first_error(form)
    return render_template("admin/users.html", users=user_service.all_users(s), form=form, choices=choices,
                           role_labels=ROLE_LABELS, error=error, unit_codes_of=user_service.unit_codes_of,
                           names={code: name for code, name, _ in choices}), 400 if error else 200


@bp.get("/nguoi-dung/<int:user_id>")
@roles_required("admin")
def user(user_id: int):
    s = db_session()
    account = _user_or_404(user_id)
    return render_template("admin/user.html", account=account, choices=user_service.unit_choices(s),
                           codes=set(user_service.unit_codes_of(account)), role_labels=ROLE_LABELS,
                           tokens=user_service.tokens_of(s, account), new_token=None)


@bp.post("/nguoi-dung/<int:user_id>/vai-tro")
@roles_required("admin")
def user_role(user_id: int):
    account = _user_or_404(user_id)
    form = RoleForm()
    if not form.validate():
        flash(first_error(form), "error")
    elif blocked := (_not_self(account, "đổi vai trò của") if form.role.data != "admin" else None):
        return blocked
    else:
        try:
            changed = user_service.set_role(db_session(), account, form.role.data, tuple(form.units.data or ()),
                                            actor())
        except user_service.UserError as exc:
            return _refused(exc, user_id)
        flash("Đã đổi vai trò và đơn vị; người dùng phải đăng nhập lại." if changed
              else "Vai trò và đơn vị vẫn như cũ: không có gì thay đổi.", "ok")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/nguoi-dung/<int:user_id>/mat-khau")
@roles_required("admin")
def user_password(user_id: int):
    account = _user_or_404(user_id)
    form = PasswordForm()
    if not form.validate():
        flash(first_error(form), "error")
    else:
        try:
            revoked = user_service.set_password(db_session(), account, form.password.data, actor())
        except user_service.UserError as exc:
            return _refused(exc, user_id)
        flash(f"Đã đặt mật khẩu mới cho {account.username}; mọi phiên đăng nhập của tài khoản đã kết thúc."
              + _revoked_words(revoked), "ok")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/nguoi-dung/<int:user_id>/kich-hoat")
@roles_required("admin")
def user_active(user_id: int):
    account = _user_or_404(user_id)
    form = ActiveForm()
    if not form.validate():
        abort(400)
    active = form.active.data == "1"
    if not active and (blocked := _not_self(account, "khoá")):
        return blocked
    revoked = user_service.set_active(db_session(), account, active, actor())
    flash(f"Đã {'mở lại' if active else 'khoá'} tài khoản {account.username}." + _revoked_words(revoked), "ok")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/nguoi-dung/<int:user_id>/ma-api")
@roles_required("admin")
def user_token(user_id: int):
    """A new API token: shown once, on this page, never again."""
    s = db_session()
    account = _user_or_404(user_id)
    form = TokenForm()
    if not form.validate():
        flash(first_error(form), "error")
        return redirect(url_for("admin.user", user_id=user_id))
    try:
        token = user_service.create_api_token(s, account, form.name.data.strip(), actor())
    except user_service.UserError as exc:
        return _refused(exc, user_id)
    s.flush()
    return render_template("admin/user.html", account=account, choices=user_service.unit_choices(s),
                           codes=set(user_service.unit_codes_of(account)), role_labels=ROLE_LABELS,
                           tokens=user_service.tokens_of(s, account), new_token=token)


@bp.post("/nguoi-dung/<int:user_id>/thu-hoi-ma")
@roles_required("admin")
def user_revoke_token(user_id: int):
    account = _user_or_404(user_id)
    form = RevokeTokenForm()
    token_ids = {t.id for t in user_service.tokens_of(db_session(), account)}
    if not form.validate():
        abort(400)
    if form.token.data not in token_ids:
        abort(404)
    user_service.revoke_token(db_session(), form.token.data, actor())
    flash("Đã thu hồi mã truy cập.", "ok")
    return redirect(url_for("admin.user", user_id=user_id))
