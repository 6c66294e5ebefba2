"""``parsurvey db``: the schema (Alembic migrations)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import migrate
from ..extensions import get_database
from ..services.drafts import seal_plaintext_drafts


@click.group("db", help="Cấu trúc cơ sở dữ liệu (Alembic).")
def db_cli() -> None:
    pass


@db_cli.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Nâng cấu trúc cơ sở dữ liệu lên REVISION (mặc định: mới nhất)."""
    database = get_database()
    migrate.upgrade(database, revision)
    click.echo(f"Cơ sở dữ liệu ở phiên bản {migrate.current_revision(database)} ({_safe_url(database.url)}).")
    if migrate.current_revision(database) == migrate.head_revision():
        with database.transaction() as session:
            sealed = seal_plaintext_drafts(session, current_app.config["SECRET_KEY"])
        if sealed:
            click.echo(f"Đã mã hoá {sealed} phiếu đang làm dở lưu từ phiên bản trước.")


@db_cli.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Hạ cấu trúc cơ sở dữ liệu về REVISION ('base' xóa mọi bảng)."""
    database = get_database()
    migrate.downgrade(database, revision)
    click.echo(f"Cơ sở dữ liệu ở phiên bản {migrate.current_revision(database) or 'base (trống)'}.")


@db_cli.command("current")
@with_appcontext
def db_current() -> None:
    """In phiên bản hiện tại của cơ sở dữ liệu và phiên bản mới nhất."""
    database = get_database()
    click.echo(f"hiện tại: {migrate.current_revision(database) or 'base (trống)'}; mới nhất: {migrate.head_revision()}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
