"""``parsurvey aggregate`` on files: any tool's ballots scored without a database."""
from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from .test_aggregation import COLUMNS, ROWS


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def test_points_csv_from_a_csv_of_ballots(runner, tmp_path, set_dir):
    ballots = write_csv(tmp_path / "ballots.csv", ROWS)
    out, detail = tmp_path / "points.csv", tmp_path / "detail.csv"
    result = runner.invoke(args=["aggregate", "--ballots", str(ballots), "--criteria", str(set_dir),
                                 "--out", str(out), "--detail", str(detail)])
    assert result.exit_code == 0, result.output
    assert "Đã ghi 3 đơn vị" in result.output and "(2 đủ ý kiến mọi đối tượng)" in result.output
    points = pd.read_csv(out, dtype={"unit": str})
    assert list(points.columns) == ["level", "unit", "1", "2", "total", "complete", "ballots"]
    a = points.set_index("unit").loc["A"]
    assert (a["1"], a["2"], a["total"], a["complete"]) == (0.375, 0.3, 0.675, 1)
    assert len(pd.read_csv(detail)) == 7


def test_the_same_from_xlsx(runner, tmp_path, set_dir):
    xlsx = tmp_path / "ballots.xlsx"
    pd.DataFrame(ROWS, columns=COLUMNS).to_excel(xlsx, index=False)
    out = tmp_path / "points.csv"
    result = runner.invoke(args=["aggregate", "--ballots", str(xlsx), "--criteria", str(set_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out).set_index("unit").loc["B", "total"] == 0.55


def test_the_same_from_a_semicolon_csv_as_excel_writes_in_vietnamese(runner, tmp_path, set_dir):
    """Excel in a comma-decimal locale saves CSV with ';': read as such, not as one missing-column blob."""
    ballots = tmp_path / "ballots-excel.csv"
    ballots.write_text("\ufeff" + "\r\n".join(";".join(map(str, r)) for r in [COLUMNS, *ROWS]) + "\r\n",
                       encoding="utf-8")
    out = tmp_path / "points.csv"
    result = runner.invoke(args=["aggregate", "--ballots", str(ballots), "--criteria", str(set_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "thiếu cột" not in result.output.lower()
    a = pd.read_csv(out, dtype={"unit": str}).set_index("unit").loc["A"]
    assert (a["1"], a["2"], a["total"]) == (0.375, 0.3, 0.675)


BAD = [
    ("b9", "khach", "so", "A", "Q1", "tot", "verified"),  # unknown group
    ("b10", "dai_bieu", "so", "A", "Q1", "rat_tot", "verified"),  # option not in the scale
    ("b1", "dai_bieu", "so", "A", "Q1", "kem", "verified"),  # b1 answered A/Q1 already
]


def test_three_kinds_of_bad_rows_are_listed_and_nothing_is_written(runner, tmp_path, set_dir):
    ballots = write_csv(tmp_path / "ballots.csv", ROWS + BAD)
    out = tmp_path / "points.csv"
    result = runner.invoke(args=["aggregate", "--ballots", str(ballots), "--criteria", str(set_dir), "--out", str(out)])
    assert result.exit_code == 2
    first = len(ROWS) + 2  # header row 1, data from row 2
    lines = result.stderr.splitlines()
    assert lines[0] == f"ballots.csv: dòng {first}: không có đối tượng 'khach'"
    assert lines[1] == f"ballots.csv: dòng {first + 1}: phương án 'rat_tot' không có trong thang đo của câu 'Q1'"
    assert lines[2] == f"ballots.csv: dòng {first + 2}: phiếu b1 trả lời câu 'Q1' về đơn vị 'A' hai lần"
    assert lines[3].startswith("3 dòng lỗi: không ghi tệp nào")
    assert not out.exists()


def test_skip_bad_rows_lists_them_and_scores_the_rest(runner, tmp_path, set_dir):
    ballots = write_csv(tmp_path / "ballots.csv", ROWS + BAD)
    out = tmp_path / "points.csv"
    result = runner.invoke(args=["aggregate", "--ballots", str(ballots), "--criteria", str(set_dir), "--out", str(out),
                                 "--skip-bad-rows"])
    assert result.exit_code == 0 and "Đã bỏ qua 3 dòng lỗi" in result.stderr
    assert pd.read_csv(out).set_index("unit").loc["A", "total"] == pytest.approx(0.675)


def test_stats_csv_holds_intervals_and_rank_intervals(runner, tmp_path, set_dir):
    ballots = write_csv(tmp_path / "ballots.csv", ROWS)
    stats = tmp_path / "stats.csv"
    args = ["aggregate", "--ballots", str(ballots), "--criteria", str(set_dir), "--out", str(tmp_path / "p.csv"),
            "--stats", str(stats), "--replicates", "300", "--seed", "5"]
    assert runner.invoke(args=args).exit_code == 0
    table = pd.read_csv(stats, dtype={"unit": str})
    assert list(table.columns) == ["level", "unit", "code", "points", "low", "high", "single", "rank", "rank_low",
                                   "rank_high"]
    total_a = table[(table.unit == "A") & (table.code == "total")].iloc[0]
    assert total_a.points == pytest.approx(0.675) and total_a.low <= total_a.points <= total_a.high
    assert total_a["rank"] == 1 and 1 <= total_a.rank_low <= total_a.rank_high <= 2
    first = stats.read_text()
    assert runner.invoke(args=args).exit_code == 0 and stats.read_text() == first, "the same seed gives the same file"


def test_the_raw_ballot_export_feeds_aggregate_as_it_is(demo_app, tmp_path):
    """The long CSV an analyst downloads (Vietnamese headings) is scored by ``parsurvey aggregate`` and
    gives the report's survey points; a file missing a column is refused without a misleading hint."""
    from survey_app.extensions import DB_KEY
    from survey_app.services.users import create_user

    from .conftest import LAST
    from .test_auth import PASSWORD, login

    with demo_app.extensions[DB_KEY].transaction() as s:
        create_user(s, "pt", PASSWORD, "analyst", actor="test")
    client = demo_app.test_client()
    login(client, "pt")
    export = tmp_path / "phieu-dai.csv"
    export.write_bytes(client.get(f"/bao-cao/{LAST}/xuat/phieu-dai.csv").data)
    assert export.read_text(encoding="utf-8-sig").startswith("Mã phiếu;Đối tượng;Kênh;Trạng thái;Cấp")
    out = tmp_path / "points.csv"
    result = demo_app.test_cli_runner().invoke(args=["aggregate", "--ballots", str(export), "--out", str(out)])
    assert result.exit_code == 0, result.output
    points = pd.read_csv(out, dtype={"unit": str}).set_index("unit")
    page = pd.read_csv(io.BytesIO(client.get(f"/bao-cao/{LAST}/xuat/diem-dieu-tra.csv?dang=may").data),
                       encoding="utf-8-sig", dtype=str)
    ba_be = page[page["Mã đơn vị"] == "ba_be"].iloc[0]
    assert points.loc["ba_be", "total"] == pytest.approx(float(ba_be["Tổng điểm"]), abs=1e-6)
    broken = tmp_path / "broken.csv"
    broken.write_text("ballot_id,group,level,unit,question\n1,nguoi_dan,huyen,ba_be,H01\n", encoding="utf-8")
    refused = demo_app.test_cli_runner().invoke(args=["aggregate", "--ballots", str(broken), "--out", str(out),
                                                      "--skip-bad-rows"])
    assert refused.exit_code == 2 and "option" in refused.output and "--skip-bad-rows" not in refused.output
