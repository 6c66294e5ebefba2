"""The Word report in the form of an administrative document (Nghị định 30/2020/NĐ-CP), as the published
2023 report is laid out: read from the .docx's XML, then printed by LibreOffice and read back from the PDF.

Two reports: the demo province's 2023 campaign (default set: cấp sở and cấp huyện ranked, communes not
surveyed) and a campaign on the national-shape set (``quoc_gia``: 8 fields, three ranked levels, communes
surveyed), with the same checks. Each report is built once per module and converted once.
"""
from __future__ import annotations

import io
import random
import re
import shutil
import subprocess
from dataclasses import dataclass

import pandas as pd
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm

from survey_app.extensions import DB_KEY
from survey_app.outputs import report_text as rt
from survey_app.outputs.report_tables import shown

from .conftest import LAST, make_app
from .test_admin import token_of
from .test_admin_walk import post_file
from .test_auth import PASSWORD, login

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
DOTS = re.compile(r"^[.…]{10,}$")

# What each report must say, worked out from its set's levels and the seed's wording.
DEMO_TITLE = ("Kết quả xác định Chỉ số cải cách hành chính các sở, ban, ngành; Ủy ban nhân dân các huyện, "
              "thành phố năm 2023")
DEMO_CLOSING = ("Trên đây là báo cáo của Sở Nội vụ về kết quả xác định Chỉ số CCHC đối với cấp sở, cấp huyện "
                "trên địa bàn tỉnh năm 2023./.")
NATIONAL_TITLE = ("Kết quả xác định Chỉ số cải cách hành chính các sở, ban, ngành; Ủy ban nhân dân các huyện, "
                  "thị xã, thành phố; Ủy ban nhân dân các xã, phường, thị trấn năm 2025")
NATIONAL_CLOSING = ("Trên đây là báo cáo của Sở Nội vụ về kết quả xác định Chỉ số CCHC đối với cấp sở, cấp huyện, "
                    "cấp xã trên địa bàn tỉnh năm 2025./.")


# --- the two reports ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_report(demo_db, tmp_path_factory) -> bytes:
    """The demo's 2023 report, downloaded by an analyst (on a copy of the session's demo database)."""
    from survey_app.services.users import create_user

    folder = tmp_path_factory.mktemp("form-demo")
    shutil.copy(demo_db, folder / "demo.sqlite")
    app = make_app(f"sqlite:///{folder / 'demo.sqlite'}", folder / "instance")
    with app.extensions[DB_KEY].transaction() as s:
        create_user(s, "pt", PASSWORD, "analyst", actor="test")
    client = app.test_client()
    assert login(client, "pt").status_code == 302
    response = client.get(f"/bao-cao/{LAST}/bao-cao.docx")
    app.extensions[DB_KEY].dispose()
    assert response.status_code == 200
    return response.data


UNITS = ("Mã,Tên,Cấp,Thuộc\nso_tc,Sở Tài chính,Cấp sở,\nso_yt,Sở Y tế,Cấp sở,\nso_tp,Sở Tư pháp,Cấp sở,\n"
         "h_a,Huyện An Phú,Cấp huyện,\nh_b,Huyện Bình Sơn,Cấp huyện,\n"
         "x_a1,Xã An Lạc,Cấp xã,h_a\nx_a2,Xã An Hoà,Cấp xã,h_a\nx_b1,Xã Bình Minh,Cấp xã,h_b\n"
         "x_b2,Xã Bình An,Cấp xã,h_b\n")
APPRAISAL = ("Đơn vị,Tổng\nso_tc,80\nso_yt,72\nso_tp,76\nh_a,85\nh_b,78\nx_a1,85\nx_a2,81\nx_b1,62\nx_b2,82\n")
BALLOTS_PER_UNIT = 6  # above the set's min_ballots (5): every unit is scored, ranked and classed


def _store_ballots(app, rng: random.Random) -> None:
    """Six ballots of every group for every unit it rates, each rating that one unit, answers drawn with a
    quality of its own per unit (so that units differ)."""
    from survey_app.models import Campaign
    from survey_app.services.ballots import NewBallot, store_ballots
    from survey_app.services.campaigns import campaign_criteria

    with app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, 1)
        cset = campaign_criteria(campaign)
        quality = {u.code: 0.55 + 0.4 * rng.random() for u in campaign.units}
        new = []
        for group in campaign.groups:
            for rule in cset.group_by_code[group.code].rates:
                for unit in (u for u in campaign.units if u.level == rule.level):
                    questionnaire = cset.questionnaire(rule.level, group.code)
                    for n in range(BALLOTS_PER_UNIT):
                        answers = []
                        for item in questionnaire.items:
                            options = sorted(cset.scale_by_code[cset.question_by_key[(unit.level, item.question)]
                                                                .scale].counted_options, key=lambda o: -o.fraction)
                            pick = 0 if rng.random() < quality[unit.code] else rng.randrange(len(options))
                            answers.append((unit.id, item.question, options[pick].code))
                        new.append(NewBallot(campaign_id=1, group_id=group.id, channel="paper", state="verified",
                                             client_id=f"form-{group.code}-{unit.code}-{n}", answers=answers))
        store_ballots(s, cset, new)


@dataclass(frozen=True)
class Built:
    """A report downloaded from the web app, the signed-in client that downloaded it (for the CSV exports of
    the same campaign) and the campaign's criteria set."""

    data: bytes
    client: object
    cset: object


@pytest.fixture(scope="module")
def national_report(tmp_path_factory) -> Built:
    """A 2025 campaign on the national-shape set, made in the web app (as tests/test_national_web.py), with
    ballots for every unit, closed, its appraisal imported; its report, and the admin's client."""
    from survey_app import migrate
    from survey_app.models import Campaign
    from survey_app.services.campaigns import campaign_criteria
    from survey_app.services.users import create_user

    folder = tmp_path_factory.mktemp("form-national")
    app = make_app(f"sqlite:///{folder / 'test.sqlite'}", folder / "instance")
    migrate.upgrade(app.extensions[DB_KEY])
    with app.extensions[DB_KEY].transaction() as s:
        create_user(s, "qt", PASSWORD, "admin", actor="test")
    admin = app.test_client()
    login(admin, "qt")
    made = admin.post("/quan-tri/dot/moi", data={"csrf_token": token_of(admin, "/quan-tri/dot/moi"),
                                                 "name": "Chỉ số CCHC 2025", "year": "2025",
                                                 "province": "Tỉnh Thử", "source": "bo:quoc_gia"})
    assert made.status_code == 302
    post_file(admin, "/quan-tri/dot/1/don-vi", UNITS.encode(), "don-vi.csv")
    admin.post("/quan-tri/dot/1/mo-khao-sat", data={"csrf_token": token_of(admin), "xac_nhan": "y"})  # confirmed
    _store_ballots(app, random.Random(30))
    confirm = admin.get("/quan-tri/dot/1/ket-thuc").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', confirm).group(1)
    admin.post("/quan-tri/dot/1/ket-thuc", data={"csrf_token": token, "confirm": "y", "confirm_coverage": "y"})
    post_file(admin, "/quan-tri/dot/1/ket-qua-nhap/appraisal", APPRAISAL.encode(), "tham-dinh.csv")
    ranked = admin.get("/bao-cao/1/xuat/ket-qua.csv").get_data(as_text=True)
    assert ranked.count("Tốt") + ranked.count("Xuất sắc") + ranked.count("Khá") >= 5, ranked
    response = admin.get("/bao-cao/1/bao-cao.docx")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    with app.extensions[DB_KEY].session() as s:
        cset = campaign_criteria(s.get(Campaign, 1))  # the set the campaign was made on, as the report read it
    yield Built(response.data, admin, cset)
    app.extensions[DB_KEY].dispose()


@pytest.fixture(params=["demo", "national"])
def report(request):
    """(docx bytes, expected title, expected closing sentence) of each report."""
    if request.param == "demo":
        return request.getfixturevalue("demo_report"), DEMO_TITLE, DEMO_CLOSING
    return request.getfixturevalue("national_report").data, NATIONAL_TITLE, NATIONAL_CLOSING


# --- reading the .docx ---------------------------------------------------------------------------------------


def body_items(doc):
    """The body in order: (section index, kind, text, element); a paragraph holding a ``sectPr`` ends a section."""
    section = 0
    for el in doc.element.body.iterchildren():
        if el.tag == W + "p":
            yield section, "p", "".join(t.text or "" for t in el.iter(W + "t")), el
            if el.find(f"{W}pPr/{W}sectPr") is not None:
                section += 1
        elif el.tag == W + "tbl":
            paragraphs = ("".join(t.text or "" for t in p.iter(W + "t")) for p in el.iter(W + "p"))
            yield section, "tbl", "\n".join(paragraphs), el


def has_page_field(part) -> bool:
    instructions = "".join(i.text or "" for i in part._element.iter(W + "instrText"))
    simple = [f.get(qn("w:instr")) or "" for f in part._element.iter(W + "fldSimple")]
    return "PAGE" in instructions.split() or any("PAGE" in f.split() for f in simple)


def test_every_section_numbers_its_pages_from_the_second_page(report):
    """A PAGE field centred in the header of every section; the first page different (titlePg) everywhere;
    only the document's first page without a number (a later section's first page carries one)."""
    doc = Document(io.BytesIO(report[0]))
    assert len(doc.sections) >= 4  # body, landscape final table, closing and signature, appendix
    for i, section in enumerate(doc.sections):
        assert section.different_first_page_header_footer, f"section {i + 1}: no titlePg"
        assert not section.header.is_linked_to_previous and has_page_field(section.header), i
        assert section.header.paragraphs[0].alignment == 1  # CENTER
        assert has_page_field(section.first_page_header) == (i > 0), i
        assert section.header_distance < section.top_margin  # in the top margin


def test_captions_are_numbered_in_order_one_per_table(report):
    """Every bordered table has a caption right above it, "Bảng 1" to "Bảng n" in document order, no number
    repeated; the first (ballots per group) is "Bảng 1"; each level's table has its own number."""
    doc = Document(io.BytesIO(report[0]))
    items = list(body_items(doc))
    numbers, captioned = [], 0
    for (_, kind, text, el), following in zip(items, items[1:]):
        if kind == "p" and el.find(f"{W}pPr/{W}pStyle") is not None and \
                el.find(f"{W}pPr/{W}pStyle").get(qn("w:val")) == "Caption":
            found = re.match(r"Bảng (\d+)\. ", text)
            assert found, text
            numbers.append(int(found.group(1)))
            assert following[1] == "tbl", f"{text}: no table below its caption"
            captioned += 1
    assert numbers == list(range(1, len(numbers) + 1))
    data_tables = [t for t in doc.tables if t.style is not None and t.style.name == "Table Grid"]
    assert captioned == len(data_tables) >= 5
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert captions[0].startswith("Bảng 1. Số phiếu") and "Đối tượng" in data_tables[0].cell(0, 0).text
    survey = [c for c in captions if "Điểm điều tra XHH theo lĩnh vực" in c]
    titles = [c.split(" — ")[1] for c in survey]
    assert titles[0] == "I. Các sở, ban, ngành" and titles[1].startswith("II. Các huyện"), titles
    assert len({c.split(".")[0] for c in survey}) == len(survey) >= 2, "each level's table its own number"


def test_the_appendix_follows_the_signature_in_a_section_of_its_own(report):
    doc = Document(io.BytesIO(report[0]))
    items = list(body_items(doc))
    signer = next(i for i, (_, kind, text, _) in enumerate(items) if kind == "tbl" and "GIÁM ĐỐC" in text)
    appendix = next(i for i, (_, _, text, _) in enumerate(items) if text == "PHỤ LỤC")
    assert signer < appendix
    assert items[appendix + 1][2] == "ĐỘ TIN CẬY CỦA KẾT QUẢ"
    assert items[appendix + 2][2].startswith("(Kèm theo Báo cáo số")
    assert items[appendix][0] == len(doc.sections) - 1 > items[signer][0], "the appendix opens the last section"
    assert not any("Khoảng tin cậy" in text for _, _, text, _ in items[:signer]), "nothing of it before the signer"


def test_title_closing_sentence_and_signer(report):
    data, title, closing = report
    doc = Document(io.BytesIO(data))
    texts = [p.text for p in doc.paragraphs]
    assert texts[texts.index("BÁO CÁO") + 1] == title
    signer = doc.tables[-1] if "GIÁM ĐỐC" in doc.tables[-1].cell(0, 1).text else \
        next(t for t in doc.tables if t.cell(0, 1).text.startswith("GIÁM ĐỐC"))
    items = list(body_items(doc))
    position = next(i for i, (_, kind, _, el) in enumerate(items) if el is signer._tbl)
    assert items[position - 1][2] == closing, "the closing sentence right before Nơi nhận and the signer"
    assert signer.cell(0, 0).paragraphs[0].text == "Nơi nhận:"
    lines = [p.text for p in signer.cell(0, 1).paragraphs]
    assert lines[0] == "GIÁM ĐỐC" and DOTS.match(lines[-1]), lines
    assert lines[1:-1] == [""] * (len(lines) - 2) and len(lines) - 2 >= 3, "room to sign"


def test_rules_under_the_issuing_body_and_the_motto_are_drawn(report):
    """A bottom border of a short empty paragraph, no underlined text: under "SỞ NỘI VỤ" at most half its
    width in bold 12 pt (16,8 mm, Liberation Serif's metrics), under the motto about the motto's 53 mm."""
    doc = Document(io.BytesIO(report[0]))
    header = doc.tables[0]
    assert not any(r.underline for row in header.rows for c in row.cells for p in c.paragraphs for r in p.runs)
    for cell, after, low, high in ((header.cell(0, 0), "SỞ NỘI VỤ", 5, 8.4),
                                   (header.cell(0, 1), "Độc lập - Tự do - Hạnh phúc", 48, 58)):
        texts = [p.text for p in cell.paragraphs]
        rule = cell.paragraphs[texts.index(after) + 1]
        assert rule.text == "" and rule._p.find(f"{W}pPr/{W}pBdr/{W}bottom").get(qn("w:val")) == "single"
        fmt = rule.paragraph_format
        drawn = (cell.width - fmt.left_indent - fmt.right_indent - 2 * Mm(1.9)) / Mm(1)
        assert low <= drawn <= high, (after, drawn)


def test_every_picture_fits_the_printable_area_of_its_section(report):
    doc = Document(io.BytesIO(report[0]))
    pictures = 0
    for section, _, _, el in body_items(doc):
        s = doc.sections[section]
        for extent in el.iter(WP + "extent"):
            pictures += 1
            assert int(extent.get("cx")) <= s.page_width - s.left_margin - s.right_margin
            assert int(extent.get("cy")) <= s.page_height - s.top_margin - s.bottom_margin
    assert pictures == len(doc.inline_shapes) >= 4


# --- printed by LibreOffice ----------------------------------------------------------------------------------


def pdf_pages(data: bytes, folder) -> tuple[int, list[str]]:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is missing: make test installs libreoffice-writer-nogui"
    source = folder / "bao-cao.docx"
    source.write_bytes(data)
    subprocess.run([soffice, f"-env:UserInstallation=file://{folder}/lo", "--headless", "--norestore",
                    "--convert-to", "pdf", "--outdir", str(folder), str(source)],
                   check=True, capture_output=True, timeout=300)
    pdf = folder / "bao-cao.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return count, text.split("\f")[:count]


def test_printed_every_page_from_the_second_carries_its_number(report, tmp_path):
    """The PDF's pages 2..N start with their number (centred at the top); page 1 starts with the issuing
    body; the appendix starts at the top of a page after the signer's."""
    count, pages = pdf_pages(report[0], tmp_path)
    assert 5 <= count <= 40 and len(pages) == count
    firsts = [next((line.strip() for line in page.splitlines() if line.strip()), "") for page in pages]
    assert firsts[0].startswith("UBND TỈNH")
    assert firsts[1:] == [str(n) for n in range(2, count + 1)], firsts
    signer = next(i for i, page in enumerate(pages) if "GIÁM ĐỐC" in page)
    appendix = next(i for i, page in enumerate(pages) if "PHỤ LỤC" in page)
    assert appendix > signer
    assert [line.strip() for line in pages[appendix].splitlines() if line.strip()][1] == "PHỤ LỤC"


def test_the_shares_of_opinions_are_bold_in_the_poor_answer_paragraph_as_the_seed_prints_them(demo_report):
    # "… có 06/28 nội dung có ý kiến đánh giá ở mức kém (cụ thể gồm: **2,4%** ý kiến đại biểu …": the share of
    # opinions bold, the rest of the sentence plain.
    doc = Document(io.BytesIO(demo_report))
    paragraph = next(p for p in doc.paragraphs if "nội dung có ý kiến đánh giá ở mức kém (cụ thể gồm:" in p.text)
    bold = [r.text for r in paragraph.runs if r.bold]
    assert bold and all(re.fullmatch(r"\d+(,\d+)?%", t) for t in bold)
    assert not paragraph.runs[0].bold and paragraph.runs[0].text.startswith("Đối với đánh giá")


# --- the national report's figures, against the CSV exports of the same campaign -------------------------------

PUBLISHED = {"sep": ";", "decimal": ",", "encoding": "utf-8-sig"}  # the CSV's default form: the published figures
SECTIONS = ("I", "II", "III")
SURVEY_CAPTION, FINAL_CAPTION = "Điểm điều tra XHH theo lĩnh vực", "Chỉ số CCHC, xếp hạng và xếp loại"
FIGURE = r"(\d+,\d{3})"


@pytest.fixture(scope="module")
def national_csv(national_report):
    """The survey points and the final results of the national campaign, as downloaded in their default form."""
    out = {}
    for slug in ("diem-dieu-tra", "ket-qua"):
        response = national_report.client.get(f"/bao-cao/1/xuat/{slug}.csv")
        assert response.status_code == 200, slug
        assert re.search(r";\d+,\d{3};", response.get_data(as_text=True)), "figures at 3 decimals, decimal comma"
        out[slug] = pd.read_csv(io.BytesIO(response.data), **PUBLISHED)
    return out["diem-dieu-tra"], out["ket-qua"]


def captioned_tables(doc) -> list[tuple[str, list[list[str]]]]:
    """Each table with the caption right above it: (caption, rows of cell texts)."""
    tables = {t._tbl: t for t in doc.tables}
    items = list(body_items(doc))
    out = []
    for (_, kind, text, el), (_, below, _, table) in zip(items, items[1:]):
        style = el.find(f"{W}pPr/{W}pStyle") if kind == "p" else None
        if style is not None and style.get(qn("w:val")) == "Caption" and below == "tbl":
            out.append((text, [[c.text for c in row.cells] for row in tables[table].rows]))
    return out


def level_tables(doc, cset, caption: str) -> dict[str, list[list[str]]]:
    """Level code -> the rows of its table captioned "Bảng n. ``caption`` — I. Các sở, ban, ngành" (the
    section numbers follow the set's levels), in the document's order; each caption once, numbers increasing."""
    titles = {f"{SECTIONS[i]}. Các {lv.units_word}": lv.code for i, lv in enumerate(cset.levels)}
    found = [(text, rows) for text, rows in captioned_tables(doc) if f". {caption} — " in text]
    out = {}
    for text, rows in found:
        title = text.split(" — ", 1)[1]
        assert title in titles and titles[title] not in out, text
        out[titles[title]] = rows
    numbers = [int(re.match(r"Bảng (\d+)\. ", t).group(1)) for t, _ in found]
    assert numbers == sorted(set(numbers)), numbers
    return out


def cell(value, header: str) -> str:
    """A CSV figure as the report prints it: 3 decimals, rank and STT as integers, text as it is."""
    if header in ("STT", "Xếp hạng"):
        return shown(value, "integer")
    return value if isinstance(value, str) else shown(value, "number")


def survey_header(cset, lv) -> tuple[list[str], list[str]]:
    """The survey table's header for ``lv``, with that level's own maxima ("Chỉ đạo, điều hành CCHC (1,50)",
    "Tổng điểm (10)"), and the CSV columns its cells come from (the CSV names a field "1. Chỉ đạo, …", without
    the maximum, since it differs by level)."""
    fields = [f for f in cset.fields if lv.field_max.get(f.code)]
    header = ["STT", "Đơn vị"] + [f"{f.short_name} ({lv.field_max[f.code]:.2f})".replace(".", ",") for f in fields]
    header.append(f"Tổng điểm ({lv.survey_max:g})".replace(".", ","))
    return header, ["STT", "Đơn vị"] + [f"{f.code}. {f.short_name}" for f in fields] + ["Tổng điểm"]


def test_national_tables_carry_each_level_own_maxima_and_equal_the_csv_exports(national_report, national_csv):
    """Every row of every level's survey table (units and the level's average, highest and lowest) and final
    table equals the CSV row of the same name at that level, column by column; each survey table's header
    carries its own level's field maxima, read from the set (they differ by level, so a table printed under
    another level's caption, or a figure from another column, fails)."""
    cset = national_report.cset
    survey, final = national_csv
    doc = Document(io.BytesIO(national_report.data))
    assert len({tuple(sorted(lv.field_max.items())) for lv in cset.levels}) == len(cset.levels) == 3
    checked, levels = 0, [lv.code for lv in cset.levels]
    tables = level_tables(doc, cset, SURVEY_CAPTION)
    for level, rows in tables.items():
        lv = cset.level_by_code[level]
        header, columns = survey_header(cset, lv)
        assert rows[0] == header, (level, rows[0])
        mine = {r["Đơn vị"]: r for r in survey[survey["Cấp"] == lv.name].to_dict("records")}
        assert sorted(r[1] for r in rows[1:]) == sorted(mine), level  # units and summaries, none more, none less
        for row in rows[1:]:
            assert row == [cell(mine[row[1]][c], c) for c in columns], (level, row)
            checked += 1
    assert checked == len(survey) == 18  # 3 + 2 + 4 units, and 3 summary rows at each of the 3 levels
    assert list(tables) == levels  # the set's order, I to III
    finals = 0
    tables = level_tables(doc, cset, FINAL_CAPTION)
    for level, rows in tables.items():
        lv = cset.level_by_code[level]
        header = rows[0]
        assert {"STT", "Đơn vị", "Điểm thẩm định", "Điểm điều tra XHH", "Chỉ số CCHC", "Xếp hạng",
                "Xếp loại"} <= set(header) <= set(final.columns), header
        mine = {r["Đơn vị"]: r for r in final[final["Cấp"] == lv.name].to_dict("records")}
        assert sorted(r[1] for r in rows[1:]) == sorted(mine), level
        for row in rows[1:]:
            assert row == [cell(mine[row[1]][c], c) for c in header], (level, row)
            finals += 1
    assert finals == len(final) == 9
    assert list(tables) == levels


def quoted_units(text: str, names: dict[str, str]) -> list[tuple[str, str, str]]:
    """(unit code, what, points) for every unit a sentence quotes with its points: "Sở A đạt điểm cao nhất
    (8,400 điểm)", "có 02 đơn vị đạt điểm thấp nhất là 0,813 điểm (Sở B và Sở C)", "huyện D đạt 86,200 điểm
    nhưng xếp loại Khá"; ``names`` maps each unit's name as a sentence writes it to its code. Every such
    phrase in ``text`` is read: one whose name is not a known unit's fails."""
    known = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    out, extremes, moved = [], 0, 0
    for m in re.finditer(rf"({known}) đạt điểm (cao nhất|thấp nhất) \({FIGURE} điểm\)", text):
        out.append((names[m[1]], m[2], m[3]))
        extremes += 1
    for m in re.finditer(rf"có (\d+) đơn vị đạt điểm (cao nhất|thấp nhất) là {FIGURE} điểm \(([^)]*)\)", text):
        listed = re.findall(known, m[4])
        assert len(listed) == int(m[1]) >= 2 and rt.join_vi(listed) == m[4], m[0]
        out += [(names[n], m[2], m[3]) for n in listed]
        extremes += 1
    for m in re.finditer(rf"({known}) đạt {FIGURE} điểm nhưng xếp loại", text):
        out.append((names[m[1]], "rule", m[2]))
        moved += 1
    assert extremes == len(re.findall(r"đạt điểm (?:cao|thấp) nhất", text)), text
    assert moved == text.count("điểm nhưng xếp loại"), text
    return out


def sentences_by_level(doc, cset) -> dict[str, dict[str, list[str]]]:
    """kind -> level code -> its paragraphs: "survey" (II.2, "Đối với cấp sở: …"), "index" (II.3, under the
    heading "n. Đối với các sở, ban, ngành"), "field" (section III, under "n. Đối với các sở, ban, ngành: …")."""
    out: dict[str, dict[str, list[str]]] = {"survey": {}, "index": {}, "field": {}}
    chapter, part, level = "", None, None
    for p in doc.paragraphs:
        text, style = p.text, p.style.name
        if style == "Heading 1":
            chapter, level = text.split(".")[0], None
            part = "field" if chapter == "III" else None
        elif style == "Heading 2":
            if chapter == "II":
                part = {"2": "survey", "3": "index"}.get(text.split(".")[0])
            level = next((lv.code for lv in cset.levels if f"Đối với các {lv.units_word}:" in text), None)
        elif style == "Heading 3":
            level = next((lv.code for lv in cset.levels if text.endswith(f"Đối với các {lv.units_word}")), None)
        elif style == "Normal" and part == "survey":
            mine = [lv.code for lv in cset.levels if text.startswith(f"Đối với {lv.name.lower()}:")]
            for code in mine:
                out["survey"].setdefault(code, []).append(text)
        elif style == "Normal" and part in ("index", "field") and level and text:
            out[part].setdefault(level, []).append(text)
    return out


def test_national_sentences_quote_each_unit_with_its_own_csv_figure(national_report, national_csv):
    """Every "x,xxx điểm" the report's sentences quote for a unit equals that unit's figure in the CSV exports,
    and the unit is of the sentence's level: the survey total of the highest and lowest unit of each level
    (II.2), the field's survey points of the highest and lowest of each field (section III: survey points,
    since the set gives no appraisal maxima per field), the index of a unit the district rule moved (II.3).
    The highest quoted is the level's highest in that column, the lowest its lowest."""
    cset = national_report.cset
    survey, final = national_csv
    doc = Document(io.BytesIO(national_report.data))
    units = survey[survey["Mã đơn vị"].notna()]
    level_of = {code: lv.code for lv in cset.levels for code in units.loc[units["Cấp"] == lv.name, "Mã đơn vị"]}
    assert len(level_of) == len(final) == 9
    names = {}
    for code, name in zip(units["Mã đơn vị"], units["Đơn vị"]):
        names[name] = names[name[:1].lower() + name[1:]] = code  # "huyện An Phú" inside a sentence
    points = units.set_index("Mã đơn vị")
    index = final.set_index("Mã đơn vị")["Chỉ số CCHC"]
    said = sentences_by_level(doc, cset)
    read = {"survey": 0, "field": 0, "rule": 0}

    def check(level: str, text: str, column: pd.Series, kinds: set[str]) -> None:
        quoted = quoted_units(text, names)
        assert {what for _, what, _ in quoted} == kinds, text
        mine = column[[level_of[u] == level for u in column.index]]
        for unit, what, figure in quoted:
            assert level_of[unit] == level, (level, unit, text)
            assert figure == shown(column[unit], "number"), (unit, what, figure, text)
            if what != "rule":
                assert figure == shown(mine.max() if what == "cao nhất" else mine.min(), "number"), (what, text)

    assert list(said["survey"]) == [lv.code for lv in cset.levels], said["survey"]
    for level, texts in said["survey"].items():
        (text,) = texts
        check(level, text, points["Tổng điểm"], {"cao nhất", "thấp nhất"})
        read["survey"] += 1
    assert list(said["field"]) == [lv.code for lv in cset.levels], said["field"]
    for level, texts in said["field"].items():
        lv = cset.level_by_code[level]
        assert texts[0].startswith("Số liệu dưới đây là điểm điều tra XHH theo lĩnh vực"), texts[0]
        fields = {f"Lĩnh vực {rt.abbreviate(f.name)}:": f for f in cset.fields if lv.field_max.get(f.code)}
        order = []
        for text in texts[1:]:
            (opening,) = [o for o in fields if text.startswith(o)]
            f = fields[opening]
            check(level, text, points[f"{f.code}. {f.short_name}"], {"cao nhất", "thấp nhất"})
            order.append(f.code)
            read["field"] += 1
        assert order == [f.code for f in fields.values()], (level, order)
    moved = [(level, text) for level, texts in said["index"].items() for text in texts if "nhưng xếp loại" in text]
    for level, text in moved:
        check(level, text, index, {"rule"})
        read["rule"] += 1
    # 3 levels; 8 fields at each; both districts lowered (1/2 communes Xuất sắc, 1/2 Tốt: under 2/3), one sentence
    assert read == {"survey": 3, "field": 24, "rule": 1}, read
