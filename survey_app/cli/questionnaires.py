"""``parsurvey questionnaires``: check a criteria set, list its scoring rules, XLSForm in and out."""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import click

from questionnaires import DEFAULT_SET_DIR, CriteriaSetError, load_criteria_set, rules_table, summary_line

from .xlsform import export_xlsform_command, import_xlsform_command


@click.group("questionnaires", help="Kiểm tra và xuất bộ tiêu chí, phiếu khảo sát (YAML, Excel, XLSForm).")
def questionnaires_cli() -> None:
    pass


questionnaires_cli.add_command(import_xlsform_command)
questionnaires_cli.add_command(export_xlsform_command)


def load_set_or_exit(directory: Path):
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
    click.echo(summary_line(load_set_or_exit(directory)))


@questionnaires_cli.command("table")
@click.argument("directory", type=click.Path(path_type=Path), default=DEFAULT_SET_DIR, required=False)
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, allow_dash=True),
              help="Tệp CSV (UTF-8, mở được bằng Excel); '-' để in ra màn hình.")
def questionnaires_table(directory: Path, out: Path) -> None:
    """Xuất mọi quy tắc chấm điểm của bộ tiêu chí thành một bảng phẳng (CSV)."""
    headers, rows = rules_table(load_set_or_exit(directory))
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


@questionnaires_cli.command("export-workbook")
@click.argument("directory", type=click.Path(path_type=Path), default=DEFAULT_SET_DIR, required=False)
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Tệp Excel (.xlsx) sẽ ghi.")
def export_workbook_command(directory: Path, out: Path) -> None:
    """Ghi bộ tiêu chí trong DIRECTORY thành một tệp Excel để sửa (mỗi phần một trang)."""
    from questionnaires.workbook import export_workbook

    out.write_bytes(export_workbook(load_set_or_exit(directory)))
    click.echo(f"Đã ghi bộ tiêu chí vào {out}.")


@questionnaires_cli.command("import-workbook")
@click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục bộ tiêu chí sẽ ghi (chưa có, hoặc trống).")
def import_workbook_command(workbook: Path, out: Path) -> None:
    """Đọc một tệp Excel bộ tiêu chí, kiểm tra, rồi ghi thành thư mục YAML (mọi lỗi: trang, dòng, cột)."""
    from questionnaires.workbook import WorkbookError, import_workbook

    if out.exists() and any(out.iterdir()):
        click.echo(f"{out} đã có tệp: chọn một thư mục mới hoặc trống.", err=True)
        sys.exit(2)
    try:
        texts, cset = import_workbook(workbook.read_bytes())
    except WorkbookError as exc:
        for problem in exc.problems:
            click.echo(f"{workbook.name}: {problem}", err=True)
        click.echo(f"{len(exc.problems)} lỗi: không ghi gì.", err=True)
        sys.exit(2)
    for name, text in texts.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    click.echo(f"Đã ghi {len(texts)} tệp vào {out}. {summary_line(cset)}")
