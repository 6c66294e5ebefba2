"""``parsurvey rank`` on files alone: points.csv + appraisal -> final.csv."""
from __future__ import annotations

import pandas as pd
import pytest

FIELDS = [str(i) for i in range(1, 8)]


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    # Survey points per field; totals 12.0 (so_a), 11.0 (so_b), 12.5 (h1), 10.0 (h2).
    from questionnaires import load_default_set

    levels = load_default_set().level_by_code
    lines = ["level,unit," + ",".join(FIELDS) + ",total,complete"]
    for level, unit, total, complete in [("so", "so_a", 12.0, 1), ("so", "so_b", 11.0, 1),
                                         ("huyen", "h1", 12.5, 1), ("huyen", "h2", 10.0, 0)]:
        share = total / levels[level].survey_max  # each field at the same share of its maximum
        lines.append(f"{level},{unit}," + ",".join(f"{share * levels[level].field_max[f]:.6f}" for f in FIELDS)
                     + f",{total:.6f},{complete}")
    points = write(tmp_path / "points.csv", "\n".join(lines) + "\n")
    # Totals only, with Vietnamese decimal commas, semicolon-separated as Excel saves in vi-VN.
    appraisal = write(tmp_path / "appraisal.csv", "unit;total\nso_a;80,476\nso_b;69,0\nh1;70,5\nh2;72\n")
    communes = write(
        tmp_path / "communes.csv",
        "commune,district,index,class\nXã 1,h1,85,\nXã 2,h1,,Khá\nXã 3,h1,90,Tốt\nXã 4,h2,81,\nXã 5,h2,,\n",
    )
    previous = write(tmp_path / "previous.csv", "unit,index,rank,class\nso_a,80.12,2,Tốt\nso_b,92.02,1,Xuất sắc\n")
    return tmp_path, points, appraisal, communes, previous


def test_final_csv_with_communes_and_last_year(runner, files):
    folder, points, appraisal, communes, previous = files
    out = folder / "final.csv"
    result = runner.invoke(args=["rank", "--survey", str(points), "--appraisal", str(appraisal),
                                 "--communes", str(communes), "--previous", str(previous), "--out", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel shows Vietnamese
    final = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False).set_index("unit")
    assert list(final.columns) == ["level", "appraisal", "survey", "index", "rank", "class", "class_reason",
                                   "ballots", "coverage", "previous_index", "previous_rank", "previous_class",
                                   "index_change", "rank_change", "class_change"]
    assert final.loc["so_a", "index"] == pytest.approx(92.476) and final.loc["so_a", "rank"] == 1
    assert final.loc["so_b", "index"] == pytest.approx(80.0) and final.loc["so_b", "class"] == "Tốt"
    assert int(final.loc["so_a", "rank_change"]) == 1
    assert final.loc["so_b", "class_change"] == "không so sánh (thay đổi thang xếp loại)", "Xuất sắc: no longer a band"
    # h1: 83.0, Tốt; communes Tốt (85), Khá, Tốt (90): 2/3 at Tốt or better -> keeps Tốt.
    assert final.loc["h1", "class"] == "Tốt" and final.loc["h1", "class_reason"].startswith("2/3 xã")
    # h2: 82.0, but Xã 5 has neither index nor class: not classified, and the survey was incomplete.
    assert final.loc["h2", "class"] == "Không xếp loại"
    assert final.loc["h2", "class_reason"] == ("thiếu kết quả xếp loại của 1/2 xã trực thuộc; "
                                               "điểm điều tra XHH chưa đủ ý kiến mọi đối tượng")
    assert "Đã ghi 4 đơn vị" in result.output


def test_a_commune_missing_from_the_file_leaves_its_district_unclassified_when_the_hierarchy_is_known(
        runner, files):
    """h1 has four communes; the file lists three (all Tốt). With --units the absent one is a missing
    result and h1 is not classified; without, the terminal says an absent commune cannot be seen."""
    folder, points, appraisal, _communes, _previous = files
    three = write(folder / "three.csv", "commune,district,index,class\nXã 1,h1,85,\nXã 2,h1,86,\nXã 3,h1,90,\n")
    units = write(folder / "units.csv", "code,name,level,parent\nso_a,Sở A,so,\nso_b,Sở B,so,\n"
                  "h1,Huyện Một,huyen,\nh2,Huyện Hai,huyen,\nx1,Xã 1,xa,h1\nx2,Xã 2,xa,h1\nx3,Xã 3,xa,h1\n"
                  "x4,Xã 4,xa,h1\n")
    out = folder / "final.csv"
    args = ["rank", "--survey", str(points), "--appraisal", str(appraisal), "--communes", str(three), "--out", str(out)]
    known = runner.invoke(args=[*args, "--units", str(units)])
    assert known.exit_code == 0, known.output
    final = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False).set_index("unit")
    assert final.loc["h1", "class"] == "Không xếp loại"
    assert final.loc["h1", "class_reason"].startswith("thiếu kết quả xếp loại của 1/4 xã")
    unknown = runner.invoke(args=args)
    assert unknown.exit_code == 0, unknown.output
    assert "không có --units" in unknown.stderr and "không phát hiện được" in unknown.stderr
    final = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False).set_index("unit")
    assert final.loc["h1", "class"] == "Tốt" and final.loc["h1", "class_reason"].startswith("3/3 xã")


def test_without_commune_results_the_terminal_says_districts_are_not_classified(runner, files):
    folder, points, appraisal, _communes, _previous = files
    out = folder / "final.csv"
    result = runner.invoke(args=["rank", "--survey", str(points), "--appraisal", str(appraisal), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "không có kết quả xếp loại của cấp xã" in result.output
    final = pd.read_csv(out, encoding="utf-8-sig").set_index("unit")
    assert set(final.loc[["h1", "h2"], "class"]) == {"Không xếp loại"}
    assert "previous_index" not in final.columns


def test_appraisal_xlsx_with_bad_rows_lists_them_all_and_writes_nothing(runner, files):
    folder, points, _appraisal, _communes, _previous = files
    bad = folder / "appraisal.xlsx"
    pd.DataFrame({"unit": ["so_a", "so_x", "h1", "so_a"], "total": ["80", "70", "abc", "81"]}).to_excel(
        bad, index=False
    )
    out = folder / "final.csv"
    result = runner.invoke(args=["rank", "--survey", str(points), "--appraisal", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    for line in ["appraisal.xlsx: dòng 3, cột 'unit': không có đơn vị 'so_x' trong đợt đánh giá",
                 "appraisal.xlsx: dòng 4, cột 'total': 'abc' không phải là số",
                 "appraisal.xlsx: dòng 5, cột 'unit': đơn vị 'so_a' đã có ở dòng 2",
                 "appraisal.xlsx: thiếu điểm thẩm định của đơn vị 'so_b'",
                 "appraisal.xlsx: thiếu điểm thẩm định của đơn vị 'h2'"]:
        assert line in result.output
    assert not out.exists()


def test_points_file_that_is_not_points_csv_is_refused(runner, files):
    folder, _points, appraisal, _communes, _previous = files
    wrong = write(folder / "ballots.csv", "ballot_id,group,level,unit,question,option\n1,nguoi_dan,huyen,h1,H10,tot\n")
    result = runner.invoke(args=["rank", "--survey", str(wrong), "--appraisal", str(appraisal),
                                 "--out", str(folder / "final.csv")])
    assert result.exit_code == 2 and "thiếu cột total" in result.output


def test_units_file_lets_appraisal_name_units_and_classes_communes_in_one_pass(runner, tmp_path):
    """--units gives names and parents: the appraisal names units as people write them, and the
    communes in the same points and appraisal feed their district's 2/3 rule (h1: 12 + 70 = 82, Tốt;
    communes 85, 81, 60: 2/3 Tốt, so h1 keeps Tốt)."""
    units = write(tmp_path / "units.csv", "code,name,level,parent\nh1,Huyện Một,Cấp huyện,\n"
                  "c1,Xã Một,xa,h1\nc2,Xã Hai,xa,Huyện Một\nc3,Xã Ba,xa,h1\n")
    points = write(tmp_path / "points.csv", "level,unit,total\nhuyen,h1,12\nxa,Xã Một,0\nxa,c2,0\nxa,c3,0\n")
    appraisal = write(tmp_path / "appraisal.csv", "unit,total\nHuyện Một,70\nXã Một,85\nXã Hai,81\nc3,60\n")
    out = tmp_path / "final.csv"
    result = runner.invoke(args=["rank", "--survey", str(points), "--appraisal", str(appraisal), "--units", str(units),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    final = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False).set_index("unit")
    assert final.loc["h1", "class"] == "Tốt" and final.loc["h1", "class_reason"].startswith("2/3 xã")
    assert final.loc["c1", "index"] == pytest.approx(85.0) and final.loc["c3", "class"] == "Trung bình"
    bad = write(tmp_path / "bad-units.csv", "code,name,level,parent\nh1,Huyện Một,tinh,\nc1,Xã Một,xa,h9\n")
    refused = runner.invoke(args=["rank", "--survey", str(points), "--appraisal", str(appraisal), "--units", str(bad),
                                  "--out", str(out)])
    assert refused.exit_code == 2
    assert "dòng 2, cột 'level': không có cấp 'tinh' (dùng: so (Cấp sở), huyen (Cấp huyện), xa (Cấp xã))" \
        in refused.output
    assert "dòng 3, cột 'parent': 'h9' không phải một đơn vị cấp huyện của tệp" in refused.output


def test_survey_points_above_their_maximum_are_refused(runner, files):
    folder, points, appraisal, *_ = files
    wrong = write(folder / "wrong.csv", "level,unit,total\nCấp sở,so_a,94.28\nso,so_b,11\n")
    result = runner.invoke(args=["rank", "--survey", str(wrong), "--appraisal", str(appraisal),
                                 "--out", str(folder / "f.csv")])
    assert result.exit_code == 2
    assert "dòng 2, cột 'total': điểm điều tra 94.28 ngoài khoảng 0–13.5 của tổng, cấp sở" in result.output
