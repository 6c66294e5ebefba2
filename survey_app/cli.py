"""The ``parsurvey`` command: a Flask CLI group over :func:`survey_app.create_app`.

``parsurvey run``, ``parsurvey shell`` and our own commands share one entry
point. Our commands are registered on ``app.cli`` in the factory, so tests
reach them through ``app.test_cli_runner()``.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from questionnaires import DEFAULT_SET_DIR, CriteriaSetError, load_criteria_set, rules_table, summary_line

from . import create_app, migrate
from .cli_backup import backup_command, restore_command
from .cli_rank import rank_command
from .cli_xlsform import export_xlsform_command, import_xlsform_command
from .demo import build_demo, database_is_empty
from .extensions import get_database
from .models import ROLES
from .users import UserError, create_user

DEMO_ACCESS_FILE = "demo-access.txt"


def main() -> None:
    """Entry point of the ``parsurvey`` console script."""
    cli = FlaskGroup(create_app=create_app, help="parsurvey: điều tra xã hội học Chỉ số CCHC.")
    cli.main(prog_name="parsurvey")


def register(app) -> None:
    """Add our command groups to ``app.cli``."""
    app.cli.add_command(questionnaires_cli)
    app.cli.add_command(db_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(aggregate_command)
    app.cli.add_command(rank_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


# --- questionnaires -------------------------------------------------------


@click.group("questionnaires", help="Kiểm tra và xuất bộ tiêu chí, phiếu khảo sát (YAML).")
def questionnaires_cli() -> None:
    pass


questionnaires_cli.add_command(import_xlsform_command)
questionnaires_cli.add_command(export_xlsform_command)


def _load_or_exit(directory: Path):
    try:
        return load_criteria_set(directory)
    except CriteriaSetError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(exc.problems)} lỗi trong {directory}: bộ tiêu chí chưa dùng được.", err=True)
        sys.exit(2)


@questionnaires_cli.command("check")
@click.argument("directory", type=click.Path(path_type=Path))
def questionnaires_check(directory: Path) -> None:
    """Kiểm tra bộ tiêu chí trong DIRECTORY: in mọi lỗi (tệp:dòng) và thoát mã 2 nếu có lỗi."""
    click.echo(summary_line(_load_or_exit(directory)))


@questionnaires_cli.command("table")
@click.argument("directory", type=click.Path(path_type=Path), default=DEFAULT_SET_DIR, required=False)
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, allow_dash=True),
              help="Tệp CSV (UTF-8, mở được bằng Excel); '-' để in ra màn hình.")
def questionnaires_table(directory: Path, out: Path) -> None:
    """Xuất mọi quy tắc chấm điểm của bộ tiêu chí thành một bảng phẳng (CSV)."""
    headers, rows = rules_table(_load_or_exit(directory))
    if str(out) == "-":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(rows)
        return
    # utf-8-sig: Excel opens Vietnamese text correctly only with the BOM.
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        writer.writerows(rows)
    click.echo(f"Đã ghi {len(rows)} dòng vào {out}")


# --- db -------------------------------------------------------------------


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


# --- aggregate ------------------------------------------------------------


def _read_ballots(path: Path):
    """The long answers table of a CSV or XLSX file, every cell as text; row labels are file rows."""
    import pandas as pd

    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame = pd.read_excel(path, dtype=str, keep_default_na=False)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    frame.index = frame.index + 2  # the header is row 1, as Excel numbers rows
    if "state" in frame.columns:
        frame["state"] = frame["state"].replace("", "verified")
    return frame


@click.command("aggregate")
@click.option("--ballots", "ballots_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Tệp CSV hoặc XLSX: ballot_id, group, level, unit, question, option[, state].")
@click.option("--criteria", "criteria_dir", default=DEFAULT_SET_DIR, type=click.Path(path_type=Path),
              help="Thư mục bộ tiêu chí (mặc định: bộ kèm theo).")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="points.csv: một dòng mỗi đơn vị.")
@click.option("--detail", type=click.Path(path_type=Path), help="Điểm từng câu hỏi của từng đơn vị (CSV).")
@click.option("--stats", "stats_path", type=click.Path(path_type=Path),
              help="Khoảng tin cậy 95% (bootstrap) của điểm từng lĩnh vực, tổng điểm và thứ hạng (CSV).")
@click.option("--replicates", default=1000, show_default=True, help="Số lần lặp bootstrap.")
@click.option("--seed", default=2023, show_default=True, help="Hạt giống của bootstrap (cùng hạt giống, cùng kết quả).")
@click.option("--skip-bad-rows", is_flag=True, help="Bỏ qua các dòng lỗi (được liệt kê) thay vì dừng.")
def aggregate_command(ballots_path: Path, criteria_dir: Path, out: Path, detail: Path | None, stats_path: Path | None,
                      replicates: int, seed: int, skip_bad_rows: bool) -> None:
    """Tính điểm điều tra XHH từ tệp câu trả lời dạng dài (không cần cơ sở dữ liệu)."""
    from aggregation import check_answers, survey_points

    cset = _load_or_exit(criteria_dir)
    frame = _read_ballots(ballots_path)
    problems = check_answers(frame, cset)
    if problems:
        for label, message in problems:
            click.echo(f"{ballots_path.name}: dòng {label}: {message}" if label is not None else f"{ballots_path.name}: {message}", err=True)
        rows = sorted({label for label, _ in problems if label is not None})
        if not skip_bad_rows or len(rows) < len({label for label, _ in problems}):
            click.echo(f"{len(rows)} dòng lỗi: không ghi tệp nào (dùng --skip-bad-rows để bỏ qua các dòng này).", err=True)
            sys.exit(2)
        frame = frame.drop(index=rows)
        click.echo(f"Đã bỏ qua {len(rows)} dòng lỗi ở trên.", err=True)
    result = survey_points(frame, cset, check=False)
    result.table([f.code for f in cset.fields]).to_csv(out, index=False, float_format="%.6f")
    if detail:
        result.questions.to_csv(detail, index=False, float_format="%.6f")
    if stats_path:
        from aggregation.stats import bootstrap_points, rank_intervals

        boot = bootstrap_points(frame, cset, replicates=replicates, seed=seed)
        ranks, _unsettled = rank_intervals(boot)
        table = boot.intervals.merge(ranks.assign(code="total"), on=["level", "unit", "code"], how="left")
        table.to_csv(stats_path, index=False, float_format="%.6f")
    complete = int(result.totals["complete"].sum())
    click.echo(f"Đã ghi {len(result.totals)} đơn vị vào {out} ({complete} đủ ý kiến mọi đối tượng).")


# --- users ----------------------------------------------------------------


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
    from sqlalchemy import select

    from .api.tokens import create_api_token
    from .models import User

    with get_database().transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            click.echo(f"Không có tài khoản đang hoạt động '{username}'.", err=True)
            sys.exit(1)
        token = create_api_token(session, user, name, actor="cli")
    click.echo(f"Mã truy cập API của '{username}' ({user.role}), chỉ hiện một lần:\n{token}")


# --- demo -----------------------------------------------------------------


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
