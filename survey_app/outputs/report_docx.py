"""The published report as a Word document a clerk edits before signing (python-docx).

Layout of a Vietnamese administrative document: the issuing body and the national motto side by
side, number and date left to fill in, the title; then I. overview (ballots by group and channel
against the plan), II. survey results (narrative, a table per level with each field's maximum, the
poor-answer findings, heat maps), III. results per field, IV. the final index, rank and class beside
last year on landscape pages, with the district rule's reasons; an appendix with the confidence
intervals. Times New Roman 13 (headings 14), real Word tables (borders, header row repeated on every
page, numbers right-aligned with decimal commas) and named styles ("Heading 1", "Bảng", "Ghi chú")
so that a clerk changes the look in one place.

The same data gives the same bytes: fixed document dates and zip entry times, charts without
dates. Every figure comes from :mod:`.report_tables` and :mod:`.report_text`, as on the pages.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from ..services.campaigns import CHANNELS, GroupCount, ballot_counts
from ..services.scores import CampaignScores
from . import report_text as rt
from .coverage_text import coverage_sentence
from .exports import NOT_XML, Column
from .findings import level_paragraphs
from .report_charts import campaign_chart, chart_available
from .report_tables import (
    ReportTable,
    final_report_table,
    findings_table,
    intervals_table,
    section_names,
    shown,
    survey_points_table,
)

FONT = "Times New Roman"
FIXED_TIME = (2000, 1, 1, 0, 0, 0)  # zip entries: the same bytes for the same data
# Columns of the final table printed in the document (the reasons follow the table as sentences).
FINAL_KEYS = ("stt", "name", "parent_name", "appraisal", "survey", "index", "rank", "rank_of", "class",
              "previous_index", "previous_rank", "previous_class", "rank_change", "class_change")


@dataclass(frozen=True)
class ReportInput:
    """What the document needs beside the scores."""

    year: int
    province: str  # "Tỉnh Bắc Kạn"
    counts: list[GroupCount]
    channels: tuple[tuple[str, str, str], ...]
    intervals: pd.DataFrame
    unsettled: pd.DataFrame


def _safe(text: str) -> str:
    r"""``text`` without the control characters a Word document cannot hold.

    >>> _safe("Sở\x0bTư pháp\x00")
    'SởTư pháp'
    """
    return NOT_XML.sub("", str(text))


def _styles(doc) -> None:
    """Times New Roman everywhere (also for Vietnamese, an East Asian font slot in Word), sizes of an
    administrative document, and the named styles the document uses."""
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(13)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.first_line_indent = Mm(10)
    for name, size in (("Title", 14), ("Heading 1", 14), ("Heading 2", 13), ("Heading 3", 13)):
        style = doc.styles[name]
        style.font.name, style.font.size, style.font.bold = FONT, Pt(size), True
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.italic = name == "Heading 3"
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attribute in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):  # the template's theme font
            fonts.attrib.pop(qn(f"w:{attribute}"), None)
        for attribute in ("ascii", "hAnsi", "eastAsia", "cs"):
            fonts.set(qn(f"w:{attribute}"), FONT)
        style.paragraph_format.space_before, style.paragraph_format.space_after = Pt(6), Pt(6)
        style.paragraph_format.first_line_indent = Mm(0) if name == "Title" else Mm(10)
    doc.styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title_border = doc.styles["Title"].element.find(qn("w:pPr"))
    if title_border is not None:  # the default template underlines its title
        for bdr in title_border.findall(qn("w:pBdr")):
            title_border.remove(bdr)
    for name, size, italic in (("Bảng", 10, False), ("Ghi chú", 11, True), ("Đầu văn bản", 12, False)):
        style = doc.styles.add_style(name, 1)
        style.base_style = normal
        style.font.size, style.font.italic = Pt(size), italic
        style.paragraph_format.first_line_indent = Mm(0)
        style.paragraph_format.space_after = Pt(0 if name != "Ghi chú" else 6)
    doc.styles["Caption"].font.name = FONT


def _page(section, landscape: bool = False) -> None:
    """A4 with the margins of an administrative document (left 30 mm, right 15 mm, top and bottom 20 mm)."""
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    section.left_margin, section.right_margin = (Mm(20), Mm(20)) if landscape else (Mm(30), Mm(15))
    section.top_margin = section.bottom_margin = Mm(20)


def _text_width(section) -> int:
    return section.page_width - section.left_margin - section.right_margin


def _no_borders(table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    table._tbl.tblPr.append(borders)


def _cell_text(cell, text: str, bold: bool = False, italic: bool = False, align=WD_ALIGN_PARAGRAPH.CENTER,
               style: str = "Đầu văn bản", underline: bool = False) -> None:
    p = cell.paragraphs[0]
    p.style, p.alignment = style, align
    run = p.add_run(_safe(text))
    run.bold, run.italic, run.underline = bold, italic, underline


def _header(doc, inp: ReportInput) -> None:
    """Issuing body left, national motto right; number and date to fill in."""
    table = doc.add_table(rows=2, cols=2)
    _no_borders(table)
    province = inp.province.strip()
    place = province.removeprefix("Tỉnh ").removeprefix("tỉnh ").removeprefix("Thành phố ") or "……"
    left, right = table.rows[0].cells
    _cell_text(left, f"UBND {province.upper()}" if province else "UBND TỈNH ……")
    left.add_paragraph("SỞ NỘI VỤ", style="Đầu văn bản").alignment = WD_ALIGN_PARAGRAPH.CENTER
    left.paragraphs[-1].runs[0].bold = True
    _cell_text(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True)
    motto = right.add_paragraph(style="Đầu văn bản")
    motto.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = motto.add_run("Độc lập - Tự do - Hạnh phúc")
    run.bold, run.underline = True, True
    number, date = table.rows[1].cells
    _cell_text(number, "Số:       /BC-SNV")
    _cell_text(date, f"{place}, ngày    tháng    năm {inp.year + 1}", italic=True)
    _set_widths(table, [Mm(62), Mm(103)])
    doc.add_paragraph()
    doc.add_paragraph("BÁO CÁO", style="Title")
    sub = doc.add_paragraph(style="Title")
    sub.add_run(f"Kết quả xác định Chỉ số cải cách hành chính (CCHC) năm {inp.year}").bold = True


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _table(doc, headers: list[str], rows: list[list[tuple[str, bool]]], widths: list[float]) -> None:
    """A bordered table: bold header row repeated on every page; ``rows`` of (text, is a number)."""
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    head = table.rows[0]
    _repeat_header(head)
    for cell, text in zip(head.cells, headers):
        p = cell.paragraphs[0]
        p.style, p.alignment = "Bảng", WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(_safe(text)).bold = True
    for values in rows:
        cells = table.add_row().cells
        for i, (cell, (text, number)) in enumerate(zip(cells, values)):
            p = cell.paragraphs[0]
            p.style = "Bảng"
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if number else WD_ALIGN_PARAGRAPH.LEFT
            if i == 0 and headers[0] == "STT":
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.add_run(_safe(text))
    _margins(table, Mm(1))
    _set_widths(table, widths)


def _margins(table, side) -> None:
    """Narrow left and right cell margins: numbers of 3 decimals fit the columns of a portrait page."""
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(int(side / 635)))  # EMU to twentieths of a point
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    table._tbl.tblPr.append(margins)


def _set_widths(table, widths: list[float]) -> None:
    """Column widths in the table grid (LibreOffice reads these) and in every cell (Word reads those)."""
    for column, width in zip(table.columns, widths):
        column.width = int(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = int(width)


def _widths(columns: list[Column], total: int, name_share: float = 0.24) -> list[float]:
    """The unit's name takes ``name_share`` of the width, STT a little, the rest share what is left."""
    stt = total * 0.06
    name = total * name_share
    others = [c for c in columns if c.key not in ("stt", "name")]
    rest = (total - stt - name) / max(len(others), 1)
    return [stt if c.key == "stt" else name if c.key == "name" else rest for c in columns]


def _level_tables(doc, table: ReportTable, keys: tuple[str, ...] | None, sections: dict[str, str], width: int,
                  caption: str) -> None:
    """One table per level, titled "Bảng n. … — I. Các sở, ban, ngành"."""
    columns = [c for c in table.columns if c.key not in ("level_name", "unit", "note", "class_reason", "sentence")
               and (keys is None or c.key in keys)]
    if keys is not None:
        columns.sort(key=lambda c: keys.index(c.key))
    for level, title, rows in table.sections(sections):
        doc.add_paragraph(_safe(f"{caption} — {title}"), style="Heading 3")
        values = [[(shown(row.get(c.key), c.kind), c.kind != "text") for c in columns] for _, row in rows]
        _table(doc, [table.header(c, level) for c in columns], values, _widths(columns, width))
        doc.add_paragraph()


def _picture(doc, png: bytes, width: int) -> None:
    doc.add_picture(io.BytesIO(png), width=width)
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def _blocks(doc, blocks: list[tuple[str, list[str]]]) -> None:
    for heading, sentences in blocks:
        if heading:
            doc.add_paragraph(_safe(heading), style="Heading 2")
        for s in sentences:
            doc.add_paragraph(_safe(s)).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY


def _overview(doc, inp: ReportInput, width: int, sc: CampaignScores) -> None:
    doc.add_paragraph("I. TỔNG QUAN VỀ ĐIỀU TRA XÃ HỘI HỌC (XHH)", style="Heading 1")
    doc.add_paragraph(_safe(rt.overview_sentence(inp.counts, inp.channels))).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if coverage := coverage_sentence(sc):
        doc.add_paragraph(_safe(coverage)).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    headers = ["Đối tượng", *(h for _, h, _ in inp.channels), "Tổng", "Kế hoạch", "Đạt (%)"]
    rows = [[(c.name, False), *((str(c.by_channel.get(code, 0)), True) for code, *_ in inp.channels),
             (str(c.total), True), (str(c.planned), True), (shown(c.percent, "percent"), True)] for c in inp.counts]
    n = len(headers) - 1
    _table(doc, headers, rows, [width * 0.3] + [width * 0.7 / n] * n)
    doc.add_paragraph(rt.PLAN_NOTE, style="Ghi chú")


def _survey(doc, sc: CampaignScores, sections: dict[str, str], width: int) -> None:
    doc.add_paragraph("II. KẾT QUẢ ĐIỀU TRA XHH", style="Heading 1")
    _blocks(doc, rt.survey_blocks(sc))
    for _, paragraph in level_paragraphs(sc, findings_table(sc).rows):
        doc.add_paragraph(_safe(paragraph)).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    table = survey_points_table(sc)
    doc.add_paragraph(f"Kết quả cụ thể điểm điều tra XHH năm {sc.year}, như sau:")
    keys = ("stt", "name", *(f"f{f.code}" for f in sc.cset.fields), "total")
    _level_tables(doc, table, keys, sections, width, "Bảng 2. Điểm điều tra XHH theo lĩnh vực")
    for lv in sc.cset.levels:
        if chart_available(sc, "nhiet", lv.code) and (sc.survey_table["level"] == lv.code).any():
            _picture(doc, campaign_chart(sc, "nhiet", lv.code, fmt="png"), width)


def _final(doc, sc: CampaignScores, sections: dict[str, str], width: int) -> None:
    doc.add_paragraph("IV. KẾT QUẢ CHỈ SỐ CCHC, XẾP HẠNG VÀ XẾP LOẠI", style="Heading 1")
    table = final_report_table(sc)
    if not table.rows:
        doc.add_paragraph(table.note)
        return
    _blocks(doc, rt.band_blocks(sc, sc.year))
    _level_tables(doc, table, FINAL_KEYS, sections, width, "Bảng 3. Chỉ số CCHC, xếp hạng và xếp loại")
    _blocks(doc, rt.reason_blocks(sc))
    doc.add_paragraph(table.note, style="Ghi chú")
    for lv in sc.cset.levels:
        if chart_available(sc, "chi-so", lv.code) and (sc.final.table["level"] == lv.code).any():
            _picture(doc, campaign_chart(sc, "chi-so", lv.code, fmt="png"), int(width * 0.8))


def _appendix(doc, sc: CampaignScores, inp: ReportInput, sections: dict[str, str], width: int) -> None:
    doc.add_paragraph("PHỤ LỤC. ĐỘ TIN CẬY CỦA KẾT QUẢ", style="Heading 1")
    table = intervals_table(sc, inp.intervals)
    doc.add_paragraph(table.note).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if len(inp.unsettled):
        doc.add_paragraph("Những cặp đơn vị liền kề có thứ tự chưa chắc chắn:")
        for r in inp.unsettled.itertuples():
            doc.add_paragraph(_safe(
                f"{sc.names.get(r.above, r.above)} xếp trên {sc.names.get(r.below, r.below)}, nhưng thứ tự này "
                f"đảo ngược trong {shown(100 * r.share_reversed, 'percent')}% số lần tính lại."), style="List Bullet")
    if table.rows:
        _level_tables(doc, table, None, sections, width, "Bảng 4. Khoảng tin cậy 95% và thứ hạng")
    doc.add_paragraph(table.footnote, style="Ghi chú")
    for lv in sc.cset.levels:
        if chart_available(sc, "hang", lv.code) and (inp.intervals["level"] == lv.code).any():
            _picture(doc, campaign_chart(sc, "hang", lv.code, inp.intervals, fmt="png"), int(width * 0.8))


def _signature(doc) -> None:
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    _set_widths(table, [Mm(85), Mm(80)])
    left, right = table.rows[0].cells
    _cell_text(left, "Nơi nhận:", bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT, style="Bảng")
    for line in ("- UBND tỉnh (báo cáo);", "- Các thành viên BCĐ CCHC tỉnh;", "- Lưu: VT, ……."):
        left.add_paragraph(line, style="Bảng")
    _cell_text(right, "GIÁM ĐỐC", bold=True)


def _deterministic(data: bytes) -> bytes:
    """The same entries, in the same order, with a fixed time: the same data gives the same file."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def report_document(sc: CampaignScores, inp: ReportInput) -> bytes:
    """The report as ``.docx`` bytes (see the module's layout)."""
    doc = Document()
    _styles(doc)
    first = doc.sections[0]
    _page(first)
    width = _text_width(first)
    sections = section_names(sc, [lv.code for lv in sc.cset.levels])
    _header(doc, inp)
    _overview(doc, inp, width, sc)
    _survey(doc, sc, sections, width)
    doc.add_paragraph("III. KẾT QUẢ THEO CÁC LĨNH VỰC", style="Heading 1")
    _blocks(doc, rt.field_blocks(sc) or [("", ["Chưa có số liệu."])])
    wide = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(wide, landscape=True)
    _final(doc, sc, sections, _text_width(wide))
    back = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(back)
    _appendix(doc, sc, inp, sections, width)
    _signature(doc)
    props = doc.core_properties
    props.title = f"Báo cáo kết quả xác định Chỉ số CCHC năm {inp.year}"
    props.author = props.last_modified_by = "parsurvey"
    props.created = props.modified = datetime(inp.year + 1, 1, 1)
    props.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    return _deterministic(buf.getvalue())


def campaign_report(session, campaign, sc: CampaignScores, intervals: pd.DataFrame, unsettled: pd.DataFrame) -> bytes:
    """The report of a campaign whose results are unsealed (the caller checks), from its scores and intervals."""
    return report_document(sc, ReportInput(campaign.year, campaign.province or "", ballot_counts(session, campaign),
                                           CHANNELS, intervals, unsettled))
