"""XLSForm import and export (``parsurvey questionnaires import-xlsform`` / ``export-xlsform``).

The committed form ``tests/data/xlsform/khao_sat_nguoi_dan.xlsx`` is written by
``make_form.py`` beside it; variants are built from the same rows. Exports are
checked by converting them with pyxform (no Java, no ODK Validate).
"""
from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from pyxform.xls2xform import convert

from questionnaires import DEFAULT_SET_DIR, load_criteria_set, load_default_set, xlsform
from questionnaires.loader import load_criteria_set_from_texts
from survey_app import create_app
from survey_app.cli import xlsform as cli_xlsform

DATA = Path(__file__).parent / "data" / "xlsform"
FORM = DATA / "khao_sat_nguoi_dan.xlsx"

_spec = importlib.util.spec_from_file_location("make_form", DATA / "make_form.py")
make_form = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_form)


@pytest.fixture
def cli(tmp_path):
    """Flask's CLI runner over ``parsurvey``; these commands never touch the database."""
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite'}",
                      "SECRET_KEY": "test-secret"})
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
    }
    qn = cset.questionnaire("huyen", "nguoi_dan")
    assert qn.title == "Khảo sát người dân về sự phục vụ của UBND huyện"
    assert qn.intro.startswith("Phiếu khảo sát ý kiến người dân")
    assert qn.question_ids == ("tuyen_truyen", "mot_cua", "thai_do", "dung_hen", "dvc_truc_tuyen")
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
    assert "Không biểu diễn được trong bộ tiêu chí (6 dòng của trang survey, không nhập):" in result.output
    for line in ("dòng 2: start 'start': siêu dữ liệu",
                 "dòng 6: select_one gioi_tinh 'gioi_tinh': không có par_subcriterion",
                 "dòng 7: select_multiple kenh 'kenh': kiểu câu hỏi không chấm điểm được",
                 "dòng 8: text 'thu_tuc': kiểu câu hỏi không chấm điểm được",
                 "dòng 17: text 'gop_y': kiểu câu hỏi không chấm điểm được"):
        assert line in result.output
    assert "nhóm 'thong_tin' (dòng 5) được làm phẳng" in result.output
    assert "câu 'dvc_truc_tuyen' (dòng 15): bỏ relevant" in result.output


def test_a_repeat_is_listed_and_its_questions_still_imported(tmp_path):
    rows = list(make_form.SURVEY)
    begin = rows.index(next(r for r in rows if r[1] == "danh_gia"))
    rows[begin] = make_form.q("begin repeat", "danh_gia", "Đánh giá")
    rows[begin + 6] = make_form.q("end repeat", "")
    form = xlsform.read_xlsform(variant(tmp_path, survey=rows))
    assert [(s.row, s.type) for s in form.skipped if s.type == "begin repeat"] == [(10, "begin repeat")]
    assert len(form.questions) == 5


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
    (dict(choices=None),
     "trang survey, dòng 6: câu 'gioi_tinh' (select_one gioi_tinh) cần trang 'choices'"),
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
