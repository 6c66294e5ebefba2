"""XLSForm import and export (``parsurvey questionnaires import-xlsform`` / ``export-xlsform``).

The committed form ``tests/data/xlsform/khao_sat_nguoi_dan.xlsx`` is written by
``make_form.py`` beside it; variants are built from the same rows. Exports are
checked by converting them with pyxform (no Java, no ODK Validate).
"""
from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from pyxform.xls2xform import convert

from questionnaires import DEFAULT_SET_DIR, load_criteria_set, load_default_set, xlsform
from questionnaires.loader import load_criteria_set_from_texts
from questionnaires.xlsform import read as xlsform_read
from survey_app import create_app
from survey_app.cli import xlsform as cli_xlsform

from .conftest import TEST_SECRET

DATA = Path(__file__).parent / "data" / "xlsform"
FORM = DATA / "khao_sat_nguoi_dan.xlsx"

_spec = importlib.util.spec_from_file_location("make_form", DATA / "make_form.py")
make_form = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_form)


@pytest.fixture
def cli(tmp_path):
    """Flask's CLI runner over ``parsurvey``; these commands never touch the database."""
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite'}",
                      "SECRET_KEY": TEST_SECRET})
    app.instance_path = str(tmp_path / "instance")
    return app.test_cli_runner()


def variant(tmp_path: Path, name: str = "form.xlsx", **sheets) -> Path:
    """The test form with some sheets replaced (``None`` leaves a sheet out)."""
    path = tmp_path / name
    make_form.build_workbook(**sheets).save(path)
    return path


def without_column(rows, column: str):
    i = rows[0].index(column)
    return [row[:i] + row[i + 1:] for row in rows]


def import_(cli, form: Path, out: Path, *args):
    return cli.invoke(args=["questionnaires", "import-xlsform", str(form), "--out", str(out), *args])


def xform_texts(xml: str) -> set[str]:
    """Every text in an XForm (labels live in itext values)."""
    return {" ".join(t.split()) for t in ET.fromstring(xml).itertext() if t.strip()}


# --- the committed form ---------------------------------------------------------


def test_the_committed_form_is_what_make_form_writes_and_pyxform_accepts(tmp_path):
    fresh = xlsform.read_xlsform(variant(tmp_path))
    assert replace(fresh, source=FORM.name) == xlsform.read_xlsform(FORM)
    warnings: list[str] = []
    result = convert(str(FORM), warnings=warnings)
    assert "<h:title>Khảo sát người dân về sự phục vụ của UBND huyện</h:title>" in result.xform
    assert warnings == []


def test_import_writes_a_set_that_passes_check(cli, tmp_path):
    out = tmp_path / "imported"
    result = import_(cli, FORM, out)
    assert result.exit_code == 0, result.output
    check = cli.invoke(args=["questionnaires", "check", str(out)])
    assert check.exit_code == 0, check.output
    assert "huyen: 4 TCTP, 5 câu hỏi, 2 điểm; 1 đối tượng, 1 phiếu" in check.output

    cset = load_criteria_set(out)
    questions = {q.id: (q.sub_criterion, q.max_points, q.scale, q.text) for q in cset.level_questions("huyen")}
    assert questions == {
        "tuyen_truyen": ("1.5.3", 0.5, "muc_do", "Tác động của công tác tuyên truyền cải cách hành chính của huyện"),
        "mot_cua": ("3.4.3", 0.25, "muc_do", "Hoạt động của Bộ phận Một cửa cấp huyện"),
        "thai_do": ("3.4.3", 0.25, "muc_do", "Thái độ phục vụ của công chức tại Bộ phận Một cửa"),
        "dung_hen": ("3.6.4", 0.5, "ty_le", "Tỷ lệ hồ sơ của Ông/Bà được trả kết quả đúng hẹn"),
        "dvc_truc_tuyen": ("7.3.3", 0.5, "muc_do", "Mức độ thuận tiện khi sử dụng dịch vụ công trực tuyến của huyện"),
    }
    scales = {s.code: [(o.code, o.label, o.fraction, o.dont_know) for o in s.options] for s in cset.scales}
    assert scales == {
        "muc_do": [("tot", "Tốt", 1.0, False), ("kha", "Khá", 0.6, False), ("trung_binh", "Trung bình", 0.2, False),
                   ("kem", "Kém", 0.0, False), ("khong_biet", "Không biết / không ý kiến", None, True)],
        "ty_le": [("tren_80", "Trên 80%", 1.0, False), ("tu_65_den_80", "Từ 65% đến 80%", 0.6, False),
                  ("tu_50_den_65", "Từ 50% đến dưới 65%", 0.2, False), ("duoi_50", "Dưới 50%", 0.0, False),
                  ("khong_biet", "Không biết / không ý kiến", None, True)],
        # lists to choose from: the background select_one (profile) and the select_multiple (expectation)
        "gioi_tinh": [("nam", "Nam", None, False), ("nu", "Nữ", None, False)],
        "kenh": [("truc_tiep", "Trực tiếp tại Bộ phận Một cửa", None, False),
                 ("truc_tuyen", "Dịch vụ công trực tuyến", None, False),
                 ("buu_chinh", "Qua bưu chính công ích", None, False)],
    }
    assert [s.code for s in cset.scales if not s.scored] == ["gioi_tinh", "kenh"]
    qn = cset.questionnaire("huyen", "nguoi_dan")
    assert qn.title == "Khảo sát người dân về sự phục vụ của UBND huyện"
    assert qn.intro.startswith("Phiếu khảo sát ý kiến người dân")
    assert qn.question_ids == ("gioi_tinh", "kenh", "thu_tuc", "tuyen_truyen", "mot_cua", "thai_do", "dung_hen",
                               "dvc_truc_tuyen", "gop_y")
    assert cset.scored_ids(qn) == ("tuyen_truyen", "mot_cua", "thai_do", "dung_hen", "dvc_truc_tuyen")
    assert [g.code for g in cset.groups] == ["nguoi_dan"]
    # The base set's maxima are kept for what the form asks; the rest is named, not lost silently.
    assert cset.sub_criterion_by_key[("huyen", "3.4.3")].max_points == 0.5
    assert not cset.level_by_code["so"].surveyed
    for rel in ("set.yaml", "questions/huyen.yaml", "questionnaires/huyen-nguoi_dan.yaml"):
        assert (out / rel).read_text(encoding="utf-8").startswith("# Nhập từ XLSForm khao_sat_nguoi_dan.xlsx")
    questions_yaml = (out / "questions/huyen.yaml").read_text(encoding="utf-8")
    assert "max_points: 0.25  # 0.5 điểm của TCTP 3.4.3 chia đều cho 2 câu" in questions_yaml
    assert "phiếu không hỏi (đã bỏ): 1.1.3, 1.1.4" in (out / "set.yaml").read_text(encoding="utf-8")


def test_import_lists_every_row_it_cannot_represent_with_row_and_type(cli, tmp_path):
    result = import_(cli, FORM, tmp_path / "imported")
    assert result.exit_code == 0, result.output
    assert "Không biểu diễn được trong bộ tiêu chí (2 dòng của trang survey, không nhập):" in result.output
    for line in ("dòng 2: start 'start': siêu dữ liệu", "dòng 3: end 'end': siêu dữ liệu"):
        assert line in result.output
    # The background select_one (group 'thong_tin'), the select_multiple and the two texts are imported as a
    # profile question, an expectation and comments (tests/test_kinds_exports.py); a select_one neither scored
    # nor in such a group is still listed.
    for name in ("gioi_tinh", "kenh", "thu_tuc", "gop_y"):
        assert f"'{name}'" not in result.output.split("Ghi chú:")[0]
    rows = [r if r[1] != "thong_tin" else make_form.q("begin group", "khac", "Khác") for r in make_form.SURVEY]
    form = xlsform.read_xlsform(variant(tmp_path, "plain.xlsx", survey=rows))
    assert [str(s) for s in form.skipped if s.name == "gioi_tinh"] == [
        "dòng 6: select_one gioi_tinh 'gioi_tinh': không có par_subcriterion (câu hỏi không thuộc tiêu chí thành "
        "phần nào, không chấm điểm)"]
    assert "nhóm 'thong_tin' (dòng 5) được làm phẳng" in result.output
    assert "câu 'dvc_truc_tuyen' (dòng 15): bỏ relevant" in result.output


def test_a_repeat_is_listed_and_its_questions_still_imported(tmp_path):
    rows = list(make_form.SURVEY)
    begin = rows.index(next(r for r in rows if r[1] == "danh_gia"))
    rows[begin] = make_form.q("begin repeat", "danh_gia", "Đánh giá")
    rows[begin + 6] = make_form.q("end repeat", "")
    form = xlsform.read_xlsform(variant(tmp_path, survey=rows))
    assert [(s.row, s.type) for s in form.skipped if s.type == "begin repeat"] == [(10, "begin repeat")]
    assert sum(q.kind == "scored" for q in form.questions) == 5


# --- fractions ------------------------------------------------------------------


def no_fraction_form(tmp_path):
    return variant(tmp_path, choices=without_column(make_form.CHOICES, "par_fraction"))


def test_missing_fractions_in_a_non_interactive_run_exit_2_listing_them_and_write_nothing(cli, tmp_path):
    out = tmp_path / "imported"
    result = import_(cli, no_fraction_form(tmp_path), out)
    assert result.exit_code == 2
    listed = [line for line in result.stderr.splitlines() if "chưa có tỉ lệ điểm [missing_fraction]" in line]
    assert len(listed) == 10  # the options of muc_do and ty_le; gioi_tinh and kenh are not scored
    assert listed[0].startswith("trang choices, dòng 2: phương án 'tot' (Tốt) của danh sách 'muc_do'")
    assert "--fractions" in result.stderr and "không ghi tệp nào" in result.stderr
    assert not out.exists()


def test_fractions_option_fills_them_and_must_cover_them_all(cli, tmp_path):
    form = no_fraction_form(tmp_path)
    some = "tot=1,kha=0.6,trung_binh=0.2,kem=0,khong_biet=dont_know"
    result = import_(cli, form, tmp_path / "partial", "--fractions", some)
    assert result.exit_code == 2
    assert "danh sách 'ty_le'" in result.stderr and "danh sách 'muc_do'" not in result.stderr
    assert not (tmp_path / "partial").exists()

    every = some + ",tren_80=1,tu_65_den_80=0.6,tu_50_den_65=0.2,duoi_50=0"
    out = tmp_path / "imported"
    result = import_(cli, form, out, "--fractions", every)
    assert result.exit_code == 0, result.output
    ty_le = load_criteria_set(out).scale_by_code["ty_le"]
    assert [(o.code, o.fraction, o.dont_know) for o in ty_le.options] == [
        ("tren_80", 1.0, False), ("tu_65_den_80", 0.6, False), ("tu_50_den_65", 0.2, False),
        ("duoi_50", 0.0, False), ("khong_biet", None, True)]

    result = import_(cli, form, tmp_path / "typo", "--fractions", every + ",tott=1")
    assert result.exit_code == 2 and "không có phương án tott" in result.stderr


def test_a_terminal_is_asked_one_option_at_a_time(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(cli_xlsform, "_stdin_is_terminal", lambda: True)
    answers = ["1", "0.6", "0,2", "kém", "0", "dont_know", "1", "0.6", "0.2", "0", "dont_know"]
    out = tmp_path / "imported"
    result = cli.invoke(args=["questionnaires", "import-xlsform", str(no_fraction_form(tmp_path)), "--out", str(out)],
                        input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "'kém' không dùng được" in result.output
    muc_do = load_criteria_set(out).scale_by_code["muc_do"]
    assert [o.fraction for o in muc_do.options] == [1.0, 0.6, 0.2, 0.0, None]


# --- level, group, max points -----------------------------------------------------


def test_level_and_group_come_from_the_options_without_a_settings_sheet(cli, tmp_path):
    form = variant(tmp_path, settings=None)
    result = import_(cli, form, tmp_path / "a")
    assert result.exit_code == 2 and "cần --level" in result.stderr and "--group" in result.stderr
    result = import_(cli, form, tmp_path / "b", "--level", "huyen", "--group", "doanh_nghiep")
    assert result.exit_code == 0, result.output
    assert load_criteria_set(tmp_path / "b").questionnaire("huyen", "doanh_nghiep") is not None


def test_par_max_points_wins_and_the_rest_of_the_sub_criterion_is_shared(tmp_path):
    rows = [r + ("par_max_points",) if i == 0 else r + ("",) for i, r in enumerate(make_form.SURVEY)]
    rows = [r[:-1] + ("0.1",) if r[1] == "mot_cua" else r for r in rows]
    form = xlsform.read_xlsform(variant(tmp_path, survey=rows))
    texts = xlsform.build_set_texts(form, load_default_set(), "huyen", "nguoi_dan")
    cset = load_criteria_set_from_texts(texts)
    assert cset.question_by_key[("huyen", "mot_cua")].max_points == 0.1
    assert cset.question_by_key[("huyen", "thai_do")].max_points == pytest.approx(0.4)

    too_much = [r[:-1] + ("0.4",) if r[1] in ("mot_cua", "thai_do") else r for r in rows]
    form = xlsform.read_xlsform(variant(tmp_path, "too_much.xlsx", survey=too_much))
    with pytest.raises(xlsform.XLSFormError) as error:
        xlsform.build_set_texts(form, load_default_set(), "huyen", "nguoi_dan")
    assert "cộng lại 0.8, vượt điểm tối đa 0.5" in str(error.value)


# --- bad forms -------------------------------------------------------------------


def bad_rows(column: str, name: str, value: str):
    header = make_form.SURVEY[0]
    i = header.index(column)
    return [r[:i] + (value,) + r[i + 1:] if r[1] == name else r for r in make_form.SURVEY]


@pytest.mark.parametrize("sheets, expected", [
    (dict(survey=None), "không có trang 'survey' (các trang: choices, settings): không phải một XLSForm"),
    (dict(survey=bad_rows("type", "dung_hen", "select_one ty_le_sai")),
     "trang survey, dòng 14: câu 'dung_hen' (select_one ty_le_sai) dùng danh sách 'ty_le_sai' nhưng trang choices "
     "không có danh sách này [missing_list]"),
    (dict(survey=bad_rows("par_subcriterion", "mot_cua", "9.9.9")),
     "trang survey, dòng 12: câu 'mot_cua': tiêu chí thành phần '9.9.9' không có trong cấp 'huyen'"),
    (dict(choices=[r if r[1] != "kha" else r[:4] + ("khá",) for r in make_form.CHOICES]),
     "trang choices, dòng 3: par_fraction 'khá' của phương án 'kha' (danh sách 'muc_do') phải là một số từ 0 đến 1"),
    (dict(choices=None),  # gioi_tinh (row 6) is not scored: the first question to import is row 11
     "trang survey, dòng 11: câu 'tuyen_truyen' (select_one muc_do) cần trang 'choices'"),
])
def test_a_bad_form_gets_a_vietnamese_error_with_its_row_and_exit_2(cli, tmp_path, sheets, expected):
    out = tmp_path / "imported"
    result = import_(cli, variant(tmp_path, **sheets), out)
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert "không ghi tệp nào" in result.stderr
    assert not out.exists()


def test_a_file_that_is_not_xlsx_and_a_used_out_folder_are_refused(cli, tmp_path):
    fake = tmp_path / "form.xlsx"
    fake.write_text("type,name\n", encoding="utf-8")
    result = import_(cli, fake, tmp_path / "x")
    assert result.exit_code == 2 and "không đọc được form.xlsx như một tệp Excel .xlsx" in result.stderr
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("x")
    result = import_(cli, FORM, used)
    assert result.exit_code == 2 and "không trống" in result.stderr
    assert sorted(p.name for p in used.iterdir()) == ["keep.txt"]


# --- real-world workbooks ---------------------------------------------------------


def test_a_sheet_declared_down_to_row_1048576_and_column_amj_is_read_only_to_its_last_filled_row(
        tmp_path, monkeypatch):
    """Excel and LibreOffice may declare A1:AMJ1048576; the reader stops at the last row holding a value (found
    by a scan of the sheet's XML), whatever the declaration."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    survey = list(make_form.SURVEY) + [()] * 600 + [make_form.q("integer", "sau_khoang_trong",
                                                                 "Câu sau 600 dòng trống")]
    wb = make_form.build_workbook(survey=survey)
    for name in ("survey", "choices"):
        wb[name].cell(row=1, column=1024).number_format = "0"  # a formatted, empty cell: header row to AMJ
        wb[name].cell(row=1_048_576, column=1024).number_format = "0"  # and the sheet down to row 1,048,576
    path = tmp_path / "big.xlsx"
    wb.save(path)
    assert path.stat().st_size < 50_000
    with zipfile.ZipFile(path) as z:
        assert '<dimension ref="A1:AMJ1048576"' in z.read("xl/worksheets/sheet1.xml").decode()

    cells_by_row = ReadOnlyWorksheet._cells_by_row

    def streamed(self, *args, **kwargs):  # the rows openpyxl hands out per sheet: a few thousand, not a million
        for n, row in enumerate(cells_by_row(self, *args, **kwargs), start=1):
            assert n <= 10_000, "the reader walks the declared dimension instead of stopping at its last filled row"
            yield row

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", streamed)
    form = xlsform.read_xlsform(path)
    plain = xlsform.read_xlsform(FORM)
    assert (form.questions, form.lists, form.scale_names) == (plain.questions, plain.lists, plain.scale_names)
    assert form.skipped[-1] == xlsform.Skipped(618, "integer", "sau_khoang_trong", "kiểu câu hỏi không nhập được "
                                               "(chỉ select_one, select_multiple và text được nhập)")
    assert form.notes == plain.notes, "read to its last filled row: nothing below is left unread, nothing to say"


def test_a_sheet_with_more_filled_rows_than_the_bound_is_refused_with_its_row(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(xlsform_read, "MAX_ROWS", 10)
    result = import_(cli, FORM, tmp_path / "imported")
    assert result.exit_code == 2, result.output
    assert "trang survey, dòng 17: trang có dữ liệu đến dòng 17, quá 10 dòng dưới tiêu đề: không phải một phiếu hỏi" \
        in result.stderr
    assert "không ghi tệp nào" in result.stderr


def renamed(rows, headers: dict[str, str]):
    """``rows`` with some header cells renamed ``{old: new}``."""
    return [tuple(headers.get(h, h) for h in rows[0])] + list(rows[1:])


def single_colon(rows):
    """Every ``label::Lang`` / ``hint::Lang`` header spelled ``label:Lang`` (pyxform reads both)."""
    return [tuple(h.replace("::", ":") for h in rows[0])] + list(rows[1:])


def test_label_colon_language_columns_are_read_like_double_colon_ones(tmp_path):
    path = variant(tmp_path, survey=single_colon(make_form.SURVEY), choices=single_colon(make_form.CHOICES))
    assert convert(str(path)).xform  # pyxform accepts the single-colon spelling
    form, plain = xlsform.read_xlsform(path), xlsform.read_xlsform(FORM)
    assert (form.questions, form.lists, form.intro) == (plain.questions, plain.lists, plain.intro)
    assert "nhãn có 2 ngôn ngữ: dùng cột 'label:Vietnamese (vi)'; bỏ nhãn English (en) (trang survey, choices)" \
        in form.notes
    assert not any("không có cột nhãn tiếng Việt" in note for note in form.notes)

    # A plain label (the default language) with a translation: the plain one is used, English reported.
    plain_vi = renamed(make_form.SURVEY, {make_form.VI: "label", make_form.EN: "label:English (en)"})
    plain_choices = renamed(make_form.CHOICES, {make_form.VI: "Label", make_form.EN: "label : English (en)"})
    form = xlsform.read_xlsform(variant(tmp_path, "plain.xlsx", survey=plain_vi, choices=plain_choices))
    assert [q.label for q in form.questions] == [q.label for q in plain.questions]
    assert [c.label for c in form.lists["muc_do"]][:2] == ["Tốt", "Khá"]
    assert "nhãn có 2 ngôn ngữ: dùng cột 'label'; bỏ nhãn English (en) (trang survey)" in form.notes
    assert "nhãn có 2 ngôn ngữ: dùng cột 'Label'; bỏ nhãn English (en) (trang choices)" in form.notes


def test_without_vietnamese_the_default_language_is_used_and_an_empty_label_falls_back_and_is_said(tmp_path):
    survey = renamed(make_form.SURVEY, {make_form.VI: "label:Français (fr)", make_form.EN: "label:English (en)"})
    choices = [r if r[1] != "kha" else r[:2] + ("",) + r[3:] for r in make_form.CHOICES]  # no Vietnamese "Khá"
    settings = [make_form.SETTINGS[0], make_form.SETTINGS[1][:3] + ("English (en)",) + make_form.SETTINGS[1][4:]]
    form = xlsform.read_xlsform(variant(tmp_path, survey=survey, choices=choices, settings=settings))
    assert {q.id: q.label for q in form.questions}["tuyen_truyen"] == "Impact of PAR communication"
    assert "không có cột nhãn tiếng Việt: dùng cột 'label:English (en)'" in form.notes
    assert "nhãn có 2 ngôn ngữ: dùng cột 'label:English (en)'; bỏ nhãn Français (fr) (trang survey)" in form.notes
    assert [c.label for c in form.lists["muc_do"]][:2] == ["Tốt", "Fair"]
    assert f"trang choices, dòng 3: cột '{make_form.VI}' trống, dùng nhãn của ngôn ngữ khác" in form.notes


def test_the_cli_prints_the_label_languages_it_drops(cli, tmp_path):
    result = import_(cli, FORM, tmp_path / "imported")
    assert result.exit_code == 0, result.output
    notes = result.output.split("Ghi chú:\n", 1)[1]
    assert "  - nhãn có 2 ngôn ngữ: dùng cột 'label::Vietnamese (vi)'; bỏ nhãn English (en) (trang survey, choices)" \
        in notes


def test_only_the_lists_of_imported_questions_are_checked(cli, tmp_path):
    choices = list(make_form.CHOICES) + [
        ("khong_dung", "nam", "Nam", "Male", ""),
        ("khong_dung", "nam", "Nam (lặp lại)", "Male again", ""),  # duplicate, in a list no question uses
        ("khong_dung", "khac", "Khác", "Other", "nhiều"),  # a fraction that is not one, in the same list
        ("khong_dung_2", "", "Kênh không có mã", "No code", ""),  # a choice without a name
        ("khong_dung_2", "kb1", "Không biết", "Don't know", "dont_know"),
        ("khong_dung_2", "kb2", "Không rõ", "Not sure", "dont_know"),  # "don't know" twice
    ]
    out = tmp_path / "imported"
    result = import_(cli, variant(tmp_path, choices=choices), out)
    assert result.exit_code == 0, result.output
    assert [s.code for s in load_criteria_set(out).scales] == ["muc_do", "ty_le", "gioi_tinh", "kenh"]

    duplicated = list(make_form.CHOICES) + [("muc_do", "kha", "Khá (lặp lại)", "Fair again", 0.6)]
    result = import_(cli, variant(tmp_path, "dup.xlsx", choices=duplicated), tmp_path / "dup")
    assert result.exit_code == 2
    assert "trang choices, dòng 17: phương án 'kha' lặp lại trong danh sách 'muc_do' (đã có ở dòng 3) " \
           "[duplicate_choice]" in result.stderr


def test_an_empty_choices_sheet_is_only_a_problem_for_questions_to_import(tmp_path):
    unscored = [r[:-1] + ("",) for r in make_form.SURVEY[1:]]
    with pytest.raises(xlsform.XLSFormError) as error:
        xlsform.read_xlsform(variant(tmp_path, survey=[make_form.SURVEY_HEADER] + unscored, choices=[]))
    assert [p.code for p in error.value.problems] == ["no_question"]  # the choices sheet is not blamed

    with pytest.raises(xlsform.XLSFormError) as error:
        xlsform.read_xlsform(variant(tmp_path, "scored.xlsx", choices=[]))
    assert [str(p) for p in error.value.problems] == [
        "trang choices, dòng 1: trang choices phải có cột 'list_name' và 'name' [missing_column]"]


def test_select_from_file_questions_are_listed_with_why_they_cannot_be_scored(cli, tmp_path):
    rows = bad_rows("type", "dung_hen", "select_one_from_file don_vi.csv")
    rows = rows[:15] + [
        make_form.q("select one from file xa.csv", "xa", "Xã của Ông/Bà", "Commune", sub="3.6.4"),
        make_form.q("select_multiple_from_file dich_vu.xml", "dich_vu", "Dịch vụ đã dùng", "Services"),
    ] + rows[15:]
    out = tmp_path / "imported"
    result = import_(cli, variant(tmp_path, survey=rows), out)
    assert result.exit_code == 0, result.output
    assert "dòng 14: select_one_from_file don_vi.csv 'dung_hen': danh sách lựa chọn nằm trong tệp ngoài " \
           "'don_vi.csv', không có trong trang choices: không biết các phương án và tỉ lệ điểm của chúng nên " \
           "không chấm điểm được; muốn chấm câu này, chép các phương án vào trang choices" in result.output
    assert "dòng 16: select one from file xa.csv 'xa': danh sách lựa chọn nằm trong tệp ngoài 'xa.csv'" \
        in result.output
    assert "dòng 17: select_multiple_from_file dich_vu.xml 'dich_vu': chọn nhiều phương án (select_multiple) " \
           "không chấm điểm được; danh sách lựa chọn nằm trong tệp ngoài 'dich_vu.xml'" in result.output
    assert [q.id for q in load_criteria_set(out).level_questions("huyen")] == [
        "tuyen_truyen", "mot_cua", "thai_do", "dvc_truc_tuyen"]

    only_from_file = [make_form.SURVEY_HEADER, make_form.q("select_one_from_file don_vi.csv", "don_vi", "Đơn vị",
                                                           sub="3.6.4")]
    with pytest.raises(xlsform.XLSFormError) as error:
        xlsform.read_xlsform(variant(tmp_path, "only.xlsx", survey=only_from_file))
    assert "câu ở dòng 2 có par_subcriterion nhưng danh sách lựa chọn nằm ngoài trang choices" in str(error.value)


# --- export ------------------------------------------------------------------------


@pytest.mark.parametrize("level, group", [("huyen", "nguoi_dan"), ("so", "hdnd_tinh")])
def test_export_converts_with_pyxform_and_reimports_to_the_same_questions_and_scales(cli, tmp_path, level, group):
    original = load_default_set()
    form = tmp_path / f"{level}-{group}.xlsx"
    result = cli.invoke(args=["questionnaires", "export-xlsform", str(DEFAULT_SET_DIR), "--level", level,
                              "--group", group, "--out", str(form)])
    assert result.exit_code == 0, result.output

    warnings: list[str] = []
    xml = convert(str(form), warnings=warnings).xform
    assert warnings == []
    texts = xform_texts(xml)
    qn = original.questionnaire(level, group)
    assert {item.text for item in qn.items} <= texts
    assert {"Tốt", "Kém", "Không biết / không ý kiến"} <= texts
    assert f'id="parsurvey_{level}_{group}"' in xml

    out = tmp_path / "back"
    result = import_(cli, form, out)
    assert result.exit_code == 0, result.output
    assert "Không biểu diễn được" not in result.output
    back = load_criteria_set(out)

    def questions(cset):
        return [(q.id, q.text, q.sub_criterion, q.max_points, q.scale)
                for q in (cset.question_by_key[(level, i)] for i in qn.question_ids)]

    assert questions(back) == questions(original)
    assert back.questionnaire(level, group).items == qn.items
    assert (back.questionnaire(level, group).title, back.questionnaire(level, group).intro) == (qn.title, qn.intro)
    for scale in back.scales:
        mine = original.scale_by_code[scale.code]
        assert scale == mine
    assert {s.code for s in back.scales} == {original.question_by_key[(level, i)].scale for i in qn.question_ids}


def test_export_with_units_asks_the_unit_from_a_list(cli, tmp_path):
    units = tmp_path / "units.csv"
    units.write_text("code,name\nba_be,Huyện Ba Bể\ncho_don,Huyện Chợ Đồn\n", encoding="utf-8")
    form = tmp_path / "form.xlsx"
    result = cli.invoke(args=["questionnaires", "export-xlsform", "--level", "huyen", "--group", "hdnd_tinh",
                              "--units", str(units), "--out", str(form)])
    assert result.exit_code == 0, result.output
    xml = convert(str(form)).xform
    assert "Huyện Chợ Đồn" in xform_texts(xml)
    sheets = xlsform.export_sheets(load_default_set(), "huyen", "hdnd_tinh", [("ba_be", "Huyện Ba Bể")])
    assert sheets["survey"][1][1][:2] == ("select_one units", "unit")
    result = import_(cli, form, tmp_path / "back")
    assert result.exit_code == 0, result.output
    assert "câu 'unit' (dòng 3) là đơn vị được đánh giá" in result.output
    assert [s.code for s in load_criteria_set(tmp_path / "back").scales] == ["quality", "share"]


def test_export_of_a_questionnaire_that_does_not_exist_exits_2(cli, tmp_path):
    result = cli.invoke(args=["questionnaires", "export-xlsform", "--level", "so", "--group", "nguoi_dan",
                              "--out", str(tmp_path / "f.xlsx")])
    assert result.exit_code == 2
    assert "không có phiếu của đối tượng 'nguoi_dan' cho cấp 'so'" in result.stderr
    assert not (tmp_path / "f.xlsx").exists()
