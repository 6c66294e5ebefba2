"""``parsurvey aggregate``: survey points from a file of answers, without a database."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from questionnaires import DEFAULT_SET_DIR

from .questionnaires import load_set_or_exit


def _read_ballots(path: Path):
    """The long answers table of a CSV or XLSX file, every cell as text; row labels are file rows. Read by
    :mod:`questionnaires.tabular` (UTF-8, UTF-16 or Windows-1258; comma, semicolon or tab; NFC); a file it
    cannot read is a message and exit 2."""
    import pandas as pd

    from questionnaires import tabular

    from ..outputs.raw_ballots import LONG_COLUMNS

    try:
        table = tabular.read_any(path.read_bytes(), path.name, tabular.LOCAL)
    except tabular.TableError as error:
        where = f"dòng {error.row}: " if error.row else ""
        click.echo(f"{path.name}: {where}{error.message}", err=True)
        sys.exit(2)
    headings = {c.header.lower(): c.key for c in LONG_COLUMNS}  # the raw-ballot export, in Vietnamese
    columns = [headings.get(h.lower(), h.lower()) for h in table.header]
    frame = pd.DataFrame([[cell.strip() for cell in cells] for _n, cells in table.rows], columns=columns,
                         index=[n for n, _c in table.rows], dtype=str)
    for number, cells in table.wider:
        click.echo(f"{path.name}: dòng {number}: có {cells} ô, nhiều hơn {len(columns)} cột của tiêu đề "
                   "(ô có dấu phẩy phải đặt trong ngoặc kép)", err=True)
    if table.wider:
        sys.exit(2)
    if "state" in frame.columns:
        frame["state"] = frame["state"].replace("", "verified")
    return frame


def read_checked_ballots(path: Path, cset, skip_bad_rows: bool = False):
    """The answers of ``path``, checked; every bad row is listed, and without ``skip_bad_rows`` exit 2."""
    from aggregation import check_answers

    frame = _read_ballots(path)
    problems = check_answers(frame, cset)
    if problems:
        for label, message in problems:
            click.echo(
                f"{path.name}: dòng {label}: {message}" if label is not None else f"{path.name}: {message}", err=True
            )
        rows = sorted({label for label, _ in problems if label is not None})
        whole_file = any(label is None for label, _ in problems)
        if whole_file:
            click.echo("Tệp có lỗi chung (không thuộc dòng nào): không ghi tệp nào.", err=True)
            sys.exit(2)
        if not skip_bad_rows:
            click.echo(
                f"{len(rows)} dòng lỗi: không ghi tệp nào (dùng --skip-bad-rows để bỏ qua các dòng này).", err=True
            )
            sys.exit(2)
        frame = frame.drop(index=rows)
        click.echo(f"Đã bỏ qua {len(rows)} dòng lỗi ở trên.", err=True)
    return frame


def with_ballots(table, answers):
    """``table`` (``level, unit, ...``, as :meth:`aggregation.SurveyPoints.table`) with ``ballots``: each
    unit's counted ballots over all groups, rejected ones left out, counted as the web app counts them
    (:func:`scoring.coverage.unit_ballots`); ``parsurvey rank`` holds them against the set's ``min_ballots``.

    Parameters
    ----------
    table : DataFrame
        One row per unit: ``level, unit, <field codes>, total, complete``.
    answers : DataFrame
        The long answers table the points were computed from.

    Returns
    -------
    DataFrame
        ``table`` with an integer ``ballots`` column last (0 for a unit with no counted ballot).
    """
    from scoring.coverage import unit_ballots

    per_unit = unit_ballots(answers).groupby(["level", "unit"], sort=False)["ballots"].sum()
    out = table.copy()
    keys = list(zip(out["level"].astype(str), out["unit"].astype(str)))
    out["ballots"] = [int(per_unit.get(key, 0)) for key in keys]
    return out


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
@click.option("--seed", default=2023, show_default=True,
              help="Số khởi tạo ngẫu nhiên của bootstrap: cùng số, cùng kết quả.")
@click.option("--skip-bad-rows", is_flag=True, help="Bỏ qua các dòng lỗi (được liệt kê) thay vì dừng.")
def aggregate_command(ballots_path: Path, criteria_dir: Path, out: Path, detail: Path | None, stats_path: Path | None,
                      replicates: int, seed: int, skip_bad_rows: bool) -> None:
    """Tính điểm điều tra XHH từ tệp câu trả lời dạng dài (không cần cơ sở dữ liệu)."""
    from aggregation import survey_points

    cset = load_set_or_exit(criteria_dir)
    frame = read_checked_ballots(ballots_path, cset, skip_bad_rows)
    result = survey_points(frame, cset, check=False)
    points = with_ballots(result.table([f.code for f in cset.fields]), frame)
    points.to_csv(out, index=False, float_format="%.6f")
    if detail:
        result.questions.to_csv(detail, index=False, float_format="%.6f")
    if stats_path:
        from aggregation.stats import bootstrap_points, rank_intervals

        boot = bootstrap_points(frame, cset, replicates=replicates, seed=seed)
        ranks, _unsettled = rank_intervals(boot)
        table = boot.intervals.merge(ranks.assign(code="total"), on=["level", "unit", "code"], how="left")
        table.to_csv(stats_path, index=False, float_format="%.6f")
    complete = int(result.totals["complete"].sum())
    under = int((points["ballots"] < cset.min_ballots).sum())
    short = (f" {under} đơn vị chưa đủ {cset.min_ballots} phiếu: parsurvey rank không xếp hạng, không xếp loại."
             if under else "")
    click.echo(f"Đã ghi {len(result.totals)} đơn vị vào {out} ({complete} đủ ý kiến mọi đối tượng).{short}")
