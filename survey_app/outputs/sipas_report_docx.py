"""The SIPAS report of a closed SIPAS campaign as a Word document a clerk edits before signing (issue 29 item 4).

The form is the PAR report's (:mod:`.report_docx`: Nghị định 30/2020/NĐ-CP title block with the issuing body
and the national motto, page numbers from page 2, named styles, numbered table captions, "Nơi nhận" and the
signer, the same bytes for the same data); the content is a provincial SIPAS report's: I. purpose and method,
II. the sample (ballots by group and channel, by unit and group), III. results (the province's SIPAS with its
95 % interval and the target; on landscape pages per level a table of units × the five elements and SIPAS in
percent, the SIPAS's 95 % interval and its rank within the level, units short of ballots marked "chưa đủ
phiếu" with neither; a note on how intervals and ranks are made; perception shares), IV. expectations (the
three chosen most and a table province-wide, the three chosen most per unit with enough people),
V. recommendations left for the Department to write. Part II ends with who answered ("Đặc điểm người trả
lời"): per profile question the count and share of each option, province-wide and per unit, "—" for a unit
under the set's ``min_cell`` respondents. Every sentence is :mod:`.sipas_report_text`'s, shared with the
printable page.
"""
from __future__ import annotations

import io
from datetime import datetime

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from ..services.sipas_results import SipasResults, sipas_results
from . import report_docx as form
from . import sipas_report_text as st
from .ballot_table import ballot_table
from .report_tables import shown
from .sipas_chart import add_level_chart
from .sipas_table import INTERVAL_HEADER, percent_text, perception_rows, short_of_ballots


def _paragraph(doc, text: str, style: str | None = None) -> None:
    p = doc.add_paragraph(form.safe(text), style=style)
    if style is None:
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY


def _blocks(doc, blocks: st.Blocks, style: str) -> None:
    for heading, sentences in blocks:
        if heading:
            doc.add_paragraph(form.safe(heading), style=style)
        for s in sentences:
            _paragraph(doc, s)


def element_rows(results: SipasResults, level: str) -> list[list[str]]:
    """The results table of a level, as printed: STT, unit, ballots, each element's index and SIPAS in percent,
    the SIPAS's 95 % interval ("90,6–92,8 %"), its rank within the level ("1/2"), a note; a unit short of
    ballots reads "chưa đủ phiếu (n phiếu)" instead of figures, with no interval and no rank."""
    rows = []
    mine = results.units[results.units["level"] == level].to_dict("records")
    for i, r in enumerate(mine, 1):
        head = [str(i), r["name"], shown(int(r["ballots"]), "integer")]
        if not r["covered"]:
            rows.append(head + [""] * len(results.elements) + [short_of_ballots(r["ballots"]), "", "", ""])
            continue
        note = f"không tính yếu tố {r['left_out']}: không có người trả lời" if r["left_out"] else ""
        rows.append(head + [percent_text(r[code]) for code, _ in results.elements]
                    + [percent_text(r["sipas"]), st.unit_interval_text(results, r["unit"]),
                       st.rank_text(results, r["unit"]), note])
    return rows


def element_headers(results: SipasResults) -> list[str]:
    """The headers of :func:`element_rows`."""
    short = {f.code: f.short_name or f.name for f in results.cset.fields}
    return (["STT", "Đơn vị", "Số phiếu hợp lệ"] + [f"Yếu tố {code}. {short[code]}" for code, _ in results.elements]
            + ["SIPAS", INTERVAL_HEADER, "Xếp hạng", "Ghi chú"])


def group_rows(inp: st.SipasReportInput, level: str) -> list[list[str]]:
    """Ballots per unit and group of a level: STT, unit, one column per group, total, a note."""
    mine = [r for r in inp.unit_groups if r.level == level]
    return [[str(i), r.name, *(shown(r.by_group.get(code, 0), "integer") for code, _ in inp.groups),
             shown(r.total, "integer"), "" if r.covered else "chưa đủ phiếu"] for i, r in enumerate(mine, 1)]


HIDDEN = "—"


def profile_rows(table, level: str | None = None) -> list[list[str]]:
    """One profile table as printed: the province's row (``n (x %)`` per option), then each unit's (of
    ``level`` when given) with its respondents and shares, :data:`HIDDEN` in every cell of a unit under
    ``min_cell`` respondents."""
    p = table.province
    rows = [[p.name, shown(p.respondents, "integer"),
             *(f"{shown(c.n, 'integer')} ({percent_text(c.share)})" if p.shown else HIDDEN for c in p.cells)]]
    for r in table.units:
        if level is None or r.level == level:
            rows.append([r.name, shown(r.respondents, "integer"),
                         *(percent_text(c.share) if r.shown else HIDDEN for c in r.cells)])
    return rows


def expectation_rows(block) -> list[list[str]]:
    """A ranked list of expectations: rank, label, people who chose it, share."""
    return [[str(c.rank), c.label, shown(c.n, "integer"), percent_text(c.share)] for c in block.choices]


def unit_expectation_rows(ex, scale: str) -> list[list[str]]:
    """Per unit shown: its name, people who chose, its three chosen most (ties included)."""
    return [[b.name, shown(b.respondents, "integer"),
             "; ".join(f"{c.rank}. {c.label} ({percent_text(c.share)})" for c in b.top(3))]
            for b in ex.units if b.scale == scale and b.shown]


def _profile(doc, results: SipasResults, inp: st.SipasReportInput, width: int, captions) -> None:
    sentences = st.profile_sentences(results, inp)
    if not sentences:
        return
    doc.add_paragraph("Đặc điểm người trả lời", style="Heading 2")
    for s in sentences:
        _paragraph(doc, s)
    for table in inp.profile:
        if not table.province.respondents:
            continue
        n = len(table.options)
        captions.add(doc, f"Đặc điểm người trả lời: {table.name}")
        form.word_table(doc, ["Đơn vị", "Số người trả lời", *(label for _, label in table.options)],
                        [[(v, i > 0) for i, v in enumerate(row)] for row in profile_rows(table)],
                        [width * 0.28, width * 0.12] + [width * 0.60 / n] * n)
        doc.add_paragraph()


def _expectations(doc, results: SipasResults, inp: st.SipasReportInput, width: int, captions) -> None:
    for s in st.expectation_sentences(results, inp):
        _paragraph(doc, s)
    ex = inp.expectations
    if ex is None or not ex.any:
        return
    for block in ex.province:
        if not block.shown:
            continue
        name = ex.scale_names.get(block.scale, block.scale)
        captions.add(doc, f"{name}: toàn tỉnh ({shown(block.respondents, 'integer')} người chọn)")
        form.word_table(doc, ["Thứ hạng", "Điều mong đợi", "Số người chọn", "Tỷ lệ"],
                        [[(r[0], True), (r[1], False), (r[2], True), (r[3], True)] for r in expectation_rows(block)],
                        [width * 0.12, width * 0.56, width * 0.16, width * 0.16])
        units = unit_expectation_rows(ex, block.scale)
        if units:
            captions.add(doc, f"{name}: ba điều được chọn nhiều nhất theo đơn vị")
            form.word_table(doc, ["Đơn vị", "Số người chọn", "Được chọn nhiều nhất (thứ hạng, tỷ lệ)"],
                            [[(r[0], False), (r[1], True), (r[2], False)] for r in units],
                            [width * 0.28, width * 0.12, width * 0.60])
        hidden = ex.hidden(block.scale)
        if hidden:
            _paragraph(doc, f"Không nêu riêng, dưới {ex.min_cell} người chọn: "
                            + ", ".join(b.name for b in hidden) + ".", style="Ghi chú")
        doc.add_paragraph()


def _cells(values: list[str], texts: int) -> list[tuple[str, bool]]:
    """``(text, is a number)``: the first ``texts`` columns after STT and the last one are words."""
    return [(v, not (1 <= i <= texts or i == len(values) - 1)) for i, v in enumerate(values)]


def _sample(doc, results: SipasResults, inp: st.SipasReportInput, width: int, captions) -> None:
    for s in st.sample_sentences(results, inp):
        _paragraph(doc, s)
    table = ballot_table(inp.counts, inp.channels)
    columns = [c for c in table.columns if c.key != "covered"]
    rows = [[(shown(row.get(c.key), c.kind), c.kind != "text") for c in columns] for row in table.rows]
    n = len(columns) - 1
    captions.add(doc, "Số phiếu khảo sát hợp lệ theo đối tượng và hình thức, so với kế hoạch mẫu")
    form.word_table(doc, [c.header for c in columns], rows, [width * 0.26] + [width * 0.74 / n] * n)
    headers = ["STT", "Đơn vị", *(name for _, name in inp.groups), "Tổng số phiếu", "Ghi chú"]
    n = len(inp.groups) + 1
    for lv in results.cset.levels:
        rows = group_rows(inp, lv.code)
        if not rows:
            continue
        captions.add(doc, f"Số phiếu hợp lệ theo đơn vị và đối tượng — {lv.name}")
        form.word_table(doc, headers, [_cells(r, 1) for r in rows],
                        [width * 0.07, width * 0.38] + [width * 0.37 / n] * n + [width * 0.18])
        doc.add_paragraph()
    _profile(doc, results, inp, width, captions)


def _results(doc, results: SipasResults, inp: st.SipasReportInput, width: int, captions) -> None:
    doc.add_paragraph("1. Chỉ số hài lòng của tỉnh", style="Heading 2")
    for s in st.province_sentences(results, inp.year):
        _paragraph(doc, s)
    doc.add_paragraph("2. Chỉ số hài lòng theo đơn vị và yếu tố", style="Heading 2")
    blocks = dict(st.level_sentences(results))
    n = len(results.elements) + 1
    widths = ([width * 0.04, width * 0.18, width * 0.06] + [width * 0.42 / n] * n
              + [width * 0.11, width * 0.06, width * 0.13])
    for lv in results.cset.levels:
        if lv.name not in blocks:
            continue
        doc.add_paragraph(form.safe(lv.name), style="Heading 3")
        for s in blocks[lv.name]:
            _paragraph(doc, s)
        captions.add(doc, f"Tỷ lệ hài lòng theo yếu tố và SIPAS (%) — {lv.name}")
        form.word_table(doc, element_headers(results), [_cells(r, 1) for r in element_rows(results, lv.code)],
                        widths)
        add_level_chart(doc, results, lv.code, int(width * 0.8))  # SIPAS with 95 % intervals and the target
        doc.add_paragraph()
    _paragraph(doc, "Tỷ lệ hài lòng: số người chọn Hài lòng hoặc Rất hài lòng trên số người trả lời (không tính "
                    "Không biết). Đơn vị chưa đủ phiếu không có chỉ số.", style="Ghi chú")
    _paragraph(doc, st.interval_note(results), style="Ghi chú")
    doc.add_paragraph("3. Nhận định của người trả lời", style="Heading 2")
    _paragraph(doc, st.perception_sentence(results))
    for block in perception_rows(results):
        codes = [code for code, _ in block["questions"]]
        captions.add(doc, f"Tỷ lệ trả lời “Có” ở các câu nhận định (%) — {block['name']}")
        rows = [[(name, False), *((s, True) for s in shares)] for name, shares in block["rows"]]
        form.word_table(doc, ["Đơn vị", *codes], rows, [width * 0.25] + [width * 0.75 / len(codes)] * len(codes))
        _paragraph(doc, "; ".join(f"{code}: {text}" for code, text in block["questions"]), style="Ghi chú")


def sipas_report_document(results: SipasResults, inp: st.SipasReportInput) -> bytes:
    """The SIPAS report as ``.docx`` bytes (see the module's layout)."""
    cset = results.cset
    doc = Document()
    form.styles(doc)
    captions = form.Captions()
    first = doc.sections[0]
    form.page(first)
    form.page_numbers(first, first=True)
    title = st.sipas_title(cset, inp.year)
    form.header(doc, inp, cset, title=title)
    doc.add_paragraph("I. MỤC ĐÍCH, PHƯƠNG PHÁP", style="Heading 1")
    _blocks(doc, st.method_blocks(results), "Heading 2")
    doc.add_paragraph("II. MẪU KHẢO SÁT", style="Heading 1")
    _sample(doc, results, inp, form.text_width(first), captions)
    wide = form.new_section(doc, landscape=True)
    doc.add_paragraph(f"III. KẾT QUẢ ĐO LƯỜNG SỰ HÀI LÒNG NĂM {inp.year}", style="Heading 1")
    _results(doc, results, inp, form.text_width(wide), captions)
    form.new_section(doc)
    doc.add_paragraph("IV. Ý KIẾN MONG ĐỢI CỦA NGƯỜI DÂN, TỔ CHỨC", style="Heading 1")
    _expectations(doc, results, inp, form.text_width(doc.sections[-1]), captions)
    doc.add_paragraph("V. KIẾN NGHỊ", style="Heading 1")
    _paragraph(doc, st.RECOMMENDATIONS, style="Ghi chú")
    _paragraph(doc, st.sipas_closing(cset, inp.province, inp.year))
    form.signature(doc)
    props = doc.core_properties
    props.title = f"Báo cáo {title[:1].lower()}{title[1:]}"
    props.author = props.last_modified_by = "parsurvey"
    props.created = props.modified = datetime(inp.year + 1, 1, 1)
    props.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    return form.deterministic(buf.getvalue())


def campaign_sipas_report(session, campaign) -> bytes:
    """The SIPAS report of a campaign whose results are unsealed (the caller checks)."""
    results = sipas_results(session, campaign)
    return sipas_report_document(results, st.report_input(session, campaign, results))
