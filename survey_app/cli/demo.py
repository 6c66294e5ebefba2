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
from ..services.audit import record_links_out


def access_file_for(url: str, instance_path: str) -> Path:
    """Where the demo's passwords and links are kept: beside a SQLite file, named after it
    (``instance/demo.sqlite`` -> ``instance/demo-access.txt``); for another database, in the instance
    folder, named after the database (``demo-access-<name>.txt``). A demo built on another database
    never overwrites the file of the first.

    Examples
    --------
    >>> access_file_for("sqlite:////srv/demo.sqlite", "/app/instance")
    PosixPath('/srv/demo-access.txt')
    >>> access_file_for("postgresql://u@db/khaosat", "/app/instance")
    PosixPath('/app/instance/demo-access-khaosat.txt')
    """
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:" \
            and not parsed.database.startswith("file:"):
        database = Path(parsed.database)
        return database.with_name(f"{database.stem}-access.txt")
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in (parsed.database or "db"))
    return Path(instance_path) / f"demo-access-{name}.txt"


@click.command("demo")
@click.option("--seed", default=2023, show_default=True, help="Hạt giống của bộ sinh dữ liệu mẫu.")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True, help="Địa chỉ in trong các đường link.")
@with_appcontext
def demo_command(seed: int, base_url: str) -> None:
    """Tạo tỉnh mẫu (2023, 2024: 19 sở, 8 huyện; 2026: tỉnh sau hợp nhất, 14 sở, 93 xã, và khảo sát SIPAS đã kết
    thúc: 14 sở, 12 xã) trong cơ sở dữ liệu trống."""
    database = get_database()
    if migrate.current_revision(database) != migrate.head_revision():
        click.echo("Cơ sở dữ liệu chưa ở phiên bản mới nhất: chạy 'parsurvey db upgrade' trước.", err=True)
        sys.exit(1)
    access_file = access_file_for(database.url, current_app.instance_path)
    with database.transaction() as session:
        empty, what = database_is_empty(session)
        if not empty:
            click.echo(f"Cơ sở dữ liệu không trống ({what}): không tạo dữ liệu mẫu, không thay đổi gì.")
            if access_file.exists():
                click.echo(access_file.read_text(encoding="utf-8"), nl=False)
            return
        access = build_demo(session, current_app.config["SECRET_KEY"], seed=seed)
        for campaign_id, count in access.printed:  # printed below: links in the open are audited, per campaign
            record_links_out(session, "cli", campaign_id, "demo",
                             f"In {count} đường link mẫu (lệnh parsurvey demo, tệp {access_file.name})")
    succession_file = access_file.with_name(access_file.name.replace("-access", "-ke-thua-2026")
                                            .removesuffix(".txt") + ".csv")
    text = _access_text(access, base_url) + (
        f"Tệp kế thừa đơn vị 2024 → 2026 (sáp nhập tỉnh, bỏ cấp huyện) để thử “Tạo đợt khảo sát” sao chép qua "
        f"sắp xếp đơn vị: {succession_file}\n")
    access_file.parent.mkdir(parents=True, exist_ok=True)
    succession_file.write_bytes(access.succession)
    access_file.write_text(text, encoding="utf-8")
    access_file.chmod(0o600)
    click.echo(f"Đã tạo tỉnh mẫu: {access.ballots} phiếu, {access.answers} câu trả lời.")
    click.echo(text, nl=False)
    click.echo(f"(Đã lưu vào {access_file}.)")


def _access_text(access, base_url: str) -> str:
    lines = ["Đăng nhập (dữ liệu mẫu):"]
    lines += [f"  {username:<10} mật khẩu: {access.password}   ({role})" for username, role in access.users]
    lines.append("Đường link khảo sát mẫu:")
    lines += [f"  {label}: {base_url.rstrip('/')}{path}" for label, path in access.links]
    lines.append(f"Báo cáo (quản trị, phân tích): {base_url.rstrip('/')}/bao-cao/")
    return "\n".join(lines) + "\n"
