"""The report's method section (issue 27, item 2, section I) and its index per field (section III), with the
per-field appraisal maxima the set gains for it: every figure below is worked out by hand from the set's YAML
or from the small tables written here, not read back from the code."""
from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import delete

from questionnaires import CriteriaSetError, load_criteria_set, load_criteria_set_from_texts
from questionnaires.workbook import WorkbookError, export_workbook, import_workbook
from scoring import final_table
from survey_app.extensions import DB_KEY
from survey_app.models import Appraisal
from survey_app.outputs import report_text as rt
from survey_app.outputs.report_method import field_index_blocks, method_blocks

from .minimal_set import texts
from .test_reports import scores, users  # noqa: F401 (fixture)

SETS = Path(__file__).resolve().parents[1] / "questionnaires" / "sets"


@pytest.fixture(scope="module")
def default():
    return load_criteria_set(SETS / "default")


@pytest.fixture(scope="module")
def national():
    return load_criteria_set(SETS / "quoc_gia")


def sentences(blocks) -> str:
    return "\n".join(line for _heading, lines in blocks for line in lines)


# --- section I: the method, from the set -------------------------------------------------------------------


def test_default_set_method_has_the_seeds_split_fields_and_subcriteria(default):
    blocks = method_blocks(default)
    headings = [h for h, _ in blocks]
    assert headings[1:3] == ["1.1. Đối với các sở, ban, ngành (cấp sở)",
                             "1.2. Đối với các huyện, thành phố (cấp huyện)"]
    split = dict(blocks)["2. Thang điểm"]
    # 86.5 + 13.5 = 86 + 14 = 100: one maximum for both levels, as the seed writes it.
    assert split[:3] == ["Thang điểm đánh giá tối đa 100 điểm, trong đó:",
                         "- Cấp sở: 86,5 điểm thẩm định, 13,5 điểm điều tra XHH;",
                         "- Cấp huyện: 86 điểm thẩm định, 14 điểm điều tra XHH."]
    so, huyen = blocks[1][1], blocks[2][1]
    # Counted in set.yaml: cấp sở 2+2+2.5+1+2.5+1.5+2 = 13.5 points in 4+4+5+2+5+3+4 = 27 sub-criteria of 0.5.
    assert so[0] == ("Nội dung điều tra xã hội học (XHH) gồm 27 tiêu chí thành phần (TCTP) thuộc 07 lĩnh vực, tối đa "
                     "13,5 điểm, cụ thể:")
    assert [line.split(": điều tra XHH ")[1][:2] for line in so[1:]] == ["04", "04", "05", "02", "05", "03", "04"]
    # Cấp huyện: 5+4+5+2+5+3+4 = 28 (the seed's "28 TCTP là điều tra XHH"); the terms are defined once.
    assert huyen[0] == "Nội dung điều tra XHH gồm 28 TCTP thuộc 07 lĩnh vực, tối đa 14 điểm, cụ thể:"
    assert [line.split(": điều tra XHH ")[1][:2] for line in huyen[1:]] == ["05", "04", "05", "02", "05", "03", "04"]
    # Field 1 of a department: 11 appraisal + 2 survey = 13 (the seed's "10,219/13"); field 3 of a district
    # 19 + 2.5 = 21.5; the last field of a list ends it with a full stop.
    assert so[1] == ("- Lĩnh vực Công tác chỉ đạo, điều hành CCHC: điều tra XHH 04 TCTP, tối đa 2 điểm (điểm thẩm định "
                     "tối đa 11 điểm; điểm tối đa của lĩnh vực 13 điểm);")
    assert huyen[3].startswith("- Lĩnh vực Cải cách TTHC: điều tra XHH 05 TCTP, tối đa 2,5 điểm (điểm thẩm định tối "
                               "đa 19 điểm; điểm tối đa của lĩnh vực 21,5 điểm)")
    assert so[-1].endswith(".") and all(line.endswith(";") for line in so[1:-1])
    text = sentences(blocks)
    assert "Cải cách thủ tục hành chính (TTHC)" in text and text.count("(TTHC)") == 1
    assert "áp dụng năm 2023" in text and "Bộ tiêu chí XHH Chỉ số CCHC cấp sở, cấp huyện" in text


def test_default_set_method_says_who_rates_what_the_bands_and_the_rules(default):
    blocks = dict(method_blocks(default))
    groups = blocks["3. Đối tượng điều tra XHH"]
    assert groups[0] == ("Đối tượng điều tra XHH gồm: Đại biểu HĐND tỉnh; Đại biểu HĐND huyện; Công chức cấp sở; "
                         "Lãnh đạo phòng chuyên môn cấp huyện; Lãnh đạo cấp xã; Người dân; Doanh nghiệp.")
    assert "Điều tra XHH qua phát phiếu trực tiếp đối với: Người dân; Doanh nghiệp." in groups
    assert ("Đối tượng đánh giá cấp sở: Đại biểu HĐND tỉnh (đánh giá tất cả các sở, ban, ngành); Công chức cấp sở "
            "(đánh giá đơn vị của mình); Lãnh đạo phòng chuyên môn cấp huyện (tự chọn các sở, ban, ngành đã làm việc "
            "cùng để đánh giá).") in groups
    assert "Khảo sát toàn bộ (không chọn mẫu) đối với: Đại biểu HĐND tỉnh." in groups[-1]
    assert "ủy ban" not in sentences([("", groups)]).lower() and "đại biểu hđnd" not in " ".join(groups)
    bands = blocks["4. Xếp hạng, xếp loại"]
    assert bands[0].endswith("Tốt: từ 80 điểm trở lên; Khá: từ 70 đến dưới 80 điểm; Trung bình: từ 50 đến dưới "
                             "70 điểm; Yếu: dưới 50 điểm.")
    assert ("ít nhất 2/3 số xã, phường, thị trấn trực thuộc được xếp loại cùng mức trở lên; trường hợp dưới 2/3 số "
            "xã, phường, thị trấn trực thuộc") in bands[1]
    assert bands[1].startswith("Riêng đối với các huyện, thành phố (cấp huyện)")
    # Communes are not surveyed in the default set: their classes are imported, no ballot rule for them.
    assert bands[2] == "Xếp loại của các đơn vị cấp xã là kết quả xếp loại được nhập cho từng đơn vị."
    assert blocks["5. Độ phủ phiếu và công bố số liệu"] == [
        "Đơn vị có dưới 05 phiếu điều tra XHH được tính (không kể phiếu bị loại) không có điểm điều tra XHH, không "
        "được xếp hạng, xếp loại (ghi “chưa đủ phiếu”).",
        "Không công bố số liệu tính từ ý kiến của dưới 05 người thuộc cùng một đối tượng (tại một đơn vị hoặc trên "
        "toàn cấp), để không lộ ý kiến của từng người."]


def test_national_set_method_eight_fields_communes_surveyed(national):
    blocks = method_blocks(national)
    by = dict(blocks)
    assert [h for h, _ in blocks][1:4] == ["1.1. Đối với các sở, ban, ngành (cấp sở)",
                                           "1.2. Đối với các huyện, thị xã, thành phố (cấp huyện)",
                                           "1.3. Đối với các xã, phường, thị trấn (cấp xã)"]
    assert "Bộ tiêu chí gồm 08 lĩnh vực:" in blocks[0][1][0] and "áp dụng năm 2025" in blocks[0][1][0]
    # cap_xa in set.yaml: 1.5+0.5+2+0.5+1+0.5+1+3 = 10 points in 2+1+2+1+1+1+1+3 = 12 sub-criteria.
    xa = by["1.3. Đối với các xã, phường, thị trấn (cấp xã)"]
    assert xa[0] == "Nội dung điều tra XHH gồm 12 TCTP thuộc 08 lĩnh vực, tối đa 10 điểm, cụ thể:"
    assert [line.split(": điều tra XHH ")[1][:2] for line in xa[1:]] == ["02", "01", "02", "01", "01", "01", "01", "03"]
    # No appraisal maxima per field in the national set: none is written.
    assert "điểm thẩm định tối đa" not in sentences(blocks)
    assert by["2. Thang điểm"][1:4] == ["- Cấp sở: 90 điểm thẩm định, 10 điểm điều tra XHH;",
                                        "- Cấp huyện: 90 điểm thẩm định, 10 điểm điều tra XHH;",
                                        "- Cấp xã: 90 điểm thẩm định, 10 điểm điều tra XHH."]
    groups = by["3. Đối tượng điều tra XHH"]
    assert "Đối tượng đánh giá cấp xã: Người dân (đánh giá đơn vị của mình)." in groups
    assert ("Đối tượng đánh giá cấp sở: Đại biểu HĐND tỉnh (đánh giá tất cả các sở, ban, ngành); Công chức, viên "
            "chức các sở, ban, ngành (đánh giá đơn vị của mình).") in groups
    bands = by["4. Xếp hạng, xếp loại"]
    assert bands[0].endswith("Xuất sắc: từ 90 điểm trở lên; Tốt: từ 80 đến dưới 90 điểm; Khá: từ 70 đến dưới 80 "
                             "điểm; Trung bình: từ 50 đến dưới 70 điểm; Yếu: dưới 50 điểm.")
    # Communes are surveyed here: a commune short of ballots counts as not reaching the class.
    assert bands[-1] == ("Xếp loại của các đơn vị cấp xã là kết quả xếp loại được nhập cho từng đơn vị, hoặc xếp "
                         "loại theo Chỉ số CCHC của chính đơn vị đó; đơn vị cấp xã có dưới 05 phiếu điều tra XHH "
                         "không được xếp loại và được tính là chưa đạt mức xếp loại.")


def test_the_rules_follow_the_set_not_fixed_numbers():
    def edit(text: str) -> str:
        text = text.replace("year: 2024\n", "year: 2024\nmin_ballots: 10\nmin_cell: 7\n")
        text = text.replace("  min_share: 2/3\n", "  min_share: 3/4\n")
        return text.replace("  - code: dai_bieu\n", "  - code: dai_bieu\n    census: true\n")

    files = texts()
    files["set.yaml"] = edit(files["set.yaml"])
    blocks = dict(method_blocks(load_criteria_set_from_texts(files)))
    rules = blocks["5. Độ phủ phiếu và công bố số liệu"]
    assert rules[0].startswith("Đơn vị có dưới 10 phiếu") and "dưới 07 người" in rules[1]
    assert "ít nhất 3/4 số xã trực thuộc" in blocks["4. Xếp hạng, xếp loại"][1]
    # The minimal set: so 99 + 1 = 100, huyen 0 + 0.5: two maxima, written per level.
    assert blocks["2. Thang điểm"][:3] == ["Thang điểm đánh giá của từng cấp:",
                                           "- Cấp sở: tối đa 100 điểm, gồm 99 điểm thẩm định, 1 điểm điều tra XHH;",
                                           "- Cấp huyện: tối đa 0,5 điểm, gồm 0 điểm thẩm định, 0,5 điểm điều tra XHH."]
    # Huyện surveys field 1 only: field 2 is named as not surveyed there.
    assert ("Lĩnh vực không có TCTP điều tra XHH ở cấp huyện: Cải cách thể chế."
            in blocks["1.2. Đối với các huyện (cấp huyện)"])


# --- section III: the index per field ----------------------------------------------------------------------

APPRAISAL = {"a": [10, 8, 15, 4.5, 8, 12, 18], "b": [9, 8, 15, 4.5, 8, 12, 18], "c": [8.5, 8, 15, 4.5, 8, 12, 18],
             "d": [11, 9, 18, 5, 9.5, 14, 20]}
SURVEY = {"a": [1.8, 1.8, 2.2, 0.9, 2.2, 1.4, 1.8], "b": [1.5, 1.8, 2.2, 0.9, 2.2, 1.4, 1.8],
          "c": [1.2, 1.8, 2.2, 0.9, 2.2, 1.4, 1.8], "d": [2, 2, 2.5, 1, 2.5, 1.5, 2]}
NAMES = {"a": "Sở A", "b": "Sở B", "c": "Sở C", "d": "Sở D"}
FIELDS = [str(i) for i in range(1, 8)]


def campaign(cset, per_field_appraisal: bool = True):
    """Four departments of the default set; D has 2 ballots (under min_ballots 5): no rank, left out."""
    survey = pd.DataFrame([{"level": "so", "unit": u, **dict(zip(FIELDS, v)), "total": sum(v),
                            "ballots": 2 if u == "d" else 10} for u, v in SURVEY.items()])
    appraisal = pd.DataFrame([{"level": "so", "unit": u, **(dict(zip(FIELDS, v)) if per_field_appraisal
                                                           else dict.fromkeys(FIELDS, float("nan"))),
                               "total": sum(v)} for u, v in APPRAISAL.items()])
    final = final_table(survey, appraisal, cset)
    points = pd.DataFrame([{"level": "so", "unit": u, "code": f, "points": p}
                           for u, v in SURVEY.items() if u != "d" for f, p in zip(FIELDS, v)])
    return SimpleNamespace(cset=cset, final=final, names=NAMES, points=SimpleNamespace(fields=points),
                           survey_table=survey)


def test_index_per_field_by_hand(default):
    sc = campaign(default)
    assert pd.isna(sc.final.table.set_index("unit").loc["d", "rank"]), "2 ballots: not ranked"
    [(heading, lines)] = field_index_blocks(sc)
    assert heading == ("1. Đối với các sở, ban, ngành: Chỉ số CCHC theo lĩnh vực (điểm thẩm định và điểm điều tra "
                       "XHH)")
    assert lines[0].endswith("bình quân tính trên 03 đơn vị được xếp hạng.")
    # Field 1: A 10 + 1.8 = 11.8, B 9 + 1.5 = 10.5, C 8.5 + 1.2 = 9.7; mean 32 / 3 = 10.667 of 11 + 2 = 13,
    # 10.667 / 13 = 82.05 %. D (11 + 2 = 13) has no rank: not in the mean, not the highest.
    assert lines[1] == ("Lĩnh vực Công tác chỉ đạo, điều hành CCHC đạt bình quân 10,667/13 điểm, đạt 82,05%. Trong "
                        "đó, Sở A đạt điểm cao nhất (11,800 điểm); Sở C đạt điểm thấp nhất (9,700 điểm).")
    # Field 2: 8 + 1.8 = 9.8 for all three, of 9 + 2 = 11: 89.09 %.
    assert lines[2] == ("Lĩnh vực Cải cách thể chế đạt bình quân 9,800/11 điểm, đạt 89,09%. Trong đó, 03/03 đơn vị "
                        "đều đạt 9,800 điểm.")
    # Field 6: 12 + 1.4 = 13.4 of 14 + 1.5 = 15.5: 86.45 %.
    assert lines[6].startswith("Lĩnh vực Cải cách tài chính công đạt bình quân 13,400/15,5 điểm, đạt 86,45%.")
    assert len(lines) == 1 + 7


def test_without_appraisal_per_field_or_its_maxima_the_survey_points_say_so(default, national):
    sc = campaign(default, per_field_appraisal=False)
    [(heading, lines)] = field_index_blocks(sc)
    assert heading == "1. Đối với các sở, ban, ngành: điểm điều tra XHH theo lĩnh vực"
    assert lines[0] == ("Số liệu dưới đây là điểm điều tra XHH theo lĩnh vực, chưa phải Chỉ số CCHC theo lĩnh vực "
                        "(chưa có điểm thẩm định theo lĩnh vực).")
    # Survey points of field 1: (1.8 + 1.5 + 1.2) / 3 = 1.5 of 2 = 75 %.
    assert lines[1].startswith("Lĩnh vực Công tác chỉ đạo, điều hành CCHC: Điểm trung bình đạt 1,500/2 điểm (đạt 75% "
                               "điểm tối đa)")
    assert lines[1:] == dict(rt.field_sentences(SimpleNamespace(**{**vars(sc), "final": None})))["so"]

    no_maxima = load_criteria_set_from_texts(_without_field_appraisal(default))
    [(heading, lines)] = field_index_blocks(campaign(no_maxima))
    assert heading.endswith("điểm điều tra XHH theo lĩnh vực")
    assert lines[0].endswith("(bộ tiêu chí không ghi điểm thẩm định tối đa theo lĩnh vực).")


def _without_field_appraisal(cset) -> dict[str, str]:
    """The default set's files with every per-field appraisal maximum taken out."""
    files = {p.relative_to(SETS / "default").as_posix(): p.read_text(encoding="utf-8")
             for p in (SETS / "default").rglob("*.yaml")}
    files["set.yaml"] = "\n".join(line for line in files["set.yaml"].splitlines()
                                  if not line.startswith("        appraisal_max:")) + "\n"
    return files


def test_the_demo_without_appraisal_per_field_gives_its_survey_points(demo_app, users):  # noqa: F811
    # The demo splits each appraisal total over the fields: section III gives the index per field.
    assert [h for h, _ in field_index_blocks(scores(demo_app))] == [
        "1. Đối với các sở, ban, ngành: Chỉ số CCHC theo lĩnh vực (điểm thẩm định và điểm điều tra XHH)",
        "2. Đối với các huyện, thành phố: Chỉ số CCHC theo lĩnh vực (điểm thẩm định và điểm điều tra XHH)"]
    with demo_app.extensions[DB_KEY].transaction() as s:  # appraisal totals only, as a province may import
        s.execute(delete(Appraisal).where(Appraisal.field != "total"))
    sc = scores(demo_app)
    blocks = field_index_blocks(sc)
    assert [h for h, _ in blocks] == ["1. Đối với các sở, ban, ngành: điểm điều tra XHH theo lĩnh vực",
                                      "2. Đối với các huyện, thành phố: điểm điều tra XHH theo lĩnh vực"]
    # The demo imports appraisal totals only; its survey sentences are those of report_text, after the note.
    assert [lines[1:] for _, lines in blocks] == [lines for _, lines in rt.field_blocks(SimpleNamespace(
        **{k: getattr(sc, k) for k in ("cset", "names", "points", "survey_table")}, final=None))]


# --- the set: per-field appraisal maxima -----------------------------------------------------------------


def test_default_set_per_field_appraisal_maxima_add_up(default):
    so, huyen = default.level_by_code["so"], default.level_by_code["huyen"]
    # The seed's section III maxima minus the survey maxima; field 6 of a department is 86.5 minus the others.
    assert dict(so.field_appraisal_max) == {"1": 11, "2": 9, "3": 18, "4": 5, "5": 9.5, "6": 14, "7": 20}
    assert dict(huyen.field_appraisal_max) == {"1": 14, "2": 9, "3": 19, "4": 5, "5": 11, "6": 10, "7": 18}
    assert [huyen.field_index_max(f) for f in FIELDS] == [16.5, 11, 21.5, 6, 13.5, 11.5, 20]  # the seed's, sum 100
    assert so.field_index_max("1") == 13 and so.field_index_max("6") == 15.5
    assert not default.level_by_code["xa"].field_appraisal_max


def _minimal(edit) -> dict[str, str]:
    files = texts()
    files["set.yaml"] = edit(files["set.yaml"])
    return files


def _so_field(number: str, value: str):
    """Give field ``number`` of cấp so (its first entry in the minimal set) an appraisal maximum."""
    entry = f'      - field: "{number}"\n        survey_max: 0.5\n'
    return lambda t: t.replace(entry, f"{entry}        appraisal_max: {value}\n", 1)


def test_per_field_appraisal_maxima_parse_and_are_checked():
    both = _minimal(lambda t: _so_field("2", "49")(_so_field("1", "50")(t)))
    so = load_criteria_set_from_texts(both).level_by_code["so"]
    assert dict(so.field_appraisal_max) == {"1": 50.0, "2": 49.0} and so.field_index_max("2") == 49.5
    assert not load_criteria_set_from_texts(texts()).level_by_code["so"].field_appraisal_max


@pytest.mark.parametrize(("edit", "said"), [
    (lambda t: _so_field("1", "50")(t), "có điểm thẩm định tối đa ('appraisal_max') ở lĩnh vực 1 nhưng thiếu ở lĩnh "
                                        "vực 2"),
    (lambda t: _so_field("2", "40")(_so_field("1", "50")(t)), "cộng lại 50 + 40 = 90, không bằng appraisal_max 99"),
    (lambda t: _so_field("2", "-1")(_so_field("1", "100")(t)), "'appraisal_max' không được âm"),
    (lambda t: _so_field("2", "nhiều")(_so_field("1", "50")(t)), "'appraisal_max' phải là một số"),
    (lambda t: t.replace("    survey_max: 0.5\n    fields:\n      - field: \"1\"\n        survey_max: 0.5\n",
                         "    survey_max: 0.5\n    fields:\n      - field: \"1\"\n        survey_max: 0.5\n"
                         "        appraisal_max: 10\n", 1),
     "cấp 'huyen' có điểm thẩm định tối đa theo lĩnh vực nên phải có 'appraisal_max'"),
])
def test_a_wrong_per_field_appraisal_maximum_is_one_clear_message(edit, said):
    with pytest.raises(CriteriaSetError) as refused:
        load_criteria_set_from_texts(_minimal(edit))
    assert said in str(refused.value)
    assert len(refused.value.problems) == 1


COLUMN = "Điểm thẩm định tối đa theo lĩnh vực (lĩnh vực: điểm; …)"


def _set_cell(book_bytes: bytes, level: str, value) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(book_bytes))
    sheet = book["Cấp"]
    column = next(c.column for c in sheet[1] if c.value == COLUMN)
    row = next(r[0].row for r in sheet.iter_rows(min_row=2) if r[0].value == level)
    sheet.cell(row, column, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_workbook_keeps_per_field_appraisal_maxima_and_an_older_workbook_still_reads(default):
    data = export_workbook(default)
    book = openpyxl.load_workbook(io.BytesIO(data))
    rows = {r[0]: r for r in book["Cấp"].iter_rows(min_row=2, values_only=True)}
    headings = [c.value for c in book["Cấp"][1]]
    assert rows["so"][headings.index(COLUMN)] == "1: 11; 2: 9; 3: 18; 4: 5; 5: 9.5; 6: 14; 7: 20"
    assert rows["xa"][headings.index(COLUMN)] in ("", None)
    _texts, again = import_workbook(data)
    assert again.levels == default.levels
    assert dict(again.level_by_code["huyen"].field_appraisal_max) == dict(
        default.level_by_code["huyen"].field_appraisal_max)

    sheet = book["Cấp"]
    sheet.delete_cols(headings.index(COLUMN) + 1)
    out = io.BytesIO()
    book.save(out)
    _texts, old = import_workbook(out.getvalue())
    assert not old.level_by_code["so"].field_appraisal_max, "a workbook without the column: no maxima per field"
    assert old.level_by_code["so"].field_max == default.level_by_code["so"].field_max

    # A decimal comma is read as Excel users write it: 9,5.
    _texts, comma = import_workbook(_set_cell(data, "so", "1: 11; 2: 9; 3: 18; 4: 5; 5: 9,5; 6: 14; 7: 20"))
    assert comma.level_by_code["so"].field_appraisal_max["5"] == 9.5


@pytest.mark.parametrize(("value", "said"), [
    ("1: 11; 2: chín; 3: 18; 4: 5; 5: 9.5; 6: 14; 7: 20", "'chín' không phải là số"),
    ("1: 11; 2: 9; 3: 18; 4: 5; 5: 9.5; 6: 14; 9: 20", "lĩnh vực '9' không có tiêu chí điều tra của cấp này"),
    ("1: 11; 2: 9; 3: 18; 4: 5; 5: 9.5; 6: 14; 7: 21", "cộng lại 11 + 9 + 18 + 5 + 9.5 + 14 + 21 = 87.5, không bằng "
                                                       "appraisal_max 86.5"),
])
def test_a_wrong_workbook_cell_names_its_sheet_and_row(default, value, said):
    with pytest.raises(WorkbookError) as refused:
        import_workbook(_set_cell(export_workbook(default), "so", value))
    problems = refused.value.problems
    assert any(said in p.message and p.sheet == "Cấp" and p.row == 2 for p in problems), problems
