"""``parsurvey users``: accounts and API tokens.

A password is asked twice at the terminal (hidden), or read from standard input with
``--password-stdin``; it is never an argument, which would end up in ``ps`` and the shell's
history.
"""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..extensions import get_database
from ..models import ROLES
from ..services.users import (
    UserError,
    all_users,
    create_api_token,
    create_user,
    find_user,
    revoke_token,
    set_active,
    set_password,
    tokens_of,
)


@click.group("users", help="Tài khoản cán bộ và mã truy cập API.")
def users_cli() -> None:
    pass


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Mật khẩu", hide_input=True, confirmation_prompt="Nhập lại mật khẩu")


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _revoked(revoked: list[int]) -> str:
    return f" Đã thu hồi {len(revoked)} mã truy cập API (số {', '.join(map(str, revoked))})." if revoked else ""


def _user(session, username: str):
    user = find_user(session, username)
    if user is None:
        _fail(f"Không có tài khoản '{username}'.")
    return user


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="admin", show_default=True)
@click.option("--full-name", default="", help="Họ tên hiển thị.")
@click.option("--unit", "units", multiple=True, help="Mã đơn vị phụ trách (nhân viên nhập liệu; lặp lại được).")
@click.option("--password-stdin", is_flag=True, help="Đọc mật khẩu từ dòng đầu của đầu vào chuẩn (không hỏi).")
@with_appcontext
def users_create(username: str, role: str, full_name: str, units: tuple[str, ...], password_stdin: bool) -> None:
    """Tạo tài khoản USERNAME (quản trị viên đầu tiên: parsurvey users create admin)."""
    password = _password(password_stdin)
    try:
        with get_database().transaction() as session:
            user = create_user(session, username, password, role, full_name=full_name, unit_codes=units)
            name = user.username
    except UserError as exc:
        _fail(f"Không tạo được tài khoản: {exc}.")
    click.echo(f"Đã tạo tài khoản '{name}' ({role}).")


@users_cli.command("list")
@with_appcontext
def users_list() -> None:
    """Liệt kê tài khoản: tên, vai trò, tình trạng, lần đăng nhập cuối, đơn vị phụ trách."""
    with get_database().session() as session:
        for user in all_users(session):
            units = ", ".join(sorted({u.code for u in user.units if u.parent_id is None}))
            last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "chưa đăng nhập"
            state = "hoạt động" if user.active else "đã khoá"
            click.echo(f"{user.username:<20} {user.role:<8} {state:<10} {last:<16} {units}")


@users_cli.command("deactivate")
@click.argument("username")
@with_appcontext
def users_deactivate(username: str) -> None:
    """Khoá tài khoản USERNAME: mọi phiên đăng nhập kết thúc và mọi mã truy cập API bị thu hồi ngay
    (mở lại tài khoản không khôi phục mã cũ)."""
    with get_database().transaction() as session:
        revoked = set_active(session, _user(session, username), False, actor="cli")
    click.echo(f"Đã khoá tài khoản '{username}'.{_revoked(revoked)}")


@users_cli.command("activate")
@click.argument("username")
@with_appcontext
def users_activate(username: str) -> None:
    """Mở lại tài khoản USERNAME (mã truy cập API cũ vẫn bị thu hồi: tạo mã mới nếu cần)."""
    with get_database().transaction() as session:
        revoked = set_active(session, _user(session, username), True, actor="cli")
    click.echo(f"Đã mở lại tài khoản '{username}'.{_revoked(revoked)}")


@users_cli.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Đọc mật khẩu mới từ dòng đầu của đầu vào chuẩn.")
@with_appcontext
def users_passwd(username: str, password_stdin: bool) -> None:
    """Đặt mật khẩu mới cho USERNAME; mọi phiên đăng nhập đang mở của tài khoản kết thúc và mọi mã
    truy cập API của tài khoản bị thu hồi."""
    password = _password(password_stdin)
    try:
        with get_database().transaction() as session:
            revoked = set_password(session, _user(session, username), password, actor="cli")
    except UserError as exc:
        _fail(f"Không đổi được mật khẩu: {exc}.")
    click.echo(f"Đã đổi mật khẩu của '{username}'; các phiên đăng nhập cũ đã kết thúc.{_revoked(revoked)}")


@users_cli.command("token")
@click.argument("username")
@click.option("--name", default="", help="Ghi chú: dùng ở đâu (ví dụ: đồng bộ KoboToolbox).")
@with_appcontext
def users_token(username: str, name: str) -> None:
    """Tạo mã truy cập API cho USERNAME (chỉ hiện một lần; dùng: Authorization: Bearer <mã>)."""
    with get_database().transaction() as session:
        user = find_user(session, username)
        if user is None or not user.active:
            _fail(f"Không có tài khoản đang hoạt động '{username}'.")
        token = create_api_token(session, user, name, actor="cli")
        role = user.role
    click.echo(f"Mã truy cập API của '{username}' ({role}), chỉ hiện một lần:\n{token}")


@users_cli.command("tokens")
@click.argument("username", required=False)
@with_appcontext
def users_tokens(username: str | None) -> None:
    """Liệt kê mã truy cập API (của USERNAME, hoặc của mọi người): số, người dùng, ghi chú, ngày tạo,
    lần dùng cuối, đã thu hồi chưa. Mã chỉ được lưu dạng băm: không hiện lại được."""
    with get_database().session() as session:
        user = _user(session, username) if username else None
        for token in tokens_of(session, user):
            used = token.last_used_at.strftime("%Y-%m-%d %H:%M") if token.last_used_at else "chưa dùng"
            state = "đã thu hồi" if token.revoked else "hiệu lực"
            click.echo(f"{token.id:>5}  {token.user.username:<20} {token.created_at:%Y-%m-%d}  "
                       f"dùng: {used:<16} {state:<10} {token.name}")


@users_cli.command("revoke-token")
@click.argument("token_id", type=int)
@with_appcontext
def users_revoke_token(token_id: int) -> None:
    """Thu hồi mã truy cập API số TOKEN_ID (xem: parsurvey users tokens)."""
    try:
        with get_database().transaction() as session:
            token = revoke_token(session, token_id, actor="cli")
            owner = token.user.username
    except UserError as exc:
        _fail(f"Không thu hồi được: {exc}.")
    click.echo(f"Đã thu hồi mã truy cập số {token_id} của '{owner}'.")
