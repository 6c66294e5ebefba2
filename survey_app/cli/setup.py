"""``parsurvey setup-code``: the code that opens the first-admin page of a new instance."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import get_database
from ..services.setup_code import setup_code
from ..services.users import users_exist


@click.command("setup-code",
               help="In mã thiết lập để tạo tài khoản quản trị đầu tiên trên trình duyệt (hiệu lực 1 giờ).")
@with_appcontext
def setup_code_command() -> None:
    with get_database().session() as s:
        if users_exist(s):
            raise click.ClickException("Hệ thống đã có tài khoản: trang tạo quản trị viên đầu tiên đã đóng. "
                                       "Tạo thêm tài khoản trên trang Người dùng, hoặc: parsurvey users create.")
    click.echo(f"Mã thiết lập: {setup_code(current_app.config['SECRET_KEY'])}")
    click.echo("Mở trang chủ, bấm «Tạo tài khoản quản trị đầu tiên» và nhập mã này (hiệu lực trong 1 giờ).")
