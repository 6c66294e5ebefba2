"""Accounts, in the browser (admin): create a user, change their role and units, reset a password,
deactivate, list and revoke API tokens. The rules are those of ``parsurvey users``
(:mod:`survey_app.services.users`); every change is audited and ends the user's sessions.

A refused change answers with a redirect and a message, and a redirect is a success to the request's
session, which would commit: :func:`_refused` rolls back first, so a refusal leaves nothing changed."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, session, url_for

from ...extensions import db_session
from ...models import User
from ...services import users as user_service
from ..common import actor, base_url, current_user, first_error, roles_required
from . import bp
from .forms import (
    ADMIN_CONFIRM,
    BULK_ROWS,
    MAX_BULK_ROWS,
    ROLE_LABELS,
    ROLE_PROMPT,
    ActiveForm,
    BulkUsersForm,
    ChosenRoleUserForm,
    PasswordForm,
    RevokeTokenForm,
    RoleForm,
    TokenForm,
)

SLIPS_KEY = "account_slips"  # the ids of the accounts last created in bulk by this browser (never a password)


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
    form = ChosenRoleUserForm()
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
        beside = ("role", "confirm_admin")  # shown beside their fields; the others above the form
        others = [messages[0] for name, messages in form.errors.items() if name not in beside and messages]
        error = others[0] if others else "Chưa tạo tài khoản: xem lỗi ghi cạnh ô vai trò."
    return render_template("admin/users.html", users=user_service.all_users(s), form=form, choices=choices,
                           role_labels=ROLE_LABELS, role_prompt=ROLE_PROMPT, admin_confirm=ADMIN_CONFIRM,
                           error=error, unit_codes_of=user_service.unit_codes_of,
                           names={code: name for code, name, _ in choices}), 400 if error else 200


def _bulk_page(rows: list[dict], choices, problems=(), row_problems=None, pasted: str = "", status: int = 200):
    return render_template("admin/users_bulk.html", rows=rows, choices=choices, problems=list(problems),
                           row_problems=row_problems or {}, pasted=pasted, role_labels=ROLE_LABELS,
                           more=BULK_ROWS), status


def _empty_rows(count: int) -> list[dict]:
    return [{"full_name": "", "username": "", "unit": "", "role": "staff"} for _ in range(count)]


@bp.route("/nguoi-dung/them-nhieu", methods=["GET", "POST"])
@roles_required("admin")
def users_bulk():
    """Several accounts at once: a table (and a pasted block); all are created, with generated passwords
    shown once on the slips page this POST answers with, or none."""
    s = db_session()
    choices = user_service.unit_choices(s)
    form = BulkUsersForm()
    if not form.is_submitted():
        return _bulk_page(_empty_rows(BULK_ROWS), choices)
    if not form.validate():
        return _bulk_page(_empty_rows(BULK_ROWS), choices, [first_error(form)], status=400)
    rows = [{key: (entry.data[key] or "").strip() for key in ("full_name", "username", "unit", "role")}
            for entry in form.rows.entries]
    filled = [row for row in rows if row["full_name"] or row["username"] or row["unit"]]
    for name, username, unit in user_service.pasted_accounts(form.pasted.data or ""):
        filled.append({"full_name": name, "username": username, "unit": user_service.match_unit(choices, unit),
                       "role": "staff"})
    filled = filled[:MAX_BULK_ROWS]
    if form.action.data != "create":  # "Thêm dòng": the rows so far, the pasted ones in, and empty rows
        return _bulk_page(filled + _empty_rows(BULK_ROWS), choices)
    accounts = [user_service.NewAccount(number, row["full_name"], row["username"], row["unit"], row["role"])
                for number, row in enumerate(filled, start=1)]
    try:
        created = user_service.create_users(s, accounts, actor())
    except user_service.AccountsRefused as exc:
        s.rollback()
        by_row: dict[int, list[str]] = {}
        for problem in exc.problems:
            if problem.startswith("dòng "):
                by_row.setdefault(int(problem.split(":", 1)[0].split()[1]), []).append(problem.split(": ", 1)[1])
        shown = filled + _empty_rows(max(0, BULK_ROWS - len(filled)))
        return _bulk_page(shown, choices, [p[:1].upper() + p[1:] + "." for p in exc.problems], by_row, status=400)
    s.flush()
    session[SLIPS_KEY] = [user.id for user, _ in created]
    return _slips([(user, password) for user, password in created], choices)


def _slips(accounts: list[tuple], choices):
    """The slips page: one slip per account to cut out; the password is in ``accounts`` only on the POST
    that created them (None afterwards). Never cached."""
    names = {code: name for code, name, _ in choices}
    response = make_response(render_template(
        "admin/user_slips.html", accounts=accounts, role_labels=ROLE_LABELS, names=names,
        unit_codes_of=user_service.unit_codes_of, address=base_url().rstrip("/") + url_for("auth.login")))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/nguoi-dung/them-nhieu/phieu")
@roles_required("admin")
def users_slips():
    """The slips of the accounts this browser last created in bulk, without their passwords (shown once)."""
    s = db_session()
    accounts = [(user, None) for user_id in session.get(SLIPS_KEY, [])
                if isinstance(user_id, int) and (user := s.get(User, user_id)) is not None]
    return _slips(accounts, user_service.unit_choices(s))


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
