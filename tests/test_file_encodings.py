"""Every file Excel or a phone writes is read (issue 24, item 7): CSV in UTF-8 (with or without BOM), UTF-16
(Excel's "Unicode Text") or Windows-1258 (what Excel on Vietnamese Windows saves as "CSV"), separated by
commas, semicolons or tabs, with decimal commas; names typed in decomposed Unicode (NFD) match; a file
nothing reads is a sentence naming what was tried, never a traceback. Through the one reader
(questionnaires.tabular), the web imports and the commands ``aggregate``, ``rank``, ``export-xlsform``;
and an XLSForm question after a thousand blank rows is read."""
from __future__ import annotations

import codecs
import io
import re
import unicodedata

import pandas as pd
import pytest
from sqlalchemy import select

from questionnaires import tabular, xlsform
from scoring import parse_number
from survey_app.extensions import DB_KEY
from survey_app.models import Appraisal, Invitation, Unit

from .test_admin import UNITS_CSV, _campaign_with_units, count, flashes, new_campaign, token_of
from .test_aggregation import ROWS
from .test_xlsform import cli, import_, make_form  # noqa: F401 - cli is a fixture

TONES = "\u0300\u0301\u0303\u0309\u0323"  # the five Vietnamese tone marks


def cp1258(text: str) -> bytes:
    """``text`` as Excel on Vietnamese Windows saves it: Windows-1258, where most toned letters are a base
    letter (â, ơ, ư... precomposed) followed by a combining tone mark."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", char)
        tone = "".join(c for c in parts if c in TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
        try:
            out += unicodedata.normalize("NFC", base + tone).encode("cp1258")
        except UnicodeEncodeError:
            out += base.encode("cp1258") + tone.encode("cp1258")
    return bytes(out)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


TEXT = "Mã;Tên;Điểm\r\nso_tp;Sở Lao động, Thương binh và Xã hội;80,5\r\nba_be;Huyện Ba Bể;70\r\n"


def test_cp1258_really_holds_combining_tone_marks():
    raw = cp1258(TEXT)
    assert raw.decode("cp1258") != TEXT, "decoded as is, the tones are separate characters"
    assert unicodedata.normalize("NFC", raw.decode("cp1258")) == TEXT
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


@pytest.mark.parametrize("encoded", [
    cp1258(TEXT), TEXT.encode("utf-8"), codecs.BOM_UTF8 + TEXT.encode("utf-8"), TEXT.encode("utf-16"),
    codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
    nfd(TEXT).encode("utf-8"), cp1258(TEXT.replace(";", "\t")), TEXT.replace(";", "\t").encode("utf-16"),
], ids=["cp1258", "utf8", "utf8-bom", "utf16", "utf16-be", "utf16-le", "nfd", "cp1258-tab", "utf16-tab"])
def test_every_encoding_and_separator_reads_the_same_table(encoded):
    table = tabular.csv_table(encoded)
    assert table.header == ["Mã", "Tên", "Điểm"]
    assert table.rows == [(2, ["so_tp", "Sở Lao động, Thương binh và Xã hội", "80,5"]),
                          (3, ["ba_be", "Huyện Ba Bể", "70"])]
    assert all(unicodedata.is_normalized("NFC", cell) for _n, cells in table.rows for cell in cells)


@pytest.mark.parametrize("data, why", [
    (b"unit,total\x00\x01\x02\n\xff\x00", "byte 0"),
    (b"\xff\xfeunit!", "UTF-16"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200, ".xls"),
])
def test_a_file_nothing_reads_is_a_sentence_naming_what_was_tried(data, why):
    with pytest.raises(tabular.TableError) as caught:
        tabular.csv_table(data)
    assert why in caught.value.message
    if why != ".xls":
        assert "đã thử UTF-8, UTF-16 (có BOM), Windows-1258 (tiếng Việt), Windows-1252" in caught.value.message


def test_decimal_commas_as_excel_writes_them_in_vietnamese():
    assert [parse_number(t) for t in ("80,5", "1.234,5", "1,234.5", "1 234,5", "70")] == [80.5, 1234.5, 1234.5,
                                                                                         1234.5, 70.0]


# --- the web imports ---------------------------------------------------------------------------


def post_file(client, url: str, data: bytes, page: str, name: str = "f.csv"):
    return client.post(url, data={"csrf_token": token_of(client, page), "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_units_saved_as_csv_by_excel_on_vietnamese_windows_are_imported(admin, app):
    """Windows-1258, semicolons, Vietnamese headings, levels and a parent by name."""
    new_campaign(admin)
    url = "/quan-tri/dot/1/don-vi"
    text = ("Mã;Tên;Cấp;Thuộc\r\nso_ld;Sở Lao động, Thương binh và Xã hội;Cấp sở;\r\n"
            "ba_be;Huyện Ba Bể;Cấp huyện;\r\nba_be_x1;Xã Nam Mẫu;Cấp xã;Huyện Ba Bể\r\n")
    post_file(admin, url, cp1258(text), url)
    assert flashes(admin, url) == ["Đã thêm 3 đơn vị."]
    with app.extensions[DB_KEY].session() as s:
        units = {u.code: u for u in s.scalars(select(Unit))}
        assert units["so_ld"].name == "Sở Lao động, Thương binh và Xã hội"
        assert unicodedata.is_normalized("NFC", units["ba_be_x1"].name) and units["ba_be_x1"].parent.code == "ba_be"


def test_people_saved_as_unicode_text_with_decomposed_names_are_invited(admin, app):
    """UTF-16 with its BOM and tabs (Excel's "Unicode Text"), headings, groups and units typed in NFD."""
    _campaign_with_units(admin)
    with app.extensions[DB_KEY].session() as s:
        group = next(g.name for g in s.scalars(select(Unit)).first().campaign.groups if g.code == "hdnd_huyen")
    text = nfd(f"Họ tên\tĐối tượng\tĐơn vị\r\nNguyễn Văn An\t{group}\tHuyện Ba Bể\r\n"
               f"Trần Thị Bình\t{group}\tba_be\r\n")
    assert text != unicodedata.normalize("NFC", text)
    url = "/quan-tri/dot/1/loi-moi"
    post_file(admin, url + "/nhap", text.encode("utf-16"), url, "moi.txt")
    assert flashes(admin, url)[0].startswith("Đã tạo 2 đường link cá nhân."), flashes(admin, url)
    with app.extensions[DB_KEY].session() as s:
        assert sorted(i.name for i in s.scalars(select(Invitation))) == ["Nguyễn Văn An", "Trần Thị Bình"]


def test_appraisal_with_semicolons_decimal_commas_and_decomposed_names_is_imported(admin, app):
    new_campaign(admin)
    admin.post("/quan-tri/dot/1/don-vi", data={"csrf_token": token_of(admin), "file": (
        io.BytesIO(UNITS_CSV.encode()), "u.csv")}, content_type="multipart/form-data")
    url = "/quan-tri/dot/1/ket-qua-nhap"
    text = nfd("Đơn vị;Tổng\r\nSở Tư pháp;65,25\r\nHuyện Ba Bể;70,5\r\n")
    response = post_file(admin, url + "/appraisal", cp1258(unicodedata.normalize("NFC", text)), url)
    assert response.status_code == 302
    assert flashes(admin, url)[0].startswith("Đã nhập điểm thẩm định: 2 dòng"), flashes(admin, url)
    asked = post_file(admin, url + "/appraisal", text.encode("utf-8"), url)  # the same, typed in NFD, as UTF-8
    token = re.search(r'name="tep" value="([0-9a-f]{32})"', asked.get_data(as_text=True)).group(1)
    admin.post(url + "/appraisal/xac-nhan", data={"csrf_token": token_of(admin), "tep": token, "xac_nhan": "y"})
    assert flashes(admin, url)[0].startswith("Đã nhập điểm thẩm định: 2 dòng"), flashes(admin, url)
    with app.extensions[DB_KEY].session() as s:
        stored = dict(s.execute(select(Unit.code, Appraisal.points).join(Unit, Appraisal.unit_id == Unit.id)).all())
    assert stored == {"so_tp": 65.25, "ba_be": 70.5}
    assert count(app, Appraisal) == 2


# --- the commands ------------------------------------------------------------------------------




UNIT_NAMES = {"A": "Sở Tư pháp", "B": "Sở Lao động, Thương binh và Xã hội", "X": "Huyện Ba Bể"}
# The raw-ballot export's Vietnamese headings (survey_app.outputs.raw_ballots.LONG_COLUMNS).
HEADINGS = ["Mã phiếu", "Đối tượng", "Cấp", "Mã đơn vị", "Câu hỏi", "Phương án", "Trạng thái"]


def ballots_text(separator: str) -> str:
    rows = [(b, g, lv, UNIT_NAMES[u], q, o, st) for b, g, lv, u, q, o, st in ROWS]
    return "\r\n".join(separator.join(f'"{v}"' if separator in v else v for v in row)
                       for row in [HEADINGS, *rows]) + "\r\n"


def aggregate(runner, set_dir, path, out):
    return runner.invoke(args=["aggregate", "--ballots", str(path), "--criteria", str(set_dir), "--out", str(out)])


def test_aggregate_reads_windows_1258_utf16_and_decomposed_headings_as_utf8(runner, tmp_path, set_dir):
    reference = tmp_path / "utf8.csv"
    reference.write_text(ballots_text(","), encoding="utf-8")
    result = aggregate(runner, set_dir, reference, tmp_path / "expected.csv")
    assert result.exit_code == 0, result.output
    expected = pd.read_csv(tmp_path / "expected.csv")
    assert set(expected["unit"]) == set(UNIT_NAMES.values())
    variants = {"cp1258.csv": cp1258(ballots_text(";")), "utf16.txt": ballots_text("\t").encode("utf-16"),
                "nfd.csv": nfd(ballots_text(",")).encode("utf-8")}
    for name, data in variants.items():
        (tmp_path / name).write_bytes(data)
        result = aggregate(runner, set_dir, tmp_path / name, tmp_path / f"out-{name}")
        assert result.exit_code == 0, (name, result.output)
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / f"out-{name}"), expected)


def test_aggregate_refuses_an_unreadable_file_with_a_sentence_and_exit_2(runner, tmp_path, set_dir):
    bad = tmp_path / "ballots.csv"
    bad.write_bytes(b"\xff\xfe" + ballots_text(",").encode("utf-16-le")[:-1])  # UTF-16 cut in the middle
    result = aggregate(runner, set_dir, bad, tmp_path / "out.csv")
    assert result.exit_code == 2
    assert "ballots.csv: không đọc được tệp văn bản" in result.output and "Windows-1258" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert not (tmp_path / "out.csv").exists()


def test_rank_finds_units_named_in_decomposed_unicode_in_a_windows_1258_file(runner, tmp_path):
    units = tmp_path / "units.csv"
    units.write_bytes(nfd("code,name,level,parent\nh1,Huyện Ba Bể,Cấp huyện,\nc1,Xã Nam Mẫu,xa,h1\n").encode())
    points = tmp_path / "points.csv"
    points.write_text("level,unit,total\nhuyen,h1,12\nxa,Xã Nam Mẫu,0\n", encoding="utf-8")
    appraisal = tmp_path / "appraisal.csv"
    appraisal.write_bytes(cp1258("Đơn vị;Tổng\r\nHuyện Ba Bể;70,5\r\nXã Nam Mẫu;85\r\n"))
    out = tmp_path / "final.csv"
    result = runner.invoke(args=["rank", "--survey", str(points), "--appraisal", str(appraisal), "--units", str(units),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    final = pd.read_csv(out, encoding="utf-8-sig").set_index("unit")
    assert final.loc["h1", "index"] == pytest.approx(82.5) and final.loc["c1", "index"] == pytest.approx(85.0)


@pytest.mark.parametrize("encoded", [
    "code;name\nba_be;Huyện Ba Bể\ncho_don;Huyện Chợ Đồn\n".encode(),
    "code\tname\r\nba_be\tHuyện Ba Bể\r\ncho_don\tHuyện Chợ Đồn\r\n".encode("utf-16"),
    cp1258("Mã;Tên\r\nba_be;Huyện Ba Bể\r\ncho_don;Huyện Chợ Đồn\r\n"),
], ids=["semicolon", "utf16-tab", "cp1258-vietnamese-headings"])
def test_export_xlsform_reads_units_with_any_separator_and_encoding(cli, tmp_path, encoded):  # noqa: F811
    units = tmp_path / "units.csv"
    units.write_bytes(encoded)
    form = tmp_path / "form.xlsx"
    result = cli.invoke(args=["questionnaires", "export-xlsform", "--level", "huyen", "--group", "hdnd_tinh",
                              "--units", str(units), "--out", str(form)])
    assert result.exit_code == 0, result.output
    assert xlsform.read_units(units) == [("ba_be", "Huyện Ba Bể"), ("cho_don", "Huyện Chợ Đồn")]


# --- XLSForm -----------------------------------------------------------------------------------


def test_a_scored_xlsform_question_after_a_thousand_blank_rows_is_read(cli, tmp_path):  # noqa: F811
    late = make_form.q("select_one muc_do", "sau_khoang_trong", "Câu hỏi sau 1.500 dòng trống", "After blanks",
                       "yes", sub="3.4.3")
    path = tmp_path / "form.xlsx"
    make_form.build_workbook(survey=list(make_form.SURVEY) + [()] * 1500 + [late]).save(path)
    form = xlsform.read_xlsform(path)
    assert [q.id for q in form.questions][-1] == "sau_khoang_trong"
    assert next(q for q in form.questions if q.id == "sau_khoang_trong").row == len(make_form.SURVEY) + 1501
    result = import_(cli, path, tmp_path / "imported")
    assert result.exit_code == 0, result.output
    assert "Đã nhập 6 câu hỏi" in result.output
