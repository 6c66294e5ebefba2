"""The report's sentences right to the figure (issue 27, item 3): every expected sentence worked out by hand
from the rows given, against the published 2023 report's forms."""
from __future__ import annotations

import dataclasses
import re
from types import SimpleNamespace

import pandas as pd
import pytest

from questionnaires import DEFAULT_SET_DIR, load_criteria_set
from questionnaires.workbook import export_workbook, import_workbook
from scoring import NOT_CLASSIFIED, final_table
from survey_app.outputs import report_text as rt
from survey_app.outputs.findings import group_in_sentence, level_paragraphs, poor_findings

from .conftest import LAST
from .test_reports import client_for, users  # noqa: F401 (fixture)

NAMES = {"h1": "Huyện Một", "h2": "Huyện Hai", "h3": "Huyện Ba", "h4": "Huyện Bốn",
         "s1": "Sở Một", "s2": "Sở Hai", "s3": "Sở Ba", "s4": "Sở Bốn", "s5": "Sở Năm"}


@pytest.fixture(scope="module")
def cset():
    return load_criteria_set(DEFAULT_SET_DIR)


def scores(cset, final: pd.DataFrame, **extra):
    """What the sentences read: the set, names, a final table."""
    return SimpleNamespace(cset=cset, names=NAMES, final=SimpleNamespace(table=final, fields=pd.DataFrame()),
                           **extra)


# --- 1, 3. Units by score band and by final class; the district rule's change in its own clause ---------------


def test_units_counted_by_score_and_by_final_class_with_the_rule_said(cset):
    # h2 has 83.451 points, Tốt by score, but Khá by the district rule; h4 is not classed.
    final = pd.DataFrame({
        "level": "huyen", "unit": ["h1", "h2", "h3", "h4"], "index": [87.0, 83.451, 75.0, 78.549],
        "class": ["Tốt", "Khá", "Khá", NOT_CLASSIFIED],
        "class_reason": ["3/3 xã đạt loại Tốt trở lên (≥ 2/3)",
                         "chỉ 1/3 xã đạt loại Tốt trở lên (< 2/3): hạ từ Tốt xuống Khá",
                         "2/3 xã đạt loại Khá trở lên (≥ 2/3)", "thiếu kết quả xếp loại của 1/3 xã trực thuộc"]})
    (level, text), = rt.band_sentences(scores(cset, final), 2023)
    # Mean (87 + 83.451 + 75 + 78.549) / 4 = 324 / 4 = 81. By score: h1, h2 from 80 (2/4 = 50%), h3, h4 from
    # 70 to under 80 (2/4); none reaches the set's cut at 90, so Tốt is not split (as the seed's districts).
    # By class: Tốt h1 (1/4 = 25%), Khá h2 and h3 (2/4), h2 by the rule; h4 not classed (1/4).
    assert level == "huyen"
    assert text == (
        "Tổng điểm trung bình của các đơn vị đạt 81,000/100 điểm. "
        "Trong đó, có 02/04 đơn vị đạt từ 80 điểm trở lên, chiếm tỷ lệ 50%; "
        "02/04 đơn vị đạt từ 70 đến dưới 80 điểm, chiếm tỷ lệ 50%. "
        "Theo xếp loại, có 01/04 đơn vị xếp loại Tốt, chiếm tỷ lệ 25%; "
        "02/04 đơn vị xếp loại Khá, chiếm tỷ lệ 50%, trong đó huyện Hai đạt 83,451 điểm nhưng xếp loại Khá do "
        "chỉ 1/3 xã đạt loại Tốt trở lên (< 2/3); "
        "01/04 đơn vị không xếp loại (huyện Bốn), chiếm tỷ lệ 25%.")
    # One term for a unit without a class, the table's ("Không xếp loại").
    assert "chưa xếp loại" not in text and NOT_CLASSIFIED.lower() in text.lower()


def test_too_few_ballots_are_said_apart_and_not_counted_by_score(cset):
    # s3 has no index (2 ballots): not in a score band, said with the table's mark.
    final = pd.DataFrame({"level": "so", "unit": ["s1", "s2", "s3"], "index": [85.0, 72.0, float("nan")],
                          "class": ["Tốt", "Khá", "Chưa đủ phiếu (2 phiếu)"],
                          "class_reason": ["", "", "dưới 5 phiếu tối thiểu: không tính điểm điều tra XHH, "
                                                   "không xếp hạng, không xếp loại"]})
    (_, text), = rt.band_sentences(scores(cset, final), 2023)
    # Mean of the two indexes (85 + 72) / 2 = 78,5; 1/3 = 33,33%.
    assert text == (
        "Tổng điểm trung bình của các đơn vị đạt 78,500/100 điểm. "
        "Trong đó, có 01/03 đơn vị đạt từ 80 điểm trở lên, chiếm tỷ lệ 33,33%; "
        "01/03 đơn vị đạt từ 70 đến dưới 80 điểm, chiếm tỷ lệ 33,33%. "
        "Theo xếp loại, có 01/03 đơn vị xếp loại Tốt, chiếm tỷ lệ 33,33%; 01/03 đơn vị xếp loại Khá, chiếm tỷ lệ "
        "33,33%; 01/03 đơn vị chưa đủ phiếu nên không xếp hạng, không xếp loại (Sở Ba), chiếm tỷ lệ 33,33%.")


# --- 2. The top band split at the set's report_bands ---------------------------------------------------------


def test_top_band_split_at_90_as_the_seed_splits_it(cset):
    # 89.9995 is 90,000 at 3 decimals: it counts from 90, as it would be classed. 4/5 = 80%, 1/5 = 20%.
    final = pd.DataFrame({"level": "so", "unit": ["s1", "s2", "s3", "s4", "s5"],
                          "index": [95.0, 91.0, 90.0, 89.9995, 85.0], "class": "Tốt", "class_reason": ""})
    split = dataclasses.replace(cset, report_bands=(90.0,))
    (_, text), = rt.band_sentences(scores(split, final), 2023)
    # Mean 450.9995 / 5 = 90.1999 -> 90,200. Every class is its score's band: one sentence names it.
    assert text == (
        "Tổng điểm trung bình của các đơn vị đạt 90,200/100 điểm. Trong đó, có 05/05 đơn vị đạt từ 80 điểm trở "
        "lên, xếp loại Tốt, chiếm tỷ lệ 100% (cụ thể: số đơn vị đạt từ 90 điểm trở lên là 04/05 đơn vị, chiếm tỷ "
        "lệ 80%; số đơn vị đạt từ 80 đến dưới 90 điểm là 01/05 đơn vị, chiếm tỷ lệ 20%).")
    (_, plain), = rt.band_sentences(scores(dataclasses.replace(cset, report_bands=()), final), 2023)
    assert "cụ thể" not in plain and plain.endswith("xếp loại Tốt, chiếm tỷ lệ 100%.")


def test_report_bands_read_from_yaml_and_the_workbook(cset, set_dir):
    assert cset.report_bands == (90.0,)  # the default set follows the 2023 report
    texts, back = import_workbook(export_workbook(dataclasses.replace(cset, report_bands=(95.0, 90.0))))
    assert back.report_bands == (95.0, 90.0) and "report_bands: [95, 90]" in texts["set.yaml"]
    assert import_workbook(export_workbook(dataclasses.replace(cset, report_bands=())))[1].report_bands == ()
    path = set_dir / "set.yaml"
    path.write_text(re.sub(r"(?m)^report_bands:.*$", "", path.read_text()) + "report_bands: [tám mươi]\n")
    from questionnaires import CriteriaSetError

    with pytest.raises(CriteriaSetError, match="report_bands"):
        load_criteria_set(set_dir)


# --- 4. Last year's class the new scheme no longer has -------------------------------------------------------


def test_a_class_the_scheme_no_longer_has_is_not_compared(cset):
    survey = pd.DataFrame({"level": "so", "unit": ["a", "b", "c"], "total": [10.0, 10.0, 10.0]})
    appraisal = pd.DataFrame({"level": "so", "unit": ["a", "b", "c"], "total": [82.0, 72.0, 62.0]})
    previous = pd.DataFrame({"level": "so", "unit": ["a", "b", "c"], "previous_index": [92.02, 79.06, 75.0],
                             "previous_rank": [1, 2, 3], "previous_class": ["Xuất sắc", "Tốt", "Trung bình"]})
    t = final_table(survey, appraisal, cset, previous=previous).table.set_index("unit")
    # a: 82 + 10 = 92, Tốt, was Xuất sắc (2022's scheme, gone in 2023's): not "Giảm".
    assert (t.loc["a", "class"], t.loc["a", "class_change"]) == ("Tốt", "không so sánh (thay đổi thang xếp loại)")
    # b: 72 + 10 = 82, Tốt, was Tốt; c: 62 + 10 = 72, Khá, was Trung bình: both bands are this year's.
    assert (t.loc["b", "class"], t.loc["b", "class_change"]) == ("Tốt", "Giữ nguyên")
    assert (t.loc["c", "class"], t.loc["c", "class_change"]) == ("Khá", "Tăng")


# --- 5, 6. The poor-answer paragraph: group names as written, the scale's own words, contents counted ---------


def hand_counts(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """``(question, group, option, n)`` of one department."""
    return pd.DataFrame([{"level": "so", "unit": "s1", "question": q, "group": g, "option": o, "n": n}
                         for q, g, o, n in rows])


def test_poor_paragraph_by_hand(cset):
    # S01 (quality scale): 1 "Kém" of 40 answers = 2,5%; S24 ("Mức độ công khai …", percent scale): 3 "Dưới 50%"
    # of 100 = 3,0%; S02: no poor answer. 2 of the 28 questions asked of cấp sở drew poor answers.
    counts = hand_counts([("S01", "hdnd_tinh", "tot", 39), ("S01", "hdnd_tinh", "kem", 1),
                          ("S24", "hdnd_tinh", "tren_80", 97), ("S24", "hdnd_tinh", "duoi_50", 3),
                          ("S02", "cc_so", "tren_80", 10)])
    sc = SimpleNamespace(cset=cset, counts=counts, small=None)
    rows = poor_findings(sc)
    assert len(cset.level_questions("so")) == 28
    paragraph = dict(level_paragraphs(sc, rows))["Cấp sở"]
    assert paragraph == (
        "Đối với đánh giá cấp sở có 02/28 nội dung có ý kiến đánh giá ở mức kém (cụ thể gồm: 2,5% ý kiến đại biểu "
        "HĐND tỉnh đánh giá kém về chất lượng các văn bản chỉ đạo, điều hành công tác CCHC của sở; 3,0% ý kiến đại "
        "biểu HĐND tỉnh đánh giá mức độ công khai dự toán, quyết toán ngân sách của sở theo quy định ở mức dưới "
        "50%).")
    assert "dưới 50% về" not in paragraph


def test_group_names_as_the_set_writes_them(cset):
    groups = tuple(dataclasses.replace(g, name="Ủy ban MTTQ tỉnh (đánh giá sở, huyện)") if g.code == "hdnd_tinh"
                   else g for g in cset.groups)
    renamed = dataclasses.replace(cset, groups=groups)
    sc = SimpleNamespace(cset=renamed, counts=hand_counts([("S01", "hdnd_tinh", "tot", 39),
                                                           ("S01", "hdnd_tinh", "kem", 1)]), small=None)
    row, = poor_findings(sc)
    assert row["sentence"] == ("2,5% ý kiến Ủy ban MTTQ tỉnh đánh giá kém về chất lượng các văn bản chỉ đạo, điều "
                               "hành công tác CCHC của sở")
    assert group_in_sentence("Lãnh đạo phòng chuyên môn cấp huyện") == "lãnh đạo phòng chuyên môn cấp huyện"
    assert group_in_sentence("Hội Nông dân tỉnh") == "Hội Nông dân tỉnh"


# --- 7. The heading on commune-based classes; the overview on communes' classes -----------------------------


def test_commune_heading_lists_the_district_rules_notes_only(cset):
    incomplete = "điểm điều tra XHH chưa đủ ý kiến mọi đối tượng"
    final = pd.DataFrame({
        "level": ["so", "so", "huyen", "huyen"], "unit": ["s1", "s2", "h1", "h2"],
        "index": [float("nan"), 84.0, 83.0, float("nan")],
        "class": ["Chưa đủ phiếu (2 phiếu)", "Tốt", "Tốt", NOT_CLASSIFIED],
        "class_reason": ["dưới 5 phiếu tối thiểu: không tính điểm điều tra XHH, không xếp hạng, không xếp loại",
                         incomplete, f"2/3 xã đạt loại Tốt trở lên (≥ 2/3); {incomplete}", "chưa có điểm thẩm định"]})
    assert rt.reason_blocks(scores(cset, final)) == [
        ("Căn cứ xếp loại theo kết quả của cấp xã", ["Huyện Một: 2/3 xã đạt loại Tốt trở lên (≥ 2/3)."])]


def test_overview_says_the_rule_used_surveyed_communes():
    national = load_criteria_set(DEFAULT_SET_DIR.parent / "quoc_gia")
    final = pd.DataFrame({"level": ["cap_huyen", "cap_xa"], "unit": ["h1", "x1"], "index": [85.0, 81.0]})
    sc = scores(national, final, imported={"appraisal": True, "communes": False, "previous": False})
    status = {label: (state, done) for label, state, done in rt.data_status(sc)}
    state, done = status["Kết quả xếp loại cấp xã (quy tắc 2/3)"]
    assert done and "chưa nhập" not in state and "các xã được điều tra XHH" in state
    assert status["Kết quả năm trước"] == ("chưa nhập", False)
    # Without the rule's communes in the table (no appraisal yet), they are still to come.
    early = scores(national, final[final["level"] != "cap_xa"],
                   imported={"appraisal": True, "communes": False, "previous": False})
    assert dict((label, state) for label, state, _ in rt.data_status(early))[
        "Kết quả xếp loại cấp xã (quy tắc 2/3)"] == "chưa nhập"


# --- 8. Shares of opinions in bold ------------------------------------------------------------------------------


def test_emphasis_marks_the_shares_of_opinions_only():
    runs = rt.emphasis("gồm: 83,7% ý kiến đại biểu HĐND tỉnh đánh giá dưới 50% văn bản; 01% ý kiến người dân).")
    assert [t for t, bold in runs if bold] == ["83,7%", "01%"]
    assert "".join(t for t, _ in runs) == ("gồm: 83,7% ý kiến đại biểu HĐND tỉnh đánh giá dưới 50% văn bản; "
                                          "01% ý kiến người dân).")
    assert rt.emphasis("19/19 đơn vị, chiếm tỷ lệ 100%.") == [("19/19 đơn vị, chiếm tỷ lệ 100%.", False)]


# --- the demo's pages ---------------------------------------------------------------------------------------------


def test_demo_pages_say_it_right(demo_app, users):  # noqa: F811
    client = client_for(demo_app, "pt")
    findings = client.get(f"/bao-cao/{LAST}/nhan-xet").get_data(as_text=True)
    said = " ".join(re.findall(r'<p class="finding">(.*?)</p>', findings, re.S))
    assert re.search(r"<strong>\d+,\d%</strong> ý kiến đại biểu HĐND tỉnh", said)
    assert "<strong>" not in re.sub(r"<strong>\d+,\d%</strong> ý kiến", "", said)  # "dưới 50%" stays plain
    assert "dưới 50% về" not in said and "/28 nội dung" in said and "/29 nội dung" in said
    assert "6 trong 21 nội dung được hỏi" in findings and "27 tiêu chí thành phần" in findings
    final = client.get(f"/bao-cao/{LAST}/ket-qua").get_data(as_text=True)
    assert "chưa xếp loại" not in final and "đơn vị không xếp loại (huyện Na Rì)" in final
    assert re.search(r"trong đó huyện Chợ Mới đạt [\d,]+ điểm nhưng xếp loại Khá do chỉ 2/4 xã", final)
    assert "không so sánh (thay đổi thang xếp loại)" in final
    assert "số đơn vị đạt từ 90 điểm trở lên là 12/19 đơn vị" in final  # as the demo's departments, as the seed's
    overview = client.get(f"/bao-cao/{LAST}/").get_data(as_text=True)
    assert "Kết quả xếp loại cấp xã (quy tắc 2/3): đã nhập" in overview
