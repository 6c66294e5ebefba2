"""``parsurvey users``: accounts and API tokens."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..extensions import get_database
from ..models import ROLES
from ..services.users import UserError, create_api_token, create_user, find_user


@click.group("users", help="Tài khoản cán bộ.")
def users_cli() -> None:
    pass


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="admin", show_default=True)
@click.option("--full-name", default="", help="Họ tên hiển thị.")
@click.option("--unit", "units", multiple=True, help="Mã đơn vị phụ trách (nhân viên nhập liệu; lặp lại được).")
@click.password_option("--password", help="Mật khẩu (bỏ trống để được hỏi, không hiện khi gõ).")
@with_appcontext
def users_create(username: str, role: str, full_name: str, units: tuple[str, ...], password: str) -> None:
    """Tạo tài khoản USERNAME (quản trị viên đầu tiên: parsurvey users create admin)."""
    try:
        with get_database().transaction() as session:
            create_user(session, username, password, role, full_name=full_name, unit_codes=units)
    except UserError as exc:
        click.echo(f"Không tạo được tài khoản: {exc}.", err=True)
        sys.exit(1)
    click.echo(f"Đã tạo tài khoản '{username}' ({role}).")


@users_cli.command("token")
@click.argument("username")
@click.option("--name", default="", help="Ghi chú: dùng ở đâu (ví dụ: đồng bộ KoboToolbox).")
@with_appcontext
def users_token(username: str, name: str) -> None:
    """Tạo mã truy cập API cho USERNAME (chỉ hiện một lần; dùng: Authorization: Bearer <mã>)."""
    with get_database().transaction() as session:
        user = find_user(session, username)
        if user is None or not user.active:
            click.echo(f"Không có tài khoản đang hoạt động '{username}'.", err=True)
            sys.exit(1)
        token = create_api_token(session, user, name, actor="cli")
    click.echo(f"Mã truy cập API của '{username}' ({user.role}), chỉ hiện một lần:\n{token}")
