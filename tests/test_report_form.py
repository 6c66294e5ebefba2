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

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm

from survey_app.extensions import DB_KEY

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


@pytest.fixture(scope="module")
def national_report(tmp_path_factory) -> bytes:
    """A 2025 campaign on the national-shape set, made in the web app (as tests/test_national_web.py), with
    ballots for every unit, closed, its appraisal imported; its report."""
    from survey_app import migrate
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
    admin.post("/quan-tri/dot/1/lich", data={"csrf_token": token_of(admin), "status": "open"})
    _store_ballots(app, random.Random(30))
    confirm = admin.get("/quan-tri/dot/1/ket-thuc").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', confirm).group(1)
    admin.post("/quan-tri/dot/1/ket-thuc", data={"csrf_token": token, "confirm": "y", "confirm_coverage": "y"})
    post_file(admin, "/quan-tri/dot/1/ket-qua-nhap/appraisal", APPRAISAL.encode(), "tham-dinh.csv")
    ranked = admin.get("/bao-cao/1/xuat/ket-qua.csv").get_data(as_text=True)
    assert ranked.count("Tốt") + ranked.count("Xuất sắc") + ranked.count("Khá") >= 5, ranked
    response = admin.get("/bao-cao/1/bao-cao.docx")
    app.extensions[DB_KEY].dispose()
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.data


@pytest.fixture(params=["demo", "national"])
def report(request):
    """(docx bytes, expected title, expected closing sentence) of each report."""
    if request.param == "demo":
        return request.getfixturevalue("demo_report"), DEMO_TITLE, DEMO_CLOSING
    return request.getfixturevalue("national_report"), NATIONAL_TITLE, NATIONAL_CLOSING


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
