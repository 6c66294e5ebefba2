"""The SIPAS side of a criteria set (issue 29): ``kind: sipas`` with optional, unused points; positive options;
question roles; the set's SIPAS keys; the bundled national-shape set; the workbook and the diff carrying them.

Each problem is expected at the line of the (broken) text holding a marker, so it can be checked by eye.
"""
from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from questionnaires import (
    NEW_CAMPAIGN_SET_DIR,
    CriteriaSetError,
    load_criteria_set,
    load_criteria_set_from_texts,
    load_default_set,
)
from questionnaires.diff import set_changes
from questionnaires.rules import rules_table
from questionnaires.workbook import WorkbookError, export_workbook, import_workbook

from . import minimal_set

SETS = Path(__file__).resolve().parent.parent / "questionnaires" / "sets"
S, QX = "set.yaml", "questions/xa.yaml"

SET_YAML = """\
name: SIPAS thử nghiệm
kind: sipas
fields:
  - {code: "1", name: Tiếp cận dịch vụ}
  - {code: "2", name: Thủ tục hành chính}
levels:
  - code: xa
    name: Cấp xã
    fields:
      - field: "1"
        criteria:
          - code: "1.1"
            name: Hài lòng về tiếp cận
            sub_criteria:
              - {code: "1.1.1", name: Nơi ngồi chờ}
      - field: "2"
        criteria:
          - code: "2.1"
            name: Nhận định về thủ tục
            sub_criteria:
              - {code: "2.1.1", name: Niêm yết}
scales:
  - code: hl
    options:
      - {code: khong, label: Không hài lòng, fraction: 0}
      - {code: co, label: Hài lòng, fraction: 1, positive: true}
      - {code: kb, label: Không biết, dont_know: true}
  - code: ck
    options:
      - {code: co, label: Có, fraction: 1, positive: true}
      - {code: khong, label: Không, fraction: 0}
groups:
  - code: dan
    name: Người dân
    rates:
      - {level: xa, how: own}
"""

XA_QUESTIONS = """\
level: xa
questions:
  - id: X1
    sub_criterion: "1.1.1"
    scale: hl
    text: Hài lòng về nơi ngồi chờ
  - id: X2
    sub_criterion: "2.1.1"
    scale: ck
    role: perception
    text: Thủ tục được niêm yết đầy đủ
"""

XA_DAN = """\
level: xa
group: dan
questions: [X1, X2]
"""


def texts() -> dict[str, str]:
    return {S: SET_YAML, QX: XA_QUESTIONS, "questionnaires/xa-dan.yaml": XA_DAN}


def line_of(text: str, marker: str) -> int:
    hits = [i for i, line in enumerate(text.splitlines(), 1) if marker in line]
    assert len(hits) == 1, f"marker {marker!r} must be on exactly one line"
    return hits[0]


def changed(file: str, old: str, new: str, base: dict[str, str] | None = None) -> dict[str, str]:
    result = dict(base or texts())
    assert result[file].count(old) == 1, f"{old!r} must occur once in {file}"
    result[file] = result[file].replace(old, new)
    return result


def problems_of(sources: dict[str, str]) -> list:
    with pytest.raises(CriteriaSetError) as info:
        load_criteria_set_from_texts(sources)
    return list(info.value.problems)


def where(problems, code: str) -> list[tuple[str, int]]:
    return [(p.file, p.line) for p in problems if p.code == code]


# --- the bundled set ----------------------------------------------------------------------------


def test_the_bundled_sipas_set_is_in_the_national_shape():
    cset = load_criteria_set(SETS / "sipas")
    assert (cset.kind, cset.is_sipas, cset.sipas_weighting, cset.sipas_target) == ("sipas", True, "units", 0.95)
    assert [f.name for f in cset.fields] == [
        "Tiếp cận dịch vụ hành chính công", "Thủ tục hành chính", "Công chức trực tiếp giải quyết công việc",
        "Kết quả cung ứng dịch vụ hành chính công", "Việc tiếp nhận, xử lý thông tin phản ánh, kiến nghị"]
    assert [(lv.code, lv.name, lv.parent) for lv in cset.levels] == [("so", "Cấp sở", None), ("xa", "Cấp xã", None)]
    assert [(g.code, g.name, g.reached_by, [(r.level, r.how) for r in g.rates]) for g in cset.groups] == [
        ("nguoi_dan", "Người dân", "mixed", [("so", "own"), ("xa", "own")]),
        ("to_chuc", "Tổ chức, doanh nghiệp", "mixed", [("so", "own"), ("xa", "own")])]
    assert cset.classes == () and not cset.district_rule.enabled
    assert (cset.min_ballots, cset.min_cell) == (5, 5)

    five = cset.scale_by_code["hai_long"]
    assert [o.label for o in five.options] == ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng",
                                               "Rất hài lòng", "Không biết / không ý kiến"]
    assert [o.label for o in five.positive_options] == ["Hài lòng", "Rất hài lòng"]
    assert five.dont_know_option is not None and not five.dont_know_option.positive
    yes_no = cset.scale_by_code["co_khong"]
    assert [o.label for o in yes_no.options] == ["Có", "Không", "Không biết"]
    assert [o.label for o in yes_no.positive_options] == ["Có"]

    for level in ("so", "xa"):
        questions = cset.level_questions(level)
        assert all(q.max_points == 0 for q in questions)
        # 3 + 3 + 4 + 2 + 2 satisfaction and 2 + 2 + 2 + 1 + 1 perception questions over the five elements
        assert sum(q.role == "satisfaction" for q in questions) == 14
        assert sum(q.role == "perception" for q in questions) == 8
        for field in cset.fields:
            mine = [q for q in questions if cset.sub_criterion_by_key[(level, q.sub_criterion)].field == field.code]
            satisfied = [q for q in mine if q.role == "satisfaction"]
            assert 2 <= len(satisfied) <= 4 and 1 <= len(mine) - len(satisfied) <= 2, (level, field.code)
            assert {q.scale for q in satisfied} == {"hai_long"}
            assert {q.scale for q in mine if q.role == "perception"} <= {"co_khong"}
        prefix = level[0].upper()
        extra = {"nguoi_dan": ("E1", "C1", "P1", "P2", "P3", "P4", "P5"), "to_chuc": ("E1", "C1", "P4", "P5")}
        for group in ("nguoi_dan", "to_chuc"):
            # the scored questions, then (never scored, issue 29 item 2) the expectation, the comment and the
            # profile; an organisation is not asked its sex, age or occupation
            assert cset.questionnaire(level, group).question_ids == tuple(q.id for q in questions) + tuple(
                prefix + i for i in extra[group])
        kinds = {q.id: q for q in cset.other_questions if q.level == level}
        assert (kinds[f"{prefix}E1"].kind, kinds[f"{prefix}E1"].choose_up_to) == ("expectation", 3)
        assert (kinds[f"{prefix}C1"].kind, kinds[f"{prefix}C1"].max_length) == ("comment", 500)
        assert {q.kind for i, q in kinds.items() if "P" in i} == {"profile"}
    assert len(cset.scale_by_code["mong_doi"].options) == 10 and not cset.scale_by_code["mong_doi"].scored


def test_the_sipas_set_is_not_the_new_campaign_default_and_the_others_stay_par():
    assert NEW_CAMPAIGN_SET_DIR.name == "hai_cap"
    for name in ("default", "hai_cap", "quoc_gia"):
        cset = load_criteria_set(SETS / name)
        assert (cset.kind, cset.is_sipas, cset.sipas_weighting, cset.sipas_target) == ("par", False, "units", None)
        assert all(q.role == "satisfaction" for q in cset.questions)
        assert all(not s.positive_options for s in cset.scales), name


def test_the_cli_checks_the_bundled_sipas_set(runner):
    result = runner.invoke(args=["questionnaires", "check", str(SETS / "sipas")])
    assert result.exit_code == 0, result.output
    assert "(SIPAS): 5 yếu tố; so: 22 câu hỏi (14 hài lòng, 8 nhận định); xa: 22 câu hỏi (14 hài lòng, " \
           "8 nhận định); 2 đối tượng, 4 phiếu" in result.output


# --- points optional in a SIPAS set, required in a PAR set --------------------------------------


def test_a_sipas_set_without_points_loads_with_roles_and_positives():
    cset = load_criteria_set_from_texts(texts())
    assert cset.is_sipas and cset.classes == ()
    assert [(q.id, q.max_points, q.role) for q in cset.questions] == [("X1", 0.0, "satisfaction"),
                                                                       ("X2", 0.0, "perception")]
    level = cset.level_by_code["xa"]
    assert (level.survey_max, dict(level.field_max)) == (0.0, {"1": 0.0, "2": 0.0})
    assert [o.code for o in cset.scale_by_code["hl"].positive_options] == ["co"]


def test_the_same_omission_in_a_par_set_is_refused_at_each_line():
    par = changed(S, "kind: sipas\n", "kind: par\n")
    problems = problems_of(par)
    missing = {(p.file, p.line, p.message) for p in problems if p.code == "missing_key"}
    assert (QX, line_of(XA_QUESTIONS, "- id: X1"), "câu hỏi thiếu khóa 'max_points'") in missing
    assert (QX, line_of(XA_QUESTIONS, "- id: X2"), "câu hỏi thiếu khóa 'max_points'") in missing
    assert (S, line_of(SET_YAML, "1.1.1"), "tiêu chí thành phần thiếu khóa 'survey_max'") in missing
    assert (S, line_of(SET_YAML, '- field: "1"'), "lĩnh vực của cấp 'xa' thiếu khóa 'survey_max'") in missing
    assert (S, 1, "bộ tiêu chí thiếu khóa 'classes'") in missing
    # Without the kind key at all a set is PAR: the same refusals.
    assert {p.message for p in problems_of(changed(S, "kind: sipas\n", ""))} >= {m for _f, _l, m in missing}


def test_points_that_do_not_add_up_are_no_error_in_a_sipas_set_but_are_in_a_par_set():
    # Field 1: sub-criterion 0.5 under a field of 3; field 2: 1 under 1; the level says 7 (3 + 1 = 4);
    # question X1 gives 2 to a sub-criterion of 0.5, X2 1 to one of 1. Three sums fail, two hold.
    sipas = changed(S, '{code: "1.1.1", name: Nơi ngồi chờ}', '{code: "1.1.1", name: Nơi ngồi chờ, survey_max: 0.5}')
    sipas = changed(S, '{code: "2.1.1", name: Niêm yết}', '{code: "2.1.1", name: Niêm yết, survey_max: 1}', sipas)
    sipas = changed(S, '      - field: "1"\n', '      - field: "1"\n        survey_max: 3\n', sipas)
    sipas = changed(S, '      - field: "2"\n', '      - field: "2"\n        survey_max: 1\n', sipas)
    sipas = changed(S, "    name: Cấp xã\n", "    name: Cấp xã\n    survey_max: 7\n", sipas)
    sipas = changed(QX, "    scale: hl\n", "    scale: hl\n    max_points: 2\n", sipas)
    sipas = changed(QX, "    scale: ck\n", "    scale: ck\n    max_points: 1\n", sipas)
    cset = load_criteria_set_from_texts(sipas)
    assert cset.question_by_key[("xa", "X1")].max_points == 2.0
    assert cset.sub_criterion_by_key[("xa", "1.1.1")].max_points == 0.5
    assert cset.level_by_code["xa"].survey_max == 7.0
    par = changed(S, "kind: sipas\n", "kind: par\n", sipas)
    problems = problems_of(par)
    assert sorted(p.code for p in problems if p.code.startswith("sum_")) == [
        "sum_fields", "sum_questions", "sum_sub_criteria"]
    assert [p.message for p in problems if p.code == "missing_key"] == ["bộ tiêu chí thiếu khóa 'classes'"]


def test_a_par_set_may_carry_roles_and_positive_flags_and_needs_no_positive_option():
    sources = minimal_set.texts()
    assert load_criteria_set_from_texts(sources).scale_by_code["quality"].positive_options == ()
    sources = changed("set.yaml", "{code: tot, label: Tốt, fraction: 1.0}",
                      "{code: tot, label: Tốt, fraction: 1.0, positive: true}", sources)
    sources = changed("questions/so.yaml", "    text: Chất lượng văn bản chỉ đạo",
                      "    role: perception\n    text: Chất lượng văn bản chỉ đạo", sources)
    cset = load_criteria_set_from_texts(sources)
    assert not cset.is_sipas
    assert cset.question_by_key[("so", "Q1")].role == "perception"
    assert [o.code for o in cset.scale_by_code["quality"].positive_options] == ["tot"]


# --- each new problem at its file and line ------------------------------------------------------


def test_a_scale_without_a_positive_option_is_refused_at_the_scale():
    sources = changed(S, "{code: co, label: Hài lòng, fraction: 1, positive: true}",
                      "{code: co, label: Hài lòng, fraction: 1}")
    problems = problems_of(sources)
    assert where(problems, "no_positive_option") == [(S, line_of(SET_YAML, "- code: hl"))]
    message = next(p.message for p in problems if p.code == "no_positive_option")
    assert "thang đo 'hl' (dùng cho câu X1)" in message and "positive: true" in message
    assert len(problems) == 1


def test_an_unused_scale_needs_no_positive_option():
    unused = "  - code: thua\n    options:\n      - {code: a, label: A, fraction: 1}\n"
    sources = changed(S, "groups:\n", unused + "groups:\n")
    assert load_criteria_set_from_texts(sources).scale_by_code["thua"].positive_options == ()


def test_a_positive_dont_know_is_refused_at_its_line():
    sources = changed(S, "{code: kb, label: Không biết, dont_know: true}",
                      "{code: kb, label: Không biết, dont_know: true, positive: true}")
    problems = problems_of(sources)
    assert where(problems, "positive_dont_know") == [(S, line_of(sources[S], "code: kb"))]
    assert len(problems) == 1 and "không tính là hài lòng" in problems[0].message


def test_a_bad_role_is_refused_at_its_line():
    sources = changed(QX, "    role: perception", "    role: nhan_dinh")
    problems = problems_of(sources)
    assert [(p.file, p.line, p.code) for p in problems] == [(QX, line_of(sources[QX], "role: nhan_dinh"),
                                                             "bad_value")]
    assert "'role' phải là một trong: satisfaction, perception" in problems[0].message
    assert "'nhan_dinh'" in problems[0].message


def test_a_bad_kind_is_refused_at_its_line():
    sources = changed(S, "kind: sipas", "kind: hai_long")
    problems = problems_of(sources)
    kind = [p for p in problems if "'kind'" in p.message]
    assert [(p.file, p.line, p.code) for p in kind] == [(S, line_of(SET_YAML, "kind: sipas"), "bad_value")]
    assert "par, sipas" in kind[0].message and "'hai_long'" in kind[0].message


@pytest.mark.parametrize("written", ["ho_so", "dossier", "1"])
def test_a_bad_weighting_is_refused_at_its_line(written):
    sources = changed(S, "kind: sipas\n", f"kind: sipas\nsipas_weighting: {written}\n")
    problems = problems_of(sources)
    assert [(p.file, p.line, p.code) for p in problems] == [(S, 3, "bad_value")]
    assert "'sipas_weighting' phải là một trong: units, dossiers" in problems[0].message


@pytest.mark.parametrize("written", ["95", "1.5", "0", "-0.2", "cao", "true"])
def test_a_target_outside_zero_to_one_is_refused_at_its_line(written):
    sources = changed(S, "kind: sipas\n", f"kind: sipas\nsipas_target: {written}\n")
    problems = problems_of(sources)
    assert [(p.file, p.line, p.code) for p in problems] == [(S, 3, "bad_value")]
    assert "0.95 cho 95 %" in problems[0].message


@pytest.mark.parametrize("written, target, weighting", [("1", 1.0, "units"), ("0.8", 0.8, "dossiers")])
def test_the_set_keys_are_read(written, target, weighting):
    sources = changed(S, "kind: sipas\n", f"kind: sipas\nsipas_target: {written}\nsipas_weighting: {weighting}\n")
    cset = load_criteria_set_from_texts(sources)
    assert (cset.sipas_target, cset.sipas_weighting) == (target, weighting)


# --- the workbook and the diff ------------------------------------------------------------------


def edited(cset, change) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(export_workbook(cset)))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def column(sheet, heading: str) -> int:
    return [c.value for c in sheet[1]].index(heading) + 1


def row_where(sheet, **cells: tuple[str, str]) -> int:
    """The first row whose cells hold the given values, each given as ``name=(heading, value)``."""
    for r in range(2, sheet.max_row + 1):
        if all(sheet.cell(r, column(sheet, h)).value == v for h, v in cells.values()):
            return r
    raise AssertionError(f"no row with {cells}")


def test_the_sipas_workbook_round_trip_keeps_kind_positives_and_roles():
    cset = load_criteria_set(SETS / "sipas")
    data = export_workbook(cset)
    book = openpyxl.load_workbook(io.BytesIO(data))
    questions = book["Câu hỏi"]
    assert {questions.cell(r, column(questions, "Điểm tối đa")).value for r in range(2, questions.max_row + 1)} \
        == {None}, "a SIPAS set's points are left empty"
    texts, again = import_workbook(data)
    for part in ("kind", "sipas_weighting", "sipas_target", "fields", "levels", "scales", "groups", "questions",
                 "questionnaires", "classes", "min_ballots", "min_cell"):
        assert getattr(again, part) == getattr(cset, part), part
    assert [o.code for o in again.scale_by_code["hai_long"].positive_options] == ["hai_long", "rat_hai_long"]
    assert again.question_by_key[("xa", "X1N1")].role == "perception"
    assert "max_points" not in texts["questions/so.yaml"]
    assert set_changes(cset, again) == []


def test_the_diff_names_a_changed_positive_flag_role_weighting_and_target():
    cset = load_criteria_set(SETS / "sipas")

    def edit(book):
        scales = book["Thang đo"]
        r = row_where(scales, scale=("Mã thang đo", "hai_long"), code=("Mã phương án", "binh_thuong"))
        scales.cell(r, column(scales, "Tính là hài lòng, tích cực (có/không)")).value = "có"
        questions = book["Câu hỏi"]
        r = row_where(questions, level=("Cấp", "so"), id=("Mã câu", "S1N1"))
        questions.cell(r, column(questions, "Loại câu (hài lòng/nhận định)")).value = "hài lòng"
        info = book["Bộ tiêu chí"]
        info.cell(2, column(info, "SIPAS của tỉnh (bình quân các đơn vị/theo số hồ sơ)")).value = "theo số hồ sơ"
        info.cell(2, column(info, "Mục tiêu SIPAS (tỷ lệ, ví dụ 0,95)")).value = "0,9"

    _texts, new = import_workbook(edited(cset, edit))
    assert [o.label for o in new.scale_by_code["hai_long"].positive_options] == ["Bình thường", "Hài lòng",
                                                                                 "Rất hài lòng"]
    assert [c.text for c in set_changes(cset, new)] == [
        "câu S1N1 (cấp sở): loại câu nhận định → hài lòng",
        "thang đo hai_long, phương án “Bình thường”: tính là hài lòng, tích cực không → có",
        "SIPAS của tỉnh: bình quân các đơn vị → gia quyền theo số hồ sơ",
        "mục tiêu SIPAS: 95 % → 90 %",
    ]
    kinds = [c.text for c in set_changes(load_default_set(), cset) if c.kind == "index"]
    assert kinds == ["loại chỉ số: Chỉ số CCHC (điểm) → Chỉ số hài lòng SIPAS (tỷ lệ)",
                     "mục tiêu SIPAS: không ghi → 95 %"]


def test_a_bad_role_in_the_workbook_is_traced_to_its_row():
    cset = load_criteria_set(SETS / "sipas")
    rows = {}

    def edit(book):
        questions = book["Câu hỏi"]
        rows["r"] = row_where(questions, level=("Cấp", "xa"), id=("Mã câu", "X21"))
        questions.cell(rows["r"], column(questions, "Loại câu (hài lòng/nhận định)")).value = "ý kiến"

    with pytest.raises(WorkbookError) as caught:
        import_workbook(edited(cset, edit))
    assert [(p.sheet, p.row) for p in caught.value.problems] == [("Câu hỏi", rows["r"])]
    assert "'role' phải là một trong" in caught.value.problems[0].message


def test_a_workbook_from_before_these_columns_still_imports_as_par():
    cset = load_default_set()

    def drop_new_columns(book):
        for sheet, heading in (("Bộ tiêu chí", "Mục tiêu SIPAS (tỷ lệ, ví dụ 0,95)"),
                               ("Bộ tiêu chí", "SIPAS của tỉnh (bình quân các đơn vị/theo số hồ sơ)"),
                               ("Bộ tiêu chí", "Loại chỉ số (par: Chỉ số CCHC; sipas: Chỉ số hài lòng)"),
                               ("Câu hỏi", "Loại câu (hài lòng/nhận định)"),
                               ("Thang đo", "Tính là hài lòng, tích cực (có/không)")):
            book[sheet].delete_cols(column(book[sheet], heading))

    data = edited(cset, drop_new_columns)
    headings = [c.value for c in openpyxl.load_workbook(io.BytesIO(data))["Câu hỏi"][1]]
    assert "Loại câu (hài lòng/nhận định)" not in headings
    texts, again = import_workbook(data)
    assert (again.kind, again.sipas_weighting, again.sipas_target) == ("par", "units", None)
    assert rules_table(again) == rules_table(cset)
    assert "kind" not in texts["set.yaml"] and "role" not in "".join(texts.values())
