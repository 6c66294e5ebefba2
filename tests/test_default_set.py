"""The bundled default set follows the 2023 scheme of DOMAIN.md and seed 001."""
from __future__ import annotations

from collections import Counter

import pytest

from questionnaires import DEFAULT_SET_DIR, load_criteria_set, load_default_set, rules_table


@pytest.fixture(scope="module")
def cset():
    return load_default_set()


def test_levels_carry_the_2023_maxima(cset):
    so, huyen = cset.level_by_code["so"], cset.level_by_code["huyen"]
    assert (so.appraisal_max, so.survey_max) == (86.5, 13.5)
    assert (huyen.appraisal_max, huyen.survey_max) == (86.0, 14.0)
    assert so.appraisal_max + so.survey_max == huyen.appraisal_max + huyen.survey_max == 100
    assert dict(so.field_max) == {"1": 2.0, "2": 2.0, "3": 2.5, "4": 1.0, "5": 2.5, "6": 1.5, "7": 2.0}
    assert dict(huyen.field_max) == {"1": 2.5, "2": 2.0, "3": 2.5, "4": 1.0, "5": 2.5, "6": 1.5, "7": 2.0}
    assert not cset.level_by_code["xa"].surveyed and cset.level_by_code["xa"].parent == "huyen"


@pytest.mark.parametrize("level,counts,total", [
    ("so", [4, 4, 5, 2, 5, 3, 4], 27),
    ("huyen", [5, 4, 5, 2, 5, 3, 4], 28),
])
def test_survey_sub_criteria_per_field_as_in_the_seed(cset, level, counts, total):
    subs = cset.level_by_code[level].sub_criteria
    per_field = Counter(s.field for s in subs)
    assert [per_field[str(f)] for f in range(1, 8)] == counts
    assert len(subs) == total


def test_every_sum_adds_up(cset):
    for level in (cset.level_by_code["so"], cset.level_by_code["huyen"]):
        for field, fmax in level.field_max.items():
            assert sum(s.max_points for s in level.sub_criteria if s.field == field) == pytest.approx(fmax)
        for sub in level.sub_criteria:
            qs = [q for q in cset.level_questions(level.code) if q.sub_criterion == sub.code]
            assert qs and sum(q.max_points for q in qs) == pytest.approx(sub.max_points)


def test_seven_groups_reach_the_levels_the_domain_says(cset):
    rates = {g.code: {(r.level, r.how) for r in g.rates} for g in cset.groups}
    assert rates == {
        "hdnd_tinh": {("so", "each"), ("huyen", "each")},
        "hdnd_huyen": {("huyen", "own")},
        "cc_so": {("so", "own")},
        "ldp_huyen": {("so", "choose")},
        "ld_xa": {("huyen", "own")},
        "nguoi_dan": {("huyen", "own")},
        "doanh_nghiep": {("huyen", "own")},
    }
    assert {g.code for g in cset.groups if g.reached_by == "paper"} == {"nguoi_dan", "doanh_nghiep"}
    assert len(cset.questionnaires) == 8


def test_scales_and_classes_of_2023(cset):
    for code in ("quality", "share"):
        scale = cset.scale_by_code[code]
        assert [o.fraction for o in scale.counted_options] == [1.0, 0.6, 0.2, 0.0]
        assert scale.dont_know_option.label == "Không biết / không ý kiến"
        assert len(scale.poor_options) == 1
    assert [o.label for o in cset.scale_by_code["share"].counted_options] == [
        "Trên 80%", "Từ 65% đến 80%", "Từ 50% đến dưới 65%", "Dưới 50%"]
    assert [(c.name, c.min_points) for c in cset.classes] == [("Tốt", 80), ("Khá", 70), ("Trung bình", 50), ("Yếu", 0)]
    assert cset.district_rule.enabled and cset.district_rule.min_share == pytest.approx(2 / 3)
    # Classes are decided at 3 decimals: 69.9995 shows as 70.000 (Khá), 49.9994 as 49.999 (Yếu).
    assert [cset.class_for(x).name for x in (95.476, 79.041, 69.9995, 49.9994)] == ["Tốt", "Khá", "Khá", "Yếu"]


def test_the_seed_findings_are_asked(cset):
    texts = " | ".join(q.text for q in cset.questions)
    for finding in (
        "Chất lượng các văn bản chỉ đạo, điều hành",
        "có tính khả thi", "có tính hiệu quả", "triển khai thực hiện kịp thời",
        "bổ nhiệm lãnh đạo", "Bộ phận Một cửa", "Thái độ phục vụ",
        "rõ ràng, dễ hiểu", "Chất lượng kết quả giải quyết thủ tục hành chính",
        "Năng lực chuyên môn", "Trang thông tin điện tử",
    ):
        assert finding in texts, finding


def test_loading_from_the_folder_gives_the_same_set(cset):
    again = load_criteria_set(DEFAULT_SET_DIR)
    assert again == cset and again.digest == cset.digest and len(cset.digest) == 64


def test_rules_table_rows_by_hand(cset):
    headers, rows = rules_table(cset)
    assert headers == ("level", "question", "field", "criterion", "sub_criterion", "max_points",
                       "group", "weight", "scale", "option", "fraction", "dont_know")
    # One row per level x question x asking group x option (5 options per scale).
    expected = sum(len(cset.groups_asking(q.level, q.id)) * 5 for q in cset.questions)
    assert len(rows) == expected
    table = {(r[0], r[1], r[6], r[9]): dict(zip(headers, r)) for r in rows}
    # S01 is asked of hdnd_tinh and cc_so with equal weights: 1/2 each.
    row = table[("so", "S01", "hdnd_tinh", "kha")]
    assert (row["field"], row["criterion"], row["sub_criterion"], row["max_points"]) == ("1", "1.1", "1.1.3", 0.5)
    assert (row["weight"], row["scale"], row["fraction"], row["dont_know"]) == (0.5, "quality", 0.6, 0)
    # H01 is asked of three groups: 1/3 each, shown to 6 decimals.
    assert table[("huyen", "H01", "ld_xa", "duoi_50")]["weight"] == 0.333333
    assert table[("huyen", "H01", "ld_xa", "duoi_50")]["fraction"] == 0.0
    dont_know = table[("huyen", "H12", "nguoi_dan", "khong_biet")]
    assert (dont_know["fraction"], dont_know["dont_know"], dont_know["max_points"]) == ("", 1, 0.25)
