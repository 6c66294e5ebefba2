"""The SIPAS chart of a level (issue 29 item 4): its units' SIPAS as bars with their 95 % intervals as whiskers
and the set's target as a dashed line (:func:`survey_app.outputs.charts.sipas_chart`), for the overview (SVG,
with alt text; the figures are in the table above it) and the Word report (PNG).
"""
from __future__ import annotations

import io

import pandas as pd

from ..services.sipas_results import SipasResults
from .sipas_table import percent_text

MAX_HEIGHT_MM = 150  # of a landscape A4 page's text height, leaving room for the caption of the next table


def chart_units(results: SipasResults, level: str) -> pd.DataFrame:
    """``unit, name, sipas, low, high`` of the level's units with a SIPAS (shares 0..1)."""
    units = results.units[(results.units["level"] == level) & results.units["sipas"].notna()]
    frame = units[["unit", "name", "sipas"]].merge(results.sure[["unit", "low", "high"]], on="unit", how="left")
    return frame.reset_index(drop=True)


def chart_levels(results: SipasResults) -> list[tuple[str, str]]:
    """``(code, name)`` of the levels with a unit that has a SIPAS, in the set's order."""
    has = set(results.units.loc[results.units["sipas"].notna(), "level"])
    return [(lv.code, lv.name) for lv in results.cset.levels if lv.code in has]


def chart_title(results: SipasResults, level: str) -> str:
    name = results.cset.level_by_code[level].name
    return f"Chỉ số hài lòng (SIPAS) và khoảng tin cậy 95 % — {name}"


def chart_alt(results: SipasResults, level: str) -> str:
    """The chart's alternative text: what it draws, and where its figures are."""
    n = len(chart_units(results, level))
    name = results.cset.level_by_code[level].name
    target = f"; đường đứt nét là mục tiêu {percent_text(results.target)}" if results.target is not None else ""
    return (f"Biểu đồ thanh ngang SIPAS (%) của {n} đơn vị {name.lower()}, cao nhất ở trên; vạch ngang trên mỗi "
            f"thanh là khoảng tin cậy 95 %{target}. Số liệu trong bảng {name} ở trên.")


def level_chart(results: SipasResults, level: str, fmt: str = "svg") -> str | bytes:
    """The level's chart as SVG text (or PNG bytes)."""
    from .charts import sipas_chart  # matplotlib: loaded when first drawn

    return sipas_chart(chart_units(results, level), chart_title(results, level), results.target, fmt=fmt)


def add_level_chart(doc, results: SipasResults, level: str, width: int) -> None:
    """The level's chart as a centred picture in a Word document, at most ``width`` (EMU) wide; nothing for a
    level without a unit that has a SIPAS."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    from .report_docx import fitted, png_size

    if chart_units(results, level).empty:
        return
    png = level_chart(results, level, fmt="png")
    w, h = fitted(png_size(png), int(width), int(Mm(MAX_HEIGHT_MM)))
    doc.add_picture(io.BytesIO(png), width=w, height=h)
    p = doc.paragraphs[-1]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.first_line_indent = Mm(0)
