"""``parsurvey questionnaires import-xlsform`` / ``export-xlsform``: ODK/Kobo forms in and out.

Thin: the work is in :mod:`questionnaires.xlsform`; here are the options, the
prompts for missing fractions and the messages.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from questionnaires import DEFAULT_SET_DIR, CriteriaSetError, load_criteria_set, summary_line, xlsform


def _fail(problems, what: str) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)
    click.echo(f"{len(problems)} lỗi: {what}", err=True)
    sys.exit(2)


def _load_set(directory: Path):
    try:
        return load_criteria_set(directory)
    except CriteriaSetError as exc:
        _fail(exc.problems, f"bộ tiêu chí {directory} chưa dùng được.")


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _ask_fractions(form: xlsform.XLSForm) -> xlsform.XLSForm:
    """Ask the fraction of every option that has none, one prompt per option."""
    click.echo("Trang choices chưa có tỉ lệ điểm (par_fraction) cho các phương án dưới đây.")
    click.echo(f"Nhập một số từ 0 đến 1 (Tốt 1, Khá 0.6, ...) hoặc '{xlsform.DONT_KNOW}' cho phương án không biết.")
    given = {}
    for choice in form.missing_fractions():
        while True:
            text = click.prompt(f"  {choice.list_name}: {choice.code} ({choice.label})")
            parsed = xlsform.parse_fraction(text)
            if parsed is not None:
                given[choice.key] = parsed
                break
            click.echo(f"  '{text}' không dùng được: một số từ 0 đến 1, hoặc {xlsform.DONT_KNOW}.")
    return xlsform.apply_fractions(form, given)


@click.command("import-xlsform")
@click.argument("form_path", metavar="FORM.xlsx", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Thư mục bộ tiêu chí sẽ ghi (mới hoặc trống).")
@click.option("--criteria", "criteria_dir", default=DEFAULT_SET_DIR, type=click.Path(path_type=Path),
              help="Bộ tiêu chí gốc: lĩnh vực, cấp, tiêu chí thành phần, đối tượng (mặc định: bộ kèm theo).")
@click.option("--level", help="Cấp của phiếu (so, huyen); mặc định: cột par_level của trang settings.")
@click.option("--group", help="Đối tượng của phiếu (nguoi_dan, ...); mặc định: cột par_group của trang settings.")
@click.option(
    "--fractions",
    help="Tỉ lệ điểm khi trang choices thiếu par_fraction, ví dụ "
    '"tot=1,kha=0.6,trung_binh=0.2,kem=0,khong_biet=dont_know" (danh_sach:ma= cho một danh sách).',
)
def import_xlsform_command(
    form_path: Path, out: Path, criteria_dir: Path, level: str | None, group: str | None, fractions: str | None
) -> None:
    """Nhập một XLSForm (ODK/KoboToolbox) thành thư mục bộ tiêu chí.

    Câu select_one có par_subcriterion thành câu hỏi tính điểm; select_one trong nhóm thông tin người trả lời
    (hoặc danh sách par_scored: no) thành câu thông tin; select_multiple thành câu mong đợi; text thành ý kiến."""
    try:
        if out.exists() and any(out.iterdir()):
            raise xlsform.XLSFormError([xlsform.FormProblem(
                "", 0, "out_not_empty", f"thư mục {out} đã có và không trống: chọn một thư mục mới để khỏi ghi đè")])
        form = xlsform.read_xlsform(form_path)
        level, group = xlsform.resolve_target(form, level, group)
        if fractions is not None:
            form = xlsform.apply_fractions(form, xlsform.parse_fractions_option(fractions))
        if form.missing_fractions() and fractions is None and _stdin_is_terminal():
            form = _ask_fractions(form)
        base = _load_set(criteria_dir)
        base_name = "bộ tiêu chí mặc định" if Path(criteria_dir) == DEFAULT_SET_DIR else f"bộ tiêu chí {criteria_dir}"
        texts = xlsform.build_set_texts(form, base, level, group, base_name)
        xlsform.write_set(texts, out)
    except xlsform.XLSFormError as exc:
        _fail(exc.problems, f"không nhập được {form_path.name}, không ghi tệp nào.")
    except CriteriaSetError as exc:  # the validator refused what we would write
        _fail(exc.problems, f"bộ tiêu chí nhập từ {form_path.name} không qua được kiểm tra, không ghi tệp nào.")

    if form.skipped:
        click.echo(f"Không biểu diễn được trong bộ tiêu chí ({len(form.skipped)} dòng của trang survey, không nhập):")
        for row in form.skipped:
            click.echo(f"  - {row}")
    if form.notes:
        click.echo("Ghi chú:")
        for note in form.notes:
            click.echo(f"  - {note}")
    scored = sum(q.kind == "scored" for q in form.questions)
    others = len(form.questions) - scored
    others_text = f" (và {others} câu không tính điểm: thông tin, mong đợi, ý kiến)" if others else ""
    click.echo(f"Đã nhập {scored} câu hỏi{others_text}, {len(form.lists)} thang đo (cấp {level}, đối tượng {group}) "
               f"vào {out}:")
    for rel in texts:
        click.echo(f"  {rel}")
    click.echo(summary_line(load_criteria_set(out)))


@click.command("export-xlsform")
@click.argument("directory", type=click.Path(path_type=Path), default=DEFAULT_SET_DIR, required=False)
@click.option("--level", required=True, help="Cấp của phiếu (so, huyen).")
@click.option("--group", required=True, help="Đối tượng (hdnd_tinh, nguoi_dan, ...).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Tệp FORM.xlsx.")
@click.option("--units", "units_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV code,name: câu 'unit' thành danh sách chọn đơn vị (mặc định: ô ghi mã đơn vị).")
def export_xlsform_command(directory: Path, level: str, group: str, out: Path, units_path: Path | None) -> None:
    """Xuất phiếu của một đối tượng cho một cấp thành XLSForm (ODK Collect, KoboCollect): một đơn vị mỗi phiếu."""
    cset = _load_set(directory)
    try:
        units = xlsform.read_units(units_path) if units_path else None
        sheets = xlsform.export_sheets(cset, level, group, units)
    except xlsform.XLSFormError as exc:
        _fail(exc.problems, "không xuất được phiếu.")
    xlsform.write_workbook(sheets, out)
    n = sum(1 for row in sheets["survey"][1] if row[0] != "note" and row[1] != xlsform.UNIT_FIELD)
    click.echo(f"Đã ghi {out}: {n} câu hỏi của đối tượng {group}, cấp {level} (một đơn vị mỗi phiếu: câu 'unit').")
