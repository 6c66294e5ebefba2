"""``parsurvey rank --previous FILE --succession FILE`` (issue 28 item 3): last year's results are read by last year's
codes and carried to this year's units through the succession table the web app imports, as the web's final table
does (``previous_note``, "đơn vị mới" as the class change of a merged unit).

The bundled ``hai_cap`` set (communes surveyed, survey out of 14, bands Xuất sắc 90, Tốt 80, Khá 70, …).
Last year: communes a 80.12 (rank 2, Tốt), b 75 (rank 3, Khá), c 90.5 (rank 1, Xuất sắc); a and b merged into ab,
c renamed c2. This year: ab 76 + 12 = 88.0 (rank 1, Tốt), c2 75 + 10.5 = 85.5 (rank 2, Tốt).
c2 against c: index 85.5 − 90.5 = −5.0, rank 1 − 2 = −1 (down one place), Tốt against Xuất sắc: Giảm.
ab: no figure of last year and no change; the note names a and b with theirs.
"""
from __future__ import annotations

import pandas as pd
import pytest

from questionnaires import DEFAULT_SET_DIR

HAI_CAP = DEFAULT_SET_DIR.parent / "hai_cap"
HEADINGS = ["Mã đơn vị cũ", "Tên đơn vị cũ", "Mã đơn vị mới", "Tên đơn vị mới", "Loại thay đổi"]
REFORM = [["a", "Xã A", "ab", "Xã An Bình", "Hợp nhất"], ["b", "Xã B", "ab", "Xã An Bình", "Hợp nhất"],
          ["c", "Xã C", "c2", "Xã Cát", "Đổi tên"]]


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def succession_file(folder, rows, suffix="csv"):
    path = folder / f"succession.{suffix}"
    frame = pd.DataFrame(rows, columns=HEADINGS)
    if suffix == "xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False, encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    points = write(tmp_path / "points.csv", "level,unit,total,complete,ballots\nxa,ab,12,1,40\nxa,c2,10.5,1,40\n")
    appraisal = write(tmp_path / "appraisal.csv", "unit,total\nab,76\nc2,75\n")
    previous = write(tmp_path / "previous.csv", "unit,index,rank,class\na,80.12,2,Tốt\nb,75,3,Khá\nc,90.5,1,Xuất sắc\n")
    units = write(tmp_path / "units.csv", "code,name,level,parent\nab,Xã An Bình,xa,\nc2,Xã Cát,xa,\n")
    return tmp_path, points, appraisal, previous, units


def rank(runner, folder, points, appraisal, *extra):
    out = folder / "final.csv"
    result = runner.invoke(args=["rank", "--survey", str(points), "--appraisal", str(appraisal), "--criteria",
                                 str(HAI_CAP), "--out", str(out), *extra])
    return result, out


@pytest.mark.parametrize("suffix, with_units", [("csv", True), ("xlsx", False)])
def test_a_renamed_commune_compares_with_its_predecessor_and_a_merged_one_is_new(runner, files, suffix, with_units):
    folder, points, appraisal, previous, units = files
    succession = succession_file(folder, REFORM, suffix)
    extra = ["--units", str(units)] if with_units else []
    result, out = rank(runner, folder, points, appraisal, "--previous", str(previous), "--succession",
                       str(succession), *extra)
    assert result.exit_code == 0, result.output
    final = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False).set_index("unit")
    assert list(final.columns)[-7:] == ["previous_index", "previous_rank", "previous_class", "index_change",
                                        "rank_change", "class_change", "previous_note"]
    assert final.loc["ab", "index"] == pytest.approx(88.0) and final.loc["ab", "rank"] == 1
    assert final.loc["c2", "index"] == pytest.approx(85.5) and final.loc["c2", "rank"] == 2
    c2 = final.loc["c2"]
    assert (float(c2["previous_index"]), int(c2["previous_rank"]), c2["previous_class"]) == (90.5, 1, "Xuất sắc")
    assert float(c2["index_change"]) == pytest.approx(-5.0) and int(c2["rank_change"]) == -1
    assert c2["class"] == "Tốt" and c2["class_change"] == "Giảm" and c2["previous_note"] == ""
    ab = final.loc["ab"]
    assert [ab[c] for c in ("previous_index", "previous_rank", "previous_class", "index_change", "rank_change")] \
        == [""] * 5, "a merged unit gets no figure of last year and no change"
    assert ab["class_change"] == "đơn vị mới"
    assert ab["previous_note"] == "đơn vị mới (hợp nhất từ Xã A: 80,12, hạng 2, Tốt; Xã B: 75, hạng 3, Khá)"
    assert "1 đơn vị so sánh được, 1 đơn vị mới" in result.stdout


def test_without_succession_last_years_codes_match_nothing(runner, files):
    """The same files without --succession: a, b, c are not this year's units, so nothing compares (the reason
    for the option)."""
    folder, points, appraisal, previous, _units = files
    result, out = rank(runner, folder, points, appraisal, "--previous", str(previous))
    assert result.exit_code == 0, result.output
    final = pd.read_csv(out, encoding="utf-8-sig")
    assert final["previous_index"].isna().all() and "previous_note" not in final.columns


BAD_ROWS = [["a", "Xã A", "ab", "", "Hợp nhất"],
            ["z", "Xã Z", "ab", "", "Hợp nhất"],  # row 3: no z last year
            ["c", "Xã Cê", "c2", "", "nhập"]]  # row 4: wrong name of c, unknown kind; b has no row


def test_a_bad_succession_file_names_every_row_and_writes_nothing(runner, files):
    folder, points, appraisal, _previous, units = files
    previous = write(folder / "previous.csv", "unit,name,index,rank,class\na,Xã A,80.12,2,Tốt\nb,Xã B,75,3,Khá\n"
                                              "c,Xã C,90.5,1,Xuất sắc\n")
    succession = succession_file(folder, BAD_ROWS)
    result, out = rank(runner, folder, points, appraisal, "--previous", str(previous), "--succession",
                       str(succession), "--units", str(units))
    assert result.exit_code == 1
    for line in ["succession.csv: dòng 3: không có đơn vị mã 'z' trong đợt năm trước",
                 "succession.csv: dòng 4: 'Xã Cê' không phải tên năm trước của mã 'c' (Xã C)",
                 "succession.csv: dòng 4: loại thay đổi 'nhập' không hợp lệ (dùng: giữ nguyên, đổi tên, hợp nhất, "
                 "chia tách, giải thể)",
                 "succession.csv: Thiếu đơn vị năm trước 'b' (Xã B)",
                 "succession.csv: 4 lỗi, không ghi tệp nào."]:
        assert line in result.stderr
    assert not out.exists()


def test_a_new_code_that_is_not_this_years_unit_is_refused(runner, files):
    """Without --units this year's units are those of the points file: 'ab2' is none of them (row 3)."""
    folder, points, appraisal, previous, _units = files
    rows = [REFORM[0], ["b", "Xã B", "ab2", "", "Hợp nhất"], REFORM[2]]
    result, out = rank(runner, folder, points, appraisal, "--previous", str(previous), "--succession",
                       str(succession_file(folder, rows)))
    assert result.exit_code == 1
    assert "succession.csv: dòng 3: không có đơn vị mã 'ab2' trong đợt này" in result.stderr
    # a alone merged into ab, b alone into ab2: each merger needs two old units.
    assert "hợp nhất về 'ab' cần ít nhất hai đơn vị cũ" in result.stderr
    assert not out.exists()


def test_a_succession_file_without_its_columns_is_refused(runner, files):
    folder, points, appraisal, previous, _units = files
    bad = write(folder / "succession.csv", "old,new\na,ab\n")
    result, out = rank(runner, folder, points, appraisal, "--previous", str(previous), "--succession", str(bad))
    assert result.exit_code == 1 and "succession.csv: dòng 1: thiếu cột" in result.stderr
    assert not out.exists()


def test_a_unit_twice_in_last_years_file_is_refused(runner, files):
    folder, points, appraisal, _previous, _units = files
    previous = write(folder / "previous.csv", "unit,index,rank,class\na,80.12,2,Tốt\nb,75,3,Khá\na,70,4,Khá\n"
                                              "c,90.5,1,Xuất sắc\n")
    result, out = rank(runner, folder, points, appraisal, "--previous", str(previous), "--succession",
                       str(succession_file(folder, REFORM)))
    assert result.exit_code == 2
    assert "previous.csv: dòng 4, cột 'unit': đơn vị 'a' đã có ở dòng 2" in result.stderr
    assert not out.exists()


def test_succession_without_previous_is_an_error(runner, files):
    folder, points, appraisal, _previous, _units = files
    result, out = rank(runner, folder, points, appraisal, "--succession", str(succession_file(folder, REFORM)))
    assert result.exit_code == 2
    assert "--succession cần --previous" in result.stderr
    assert not out.exists()

