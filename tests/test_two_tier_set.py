"""The bundled two-tier set (``questionnaires/sets/hai_cap``, issue 28 item 1): departments (``so``) and communes
(``xa``) with no district level and no 2/3 rule, communes ranked across the province; who rates what; the split of
the points; the default of a new campaign on the admin form; the Excel round trip; scored end to end by
``parsurvey aggregate`` and ``parsurvey rank``."""
from __future__ import annotations

import csv
import re
import shutil
from collections import Counter

import pandas as pd
import pytest
from sqlalchemy import select

from questionnaires import DEFAULT_SET_DIR, NEW_CAMPAIGN_SET_DIR, load_criteria_set, read_set_texts, rules_table
from questionnaires.workbook import export_workbook, import_workbook
from survey_app.extensions import DB_KEY
from survey_app.models import Campaign

from .test_admin import new_campaign, token_of

FIELDS = [str(i) for i in range(1, 9)]


@pytest.fixture(scope="module")
def cset():
    return load_criteria_set(NEW_CAMPAIGN_SET_DIR)


# --- the set as loaded -------------------------------------------------------------------------------------------

def test_it_is_the_hai_cap_folder_and_not_the_2023_default():
    assert NEW_CAMPAIGN_SET_DIR.name == "hai_cap" and NEW_CAMPAIGN_SET_DIR.parent == DEFAULT_SET_DIR.parent
    assert DEFAULT_SET_DIR.name == "default", "the 2023 set stays what the tests and the demo load"


def test_check_command_says_ok(runner):
    result = runner.invoke(args=["questionnaires", "check", str(NEW_CAMPAIGN_SET_DIR)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK — Bộ tiêu chí XHH Chỉ số CCHC các sở, ban, ngành và UBND cấp xã")
    assert "8 lĩnh vực; so: 20 TCTP, 22 câu hỏi, 13.5 điểm; xa: 19 TCTP, 25 câu hỏi, 14 điểm" in result.output
    assert "5 đối tượng, 5 phiếu" in result.output


def test_two_levels_no_district_no_rule_communes_ranked_across_the_province(cset):
    assert cset.year == 2026 and "hai cấp" in cset.name
    assert [(lv.code, lv.name, lv.units_word) for lv in cset.levels] == [
        ("so", "Cấp sở", "sở, ban, ngành"), ("xa", "Cấp xã", "xã, phường, đặc khu")]
    assert all(lv.parent is None and lv.rank_within == "province" and lv.surveyed for lv in cset.levels)
    assert not cset.district_rule.enabled
    assert [f.code for f in cset.fields] == FIELDS
    assert cset.field_by_code["8"].short_name == "Tác động của CCHC"
    assert (cset.min_ballots, cset.min_cell, cset.report_bands) == (5, 5, ())


def test_who_rates_what(cset):
    rates = {g.code: {(r.level, r.how) for r in g.rates} for g in cset.groups}
    assert rates == {
        "hdnd_tinh": {("so", "each")},
        "cc_so": {("so", "own")},
        "cb_xa": {("xa", "own")},
        "nguoi_dan": {("xa", "own")},
        "doanh_nghiep": {("xa", "own")},
    }
    reached = {g.code: (g.reached_by, g.census) for g in cset.groups}
    assert reached == {"hdnd_tinh": ("link", True), "cc_so": ("link", False), "cb_xa": ("link", False),
                       "nguoi_dan": ("mixed", False), "doanh_nghiep": ("mixed", False)}
    # One questionnaire per (level, group), each of a realistic length; every question is asked by some group.
    sizes = {(qn.level, qn.group): len(qn.items) for qn in cset.questionnaires}
    assert sizes == {("so", "cc_so"): 18, ("so", "hdnd_tinh"): 13, ("xa", "cb_xa"): 13,
                     ("xa", "doanh_nghiep"): 14, ("xa", "nguoi_dan"): 16}
    assert all(12 <= n <= 20 for n in sizes.values())
    for q in cset.questions:
        assert cset.groups_asking(q.level, q.id), q.id
    # The citizens' ballot speaks to them in their own words.
    items = {i.question: i.text for i in cset.questionnaire("xa", "nguoi_dan").items}
    assert items["X09"] == "Hồ sơ của Ông/Bà được trả kết quả đúng hẹn"


def test_the_satisfaction_scale_counts_both_dissatisfied_options_as_poor(cset):
    assert [s.code for s in cset.scales] == ["hai_long"]
    scale = cset.scale_by_code["hai_long"]
    assert [(o.label, o.fraction) for o in scale.counted_options] == [
        ("Rất hài lòng", 1.0), ("Hài lòng", 0.75), ("Bình thường", 0.5), ("Không hài lòng", 0.25),
        ("Rất không hài lòng", 0.0)]
    assert [o.code for o in scale.poor_options] == ["khong_hai_long", "rat_khong_hai_long"]
    assert scale.dont_know_option is not None and scale.dont_know_option.fraction is None
    assert {q.scale for q in cset.questions} == {"hai_long"}


@pytest.mark.parametrize(("level", "survey", "appraisal", "field_survey", "field_appraisal"), [
    # Departments keep the 2023 split 13.5 / 86.5 and the 2023 appraisal per field (11; 9; 18; 5; 9.5; 14; 20).
    ("so", 13.5, 86.5, [1.5, 1.5, 2.5, 1.0, 1.5, 1.0, 1.5, 3.0], [11, 9, 18, 5, 9.5, 14, 20, 0]),
    # Communes take the 2023 district's 14 / 86 and its appraisal per field (14; 9; 19; 5; 11; 10; 18).
    ("xa", 14.0, 86.0, [1.5, 1.0, 3.0, 0.5, 1.5, 1.0, 1.5, 4.0], [14, 9, 19, 5, 11, 10, 18, 0]),
])
def test_the_survey_and_appraisal_split_adds_up_to_100(cset, level, survey, appraisal, field_survey,
                                                       field_appraisal):
    lv = cset.level_by_code[level]
    assert (lv.survey_max, lv.appraisal_max) == (survey, appraisal)
    assert lv.survey_max + lv.appraisal_max == 100
    assert [lv.field_max[f] for f in FIELDS] == field_survey
    assert [lv.field_appraisal_max[f] for f in FIELDS] == field_appraisal
    assert sum(field_survey) == survey and sum(field_appraisal) == appraisal
    assert sum(lv.field_index_max(f) for f in FIELDS) == 100
    # Field 8 is scored by the survey alone: its index maximum is its survey maximum.
    assert lv.field_index_max("8") == field_survey[-1]
    assert sum(q.max_points for q in cset.level_questions(level)) == pytest.approx(survey)


def test_five_classes_from_xuat_sac(cset):
    assert [(c.name, c.min_points) for c in cset.classes] == [
        ("Xuất sắc", 90), ("Tốt", 80), ("Khá", 70), ("Trung bình", 50), ("Yếu", 0)]
    assert cset.class_for(89.9995).name == "Xuất sắc" and cset.class_for(89.9994).name == "Tốt"


def test_the_workbook_round_trip_keeps_it(cset):
    texts, again = import_workbook(export_workbook(cset))
    assert rules_table(again) == rules_table(cset)
    for part in ("name", "year", "fields", "levels", "scales", "groups", "questions", "questionnaires", "classes",
                 "district_rule", "min_ballots", "min_cell", "report_bands"):
        assert getattr(again, part) == getattr(cset, part), part
    assert again.level_by_code["xa"].field_appraisal_max["8"] == 0 and not again.district_rule.enabled
    assert sorted(t for t in texts if t.startswith("questions/")) == ["questions/so.yaml", "questions/xa.yaml"]


# --- the default of a new campaign ---------------------------------------------------------------------------------

def selected_options(html: str) -> list[str]:
    return re.findall(r'<option value="([^"]+)" selected>', html)


def test_the_new_campaign_form_preselects_it_and_names_the_2023_set_for_its_tables(admin):
    page = admin.get("/quan-tri/dot/moi").get_data(as_text=True)
    assert selected_options(page) == ["bo:hai_cap"]
    assert "(chính quyền địa phương hai cấp) — mặc định cho đợt mới</option>" in page
    assert re.search(r'<option value="bo:default">Bộ tiêu chí XHH Chỉ số CCHC cấp sở, cấp huyện[^<]*'
                     r' — dùng để tính lại các bảng đã công bố năm 2023</option>', page)
    assert 'value="bo:quoc_gia"' in page
    assert '<select id="source" name="source" aria-describedby="source-help">' in page and 'id="source-help"' in page


def test_a_campaign_made_without_choosing_gets_it(admin, app):
    made = admin.post("/quan-tri/dot/moi", data={"csrf_token": token_of(admin, "/quan-tri/dot/moi"),
                                                 "name": "Chỉ số CCHC 2026", "year": "2026"})
    assert made.status_code == 302, made.get_data(as_text=True)
    with app.extensions[DB_KEY].session() as s:
        campaign = s.scalar(select(Campaign))
        assert campaign.criteria_name == load_criteria_set(NEW_CAMPAIGN_SET_DIR).name
        assert campaign.criteria_files == read_set_texts(NEW_CAMPAIGN_SET_DIR)
        assert sorted(g.code for g in campaign.groups) == ["cb_xa", "cc_so", "doanh_nghiep", "hdnd_tinh",
                                                            "nguoi_dan"]
        assert {g.code: g.reached_by for g in campaign.groups}["nguoi_dan"] == "mixed"


def test_the_2023_set_is_still_offered_and_once_a_campaign_exists_copying_it_is_preselected(admin, app):
    assert new_campaign(admin).status_code == 302  # the 2023 set, chosen explicitly
    with app.extensions[DB_KEY].session() as s:
        first = s.scalar(select(Campaign))
        assert first.criteria_name.startswith("Bộ tiêu chí XHH Chỉ số CCHC cấp sở, cấp huyện")
        first_id = first.id
    page = admin.get("/quan-tri/dot/moi").get_data(as_text=True)
    assert selected_options(page) == [f"dot:{first_id}"]
    assert 'value="bo:hai_cap"' in page


# --- end to end on files: ballots -> points.csv -> final.csv --------------------------------------------------------

BEST, FAIR, WORST = "rat_hai_long", "binh_thuong", "rat_khong_hai_long"   # 1.0, 0.5 and 0.0

# (ballot, group, level, unit, option given to every question); a delegate's ballot rates each department.
BALLOTS = [
    ("D1", "hdnd_tinh", "so", "so_tai_chinh", BEST), ("D1", "hdnd_tinh", "so", "so_noi_vu", FAIR),
    ("C1", "cc_so", "so", "so_tai_chinh", BEST), ("C2", "cc_so", "so", "so_noi_vu", FAIR),
    ("N1", "nguoi_dan", "xa", "x_an_lac", BEST), ("B1", "doanh_nghiep", "xa", "x_an_lac", BEST),
    ("K1", "cb_xa", "xa", "x_an_lac", BEST),
    ("N2", "nguoi_dan", "xa", "p_binh_minh", BEST), ("B2", "doanh_nghiep", "xa", "p_binh_minh", WORST),
    ("K2", "cb_xa", "xa", "p_binh_minh", BEST),
    ("N3", "nguoi_dan", "xa", "dk_con_co", FAIR), ("B3", "doanh_nghiep", "xa", "dk_con_co", FAIR),
    ("K3", "cb_xa", "xa", "dk_con_co", FAIR),
]
APPRAISAL = {"so_tai_chinh": 80.0, "so_noi_vu": 86.5, "x_an_lac": 70.0, "p_binh_minh": 80.0, "dk_con_co": 85.0}


@pytest.fixture
def scored(runner, cset, tmp_path):
    """``parsurvey aggregate`` then ``parsurvey rank`` on the ballots above, with a copy of the set whose
    min_ballots and min_cell are 1 (1 to 3 ballots a unit check the arithmetic, not the coverage guard)."""
    ballots = tmp_path / "ballots.csv"
    with open(ballots, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ballot_id", "group", "level", "unit", "question", "option", "state"])
        for ballot, group, level, unit, option in BALLOTS:
            writer.writerows((ballot, group, level, unit, qid, option, "verified")
                             for qid in cset.questionnaire(level, group).question_ids)
    copy = tmp_path / "hai_cap"
    shutil.copytree(NEW_CAMPAIGN_SET_DIR, copy)
    text = (copy / "set.yaml").read_text(encoding="utf-8")
    (copy / "set.yaml").write_text(text.replace("min_ballots: 5\nmin_cell: 5\n", "min_ballots: 1\nmin_cell: 1\n"),
                                   encoding="utf-8")
    points = tmp_path / "points.csv"
    result = runner.invoke(args=["aggregate", "--ballots", str(ballots), "--criteria", str(copy),
                                 "--out", str(points)])
    assert result.exit_code == 0, result.output
    appraisal = tmp_path / "appraisal.csv"
    appraisal.write_text("unit,total\n" + "".join(f"{u},{v}\n" for u, v in APPRAISAL.items()), encoding="utf-8")
    final = tmp_path / "final.csv"
    ranked = runner.invoke(args=["rank", "--survey", str(points), "--appraisal", str(appraisal),
                                 "--criteria", str(copy), "--out", str(final)])
    assert ranked.exit_code == 0, ranked.output
    return (pd.read_csv(points).set_index("unit"),
            pd.read_csv(final, encoding="utf-8-sig", keep_default_na=False).set_index("unit"), ranked.output)


def test_survey_points_by_hand(scored):
    points, _final, _output = scored
    assert points.loc["x_an_lac", "total"] == pytest.approx(14.0)        # every answer worth its full points
    assert points.loc["dk_con_co", "total"] == pytest.approx(7.0)        # 14 x 0.5
    assert points.loc["so_tai_chinh", "total"] == pytest.approx(13.5)
    assert points.loc["so_noi_vu", "total"] == pytest.approx(6.75)       # 13.5 x 0.5
    # p_binh_minh: citizens and commune officials 1.0, businesses 0.0; a question's fraction is the mean of the
    # asking groups' means (equal weights):
    #   asked without businesses (X01 X02 X04 X05 X12 X15 X16 X17 X20 X22 X25, 0.5 each):   11 x 0.5 = 5.5
    #   citizens + businesses, f = 1/2: X03 X06-X11 X14 X18 (9 x 0.5) + X21 X24 (1.0 each):   6.5 / 2 = 3.25
    #   businesses alone, f = 0: X19                                                           0
    #   all three groups, f = 2/3: X13 (0.5) + X23 (1.0):                                      1.5 x 2/3 = 1.0
    #   total = 5.5 + 3.25 + 0 + 1.0 = 9.75
    #   field 8 = X21 0.5 + X22 0.5 + X23 2/3 + X24 0.5 + X25 0.5 = 8/3
    assert points.loc["p_binh_minh", "total"] == pytest.approx(9.75, abs=1e-6)
    assert points.loc["p_binh_minh", "8"] == pytest.approx(8 / 3, abs=1e-6)
    assert Counter(points["level"]) == {"so": 2, "xa": 3}


def test_communes_are_ranked_across_the_province_with_no_district_rule(scored):
    _points, final, output = scored
    # Communes: x_an_lac 70 + 14 = 84 (Tốt); p_binh_minh 80 + 9.75 = 89.75 (Tốt); dk_con_co 85 + 7 = 92 (Xuất sắc).
    # Departments: so_tai_chinh 80 + 13.5 = 93.5; so_noi_vu 86.5 + 6.75 = 93.25 (both Xuất sắc).
    assert final["index"].to_dict() == pytest.approx({"so_tai_chinh": 93.5, "so_noi_vu": 93.25, "x_an_lac": 84.0,
                                                      "p_binh_minh": 89.75, "dk_con_co": 92.0})
    assert final["rank"].to_dict() == {"so_tai_chinh": 1, "so_noi_vu": 2, "dk_con_co": 1, "p_binh_minh": 2,
                                       "x_an_lac": 3}
    assert final["class"].to_dict() == {"so_tai_chinh": "Xuất sắc", "so_noi_vu": "Xuất sắc", "x_an_lac": "Tốt",
                                        "p_binh_minh": "Tốt", "dk_con_co": "Xuất sắc"}
    assert "huyện" not in output and "2/3" not in output
