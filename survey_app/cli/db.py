"""``parsurvey db``: the schema (Alembic migrations).

``upgrade`` and ``downgrade`` change the schema only while no server uses the database (the
serving lock of :mod:`survey_app.services.serving`): a server of the old version left running
would answer 500 to every submission. ``downgrade`` refuses when it would destroy data.
"""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from flask import current_app
from flask.cli import with_appcontext

from .. import migrate
from ..db import Database, DatabaseUnreachable
from ..extensions import get_database
from ..services.serving import ServerRunning, exclusive_use

STOP_FIRST = ("dừng máy chủ trước (sudo systemctl stop parsurvey; Ctrl+C với parsurvey run hoặc make run; "
              "dừng gunicorn của make serve), sao lưu (parsurvey backup), rồi chạy lại lệnh này và khởi động "
              "máy chủ (docs/operations.md, mục «Nâng cấp»)")


@click.group("db", help="Cấu trúc cơ sở dữ liệu (Alembic).")
def db_cli() -> None:
    pass


def _refuse(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(2)


@contextmanager
def _reachable() -> Iterator[Database]:
    """The app's database, checked to answer; a connection failure or an unknown revision is one line."""
    database = get_database()
    try:
        database.check_reachable()
        yield database
    except DatabaseUnreachable as error:
        _refuse(str(error))
    except (CommandError, RevisionError) as error:
        _refuse(f"Alembic: {error}. Không thay đổi gì.")


@contextmanager
def _unserved(database: Database, doing: str) -> Iterator[None]:
    """Run the block with no server on ``database`` (a server starting meanwhile waits)."""
    try:
        with exclusive_use(database.url):
            yield
    except ServerRunning as running:
        _refuse(f"Không {doing}: máy chủ đang phục vụ cơ sở dữ liệu {running.where}. Hãy {STOP_FIRST}. "
                f"{doing.capitalize()} khi máy chủ cũ còn chạy sẽ làm nó báo lỗi với mọi phiếu gửi đến. "
                "Không thay đổi gì.")


@db_cli.command("upgrade", context_settings={"ignore_unknown_options": True})  # '+1' too
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Nâng cấu trúc cơ sở dữ liệu lên REVISION (mặc định: mới nhất). Dừng máy chủ trước."""
    with _reachable() as database:
        secret = current_app.config["SECRET_KEY"]
        if migrate.upgrade_steps(migrate.current_revision(database), revision) == []:
            migrate.upgrade(database, revision, secret)  # nothing to change: allowed while serving
        else:
            with _unserved(database, "nâng cấp"):
                migrate.upgrade(database, revision, secret)
        click.echo(f"Cơ sở dữ liệu ở phiên bản {migrate.current_revision(database)} ({_safe_url(database.url)}).")


@db_cli.command("downgrade", context_settings={"ignore_unknown_options": True})  # '-1' is a revision
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Hạ cấu trúc cơ sở dữ liệu về REVISION ('-1': một bước; 'base' xóa mọi bảng).

    Từ chối khi việc hạ sẽ xoá dữ liệu đang có: khi đó hãy khôi phục bản sao lưu.
    """
    with _reachable() as database, _unserved(database, "hạ cấu trúc"):
        losses = migrate.data_lost_by_downgrade(database, revision)
        if losses:
            _refuse("\n".join([
                f"Không hạ cấu trúc về {revision}: việc này sẽ xoá dữ liệu đang có:",
                *(f"  - {_loss_text(loss)}" for loss in losses),
                "Để quay về phiên bản parsurvey trước, hãy khôi phục bản sao lưu tạo trước khi nâng cấp "
                "(SQLite: parsurvey restore FILE; PostgreSQL: pg_restore) với phiên bản đó. Không thay đổi gì.",
            ]))
        migrate.downgrade(database, revision)
        click.echo(f"Cơ sở dữ liệu ở phiên bản {migrate.current_revision(database) or 'base (trống)'}.")


@db_cli.command("current")
@with_appcontext
def db_current() -> None:
    """In phiên bản hiện tại của cơ sở dữ liệu và phiên bản mới nhất."""
    with _reachable() as database:
        click.echo(f"hiện tại: {migrate.current_revision(database) or 'base (trống)'}; "
                   f"mới nhất: {migrate.head_revision()}")


def _loss_text(loss: migrate.Loss) -> str:
    """One lost thing, in words.

    Examples
    --------
    >>> _loss_text(migrate.Loss("drafts", 3))
    'bảng drafts: 3 dòng'
    >>> _loss_text(migrate.Loss("campaigns", 2, column="province"))
    'cột campaigns.province: giá trị (khác mặc định) của 2 dòng'
    """
    if loss.column:
        return f"cột {loss.table}.{loss.column}: giá trị (khác mặc định) của {loss.rows} dòng"
    if loss.where:
        return f"bảng {loss.table}: {loss.rows} dòng có {loss.where}"
    return f"bảng {loss.table}: {loss.rows} dòng"


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
