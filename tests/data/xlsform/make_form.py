"""Write ``khao_sat_nguoi_dan.xlsx``: a citizens' form in the shape of a real KoboToolbox XLSForm.

The project wrote it (no third-party form is copied). It holds what a province's
form typically holds: metadata rows, an intro note, a group of background
questions (a ``select_one`` without ``par_subcriterion``, a ``select_multiple``,
a ``text``), a group of rating questions on two choice lists with
``par_subcriterion``, one with a ``relevant`` condition, and a closing ``text``.
The "don't know" option is marked ``dont_know`` in ``par_fraction``.

Run ``python tests/data/xlsform/make_form.py`` to write it again (the tests
import :func:`build_workbook` to make variants).
"""
from __future__ import annotations

from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
FORM = HERE / "khao_sat_nguoi_dan.xlsx"
VI = "label::Vietnamese (vi)"
EN = "label::English (en)"

SURVEY_HEADER = ("type", "name", VI, EN, "hint::Vietnamese (vi)", "hint::English (en)", "required", "relevant",
                 "par_subcriterion")


def q(type_, name, vi="", en="", required="", relevant="", sub="", hint_vi="", hint_en=""):
    """One survey row in the order of ``SURVEY_HEADER``."""
    return (type_, name, vi, en, hint_vi, hint_en, required, relevant, sub)


SURVEY = [
    SURVEY_HEADER,
    q("start", "start"),
    q("end", "end"),
    q("note", "gioi_thieu", "Phiếu khảo sát ý kiến người dân về giải quyết thủ tục hành chính tại huyện. "
      "Phiếu không ghi tên.", "Citizen survey on administrative procedures."),
    q("begin group", "thong_tin", "Thông tin người trả lời", "About you"),
    q("select_one gioi_tinh", "gioi_tinh", "Giới tính", "Sex", "yes"),
    q("select_multiple kenh", "kenh", "Ông/Bà đã liên hệ giải quyết thủ tục qua kênh nào?", "Channels used", "yes"),
    q("text", "thu_tuc", "Thủ tục Ông/Bà đã làm", "Procedure",
      hint_vi="Ví dụ: cấp giấy phép xây dựng", hint_en="E.g. a building permit"),
    q("end group", ""),
    q("begin group", "danh_gia", "Đánh giá", "Rating"),
    q("select_one muc_do", "tuyen_truyen", "Tác động của công tác tuyên truyền cải cách hành chính của huyện",
      "Impact of PAR communication", "yes", sub="1.5.3"),
    q("select_one muc_do", "mot_cua", "Hoạt động của Bộ phận Một cửa cấp huyện", "One-stop desk", "yes", sub="3.4.3"),
    q("select_one muc_do", "thai_do", "Thái độ phục vụ của công chức tại Bộ phận Một cửa", "Staff attitude", "yes",
      sub="3.4.3"),
    q("select_one ty_le", "dung_hen", "Tỷ lệ hồ sơ của Ông/Bà được trả kết quả đúng hẹn", "On-time results", "yes",
      sub="3.6.4"),
    q("select_one muc_do", "dvc_truc_tuyen", "Mức độ thuận tiện khi sử dụng dịch vụ công trực tuyến của huyện",
      "Online public services", "yes", relevant="selected(${kenh}, 'truc_tuyen')", sub="7.3.3"),
    q("end group", ""),
    q("text", "gop_y", "Góp ý khác của Ông/Bà", "Other comments"),
]

CHOICES = [
    ("list_name", "name", VI, EN, "par_fraction"),
    ("muc_do", "tot", "Tốt", "Good", 1),
    ("muc_do", "kha", "Khá", "Fair", 0.6),
    ("muc_do", "trung_binh", "Trung bình", "Average", 0.2),
    ("muc_do", "kem", "Kém", "Poor", 0),
    ("muc_do", "khong_biet", "Không biết / không ý kiến", "Don't know", "dont_know"),
    ("ty_le", "tren_80", "Trên 80%", "Over 80%", 1),
    ("ty_le", "tu_65_den_80", "Từ 65% đến 80%", "65% to 80%", 0.6),
    ("ty_le", "tu_50_den_65", "Từ 50% đến dưới 65%", "50% to under 65%", 0.2),
    ("ty_le", "duoi_50", "Dưới 50%", "Under 50%", 0),
    ("ty_le", "khong_biet", "Không biết / không ý kiến", "Don't know", "dont_know"),
    ("gioi_tinh", "nam", "Nam", "Male", ""),
    ("gioi_tinh", "nu", "Nữ", "Female", ""),
    ("kenh", "truc_tiep", "Trực tiếp tại Bộ phận Một cửa", "In person", ""),
    ("kenh", "truc_tuyen", "Dịch vụ công trực tuyến", "Online", ""),
    ("kenh", "buu_chinh", "Qua bưu chính công ích", "By post", ""),
]

SETTINGS = [
    ("form_title", "form_id", "version", "default_language", "par_level", "par_group"),
    ("Khảo sát người dân về sự phục vụ của UBND huyện", "khao_sat_nguoi_dan", "2024031501", "Vietnamese (vi)",
     "huyen", "nguoi_dan"),
]


def build_workbook(survey=SURVEY, choices=CHOICES, settings=SETTINGS) -> openpyxl.Workbook:
    """The workbook of the given sheets (``None`` leaves a sheet out)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in (("survey", survey), ("choices", choices), ("settings", settings)):
        if rows is None:
            continue
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append([None if v == "" else v for v in row])
    return wb


if __name__ == "__main__":
    build_workbook().save(FORM)
    print(f"wrote {FORM}")
