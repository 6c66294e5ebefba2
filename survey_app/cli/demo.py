"""``parsurvey demo``: the demo province in an empty database."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import migrate
from ..demo import build_demo, database_is_empty
from ..extensions import get_database

DEMO_ACCESS_FILE = "demo-access.txt"


@click.command("demo")
@click.option("--seed", default=2023, show_default=True, help="Hạt giống của bộ sinh dữ liệu mẫu.")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True, help="Địa chỉ in trong các đường link.")
@with_appcontext
def demo_command(seed: int, base_url: str) -> None:
    """Tạo tỉnh mẫu (19 sở, 8 huyện, phiếu mô phỏng) trong cơ sở dữ liệu trống."""
    database = get_database()
    if migrate.current_revision(database) != migrate.head_revision():
        click.echo("Cơ sở dữ liệu chưa ở phiên bản mới nhất: chạy 'parsurvey db upgrade' trước.", err=True)
        sys.exit(1)
    access_file = Path(current_app.instance_path) / DEMO_ACCESS_FILE
    with database.transaction() as session:
        empty, what = database_is_empty(session)
        if not empty:
            click.echo(f"Cơ sở dữ liệu không trống ({what}): không tạo dữ liệu mẫu, không thay đổi gì.")
            if access_file.exists():
                click.echo(access_file.read_text(encoding="utf-8"), nl=False)
            return
        access = build_demo(session, current_app.config["SECRET_KEY"], seed=seed)
    text = _access_text(access, base_url)
    access_file.parent.mkdir(parents=True, exist_ok=True)
    access_file.write_text(text, encoding="utf-8")
    access_file.chmod(0o600)
    click.echo(f"Đã tạo tỉnh mẫu: {access.ballots} phiếu, {access.answers} câu trả lời.")
    click.echo(text, nl=False)


def _access_text(access, base_url: str) -> str:
    lines = ["Đăng nhập (dữ liệu mẫu):"]
    lines += [f"  {username:<10} mật khẩu: {access.password}   ({role})" for username, role in access.users]
    lines.append("Đường link khảo sát mẫu:")
    lines += [f"  {label}: {base_url.rstrip('/')}{path}" for label, path in access.links]
    lines.append(f"Báo cáo (quản trị, phân tích): {base_url.rstrip('/')}/bao-cao/")
    return "\n".join(lines) + "\n"
