"""``parsurvey rank``: survey points + appraisal points -> final index, rank and class, from files alone."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from questionnaires import DEFAULT_SET_DIR

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _read_or_exit(path: Path, parse, *args):
    """Read ``path`` and parse it; on any problem list them all (file, row, column) and exit 2."""
    from scoring import TableProblems, read_table

    try:
        return parse(read_table(path), *args)
    except TableProblems as error:
        for problem in error.problems:
            click.echo(f"{path.name}: {problem}", err=True)
        click.echo(f"{path.name}: {len(error.problems)} lỗi, không ghi tệp nào.", err=True)
        sys.exit(2)


def _guarded(survey, cset, path: Path):
    """The coverage guard as the web app applies it (:func:`scoring.coverage.with_coverage`): a unit whose
    counted ballots (the points file's ``ballots``) are under ``cset.min_ballots`` has no survey score, rank
    or class. A points file without ``ballots`` (written before the guard) is used as it is, and stderr says
    that no guard was applied."""
    from scoring.coverage import with_coverage

    if "ballots" in survey.columns:
        return with_coverage(survey, survey[["level", "unit", "ballots"]], cset)
    click.echo(f"Lưu ý: {path.name} không có cột ballots (số phiếu của từng đơn vị; tệp do parsurvey aggregate "
               f"bản cũ ghi): KHÔNG áp dụng ngưỡng {cset.min_ballots} phiếu tối thiểu, đơn vị ít phiếu vẫn được "
               "xếp hạng, xếp loại. Chạy lại parsurvey aggregate để có cột này.", err=True)
    return survey


def _last_years_table(frame):
    """Last year's results read by LAST YEAR's codes (``--succession``): the file's own unit codes are its
    units (none is looked up in this year's list), each on one row. Returns the table
    (:func:`scoring.parse_previous`) and ``{code: name}`` from a name column, when the file has one."""
    import pandas as pd

    from scoring import Problem, TableProblems, parse_previous
    from scoring.readers import UNIT_COLUMNS

    unit_col = next((c for c in frame.columns if c in UNIT_COLUMNS), None)
    name_col = next((c for c in frame.columns if c in ("name", "tên", "ten", "tên đơn vị") and c != unit_col), None)
    codes = frame[unit_col] if unit_col else pd.Series(dtype=str)
    seen: dict[str, int] = {}
    problems = []
    for number, code in codes.items():
        if code in seen:
            problems.append(Problem(number, unit_col, f"đơn vị '{code}' đã có ở dòng {seen[code]}"))
        elif code:
            seen[code] = number
    if problems:
        raise TableProblems(problems)
    old = pd.DataFrame({"level": "", "code": list(seen)})
    names = {code: frame.at[n, name_col] for code, n in seen.items() if name_col and frame.at[n, name_col]}
    return parse_previous(frame, old), names


def _through_succession(previous_path: Path, succession_path: Path, units):
    """``--previous`` (last year's units) carried to this year's ``units`` (``level, code[, name]``) through the
    succession file, as the web app does (:func:`scoring.succession.carry_previous`). Every problem of the
    succession file goes to stderr by row, and the command exits 1 (nothing is written)."""
    from types import SimpleNamespace

    import pandas as pd

    from scoring.succession import carry_previous
    from survey_app.services.csv_import import CsvProblems
    from survey_app.services.succession import check_rows, parse_file

    previous, names = _read_or_exit(previous_path, _last_years_table)
    try:
        rows = parse_file(succession_path.read_bytes())
    except CsvProblems as error:
        problems = error.problems
    else:
        said = {}
        for r in rows:  # the file's old names stand where the results file has none
            if r.old_name:
                said.setdefault(r.old_code, r.old_name)
        old_units = {code: SimpleNamespace(name=names.get(code) or said.get(code, code), level="")
                     for code in previous["unit"]}
        this_year = dict(zip(units["code"], units["name"] if "name" in units else units["code"]))
        problems = check_rows(rows, old_units, this_year)
    if problems:
        for n, message in problems:
            click.echo(f"{succession_path.name}: " + (f"dòng {n}: {message}" if n else message), err=True)
        click.echo(f"{succession_path.name}: {len(problems)} lỗi, không ghi tệp nào.", err=True)
        sys.exit(1)
    table = pd.DataFrame([(r.old_code, r.new_code, r.kind) for r in rows], columns=["old", "new", "kind"])
    carried = carry_previous(previous, table, units, names | {r.old_code: r.old_name for r in rows if r.old_name})
    new = int((carried["previous_note"] != "").sum())
    click.echo(f"Năm trước theo bảng kế thừa {succession_path.name}: {len(carried) - new} đơn vị so sánh được, "
               f"{new} đơn vị mới (hợp nhất, chia tách: không tính tăng/giảm).")
    return carried


@click.command("rank")
@click.option("--survey", "survey_path", required=True, type=FILE, help="points.csv của parsurvey aggregate.")
@click.option("--appraisal", "appraisal_path", required=True, type=FILE,
              help="Điểm thẩm định (CSV/XLSX): cột unit (mã hoặc tên) và mỗi lĩnh vực một cột, hoặc chỉ total.")
@click.option("--criteria", "criteria_dir", default=DEFAULT_SET_DIR, type=click.Path(path_type=Path),
              help="Thư mục bộ tiêu chí (mặc định: bộ kèm theo).")
@click.option("--communes", "communes_path", type=FILE,
              help="Kết quả cấp xã cho quy tắc 2/3: commune, district, index và/hoặc class.")
@click.option("--units", "units_path", type=FILE,
              help="Danh sách đơn vị: code, name, level, parent. Cho phép ghi đơn vị bằng tên; các xã có điểm "
                   "trong cùng lần chạy được xếp loại và dùng cho quy tắc 2/3 của huyện.")
@click.option("--previous", "previous_path", type=FILE, help="Bảng kết quả năm trước: unit, index, rank, class.")
@click.option("--succession", "succession_path", type=FILE,
              help="Bảng kế thừa đơn vị (XLSX/CSV như mẫu của trang Đơn vị: Mã đơn vị cũ, Tên đơn vị cũ, Mã đơn "
                   "vị mới, Tên đơn vị mới, Loại thay đổi); cần --previous, khi đó ghi theo mã đơn vị năm trước.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="final.csv")
@click.option("--intervals", "intervals_path", type=click.Path(path_type=Path),
              help="Khoảng tin cậy 95%% của điểm điều tra và khoảng xếp hạng theo chỉ số (CSV); cần --ballots. "
                   "Cấp xếp hạng trong đơn vị cấp trên được xếp trong từng đơn vị cấp trên (cột parent).")
@click.option("--ballots", "ballots_path", type=FILE,
              help="Tệp câu trả lời dạng dài (như parsurvey aggregate --ballots), cho --intervals.")
@click.option("--replicates", default=1000, show_default=True, help="Số lần lặp bootstrap (--intervals).")
@click.option("--seed", default=2023, show_default=True,
              help="Số khởi tạo ngẫu nhiên của bootstrap (--intervals): cùng số, cùng kết quả.")
def rank_command(survey_path: Path, appraisal_path: Path, criteria_dir: Path, communes_path: Path | None,
                 units_path: Path | None, previous_path: Path | None, succession_path: Path | None, out: Path,
                 intervals_path: Path | None, ballots_path: Path | None, replicates: int, seed: int) -> None:
    """Tính chỉ số CCHC, xếp hạng, xếp loại (và quy tắc 2/3 cấp huyện) từ các tệp, không cần cơ sở dữ liệu."""
    from scoring import final_table, parse_appraisal, parse_communes, parse_previous, parse_survey, parse_units
    from scoring.final import ruled_levels

    from .aggregate import read_checked_ballots
    from .questionnaires import load_set_or_exit

    if intervals_path and not ballots_path:
        click.echo("--intervals cần --ballots: khoảng tin cậy được tính lại từ các phiếu.", err=True)
        sys.exit(2)
    if succession_path and not previous_path:
        click.echo("--succession cần --previous: bảng kế thừa chuyển kết quả năm trước (theo mã đơn vị năm trước) "
                   "sang đơn vị năm nay.", err=True)
        sys.exit(2)
    cset = load_set_or_exit(criteria_dir)
    listed = _read_or_exit(units_path, parse_units, cset) if units_path else None
    survey = _guarded(_read_or_exit(survey_path, parse_survey, cset, listed), cset, survey_path)
    units = listed if listed is not None else survey[["level", "unit"]].rename(columns={"unit": "code"})
    scored = units[units["code"].isin(set(survey["unit"]))] if listed is not None else units
    appraisal = _read_or_exit(appraisal_path, parse_appraisal, scored, cset)
    communes = None
    if communes_path:
        districts = units[units["level"].isin(list(ruled_levels(cset)))]
        children = units[units["level"].isin(list(ruled_levels(cset).values()))] if listed is not None else None
        communes = _read_or_exit(communes_path, parse_communes, districts, cset, children)
        if listed is None:
            click.echo(f"Lưu ý: không có --units nên không biết mỗi huyện có những xã nào: một xã vắng mặt trong "
                       f"{communes_path.name} không phát hiện được, và huyện được xếp loại theo các xã có trong tệp. "
                       "Thêm --units (danh sách đơn vị có cột parent) để huyện thiếu kết quả của một xã không được "
                       "xếp loại.", err=True)
    if succession_path:
        previous = _through_succession(previous_path, succession_path, units)
    else:
        previous = _read_or_exit(previous_path, parse_previous, units) if previous_path else None
    result = final_table(survey, appraisal, cset, communes=communes, previous=previous, units=listed)
    for warning in result.warnings:
        click.echo(f"Lưu ý: {warning}", err=True)
    result.table.to_csv(out, index=False, float_format="%.6f", encoding="utf-8-sig")
    if intervals_path:
        from aggregation import bootstrap_points
        from scoring import index_intervals

        answers = read_checked_ballots(ballots_path, cset)
        boot = bootstrap_points(answers, cset, replicates=replicates, seed=seed)
        table, _unsettled = index_intervals(boot, result.table, cset=cset, units=listed)
        if "parent" in result.table:  # a level ranked within its parent: say within which, as final.csv does
            table.insert(2, "parent", table.merge(result.table[["level", "unit", "parent"]], how="left",
                                                  on=["level", "unit"])["parent"].to_numpy())
        table.to_csv(intervals_path, index=False, float_format="%.6f", encoding="utf-8-sig")
        click.echo(f"Đã ghi khoảng tin cậy của {len(table)} đơn vị vào {intervals_path} "
                   f"(bootstrap {replicates} lần, số khởi tạo ngẫu nhiên {seed}).")
    counts = result.table["class"].value_counts()
    click.echo(f"Đã ghi {len(result.table)} đơn vị vào {out}: "
               + ", ".join(f"{name} {n}" for name, n in counts.items()) + ".")
