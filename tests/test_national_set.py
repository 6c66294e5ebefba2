"""The bundled national-shape set (``questionnaires/sets/quoc_gia``): 8 fields, three surveyed levels
(``cap_so``, ``cap_huyen``, ``cap_xa``), a 5-point satisfaction scale, Xuất sắc among the classes;
loaded by the real loader and scored end to end by ``parsurvey aggregate`` and ``parsurvey rank``."""
from __future__ import annotations

import csv
import shutil
from collections import Counter

import pandas as pd
import pytest

from questionnaires import DEFAULT_SET_DIR, CriteriaSetError, load_criteria_set

SET_DIR = DEFAULT_SET_DIR.parent / "quoc_gia"
LEVELS = ("cap_so", "cap_huyen", "cap_xa")
FIELDS = [str(i) for i in range(1, 9)]


@pytest.fixture(scope="module")
def cset():
    return load_criteria_set(SET_DIR)


# --- the set as loaded -------------------------------------------------------------------------------------------

def test_eight_national_fields_and_three_levels(cset):
    assert cset.year == 2025 and "khung quốc gia" in cset.name and "cấp xã" in cset.name
    assert [f.code for f in cset.fields] == FIELDS
    assert cset.field_by_code["8"].name == (
        "Tác động của cải cách hành chính đến người dân, tổ chức và phát triển kinh tế - xã hội")
    assert all(f.short_name and len(f.short_name) <= len(f.name) for f in cset.fields)
    assert cset.field_by_code["8"].short_name == "Tác động của CCHC"
    assert tuple(lv.code for lv in cset.levels) == LEVELS
    xa = cset.level_by_code["cap_xa"]
    assert xa.surveyed and xa.parent == "cap_huyen" and xa.units_word == "xã, phường, thị trấn"
    assert [cset.level_by_code[c].units_word for c in LEVELS[:2]] == ["sở, ban, ngành", "huyện, thị xã, thành phố"]


@pytest.mark.parametrize("level", LEVELS)
def test_every_level_is_surveyed_out_of_10_and_its_maxima_add_up(cset, level):
    lv = cset.level_by_code[level]
    assert (lv.appraisal_max, lv.survey_max) == (90.0, 10.0)
    assert sum(lv.field_max.values()) == pytest.approx(lv.survey_max)
    assert 8 <= len(lv.sub_criteria) <= 12
    assert set(lv.field_max) == set(FIELDS), "every level has a sub-criterion in each of the 8 fields"
    assert all(s.max_points in (0.5, 1.0) for s in lv.sub_criteria)
    for field, most in lv.field_max.items():
        assert sum(s.max_points for s in lv.sub_criteria if s.field == field) == pytest.approx(most)
    for sub in lv.sub_criteria:
        qs = [q for q in cset.level_questions(level) if q.sub_criterion == sub.code]
        assert qs and sum(q.max_points for q in qs) == pytest.approx(sub.max_points)
    assert sum(q.max_points for q in cset.level_questions(level)) == pytest.approx(10.0)


def test_five_point_satisfaction_scale_with_dont_know(cset):
    scale = cset.scale_by_code["hai_long"]
    assert [(o.label, o.fraction) for o in scale.counted_options] == [
        ("Rất hài lòng", 1.0), ("Hài lòng", 0.75), ("Bình thường", 0.5), ("Không hài lòng", 0.25),
        ("Rất không hài lòng", 0.0)]
    assert len(scale.counted_options) == 5
    assert scale.dont_know_option.label == "Không biết / không ý kiến" and scale.dont_know_option.fraction is None
    assert [o.code for o in scale.poor_options] == ["khong_hai_long", "rat_khong_hai_long"]  # both dissatisfied
    # Every commune question is on the 5-point scale (citizens are not asked for shares).
    assert {q.scale for q in cset.level_questions("cap_xa")} == {"hai_long"}


def test_groups_rate_the_three_levels(cset):
    rates = {g.code: {(r.level, r.how) for r in g.rates} for g in cset.groups}
    assert rates == {
        "dai_bieu_hdnd": {("cap_so", "each"), ("cap_huyen", "each")},
        "cong_chuc": {("cap_so", "own")},
        "can_bo_xa": {("cap_huyen", "own")},
        "to_chuc": {("cap_huyen", "own")},
        "nguoi_dan_xa": {("cap_xa", "own")},
    }
    assert {g.code for g in cset.groups if g.reached_by == "paper"} == {"to_chuc", "nguoi_dan_xa"}
    # One questionnaire per (level, group) rated, and every question of a level is asked by some group.
    assert Counter(qn.level for qn in cset.questionnaires) == {"cap_so": 2, "cap_huyen": 3, "cap_xa": 1}
    for q in cset.questions:
        assert cset.groups_asking(q.level, q.id), q.id


def test_h16_counts_businesses_twice(cset):
    # H16 (8.3.1) is asked of delegates, commune officials and businesses; weights 1 : 1 : 2 -> 1/4, 1/4, 1/2.
    assert cset.group_weights("cap_huyen", "H16") == {"dai_bieu_hdnd": 0.25, "can_bo_xa": 0.25, "to_chuc": 0.5}
    assert cset.group_weights("cap_huyen", "H14") == {"dai_bieu_hdnd": 0.5, "to_chuc": 0.5}


def test_five_classes_from_xuat_sac_compared_at_3_decimals(cset):
    assert [(c.name, c.min_points) for c in cset.classes] == [
        ("Xuất sắc", 90), ("Tốt", 80), ("Khá", 70), ("Trung bình", 50), ("Yếu", 0)]
    assert cset.class_for(92.0).name == "Xuất sắc"
    # class_for rounds half up at 3 decimals (round_points): 89.9995 -> 90.000, 89.9994 -> 89.999.
    assert cset.class_for(89.9995).name == "Xuất sắc"
    assert cset.class_for(89.9994).name == "Tốt"
    assert cset.class_for(90.0).name == "Xuất sắc" and cset.class_for(80.0).name == "Tốt"
    assert cset.class_for(79.9995).name == "Tốt" and cset.class_for(69.9994).name == "Trung bình"
    assert cset.class_for(49.9995).name == "Trung bình" and cset.class_for(49.9994).name == "Yếu"
    assert cset.district_rule.enabled and cset.district_rule.min_share == pytest.approx(2 / 3)


def test_check_command_says_ok(runner):
    result = runner.invoke(args=["questionnaires", "check", str(SET_DIR)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK — Bộ tiêu chí XHH Chỉ số CCHC theo khung quốc gia")
    assert "8 lĩnh vực; cap_so: 12 TCTP, 17 câu hỏi, 10 điểm" in result.output
    assert "cap_xa: 12 TCTP, 14 câu hỏi, 10 điểm; 5 đối tượng, 6 phiếu" in result.output


def test_a_broken_copy_is_refused(tmp_path):
    """The checks bite on this set too: H16 dropped from the businesses' questionnaire leaves its weight dangling."""
    copy = tmp_path / "quoc_gia"
    shutil.copytree(SET_DIR, copy)
    qn = copy / "questionnaires" / "cap_huyen-to_chuc.yaml"
    qn.write_text("".join(line for line in qn.read_text(encoding="utf-8").splitlines(keepends=True)
                          if not line.lstrip().startswith("- H16")), encoding="utf-8")
    with pytest.raises(CriteriaSetError) as error:
        load_criteria_set(copy)
    assert [p.code for p in error.value.problems] == ["weight_not_asking"]
    assert error.value.problems[0].file == "questions/cap_huyen.yaml"


# --- end to end on files: ballots -> points.csv -> final.csv ------------------------------------------------------

# Answer profiles: the option given to every question of a questionnaire, by scale.
BEST = {"hai_long": "rat_hai_long", "ty_le": "tren_80"}           # 1.0 and 1.0
GOOD = {"hai_long": "hai_long", "ty_le": "tu_65_den_80"}          # 0.75 and 0.6
FAIR = {"hai_long": "binh_thuong", "ty_le": "tu_50_den_65"}       # 0.5 and 0.2
WORST = {"hai_long": "rat_khong_hai_long", "ty_le": "duoi_50"}    # 0.0 and 0.0
# Commune x_ap1's third citizen: no opinion, except "Không hài lòng" (0.25) on the field-8 questions.
FIELD_8_ONLY = {"X12": "khong_hai_long", "X13": "khong_hai_long", "X14": "khong_hai_long"}

# (ballot, group, level, unit, profile, state); a delegate's ballot rates each department and each district.
BALLOTS = [
    ("D1", "dai_bieu_hdnd", "cap_so", "so_tu_phap", BEST, "verified"),
    ("D1", "dai_bieu_hdnd", "cap_so", "so_y_te", GOOD, "verified"),
    ("D1", "dai_bieu_hdnd", "cap_huyen", "h_an_phu", BEST, "verified"),
    ("D1", "dai_bieu_hdnd", "cap_huyen", "h_binh_son", GOOD, "verified"),
    ("D2", "dai_bieu_hdnd", "cap_so", "so_tu_phap", BEST, "verified"),
    ("D2", "dai_bieu_hdnd", "cap_so", "so_y_te", FAIR, "verified"),
    ("D2", "dai_bieu_hdnd", "cap_huyen", "h_an_phu", BEST, "verified"),
    ("D2", "dai_bieu_hdnd", "cap_huyen", "h_binh_son", GOOD, "verified"),
    ("C1", "cong_chuc", "cap_so", "so_tu_phap", BEST, "verified"),
    ("C2", "cong_chuc", "cap_so", "so_y_te", GOOD, "verified"),
    ("B1", "can_bo_xa", "cap_huyen", "h_an_phu", BEST, "verified"),
    ("B2", "can_bo_xa", "cap_huyen", "h_binh_son", FAIR, "verified"),
    ("T1", "to_chuc", "cap_huyen", "h_an_phu", GOOD, "received"),
    ("T2", "to_chuc", "cap_huyen", "h_an_phu", FAIR, "received"),
    ("T3", "to_chuc", "cap_huyen", "h_binh_son", GOOD, "received"),
    ("N1", "nguoi_dan_xa", "cap_xa", "x_ap1", BEST, "received"),
    ("N2", "nguoi_dan_xa", "cap_xa", "x_ap1", GOOD, "received"),
    ("N3", "nguoi_dan_xa", "cap_xa", "x_ap1", {"hai_long": "khong_biet", **FIELD_8_ONLY}, "received"),
    ("N8", "nguoi_dan_xa", "cap_xa", "x_ap1", WORST, "rejected"),  # rejected: must not count
    ("N4", "nguoi_dan_xa", "cap_xa", "x_ap2", BEST, "verified"),
    ("N5", "nguoi_dan_xa", "cap_xa", "x_ap2", BEST, "verified"),
    ("N6", "nguoi_dan_xa", "cap_xa", "x_bs1", GOOD, "verified"),
    ("N7", "nguoi_dan_xa", "cap_xa", "x_bs2", FAIR, "verified"),
]

# Appraisal totals (at most 90 at every level).
APPRAISAL = {"so_tu_phap": 85.0, "so_y_te": 80.0, "h_an_phu": 82.0, "h_binh_son": 78.0,
             "x_ap1": 84.5, "x_ap2": 80.0, "x_bs1": 78.0, "x_bs2": 70.0}


def ballot_rows(cset) -> list[tuple]:
    rows = []
    for ballot, group, level, unit, profile, state in BALLOTS:
        for qid in cset.questionnaire(level, group).question_ids:
            scale = cset.question_by_key[(level, qid)].scale
            rows.append((ballot, group, level, unit, qid, profile.get(qid) or profile[scale], state))
    return rows


@pytest.fixture
def points(runner, cset, tmp_path):
    """``parsurvey aggregate`` on the ballots above; returns (folder, points.csv, its table, the run's output)."""
    ballots = tmp_path / "ballots.csv"
    with open(ballots, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ballot_id", "group", "level", "unit", "question", "option", "state"])
        writer.writerows(ballot_rows(cset))
    out = tmp_path / "points.csv"
    result = runner.invoke(args=["aggregate", "--ballots", str(ballots), "--criteria", str(SET_DIR),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    return tmp_path, out, pd.read_csv(out).set_index("unit"), result.output


def test_aggregate_scores_the_three_levels_by_hand(points):
    _folder, _out, table, output = points
    assert "Đã ghi 8 đơn vị" in output and "(8 đủ ý kiến mọi đối tượng)" in output
    assert list(table.columns) == ["level", *FIELDS, "total", "complete", "ballots"]
    assert table["ballots"].to_dict() == {"so_tu_phap": 3, "so_y_te": 3, "h_an_phu": 5, "h_binh_son": 4,
                                          "x_ap1": 3, "x_ap2": 2, "x_bs1": 1, "x_bs2": 1}
    assert table["level"].to_dict() == {
        "so_tu_phap": "cap_so", "so_y_te": "cap_so", "h_an_phu": "cap_huyen", "h_binh_son": "cap_huyen",
        "x_ap1": "cap_xa", "x_ap2": "cap_xa", "x_bs1": "cap_xa", "x_bs2": "cap_xa"}
    # so_tu_phap, x_ap2: every counted answer is worth its full points -> the level's survey maximum, 10.
    assert table.loc["so_tu_phap", "total"] == pytest.approx(10.0)
    assert table.loc["x_ap2", "total"] == pytest.approx(10.0)
    # x_bs1: one citizen, all "Hài lòng" (0.75): 10 x 0.75 = 7.5;  x_bs2: all "Bình thường": 10 x 0.5 = 5.0.
    assert table.loc["x_bs1", "total"] == pytest.approx(7.5)
    assert table.loc["x_bs2", "total"] == pytest.approx(5.0)

    # x_ap1 (cap_xa, one group nguoi_dan_xa). Counted answers: N1 1.0 and N2 0.75 everywhere; N3 "don't know"
    # (left out) on X01-X11 and 0.25 on X12-X14; N8 is rejected (left out).
    #   X01-X11 (7.0 points, fields 1-7): f = (1.0 + 0.75) / 2 = 0.875  -> 7.0 x 0.875 = 6.125
    #   X12-X14 (3 x 1.0 points, field 8): f = (1.0 + 0.75 + 0.25) / 3 = 2/3 -> 3.0 x 2/3 = 2.0
    #   total = 6.125 + 2.0 = 8.125; field 1 (X01 1.0 + X02 0.5) = 1.5 x 0.875 = 1.3125
    x = table.loc["x_ap1"]
    assert x["total"] == pytest.approx(8.125, abs=1e-6)
    assert x["8"] == pytest.approx(2.0, abs=1e-6) and x["1"] == pytest.approx(1.3125, abs=1e-6)

    # h_an_phu (cap_huyen). Delegates D1, D2 and commune official B1 answer BEST (1.0) everywhere; businesses
    # T1 GOOD and T2 FAIR: f(to_chuc) = (0.75 + 0.5) / 2 = 0.625 on hai_long, (0.6 + 0.2) / 2 = 0.4 on ty_le.
    # Questions not asked of to_chuc score in full: H01 H03 H04 H09 H12 (0.5 each) + H15 (1.0) = 3.5.
    # Questions asked of to_chuc (max x f):
    #   H05 H06 H08 H11 (to_chuc only, 0.5 each):     4 x 0.5 x 0.625            = 1.25
    #   H13 (to_chuc only, 1.0):                      1.0 x 0.625                = 0.625
    #   H02 (delegates + to_chuc, 0.5):               0.5 x (1 + 0.625) / 2      = 0.40625
    #   H10 (commune officials + to_chuc, 0.5):       0.5 x (1 + 0.625) / 2      = 0.40625
    #   H07 (delegates + to_chuc, ty_le, 0.5):        0.5 x (1 + 0.4) / 2        = 0.35
    #   H14 (delegates + to_chuc, 1.0):               1.0 x (1 + 0.625) / 2      = 0.8125
    #   H16 (weights 1 : 1 : 2, 1.0):                 1.0 x (1 + 1 + 2 x 0.625) / 4 = 0.8125
    #   sum = 1.25 + 0.625 + 0.40625 + 0.40625 + 0.35 + 0.8125 + 0.8125 = 4.6625
    # total = 3.5 + 4.6625 = 8.1625 (equal weights on H16 would give (2 + 0.625) / 3 = 0.875 and 8.225).
    # Field 3 = H05 + H06 + H07 + H08 = 0.3125 + 0.3125 + 0.35 + 0.3125 = 1.2875; field 8 = 1 + 0.8125 + 0.8125.
    h = table.loc["h_an_phu"]
    assert h["total"] == pytest.approx(8.1625, abs=1e-6)
    assert h["3"] == pytest.approx(1.2875, abs=1e-6) and h["8"] == pytest.approx(2.625, abs=1e-6)
    assert set(table["complete"]) == {1}


def arithmetic_set(folder):
    """The set with min_ballots and min_cell 1: these ballots (1 to 5 a unit) check the arithmetic of the index and
    the classes; the coverage guard they would meet is tested in tests/test_cli_coverage.py."""
    copy = folder / "quoc_gia"
    shutil.copytree(SET_DIR, copy)
    text = (copy / "set.yaml").read_text(encoding="utf-8")
    (copy / "set.yaml").write_text(text.replace("year: 2025\n", "year: 2025\nmin_ballots: 1\nmin_cell: 1\n", 1),
                                   encoding="utf-8")
    return copy


def write_appraisal(folder):
    path = folder / "appraisal.csv"
    path.write_text("unit,total\n" + "".join(f"{u},{v}\n" for u, v in APPRAISAL.items()), encoding="utf-8")
    return path


def read_final(path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False).set_index("unit")


def test_rank_classes_xuat_sac_and_ranks_each_level_apart(runner, points):
    folder, survey, _table, _output = points
    out = folder / "final.csv"
    result = runner.invoke(args=["rank", "--survey", str(survey), "--appraisal", str(write_appraisal(folder)),
                                 "--criteria", str(arithmetic_set(folder)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    final = read_final(out)
    # so_tu_phap: 85 + 10 = 95 -> Xuất sắc; x_ap1: 84.5 + 8.125 = 92.625 -> Xuất sắc;
    # x_ap2: 80 + 10 = 90.000 exactly -> Xuất sắc (the band's floor); x_bs1: 78 + 7.5 = 85.5 -> Tốt;
    # x_bs2: 70 + 5 = 75 -> Khá. Communes are classed by their own index: the district rule is for cap_huyen.
    assert final.loc["so_tu_phap", "index"] == pytest.approx(95.0)
    assert final.loc["x_ap1", "index"] == pytest.approx(92.625)
    assert final.loc["h_an_phu", "index"] == pytest.approx(90.1625)
    assert {u: final.loc[u, "class"] for u in ("so_tu_phap", "x_ap1", "x_ap2", "x_bs1", "x_bs2")} == {
        "so_tu_phap": "Xuất sắc", "x_ap1": "Xuất sắc", "x_ap2": "Xuất sắc", "x_bs1": "Tốt", "x_bs2": "Khá"}
    # so_y_te: 80 + a survey between 2 and 7.5 (every answer it got is worth 0.2 to 0.75) -> Tốt, below so_tu_phap.
    assert 82.0 <= final.loc["so_y_te", "index"] <= 87.5 and final.loc["so_y_te", "class"] == "Tốt"
    # Ranks restart at 1 in every level.
    assert final["rank"].to_dict() == {"so_tu_phap": 1, "so_y_te": 2, "h_an_phu": 1, "h_binh_son": 2,
                                       "x_ap1": 1, "x_ap2": 2, "x_bs1": 3, "x_bs2": 4}
    assert list(final["level"]) == ["cap_so"] * 2 + ["cap_huyen"] * 2 + ["cap_xa"] * 4
    # Without --communes no district is classified, although the communes' own results are in points.csv.
    assert set(final.loc[["h_an_phu", "h_binh_son"], "class"]) == {"Không xếp loại"}
    assert set(final.loc[["h_an_phu", "h_binh_son"], "class_reason"]) == {
        "không có kết quả xếp loại của các xã trực thuộc"}
    # The warning's middle part (which options give commune results) is being reworded elsewhere: assert its ends.
    warning = next(line for line in result.output.splitlines() if line.startswith("Lưu ý:"))
    assert warning.startswith("Lưu ý: không có kết quả xếp loại của cấp xã (nhập kết quả các xã")
    assert warning.endswith("các huyện không được xếp loại")
    assert "Đã ghi 8 đơn vị" in result.output


def test_rank_with_communes_applies_the_two_thirds_rule(runner, points):
    folder, survey, _table, _output = points
    appraisal = write_appraisal(folder)
    first = folder / "first.csv"
    args = ["rank", "--survey", str(survey), "--appraisal", str(appraisal), "--criteria", str(arithmetic_set(folder))]
    assert runner.invoke(args=[*args, "--out", str(first)]).exit_code == 0
    communes_of = {"x_ap1": "h_an_phu", "x_ap2": "h_an_phu", "x_bs1": "h_binh_son", "x_bs2": "h_binh_son"}
    # The communes' indexes from the first run: 92.625, 90, 85.5, 75.
    indexes = read_final(first)["index"]
    communes = folder / "communes.csv"
    communes.write_text("commune,district,index\n" + "".join(
        f"{c},{d},{float(indexes[c]):.3f}\n" for c, d in communes_of.items()), encoding="utf-8")
    out = folder / "final.csv"
    result = runner.invoke(args=[*args, "--communes", str(communes), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "--communes" not in result.output
    final = read_final(out)
    # h_an_phu: 90.1625, Xuất sắc; both communes Xuất sắc (92.625, 90.000): 2/2 >= 2/3 -> keeps Xuất sắc.
    assert final.loc["h_an_phu", "class"] == "Xuất sắc"
    assert final.loc["h_an_phu", "class_reason"] == "2/2 xã đạt loại Xuất sắc trở lên (≥ 2/3)"
    # h_binh_son: 78 + a survey between 2 and 7.5 -> Tốt band; communes Tốt (85.5) and Khá (75):
    # 1/2 < 2/3 -> one class lower, Khá.
    assert 80.0 <= final.loc["h_binh_son", "index"] < 90.0
    assert final.loc["h_binh_son", "class"] == "Khá"
    assert final.loc["h_binh_son", "class_reason"] == "chỉ 1/2 xã đạt loại Tốt trở lên (< 2/3): hạ từ Tốt xuống Khá"
