"""``parsurvey --version``: our version, the database's schema revision and the newest the code knows."""
from __future__ import annotations

import platform
from importlib import metadata

import click
from flask.cli import ScriptInfo, load_dotenv

from ..extensions import get_database
from ..services.backup import display_url
from ..services.release import SchemaState, schema_state, version


def version_lines(state: SchemaState | None, where: str, problem: str | None = None) -> list[str]:
    """What ``parsurvey --version`` prints (Vietnamese, but for the names).

    Examples
    --------
    >>> version_lines(SchemaState("0008", "0009"), "sqlite:///p.sqlite")[1]
    'Cấu trúc cơ sở dữ liệu: 0008, mới nhất mã này biết: 0009 — cần nâng cấp: parsurvey db upgrade (sqlite:///p.sqlite)'
    """
    lines = [f"parsurvey {version()}"]
    if state is None:
        lines.append(f"Cấu trúc cơ sở dữ liệu: không đọc được ({problem}).")
    else:
        lines.append(f"Cấu trúc cơ sở dữ liệu: {_schema_text(state)} ({where})")
    lines.append(f"Python {platform.python_version()}, Flask {metadata.version('flask')}")
    return lines


def _schema_text(state: SchemaState) -> str:
    newest = f"mới nhất mã này biết: {state.head}"
    if state.problem:
        return f"không đọc được, {newest} — {state.problem}"
    if not state.exists:
        return f"chưa có tệp, {newest} — tạo bằng: parsurvey db upgrade"
    if state.revision is None:
        return f"trống, {newest} — tạo bằng: parsurvey db upgrade"
    if state.revision == state.head:
        return f"{state.revision}, {newest}"
    if not state.known:
        return f"{state.revision}, {newest} — phiên bản lạ: cơ sở dữ liệu do một parsurvey mới hơn nâng cấp?"
    return f"{state.revision}, {newest} — cần nâng cấp: parsurvey db upgrade"


def print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """Eager ``--version`` callback of the ``parsurvey`` group: prints and exits 0."""
    if not value or ctx.resilient_parsing:
        return
    load_dotenv()
    try:
        app = ctx.ensure_object(ScriptInfo).load_app()
        with app.app_context():
            database = get_database()
            lines = version_lines(schema_state(database), display_url(database.url))
    except Exception as error:  # noqa: BLE001 - the version is still worth printing
        lines = version_lines(None, "", f"{type(error).__name__}: {error}")
    for line in lines:
        click.echo(line)
    ctx.exit(0)


version_option = click.Option(["--version"], is_flag=True, expose_value=False, is_eager=True, callback=print_version,
                              help="In phiên bản parsurvey và phiên bản cấu trúc cơ sở dữ liệu.")
