"""The SIPAS tables a province publishes (issue 29 item 4), for the page and every export.

:func:`sipas_table` is the results table: one row per unit (by level) with its ballots, the index of each
element (yếu tố) and its SIPAS, in percent (0-100, one decimal on pages and in the Vietnamese CSV), and the
province's figure last; a unit under the set's ``min_ballots`` reads "chưa đủ phiếu (n phiếu)" instead of
figures. :func:`perception_rows` gives the perception shares (tỷ lệ "Có") per level. No points, no ranks,
no classes: a SIPAS figure is a share of people.
"""
from __future__ import annotations

import pandas as pd

from questionnaires.model import round_points

from ..services.sipas_results import SipasResults
from .exports import Column
from .report_tables import ReportTable

SLUG = "sipas"


def percent_text(share: float | None) -> str:
    """A share (0..1) as the pages print it: percent, one decimal (half up), decimal comma, then " %".

    Examples
    --------
    >>> percent_text(0.9025), percent_text(37 / 45), percent_text(1.0), percent_text(float("nan"))
    ('90,3 %', '82,2 %', '100,0 %', '')
    """
    if share is None or pd.isna(share):
        return ""
    return f"{round_points(100.0 * float(share), 1):.1f}".replace(".", ",") + " %"


def short_of_ballots(ballots: int) -> str:
    """What an uncovered unit reads instead of its figures.

    >>> short_of_ballots(2)
    'chưa đủ phiếu (2 phiếu)'
    """
    return f"chưa đủ phiếu ({int(ballots)} phiếu)"


def weighting_words(results: SipasResults) -> str:
    """How the province's figure is stated, in words (with the units it is over)."""
    p = results.province
    over = f"{len(p.units)} đơn vị có chỉ số"
    if p.weighting == "dossiers":
        words = f"bình quân SIPAS của {over}, gia quyền theo số hồ sơ đã giải quyết"
        if p.without_dossiers:
            words += f" (không tính {len(p.without_dossiers)} đơn vị chưa có số hồ sơ: {', '.join(p.without_dossiers)})"
        return words
    return f"bình quân SIPAS của {over}"


def target_words(results: SipasResults) -> str:
    """Whether the province reaches the set's target, in a sentence (empty without a target)."""
    if results.target is None:
        return ""
    target = percent_text(results.target)
    if results.meets_target is None:
        return f"Mục tiêu: {target}; chưa có chỉ số của tỉnh để so sánh."
    return f"{'Đạt' if results.meets_target else 'Chưa đạt'} mục tiêu {target}."


def _pct(share) -> float | None:
    return None if share is None or pd.isna(share) else 100.0 * float(share)


def sipas_table(results: SipasResults) -> ReportTable:
    """The results table: per unit its ballots, element indices and SIPAS (percent), the province last."""
    cset = results.cset
    elements = [(code, cset.field_by_code[code].short_name or name) for code, name in results.elements]
    columns = [Column("stt", "STT", "integer", width=6), Column("level_name", "Cấp"), Column("unit", "Mã đơn vị"),
               Column("name", "Đơn vị", width=36), Column("ballots", "Số phiếu hợp lệ", "integer")]
    columns += [Column(f"e{code}", f"Yếu tố {code}. {short} (%)", "percent") for code, short in elements]
    columns += [Column("sipas", "SIPAS (%)", "percent"), Column("note", "Ghi chú", width=40)]
    names = {lv.code: lv.name for lv in cset.levels}
    rows: list[dict] = []
    numbers: dict[str, int] = {}
    for r in results.units.to_dict("records"):
        numbers[r["level"]] = numbers.get(r["level"], 0) + 1
        row = {"stt": numbers[r["level"]], "level": r["level"], "level_name": names.get(r["level"], r["level"]),
               "unit": r["unit"], "name": r["name"], "ballots": int(r["ballots"])}
        if not r["covered"]:
            row |= {f"e{code}": None for code, _ in elements}
            row |= {"sipas": short_of_ballots(r["ballots"]), "note": short_of_ballots(r["ballots"])}
        else:
            row |= {f"e{code}": _pct(r[code]) for code, _ in elements}
            row["sipas"] = _pct(r["sipas"])
            row["note"] = f"không tính yếu tố {r['left_out']}: không có người trả lời" if r["left_out"] else ""
        rows.append(row)
    p = results.province
    rows.append({"level": "", "level_name": "", "unit": "", "name": "Toàn tỉnh", "ballots": results.ballots,
                 **{f"e{code}": None for code, _ in elements}, "sipas": _pct(p.value),
                 "note": "; ".join(x for x in (weighting_words(results), target_words(results)) if x)})
    return ReportTable(SLUG, "Chỉ số hài lòng (SIPAS) theo đơn vị và yếu tố", columns, rows,
                       note="Tỷ lệ hài lòng: số người chọn Hài lòng hoặc Rất hài lòng trên số người trả lời "
                            "(không tính Không biết)", summary={len(rows) - 1}, sheet="SIPAS")


def perception_rows(results: SipasResults) -> list[dict]:
    """Per level: ``{"level", "name", "questions": [(code, text)], "rows": [(unit name, [share text...])]}``
    of the perception shares (tỷ lệ "Có" among those who answered), covered units only."""
    p = results.perception
    out = []
    for lv in results.cset.levels:
        mine = p[p["level"] == lv.code]
        if mine.empty:
            continue
        questions = list(dict.fromkeys(zip(mine["question"], mine["text"])))
        wide = mine.pivot(index="unit", columns="question", values="share")
        unit_names = dict(zip(mine["unit"], mine["name"]))
        rows = [(unit_names[u], [percent_text(wide.loc[u, q]) for q, _ in questions]) for u in wide.index]
        out.append({"level": lv.code, "name": lv.name, "questions": questions, "rows": rows})
    return out
