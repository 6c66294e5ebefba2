"""``parsurvey backup FILE`` and ``parsurvey restore FILE``: thin commands over :mod:`survey_app.backup`."""
from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import get_database
from ..services.backup import (
    BackupError,
    RestoreFailed,
    backup_sqlite,
    display_url,
    format_size,
    restore_sqlite,
    sqlite_file,
)
from ..services.pg_backup import password_hint, pg_dump_command, pg_restore_command, run_pg_dump


def _refuse(message: str, code: int = 2) -> None:
    click.echo(message, err=True)
    sys.exit(code)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Ghi đè FILE nếu đã có.")
@click.option("--run", "run", is_flag=True, help="PostgreSQL: chạy pg_dump (nếu có) thay vì chỉ in lệnh.")
@with_appcontext
def backup_command(file: Path, force: bool, run: bool) -> None:
    """Sao lưu cơ sở dữ liệu vào FILE (SQLite: được cả khi ứng dụng đang chạy; PostgreSQL: in lệnh pg_dump)."""
    database = get_database()
    if not database.is_sqlite:
        if run:
            try:
                size = run_pg_dump(database.url, file, force=force)
            except BackupError as exc:
                _refuse(str(exc), 1)
            click.echo(f"Đã sao lưu {display_url(database.url)} vào {file}: {format_size(size)} "
                       "(pg_dump, định dạng custom).")
            return
        _refuse("\n".join([
            f"Cơ sở dữ liệu là PostgreSQL ({display_url(database.url)}): hãy sao lưu bằng pg_dump:",
            "  " + shlex.join(pg_dump_command(database.url, file)),
            password_hint(database.url),
            "(hoặc chạy lại với --run để parsurvey chạy lệnh này).",
        ]))
    try:
        summary = backup_sqlite(sqlite_file(database.url), file, force=force,
                                busy_timeout_ms=current_app.config.get("SQLITE_BUSY_TIMEOUT_MS", 10000))
    except BackupError as exc:
        _refuse(str(exc))
    click.echo(summary.line())
    if not summary.contents.ok:
        _refuse(f"Bản sao lưu {summary.path} KHÔNG toàn vẹn: kiểm tra lại cơ sở dữ liệu đang dùng.", 1)


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Thay thế cả khi cơ sở dữ liệu đang có dữ liệu (bản hiện tại được giữ lại).")
@with_appcontext
def restore_command(file: Path, force: bool) -> None:
    """Khôi phục cơ sở dữ liệu từ bản sao lưu FILE, rồi nâng cấu trúc lên phiên bản mới nhất."""
    database = get_database()
    if not database.is_sqlite:
        _refuse("\n".join([
            f"Cơ sở dữ liệu là PostgreSQL ({display_url(database.url)}): hãy khôi phục bằng pg_restore "
            "(bản sao lưu định dạng custom của pg_dump), rồi nâng cấu trúc:",
            "  " + shlex.join(pg_restore_command(database.url, file)),
            "  parsurvey db upgrade",
            password_hint(database.url),
            "Dừng máy chủ trước khi khôi phục.",
        ]))
    try:
        summary = restore_sqlite(database, file, force=force, secret=current_app.config["SECRET_KEY"],
                                 busy_timeout_ms=current_app.config.get("SQLITE_BUSY_TIMEOUT_MS", 10000))
    except BackupError as exc:
        _refuse(f"{exc}\nKhông khôi phục, không thay đổi gì.")
    except RestoreFailed as exc:
        _refuse(str(exc), 1)
    for line in summary.lines():
        click.echo(line)
