"""Every class of validator error, each found at the right file and line.

Each case breaks one spot of the small set in ``minimal_set.py``; the expected
line is the line of the (broken) text that holds ``marker`` (its ``nth``
occurrence), so each expectation can be checked by eye.
"""
from __future__ import annotations

from fractions import Fraction

import pytest

from questionnaires import CriteriaSetError, load_criteria_set_from_texts, read_set_texts

from . import minimal_set

S, SQ, HQ = "set.yaml", "questions/so.yaml", "questions/huyen.yaml"
QD, QC = "questionnaires/so-dai_bieu.yaml", "questionnaires/so-cong_chuc.yaml"


def line_of(text: str, marker: str, nth: int = 1) -> int:
    hits = [i for i, line in enumerate(text.splitlines(), 1) if marker in line]
    assert len(hits) >= nth, f"marker {marker!r} not found {nth} times"
    return hits[nth - 1]


def problems_of(texts: dict[str, str]) -> list:
    with pytest.raises(CriteriaSetError) as info:
        load_criteria_set_from_texts(texts)
    return list(info.value.problems)


def broken(file: str, old: str, new: str) -> dict[str, str]:
    texts = minimal_set.texts()
    assert texts[file].count(old) == 1, f"{old!r} must occur once in {file}"
    texts[file] = texts[file].replace(old, new)
    return texts


CASES = [
    # (error code, file broken, old text, new text, file reported, marker of the reported line, nth)
    ("yaml_syntax", SQ, "text: Tính hiệu quả", "text: Tính: hiệu quả", SQ, "text: Tính: hiệu", 1),
    ("duplicate_key", S, "year: 2024\n", "year: 2024\nyear: 2025\n", S, "year: 2025", 1),
    ("missing_key", S, "    name: Đại biểu\n", "", S, "- code: dai_bieu", 1),
    ("unknown_key", S, "    appraisal_max: 99", "    apraisal_max: 99", S, "apraisal_max", 1),
    ("wrong_type", S, "    survey_max: 1.0", "    survey_max: một", S, "survey_max: một", 1),
    ("bad_value", S, "{level: so, how: each}", "{level: so, how: every}", S, "how: every", 1),
    ("quoted_code", S, '          - code: "2.1"', "          - code: 2.1", S, "- code: 2.1", 1),
    (
        "duplicate_code",
        S,
        '{code: "2", name: Cải cách thể chế}',
        '{code: "1", name: Cải cách thể chế}',
        S,
        "Cải cách thể chế",
        1,
    ),
    ("duplicate_id", SQ, "  - id: Q3", "  - id: Q2", SQ, "- id: Q2", 2),
    (
        "duplicate_questionnaire",
        QC,
        "group: cong_chuc",
        "group: dai_bieu",
        QD,
        "level: so",
        1,
    ),  # files read in name order
    ("duplicate_in_questionnaire", QD, "  - Q3", "  - Q1", QD, "- Q1", 2),
    ("unknown_field", S, '      - field: "2"', '      - field: "9"', S, 'field: "9"', 1),
    ("unknown_level", S, "{level: so, how: own}", "{level: tinh, how: own}", S, "level: tinh", 1),
    ("unsurveyed_level", S, "{level: so, how: own}", "{level: xa, how: own}", S, "level: xa", 1),
    ("unknown_sub_criterion", HQ, '"1.1.1"', '"1.1.9"', HQ, '"1.1.9"', 1),
    ("unknown_scale", HQ, "scale: quality", "scale: qualiti", HQ, "qualiti", 1),
    ("unknown_group", QC, "group: cong_chuc", "group: khach", QC, "group: khach", 1),
    ("unknown_question", QD, "  - Q3", "  - Q9", QD, "- Q9", 1),
    ("fraction_range", S, "label: Kém, fraction: 0}", "label: Kém, fraction: 1.5}", S, "fraction: 1.5", 1),
    ("dont_know_fraction", S, "dont_know: true}", "dont_know: true, fraction: 0}", S, "dont_know: true, fraction", 1),
    ("dont_know_twice", S, "label: Kém, fraction: 0}", "label: Kém, dont_know: true}", S, "code: kb", 1),
    (
        "no_counted_option",
        S,
        "scales:\n",
        "scales:\n  - code: rong\n    options:\n      - {code: kb, label: Không biết, dont_know: true}\n",
        S,
        "code: rong",
        1,
    ),
    (
        "sum_sub_criteria",
        S,
        "Tính khả thi, survey_max: 0.5}",
        "Tính khả thi, survey_max: 0.4}",
        S,
        "survey_max: 0.5",
        3,
    ),  # field 2's line
    ("sum_fields", S, "    survey_max: 1.0", "    survey_max: 1.5", S, "survey_max: 1.5", 1),
    (
        "sum_questions",
        SQ,
        "max_points: 0.25\n    scale: quality\n    text: Tính hiệu quả",
        "max_points: 0.3\n    scale: quality\n    text: Tính hiệu quả",
        S,
        '"2.1.1", name: Tính khả thi',
        1,
    ),
    ("no_question", SQ, 'sub_criterion: "1.1.1"', 'sub_criterion: "2.1.1"', S, '"1.1.1", name: Văn bản chỉ đạo', 1),
    ("code_prefix", S, '{code: "2.1.1", name: Tính khả thi', '{code: "3.1.1", name: Tính khả thi', S, '"3.1.1"', 1),
    ("questionnaire_not_rated", QC, "level: so", "level: huyen", QC, "group: cong_chuc", 1),
    ("question_not_asked", QD, "  - Q3\n", "", SQ, "- id: Q3", 1),
    (
        "weight_not_asking",
        SQ,
        "text: Tính hiệu quả",
        "text: Tính hiệu quả\n    weights: {cong_chuc: 2}",
        SQ,
        "- id: Q3",
        1,
    ),
    ("class_order", S, "min: 80}\n", "min: 80}\n  - {code: kha, name: Khá, min: 85}\n", S, "min: 85", 1),
    ("class_floor", S, "name: Yếu, min: 0}", "name: Yếu, min: 10}", S, "classes:", 1),
]


@pytest.mark.parametrize("code,file,old,new,reported,marker,nth", CASES, ids=[c[0] for c in CASES])
def test_each_error_class_is_found_at_its_line(code, file, old, new, reported, marker, nth):
    texts = broken(file, old, new)
    expected = (reported, line_of(texts[reported], marker, nth), code)
    problems = problems_of(texts)
    found = {(p.file, p.line, p.code) for p in problems}
    assert expected in found, f"expected {expected}, found {sorted(found)}"
    problem = next(p for p in problems if (p.file, p.line, p.code) == expected)
    assert str(problem).startswith(f"{reported}:{expected[1]}: ") and len(problem.message) > 15


def test_the_minimal_set_is_valid_and_reads_as_written():
    cset = load_criteria_set_from_texts(minimal_set.texts())
    assert [lv.code for lv in cset.levels] == ["so", "huyen", "xa"]
    assert not cset.level_by_code["xa"].surveyed and cset.level_by_code["xa"].parent == "huyen"
    assert cset.level_by_code["so"].field_max == {"1": 0.5, "2": 0.5}
    # Q2 weighs 3 for dai_bieu and 1 (the default) for cong_chuc: 3/4 and 1/4.
    assert cset.group_weights("so", "Q2") == {"dai_bieu": 0.75, "cong_chuc": 0.25}
    assert cset.group_weights("so", "Q3") == {"dai_bieu": 1.0}
    qn = cset.questionnaire("so", "cong_chuc")
    assert [(i.question, i.text) for i in qn.items] == [
        ("Q1", "Chất lượng văn bản chỉ đạo"), ("Q2", "Văn bản có khả thi không")]
    assert qn.title == "Phiếu khảo sát: Công chức đánh giá cấp sở"
    assert cset.district_rule.enabled and cset.district_rule.min_share == Fraction(2, 3)
    assert [o.code for o in cset.scale_by_code["quality"].poor_options] == ["kem"]


def test_a_typo_in_a_key_is_one_message_with_a_suggestion():
    texts = broken(SQ, "    text: Tính hiệu quả", "    txt: Tính hiệu quả")
    problems = problems_of(texts)
    assert [(p.line, p.code) for p in problems] == [(line_of(texts[SQ], "txt:"), "unknown_key")]
    assert "có phải là 'text'" in problems[0].message


def test_a_missing_set_file_and_group_questionnaire_are_reported():
    texts = minimal_set.texts()
    del texts["set.yaml"]
    assert [(p.file, p.line, p.code) for p in problems_of(texts)] == [("set.yaml", 0, "missing_file")]

    texts = minimal_set.texts()
    del texts[QC]
    expected = (S, line_of(texts[S], "{level: so, how: own}"), "group_without_questionnaire")
    assert [(p.file, p.line, p.code) for p in problems_of(texts)] == [expected]


def test_a_folder_that_is_missing_or_not_utf8(tmp_path):
    with pytest.raises(CriteriaSetError) as info:
        read_set_texts(tmp_path / "nowhere")
    assert info.value.problems[0].code == "missing_file"

    for rel, text in minimal_set.texts().items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    (tmp_path / "questions" / "so.yaml").write_bytes(
        "text: T\xednh kh\xe1 thi".encode("latin-1")
    )  # a file saved in a legacy code page
    with pytest.raises(CriteriaSetError) as info:
        read_set_texts(tmp_path)
    assert [(p.file, p.code) for p in info.value.problems] == [("questions/so.yaml", "encoding")]


FIVE_MISTAKES = """\
level: so
questions:
  - id: Q1
    sub_criterion: "1.1.9"
    max_points: 0.5
    scale: quality
    text: Chất lượng văn bản chỉ đạo
  - id: Q2
    sub_criterion: "2.1.1"
    max_points: nửa
    scale: quality
    text: Tính khả thi
    weights: {dai_bieu: 3}
  - id: Q3
    sub_criterion: "2.1.1"
    max_points: 0.25
    scale: chat_luong
    txt: Tính hiệu quả
  - id: Q3
    sub_criterion: "2.1.1"
    max_points: 0.25
    scale: quality
    text: Tính hiệu quả (lặp)
"""


def test_five_mistakes_in_one_file_give_exactly_five_messages_at_their_lines():
    texts = minimal_set.texts()
    texts[SQ] = FIVE_MISTAKES
    problems = problems_of(texts)
    assert [(p.file, p.line, p.code) for p in problems] == [
        (SQ, 4, "unknown_sub_criterion"),  # "1.1.9" does not exist
        (SQ, 10, "wrong_type"),  # max_points: nửa
        (SQ, 17, "unknown_scale"),  # chat_luong
        (SQ, 18, "unknown_key"),  # txt instead of text
        (SQ, 19, "duplicate_id"),  # Q3 twice
    ]
