"""The published report as a Word document a clerk edits before signing (python-docx).

Layout of a Vietnamese administrative document (Nghị định 30/2020/NĐ-CP): the issuing body and the
national motto side by side, each with a short rule drawn under it, number and date left to fill in,
the title naming who is assessed (the ranked levels of the set); then, in the published report's order,
I. the criteria set and method (:mod:`.report_method`, every figure from the set), II. results: 1. the
ballots by group and channel against the plan, 2. survey points (narrative, the poor-answer findings, a
table per level, heat maps), 3. the index, rank and class on landscape pages with the district rule's
reasons and the comparison with last year; III. the index per field; IV. "Đánh giá chung" and V. "Nhiệm
vụ", headings left for the Department to write under; the closing sentence,
"Nơi nhận" and the signer (GIÁM ĐỐC, room to sign, a dotted name line); then, in a section of its own,
the appendix with the confidence intervals. Page numbers from page 2, centred in the top margin, on
every section; tables captioned "Bảng 1", "Bảng 2", … in the order they appear; every picture scaled
to the printable area of its section. Times New Roman 13 (headings 14), real Word tables (borders,
header row repeated on every page, numbers right-aligned with decimal commas) and named styles
("Heading 1", "Caption", "Bảng", "Ghi chú") so that a clerk changes the look in one place.

The same data gives the same bytes: fixed document dates and zip entry times, charts without
dates. Every figure comes from :mod:`.report_tables` and :mod:`.report_text`, as on the pages.
"""
from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass
from datetime import datetime
from itertools import count

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
from .ballot_table import ballot_headline, ballot_table
from .coverage_text import coverage_sentence
from .exports import NOT_XML, Column
from .findings import level_paragraphs
from .report_charts import campaign_chart, chart_available
from .report_form import DRAFTER_PARTS, closing_sentence, report_title
from .report_method import field_index_blocks, method_blocks, sipas_source
from .report_tables import (
    ReportTable,
    comparison_table,
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
    caption = doc.styles["Caption"]  # table captions "Bảng n. …", centred above their table
    caption.font.name, caption.font.size, caption.font.bold, caption.font.italic = FONT, Pt(13), True, False
    caption.font.color.rgb = RGBColor(0, 0, 0)
    caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.first_line_indent = Mm(0)
    caption.paragraph_format.space_before, caption.paragraph_format.space_after = Pt(6), Pt(3)
    caption.paragraph_format.keep_with_next = True


def _page(section, landscape: bool = False) -> None:
    """A4 with the margins of an administrative document (left 30 mm, right 15 mm, top and bottom 20 mm)."""
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    section.left_margin, section.right_margin = (Mm(20), Mm(20)) if landscape else (Mm(30), Mm(15))
    section.top_margin = section.bottom_margin = Mm(20)


def _text_width(section) -> int:
    return section.page_width - section.left_margin - section.right_margin


def _text_height(section) -> int:
    return section.page_height - section.top_margin - section.bottom_margin


def _field(paragraph, instruction: str, shown_text: str) -> None:
    """A Word field (``PAGE``) in ``paragraph``, with ``shown_text`` as its value until it is updated."""
    def char(kind: str):
        run = paragraph.add_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        run._r.append(el)

    char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    char("separate")
    paragraph.add_run(shown_text)
    char("end")


def _page_numbers(section, first: bool) -> None:
    """The page number centred in the top margin (Nghị định 30: from the second page on).

    Every section has "different first page" set and headers of its own: the document's first page
    (``first``) has an empty first-page header; a later section's first page carries the number too.
    """
    section.header_distance = Mm(10)
    section.different_first_page_header_footer = True
    for header, numbered in ((section.header, True), (section.first_page_header, not first)):
        header.is_linked_to_previous = False
        p = header.paragraphs[0]
        p.style = "Header"
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.first_line_indent = Mm(0)
        if numbered:
            _field(p, "PAGE", "2")


class _Captions:
    """Table captions numbered in the order the document adds them: "Bảng 1. …", "Bảng 2. …"."""

    def __init__(self):
        self._numbers = count(1)

    def add(self, doc, text: str) -> None:
        doc.add_paragraph(_safe(f"Bảng {next(self._numbers)}. {text}"), style="Caption")


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


HEADER_WIDTHS = (Mm(62), Mm(103))  # issuing body, national motto
BODY_RULE = Mm(8)  # "SỞ NỘI VỤ" is 16.8 mm in bold 12 pt; Nghị định 30: 1/3 to 1/2 of the line
MOTTO_RULE = Mm(53)  # "Độc lập - Tự do - Hạnh phúc" in bold 13 pt (Nghị định 30: as long as the line)


def _rule(cell, length: int, cell_width: int) -> None:
    """A short horizontal rule of ``length``, centred in ``cell``: the bottom border of an empty, tiny
    paragraph whose indents leave that length (a line the clerk can still select and move)."""
    p = cell.add_paragraph(style="Đầu văn bản")
    side = max(int((cell_width - length) / 2) - int(Mm(1.9)), 0)  # the cell's own margins, about 1.9 mm
    fmt = p.paragraph_format
    fmt.left_indent = fmt.right_indent = side
    fmt.first_line_indent = Mm(0)
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = Pt(2)
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", "000000")):
        bottom.set(qn(f"w:{key}"), value)
    border.append(bottom)
    ppr = p._p.get_or_add_pPr()
    ppr.insert_element_before(border, "w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc", "w:rPr")
    mark, size = OxmlElement("w:rPr"), OxmlElement("w:sz")  # the paragraph mark at 1 pt: the line, no gap
    size.set(qn("w:val"), "2")
    mark.append(size)
    ppr.append(mark)


def _header(doc, inp: ReportInput, cset, title: str | None = None) -> None:
    """Issuing body left, national motto right, each with its rule; number and date to fill in; the title
    (``title``, by default the PAR report's :func:`.report_form.report_title`)."""
    table = doc.add_table(rows=2, cols=2)
    _no_borders(table)
    province = inp.province.strip()
    place = province.removeprefix("Tỉnh ").removeprefix("tỉnh ").removeprefix("Thành phố ") or "……"
    left, right = table.rows[0].cells
    _cell_text(left, f"UBND {province.upper()}" if province else "UBND TỈNH ……")
    left.add_paragraph("SỞ NỘI VỤ", style="Đầu văn bản").alignment = WD_ALIGN_PARAGRAPH.CENTER
    left.paragraphs[-1].runs[0].bold = True
    _rule(left, BODY_RULE, HEADER_WIDTHS[0])
    _cell_text(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True)
    motto = right.add_paragraph(style="Đầu văn bản")
    motto.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = motto.add_run("Độc lập - Tự do - Hạnh phúc")
    run.bold, run.font.size = True, Pt(13)
    _rule(right, MOTTO_RULE, HEADER_WIDTHS[1])
    number, date = table.rows[1].cells
    _cell_text(number, "Số:       /BC-SNV")
    number.paragraphs[0].paragraph_format.space_before = Pt(6)
    _cell_text(date, f"{place}, ngày    tháng    năm {inp.year + 1}", italic=True)
    date.paragraphs[0].paragraph_format.space_before = Pt(6)
    _set_widths(table, list(HEADER_WIDTHS))
    doc.add_paragraph()
    doc.add_paragraph("BÁO CÁO", style="Title")
    sub = doc.add_paragraph(style="Title")
    sub.add_run(_safe(title or report_title(cset, inp.year))).bold = True


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
                  caption: str, captions: _Captions) -> None:
    """One table per level, each with its own number: "Bảng n. … — I. Các sở, ban, ngành"."""
    columns = [c for c in table.columns if c.key not in ("level_name", "unit", "note", "class_reason", "sentence")
               and (keys is None or c.key in keys)]
    if keys is not None:
        columns.sort(key=lambda c: keys.index(c.key))
    for level, title, rows in table.sections(sections):
        shown_columns = table.level_columns(level, columns)
        captions.add(doc, f"{caption} — {title}")
        values = [[(shown(row.get(c.key), c.kind, table.places.get(c.key)), c.kind != "text") for c in shown_columns]
                  for _, row in rows]
        _table(doc, [table.header(c, level) for c in shown_columns], values, _widths(shown_columns, width))
        doc.add_paragraph()


PICTURE_ROOM = Mm(15)  # of the page's height left to the picture's paragraph spacing and a line above it


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels of a PNG, from its header.

    >>> png_size(b"\\x89PNG\\r\\n\\x1a\\n" + b"\\0\\0\\0\\rIHDR" + (640).to_bytes(4, "big") + (480).to_bytes(4, "big"))
    (640, 480)
    """
    return struct.unpack(">II", png[16:24])


def fitted(size: tuple[int, int], width: int, height: int) -> tuple[int, int]:
    """``size`` scaled by the smaller of the two ratios so that it fits ``width`` × ``height``, aspect kept.

    >>> fitted((1000, 2000), 500, 500)   # the height binds: scale 1/4
    (250, 500)
    >>> fitted((2000, 1000), 500, 500)   # the width binds: scale 1/4
    (500, 250)
    """
    scale = min(width / size[0], height / size[1])
    return int(size[0] * scale), int(size[1] * scale)


def _picture(doc, png: bytes, section, share: float = 1.0) -> None:
    """A centred picture, ``share`` of the text width at most, scaled to fit the section's printable area."""
    width, height = fitted(png_size(png), int(_text_width(section) * share), _text_height(section) - PICTURE_ROOM)
    doc.add_picture(io.BytesIO(png), width=width, height=height)
    p = doc.paragraphs[-1]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = Mm(0)


def _sentence(doc, text: str) -> None:
    """A justified paragraph, each share of opinions in bold as the published report prints them."""
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    for part, bold in rt.emphasis(_safe(text)):
        p.add_run(part).bold = bold or None


def _blocks(doc, blocks: list[tuple[str, list[str]]], style: str = "Heading 3") -> None:
    for heading, sentences in blocks:
        if heading:
            doc.add_paragraph(_safe(heading), style=style)
        for s in sentences:
            _sentence(doc, s)


def _overview(doc, inp: ReportInput, width: int, sc: CampaignScores, captions: _Captions) -> None:
    doc.add_paragraph("1. Tổ chức điều tra xã hội học (XHH): số phiếu được tính", style="Heading 2")
    doc.add_paragraph(_safe(ballot_headline(inp.counts, inp.channels))).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if coverage := coverage_sentence(sc):
        doc.add_paragraph(_safe(coverage)).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    table = ballot_table(inp.counts, inp.channels)
    columns = [c for c in table.columns if c.key != "covered"]
    rows = [[(shown(row.get(c.key), c.kind), c.kind != "text") for c in columns] for row in table.rows]
    n = len(columns) - 1
    captions.add(doc, "Số phiếu điều tra XHH theo đối tượng và hình thức, so với kế hoạch mẫu")
    _table(doc, [c.header for c in columns], rows, [width * 0.26] + [width * 0.74 / n] * n)
    doc.add_paragraph(table.footnote, style="Ghi chú")


def _survey(doc, sc: CampaignScores, sections: dict[str, str], section, captions: _Captions) -> None:
    doc.add_paragraph("2. Kết quả điều tra XHH: điểm điều tra XHH theo lĩnh vực", style="Heading 2")
    _blocks(doc, rt.survey_blocks(sc))
    for _, paragraph in level_paragraphs(sc, findings_table(sc).rows):
        _sentence(doc, paragraph)
    table = survey_points_table(sc)
    doc.add_paragraph(f"Kết quả cụ thể điểm điều tra XHH năm {sc.year}, như sau:")
    keys = ("stt", "name", *(f"f{f.code}" for f in sc.cset.fields), "total")
    _level_tables(doc, table, keys, sections, _text_width(section), "Điểm điều tra XHH theo lĩnh vực", captions)
    for lv in sc.cset.levels:
        if chart_available(sc, "nhiet", lv.code) and (sc.survey_table["level"] == lv.code).any():
            _picture(doc, campaign_chart(sc, "nhiet", lv.code, fmt="png"), section)


def _final(doc, sc: CampaignScores, sections: dict[str, str], section, captions: _Captions) -> None:
    doc.add_paragraph("3. Chỉ số CCHC (điểm thẩm định cộng điểm điều tra XHH), xếp hạng và xếp loại",
                      style="Heading 2")
    table = final_report_table(sc)
    if not table.rows:
        doc.add_paragraph(table.note)
        return
    _blocks(doc, rt.band_blocks(sc, sc.year))
    _level_tables(doc, table, FINAL_KEYS, sections, _text_width(section), "Chỉ số CCHC, xếp hạng và xếp loại",
                  captions)
    _blocks(doc, rt.reason_blocks(sc))
    doc.add_paragraph(table.note, style="Ghi chú")
    comparison = comparison_table(sc)
    if comparison.rows:
        keys = ("stt", "name", "index", "rank", "class", "previous_index", "previous_rank", "previous_class",
                "previous_note")
        _level_tables(doc, comparison, keys, sections, _text_width(section), comparison.title, captions)
    for lv in sc.cset.levels:
        if chart_available(sc, "chi-so", lv.code) and (sc.final.table["level"] == lv.code).any():
            _picture(doc, campaign_chart(sc, "chi-so", lv.code, fmt="png"), section, share=0.8)


APPENDIX_TITLE = "Độ tin cậy của kết quả"


def _appendix(doc, sc: CampaignScores, inp: ReportInput, sections: dict[str, str], section,
              captions: _Captions) -> None:
    """The appendix, after the signature in a section of its own: "PHỤ LỤC", its title, what it goes with."""
    for text, style in (("PHỤ LỤC", "Title"), (APPENDIX_TITLE.upper(), "Title")):
        doc.add_paragraph(text, style=style)
    note = doc.add_paragraph(style="Title")
    note.add_run(f"(Kèm theo Báo cáo số       /BC-SNV ngày    tháng    năm {inp.year + 1} của Sở Nội vụ)").italic = True
    note.runs[0].bold = False
    table = intervals_table(sc, inp.intervals)
    doc.add_paragraph(table.note).alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if len(inp.unsettled):
        doc.add_paragraph("Những cặp đơn vị liền kề có thứ tự chưa chắc chắn:")
        for r in inp.unsettled.itertuples():
            doc.add_paragraph(_safe(
                f"{sc.names.get(r.above, r.above)} xếp trên {sc.names.get(r.below, r.below)}, nhưng thứ tự này "
                f"đảo ngược trong {shown(100 * r.share_reversed, 'percent')}% số lần tính lại."), style="List Bullet")
    if table.rows:
        _level_tables(doc, table, None, sections, _text_width(section), "Khoảng tin cậy 95% và thứ hạng", captions)
    doc.add_paragraph(table.footnote, style="Ghi chú")
    for lv in sc.cset.levels:
        if chart_available(sc, "hang", lv.code) and (inp.intervals["level"] == lv.code).any():
            _picture(doc, campaign_chart(sc, "hang", lv.code, inp.intervals, fmt="png"), section, share=0.8)


SIGNER = "GIÁM ĐỐC"
NAME_LINE = "………………………………"  # the signer's name, written in by the clerk
SIGNING_SPACE = 4  # empty lines for the signature and the seal


def _signature(doc) -> None:
    """"Nơi nhận" left; the signer right: title, room to sign, a dotted line for the name."""
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    _set_widths(table, [Mm(85), Mm(80)])
    left, right = table.rows[0].cells
    _cell_text(left, "Nơi nhận:", bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT, style="Bảng")
    for line in ("- UBND tỉnh (báo cáo);", "- Các thành viên BCĐ CCHC tỉnh;", "- Lưu: VT, ……."):
        left.add_paragraph(line, style="Bảng")
    _cell_text(right, SIGNER, bold=True)
    for _ in range(SIGNING_SPACE):
        right.add_paragraph(style="Đầu văn bản")
    name = right.add_paragraph(style="Đầu văn bản")
    name.alignment = WD_ALIGN_PARAGRAPH.CENTER
    name.add_run(NAME_LINE).bold = True


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
    captions = _Captions()
    first = doc.sections[0]
    _page(first)
    _page_numbers(first, first=True)
    sections = section_names(sc, [lv.code for lv in sc.cset.levels])
    _header(doc, inp, sc.cset)
    doc.add_paragraph(f"I. TỔNG QUAN VỀ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {inp.year}", style="Heading 1")
    _blocks(doc, method_blocks(sc.cset, sipas_source(sc)), "Heading 2")
    doc.add_paragraph(f"II. KẾT QUẢ XÁC ĐỊNH CHỈ SỐ CCHC NĂM {inp.year}", style="Heading 1")
    _overview(doc, inp, _text_width(first), sc, captions)
    _survey(doc, sc, sections, first, captions)
    wide = _new_section(doc, landscape=True)
    _final(doc, sc, sections, wide, captions)
    _new_section(doc)
    doc.add_paragraph(f"III. KẾT QUẢ CHỈ SỐ CCHC NĂM {inp.year} THEO CÁC LĨNH VỰC", style="Heading 1")
    _blocks(doc, field_index_blocks(sc) or [("", ["Chưa có số liệu."])], "Heading 2")
    for heading, note in DRAFTER_PARTS:
        doc.add_paragraph(heading, style="Heading 1")
        doc.add_paragraph(note, style="Ghi chú")
    doc.add_paragraph(_safe(closing_sentence(sc.cset, inp.province, inp.year))).alignment = \
        WD_ALIGN_PARAGRAPH.JUSTIFY
    _signature(doc)
    annex = _new_section(doc)
    _appendix(doc, sc, inp, sections, annex, captions)
    props = doc.core_properties
    props.title = f"Báo cáo {report_title(sc.cset, inp.year)[:1].lower()}{report_title(sc.cset, inp.year)[1:]}"
    props.author = props.last_modified_by = "parsurvey"
    props.created = props.modified = datetime(inp.year + 1, 1, 1)
    props.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    return _deterministic(buf.getvalue())


def _new_section(doc, landscape: bool = False):
    """A section on a new page, A4 portrait or landscape, numbered like the rest."""
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(section, landscape=landscape)
    _page_numbers(section, first=False)
    return section


def campaign_report(session, campaign, sc: CampaignScores, intervals: pd.DataFrame, unsettled: pd.DataFrame) -> bytes:
    """The report of a campaign whose results are unsealed (the caller checks), from its scores and intervals."""
    return report_document(sc, ReportInput(campaign.year, campaign.province or "", ballot_counts(session, campaign),
                                           CHANNELS, intervals, unsettled))


# The form's parts, public for the other reports laid out as this one (outputs/sipas_report_docx.py).
styles, page, page_numbers, header, signature, deterministic = _styles, _page, _page_numbers, _header, _signature, \
    _deterministic
new_section, word_table, Captions, text_width, safe = _new_section, _table, _Captions, _text_width, _safe
