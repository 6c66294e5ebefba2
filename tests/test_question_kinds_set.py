"""Question kinds beyond scored ones, in a criteria set (issue 29 item 2): profile, expectation ("choose up to N")
and comment questions; lists to choose from (``scored: false`` scales); each mistake reported at its line; one answer
of each kind checked; comments masked; the workbook carrying the kinds; a PAR set asking them keeps its points.
"""
from __future__ import annotations

import pytest

from questionnaires import CriteriaSetError, load_criteria_set_from_texts
from questionnaires.answers import answer_error, joined_choices, mask_contacts, split_choices
from questionnaires.workbook import export_workbook, import_workbook

from .test_sipas_set import QX, S, line_of, texts

SCALES = """\
  - code: md
    name: Mong đợi
    scored: false
    options:
      - {code: nhanh, label: Giải quyết nhanh hơn}
      - {code: it_giay, label: Ít giấy tờ hơn}
      - {code: than_thien, label: Công chức thân thiện hơn}
  - code: gt
    scored: false
    options:
      - {code: nam, label: Nam}
      - {code: nu, label: Nữ}
groups:"""

OTHERS = """\
  - id: E1
    kind: expectation
    scale: md
    choose_up_to: 2
    text: Điều mong đợi nhất (chọn tối đa 2)
  - id: C1
    kind: comment
    max_length: 40
    text: Ý kiến khác
  - id: P1
    kind: profile
    scale: gt
    text: Giới tính
"""


def with_kinds(questions: str = OTHERS, scales: str = SCALES) -> dict[str, str]:
    t = texts()
    t[S] = t[S].replace("groups:", scales, 1)
    t[QX] = t[QX] + questions
    t["questionnaires/xa-dan.yaml"] = "level: xa\ngroup: dan\nquestions: [X1, X2, E1, C1, P1]\n"
    return t


def problems(sources: dict[str, str]) -> list[tuple[str, int, str]]:
    with pytest.raises(CriteriaSetError) as info:
        load_criteria_set_from_texts(sources)
    return [(p.file, p.line, p.code) for p in info.value.problems]


def test_a_set_asks_profile_expectation_and_comment_questions_beside_the_scored_ones():
    cset = load_criteria_set_from_texts(with_kinds())
    assert [q.id for q in cset.questions] == ["X1", "X2"]  # what the index is made of
    assert [(q.id, q.kind, q.choose_up_to, q.max_length) for q in cset.other_questions] == [
        ("E1", "expectation", 2, 0), ("C1", "comment", 1, 40), ("P1", "profile", 1, 0)]
    assert cset.questionnaire("xa", "dan").question_ids == ("X1", "X2", "E1", "C1", "P1")
    assert cset.scored_ids(cset.questionnaire("xa", "dan")) == ("X1", "X2")
    assert cset.question_by_key[("xa", "E1")].kind == "expectation"
    assert not cset.scale_by_code["md"].scored and cset.scale_by_code["hl"].scored
    assert [o.fraction for o in cset.scale_by_code["md"].options] == [None, None, None]


def test_each_mistake_in_a_question_of_another_kind_is_reported_at_its_line():
    broken = OTHERS.replace("    choose_up_to: 2\n", "    choose_up_to: 4\n") \
        .replace("    max_length: 40\n", "    max_length: 40\n    sub_criterion: \"1.1.1\"\n") \
        .replace("    kind: profile\n", "    kind: profil\n")
    t = with_kinds(broken)
    found = problems(t)
    assert (QX, line_of(t[QX], "choose_up_to: 4"), "bad_value") in found  # 4 of a 3-option list
    comment_line = [i for i, line in enumerate(t[QX].splitlines(), 1) if line.strip() == 'sub_criterion: "1.1.1"'][-1]
    assert (QX, comment_line, "unknown_key") in found  # a comment has no sub-criterion
    assert (QX, line_of(t[QX], "kind: profil"), "bad_value") in found


def test_a_scored_question_cannot_use_a_list_to_choose_from_and_such_a_list_has_no_fractions():
    t = with_kinds()
    t[QX] = t[QX].replace("    scale: hl\n", "    scale: md\n", 1)
    assert (QX, line_of(t[QX], "- id: X1"), "unscored_scale") in problems(t)
    t = with_kinds(scales=SCALES.replace("{code: nam, label: Nam}", "{code: nam, label: Nam, fraction: 1}"))
    assert (S, line_of(t[S], "{code: nam, label: Nam, fraction: 1}"), "bad_value") in problems(t)


def test_an_expectation_needs_a_list_to_choose_from():
    t = with_kinds(OTHERS.replace("    scale: md\n", ""))
    assert (QX, line_of(t[QX], "- id: E1"), "missing_key") in problems(t)


def test_one_answer_of_each_kind_is_checked():
    cset = load_criteria_set_from_texts(with_kinds())
    e, c, p = (cset.question_by_key[("xa", i)] for i in ("E1", "C1", "P1"))
    assert joined_choices(cset, e, ["than_thien", "nhanh", "nhanh"]) == "nhanh than_thien"  # scale order, once
    assert split_choices("nhanh than_thien") == ["nhanh", "than_thien"]
    assert answer_error(cset, e, "nhanh than_thien") is None
    assert answer_error(cset, e, "nhanh it_giay than_thien") == "chọn tối đa 2 phương án (đã chọn 3)"
    assert answer_error(cset, e, "nhanh nhanh") == "một phương án được chọn hai lần"
    assert answer_error(cset, e, "cham").startswith("phương án 'cham' không có")
    assert answer_error(cset, c, "x" * 40) is None and answer_error(cset, c, "x" * 41) == "ý kiến dài quá 40 ký tự (41)"
    assert answer_error(cset, p, "nu") is None and answer_error(cset, p, "khac") is not None


@pytest.mark.parametrize(("text", "kept"), [
    ("Gọi 0912345678 nhé", "Gọi [số điện thoại đã che] nhé"),
    ("ĐT: 0912.345.678, mail a.b@so.gov.vn", "ĐT: [số điện thoại đã che], mail [thư điện tử đã che]"),
    ("+84 912 345 678 là số tôi", "[số điện thoại đã che] là số tôi"),
    ("Chờ 45 phút, 3 lần đi lại năm 2026", "Chờ 45 phút, 3 lần đi lại năm 2026"),  # numbers that are not phones
    ("Nhanh\x00 gọn\x1b", "Nhanh gọn"),  # control characters (a NUL does not store in PostgreSQL) dropped
])
def test_a_comment_keeps_no_phone_number_or_e_mail_address(text, kept):
    assert mask_contacts(text) == kept


def test_the_workbook_carries_the_kinds_and_the_lists_there_and_back():
    cset = load_criteria_set_from_texts(with_kinds())
    _texts, back = import_workbook(export_workbook(cset))
    assert [(q.id, q.kind, q.choose_up_to, q.max_length, q.scale) for q in back.other_questions] == [
        (q.id, q.kind, q.choose_up_to, q.max_length, q.scale) for q in cset.other_questions]
    assert [s.scored for s in back.scales] == [s.scored for s in cset.scales]
    assert back.questionnaire("xa", "dan").question_ids == cset.questionnaire("xa", "dan").question_ids
