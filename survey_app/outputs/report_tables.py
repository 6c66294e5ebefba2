"""The tables the province publishes, defined once for the pages and every export.

Each builder turns :class:`survey_app.results.CampaignScores` into a
:class:`ReportTable`: Vietnamese column headers with a kind (text, number with
3 decimals, integer, percent) and one dict per row. Pages render it; CSV, XLSX
and JSON exports stream the same rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from aggregation import option_shares
from questionnaires.model import round_points
from scoring.coverage import coverage_marks
from scoring.final import ruled_levels

from ..services.scores import CampaignScores
from .exports import Column
from .findings import poor_findings
from .ranked_within import ranked_within_parent_columns
from .report_text import last_year_vi, maximum_vi, points_vi, section_title
from .small_cells import HIDDEN, hidden_groups, hidden_groups_note

STT = Column("stt", "STT", "integer", width=6)


@dataclass
class ReportTable:
    """A published table: ``rows`` are dicts keyed by the columns' keys; ``summary`` marks rows
    (by position) that are averages or extremes rather than units."""

    slug: str
    title: str
    columns: list[Column]
    rows: list[dict]
    note: str = ""
    summary: set[int] = field(default_factory=set)
    sheet: str = ""  # the XLSX sheet's name: Excel keeps 31 characters, so a short one; the title goes above
    level_headers: dict[str, dict[str, str]] = field(default_factory=dict)  # level -> key -> its own header
    footnote: str = ""  # how it was computed, for those who ask (printed under the table)
    hidden: dict[str, set[str]] = field(default_factory=dict)  # level -> keys of columns that level leaves out
    places: dict[str, int] = field(default_factory=dict)  # key -> decimals, where not the kind's (last year's)

    @property
    def sheet_name(self) -> str:
        return self.sheet or self.title[:31]

    @property
    def heading(self) -> str:
        """The title and note, as written above the header of a sheet."""
        return f"{self.title}. {self.note}" if self.note else self.title

    def sections(self, level_names: dict[str, str]) -> list[tuple[str, str, list[tuple[bool, dict]]]]:
        """Rows grouped by level, in order: ``(level code, section title, [(is summary, row)])``; a section
        is titled as ``level_names`` says ("Cấp sở", or "I. Các sở, ban, ngành" from :func:`section_names`)."""
        out: dict[str, list] = {}
        for i, row in enumerate(self.rows):
            out.setdefault(row.get("level", ""), []).append((i in self.summary, row))
        return [(level, level_names.get(level, level), rows) for level, rows in out.items()]

    def level_columns(self, level: str, columns: list[Column] | None = None) -> list[Column]:
        """The columns shown in the section of ``level`` (a field the level does not survey is left out)."""
        hidden = self.hidden.get(level, set())
        return [c for c in (self.columns if columns is None else columns) if c.key not in hidden]

    def header(self, column: Column, level: str) -> str:
        """The column's header in the section of ``level`` (a field's maximum differs by level)."""
        return self.level_headers.get(level, {}).get(column.key, column.header)


def _value(v):
    """NaN and pandas NA as None; NumPy scalars as Python ones."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    return v.item() if hasattr(v, "item") else v


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _value(v) for k, v in row.items()} for row in frame.to_dict("records")]


def level_names(sc: CampaignScores) -> dict[str, str]:
    return {lv.code: lv.name for lv in sc.cset.levels}


def section_names(sc: CampaignScores, levels: list[str]) -> dict[str, str]:
    """``I. Các sở, ban, ngành``, ``II. Các huyện, thành phố``: the groups of a table's rows, numbered."""
    shown_levels = [lv for lv in sc.cset.levels if lv.code in set(levels)]
    return {lv.code: section_title(i, lv.units_word) for i, lv in enumerate(shown_levels, 1)}


def _numbered(rows: list[dict], summary: set[int]) -> None:
    """STT: 1, 2, … within each level, on unit rows only."""
    counters: dict[str, int] = {}
    for i, row in enumerate(rows):
        if i in summary:
            row["stt"] = None
            continue
        counters[row.get("level", "")] = counters.get(row.get("level", ""), 0) + 1
        row["stt"] = counters[row.get("level", "")]


def incompleteness(sc: CampaignScores) -> dict[tuple[str, str], str]:
    """Per unit, in Vietnamese: which groups' opinions are missing, on how many questions."""
    q = sc.points.questions
    bad = q[~q["complete"]]
    names = {g.code: g.name for g in sc.cset.groups}
    out: dict[tuple[str, str], str] = {}
    for (level, unit), part in bad.groupby(["level", "unit"], sort=False):
        phrases = []
        none = part["fraction"].isna()
        if none.any():
            phrases.append(f"chưa có ý kiến nào ở {int(none.sum())} câu")
        groups = part.loc[~none, "missing_groups"].str.split(",").explode()
        for code, n in groups.value_counts().sort_index().items():
            phrases.append(f"thiếu ý kiến {names.get(code, code)} ở {n} câu")
        out[(level, unit)] = "; ".join(phrases)
    return out


def _field_header(f, maximum: float | None) -> str:
    return f"{f.short_name} ({maximum:.2f})".replace(".", ",") if maximum is not None else f"{f.code}. {f.short_name}"


def survey_points_table(sc: CampaignScores) -> ReportTable:
    """Survey points per unit and field, with each level's average, highest and lowest; each field's
    header gives its maximum, "Chỉ đạo điều hành (2,00)", per level where levels differ."""
    fields = sc.cset.fields
    levels = [lv for lv in sc.cset.levels if lv.surveyed]
    maxima = {lv.code: {f.code: lv.field_max.get(f.code) for f in fields} for lv in levels}
    same = len({tuple(m.values()) for m in maxima.values()}) == 1
    columns = [STT, Column("level_name", "Cấp"), Column("unit", "Mã đơn vị"), Column("name", "Đơn vị", width=34)]
    columns += [Column(f"f{f.code}", _field_header(f, maxima[levels[0].code][f.code] if same and levels else None),
                       "number", width=14) for f in fields]
    columns += [Column("total", "Tổng điểm", "number"), Column("percent", "% điểm tối đa", "percent"),
                Column("note", "Ghi chú", width=40)]
    headers = {lv.code: {**{f"f{f.code}": _field_header(f, maxima[lv.code][f.code]) for f in fields},
                         "total": f"Tổng điểm ({maximum_vi(lv.survey_max)})"} for lv in levels}
    notes = incompleteness(sc)
    sipas = getattr(sc, "sipas", None)  # points taken from a SIPAS campaign (issue 29 item 5)
    if sipas is not None:
        level_of = dict(zip(sipas.points["unit"], sipas.points["level"]))
        for unit, said in sipas.notes().items():
            key = (level_of[unit], unit)
            notes[key] = "; ".join(p for p in (notes.get(key, ""), said) if p)
    names = sc.names
    t = sc.survey_table
    rows, summary = [], set()
    hidden = {lv.code: {f"f{f.code}" for f in fields if not maxima[lv.code][f.code]} for lv in levels}
    for lv in levels:
        part = _in_final_order(sc, t[t["level"] == lv.code])
        for r in part.itertuples(index=False):
            values = dict(zip(part.columns, r))
            rows.append(
                {
                    "level": lv.code,
                    "level_name": lv.name,
                    "unit": values["unit"],
                    "name": names.get(values["unit"], values["unit"]),
                    **{f"f{f.code}": None if f"f{f.code}" in hidden[lv.code] else _value(values[f.code])
                       for f in fields},
                    "total": _value(values["total"]),
                    "percent": 100.0 * values["total"] / lv.survey_max if lv.survey_max else None,
                    "note": _points_note(values, notes.get((lv.code, values["unit"]), ""), sc.cset.min_ballots),
                }
            )
        if part.empty:
            continue
        for label, how in (("Trung bình", "mean"), ("Cao nhất", "max"), ("Thấp nhất", "min")):
            summary.add(len(rows))
            agg = part[[f.code for f in fields] + ["total"]].agg(how)
            rows.append({"level": lv.code, "level_name": lv.name, "unit": "", "name": f"{label} {lv.name.lower()}",
                         **{f"f{f.code}": None if f"f{f.code}" in hidden[lv.code] else float(agg[f.code])
                            for f in fields}, "total": float(agg["total"]),
                         "percent": 100.0 * float(agg["total"]) / lv.survey_max if lv.survey_max else None, "note": ""})
    _numbered(rows, summary)
    said = "; ".join(f"{lv.name}: tối đa {maximum_vi(lv.survey_max)} điểm" for lv in levels)
    return ReportTable("diem-dieu-tra", "Điểm điều tra xã hội học theo lĩnh vực", columns, rows,
                       sheet="Điểm điều tra XHH", level_headers=headers,
                       note=f"Điểm điều tra XHH ({said}); hiển thị 3 chữ số thập phân; đơn vị xếp theo thứ tự "
                            f"{'xếp hạng Chỉ số CCHC' if sc.final is not None else 'điểm điều tra XHH'}.",
                       summary=summary, footnote=coverage_footnote(sc), hidden={k: v for k, v in hidden.items() if v})


def _in_final_order(sc: CampaignScores, part: pd.DataFrame) -> pd.DataFrame:
    """A level's rows in the final table's order (its rank, as the published report numbers both tables),
    units absent from it after; by survey points, highest first, before the appraisal is in."""
    by_points = part.sort_values(["total", "unit"], ascending=[False, True], na_position="last", kind="mergesort")
    if sc.final is None:
        return by_points
    order = {u: i for i, u in enumerate(sc.final.table["unit"])}
    position = by_points["unit"].map(order).fillna(len(order))
    return by_points.assign(_o=position).sort_values("_o", kind="mergesort").drop(columns="_o")


def _points_note(values: dict, incomplete: str, minimum: int) -> str:
    """A unit's note in the table of points: "chưa đủ phiếu (n phiếu)" or "dưới kế hoạch (n/p phiếu)" first."""
    if "ballots" not in values:
        return incomplete
    mark = coverage_marks([values["ballots"]], [values.get("planned", np.nan)], minimum)[0]
    if mark.startswith("chưa đủ"):
        return mark
    return "; ".join(p for p in (mark, incomplete) if p)


def findings_table(sc: CampaignScores) -> ReportTable:
    """Per question and group, the share of poor answers, where it is above zero, as a sentence."""
    columns = [Column("level_name", "Cấp"), Column("question", "Câu hỏi"), Column("text", "Nội dung", width=50),
               Column("group_name", "Đối tượng", width=26), Column("poor", "Số ý kiến kém", "integer"),
               Column("answers", "Tổng số ý kiến", "integer"), Column("share", "Tỷ lệ kém (%)", "percent"),
               Column("sentence", "Nhận xét", width=60)]
    return ReportTable(
        "nhan-xet",
        "Các nội dung có ý kiến đánh giá ở mức kém",
        columns,
        poor_findings(sc),
        sheet="Nội dung bị đánh giá kém",
        note="Tỷ lệ trên tổng số ý kiến của đối tượng về câu hỏi (kể cả “không biết”), mọi đơn vị của cấp.",
        footnote=hidden_groups_note(sc).replace(f"“{HIDDEN}”: không", "Không", 1),
    )


def option_table(sc: CampaignScores) -> ReportTable:
    """Counts and shares of every option, per question and group."""
    shares = option_shares(sc.counts, sc.cset) if len(sc.counts) else pd.DataFrame(
        columns=["level", "question", "group", "option", "n", "share"])
    labels = {(s.code, o.code): o.label for s in sc.cset.scales for o in s.options}
    scale_of = {(q.level, q.id): q.scale for q in sc.cset.questions}
    groups = {g.code: g.name for g in sc.cset.groups}
    names = level_names(sc)
    hidden = hidden_groups(sc)
    rows, said = [], set()
    for r in shares.itertuples(index=False):
        row = {"level": r.level, "level_name": names.get(r.level, r.level), "question": r.question,
               "group_name": groups.get(r.group, r.group)}
        if (r.level, r.group) in hidden:  # one row per question, every figure hidden
            if (r.level, r.question, r.group) not in said:
                said.add((r.level, r.question, r.group))
                rows.append({**row, "option": HIDDEN, "n": HIDDEN, "share": HIDDEN})
            continue
        rows.append({**row, "option": labels.get((scale_of.get((r.level, r.question)), r.option), r.option),
                     "n": int(r.n), "share": 100.0 * float(r.share)})
    columns = [
        Column("level_name", "Cấp"),
        Column("question", "Câu hỏi"),
        Column("group_name", "Đối tượng", width=26),
        Column("option", "Phương án", width=20),
        Column("n", "Số ý kiến", "integer"),
        Column("share", "Tỷ lệ (%)", "percent"),
    ]
    return ReportTable("phuong-an", "Số ý kiến theo phương án trả lời", columns, rows, sheet="Phương án trả lời",
                       footnote=hidden_groups_note(sc))


FINAL_COLUMNS = [STT, Column("level_name", "Cấp"), Column("rank", "Xếp hạng", "integer"), Column("unit", "Mã đơn vị"),
                 Column("name", "Đơn vị", width=34), Column("appraisal", "Điểm thẩm định", "number"),
                 Column("survey", "Điểm điều tra XHH", "number"), Column("index", "Chỉ số CCHC", "number"),
                 Column("class", "Xếp loại", width=16), Column("class_reason", "Căn cứ xếp loại", width=48),
                 Column("ballots", "Số phiếu", "integer"), Column("coverage", "Độ phủ phiếu", width=28)]


# A unit made by a merger or a split (scoring.succession): where it comes from, with last year's figures.
NEW_UNIT_COLUMN = Column("previous_note", "Đơn vị mới (hợp nhất, chia tách) từ", width=40)


# The points of a unit's from_sipas sub-criteria: "trong đó từ Chỉ số SIPAS: 0,457 điểm (SIPAS 91,4 %)".
SIPAS_COLUMN = Column("sipas_note", "Điểm lấy từ Chỉ số SIPAS", width=40)


def previous_columns(year: int | None) -> list[Column]:
    """Last year's columns, the year named as the published comparison names it ("Năm 2022")."""
    said = last_year_vi(year)
    return [
        Column("previous_index", f"Chỉ số {said}", "number"),
        Column("previous_rank", f"Xếp hạng {said}", "integer"),
        Column("previous_class", f"Xếp loại {said}", width=16),
        Column("index_change", "Tăng/giảm (điểm)", "number"),
        Column("rank_change", "Tăng/giảm (bậc)", "integer"),
        Column("class_change", "Xếp loại so với năm trước"),
    ]


def final_report_table(sc: CampaignScores) -> ReportTable:
    """The final table: appraisal, survey, index, rank, class (with its reason) and last year."""
    columns = FINAL_COLUMNS + (previous_columns(sc.year) if sc.imported["previous"] else [])
    if sc.final is not None and "previous_note" in sc.final.table:
        columns = columns + [NEW_UNIT_COLUMN]
    sipas = getattr(sc, "sipas", None)  # sub-criteria whose points come from a SIPAS campaign (issue 29 item 5)
    if sipas is not None:
        columns = columns + [SIPAS_COLUMN]
    if sc.final is None:
        return ReportTable("ket-qua", "Kết quả Chỉ số CCHC", columns, [], sheet="Kết quả Chỉ số CCHC",
                           note="Chưa nhập điểm thẩm định: chưa tính được chỉ số.")
    table = sc.final.table.copy()
    table["level_name"] = table["level"].map(level_names(sc))
    table["name"] = table["unit"].map(sc.names).fillna(table["unit"])
    if sipas is not None:
        table["sipas_note"] = table["unit"].map(sipas.notes()).fillna("")
    columns, headers, within = ranked_within_parent_columns(sc, table, columns)
    rows = _records(table)
    _numbered(rows, set())
    places = {"previous_index": given_places(table["previous_index"])} if "previous_index" in table else {}
    return ReportTable(
        "ket-qua",
        "Kết quả Chỉ số CCHC, xếp hạng và xếp loại",
        columns,
        rows,
        sheet="Kết quả Chỉ số CCHC",
        note="Chỉ số = điểm thẩm định + điểm điều tra XHH; xếp hạng và xếp loại theo chỉ số làm tròn 3 chữ số."
             + within,
        level_headers=headers,
        footnote=coverage_footnote(sc),
        places=places,
    )


def given_places(values: pd.Series, most: int = 3) -> int:
    """The decimals a column of figures was given with: the most any value carries (up to ``most``), so that
    last year's "80,12" prints as published, not "80,120".

    >>> given_places(pd.Series([80.12, 90.1, 79.06, None])), given_places(pd.Series([87.461]))
    (2, 3)
    >>> given_places(pd.Series([80.0]))
    0
    """
    decimals = [len(f"{v:.{most}f}".rstrip("0").partition(".")[2]) for v in pd.to_numeric(values, errors="coerce")
                if pd.notna(v)]
    return max(decimals, default=most)


def comparison_table(sc: CampaignScores) -> ReportTable:
    """The published "So sánh kết quả năm 2023 so với năm 2022": this year's index, rank and class beside last
    year's as they were published, in this year's rank order; empty without last year's table."""
    year, before = sc.year, last_year_vi(sc.year).capitalize()
    now = f"Năm {year}" if year is not None else "Năm nay"
    columns = [STT, Column("level_name", "Cấp"), Column("unit", "Mã đơn vị"), Column("name", "Đơn vị", width=34),
               Column("index", f"Điểm ({now})", "number"), Column("rank", f"Xếp hạng ({now})", "integer"),
               Column("class", f"Xếp loại ({now})", width=16), Column("previous_index", f"Điểm ({before})", "number"),
               Column("previous_rank", f"Xếp hạng ({before})", "integer"),
               Column("previous_class", f"Xếp loại ({before})", width=16)]
    if sc.final is not None and "previous_note" in sc.final.table:
        columns.append(NEW_UNIT_COLUMN)
    title = f"So sánh kết quả {now.lower()} so với {before.lower()}"
    if sc.final is None or "previous_index" not in sc.final.table:
        return ReportTable("so-sanh", title, columns, [], sheet="So sánh năm trước",
                           note="Chưa nhập điểm thẩm định hoặc kết quả năm trước.")
    table = sc.final.table.copy()
    table["level_name"] = table["level"].map(level_names(sc))
    table["name"] = table["unit"].map(sc.names).fillna(table["unit"])
    rows = [{c.key: r.get(c.key) for c in columns} | {"level": r["level"]} for r in _records(table)]
    _numbered(rows, set())
    return ReportTable("so-sanh", title, columns, rows, sheet="So sánh năm trước",
                       note=f"Điểm {before.lower()} ghi như đã công bố.",
                       places={"previous_index": given_places(table["previous_index"])})


def coverage_footnote(sc: CampaignScores) -> str:
    """Under the tables of points and of the index: what "chưa đủ phiếu" and "dưới kế hoạch" mean."""
    return (f"“Chưa đủ phiếu”: đơn vị có dưới {sc.cset.min_ballots} phiếu hợp lệ (tính mọi đối tượng) không có "
            "điểm điều tra XHH, không được xếp hạng, xếp loại; các đơn vị khác xếp hạng liền nhau. "
            "“Dưới kế hoạch”: đơn vị đủ số phiếu tối thiểu nhưng ít phiếu hơn kế hoạch mẫu, vẫn được xếp hạng.")


def intervals_table(sc: CampaignScores, intervals: pd.DataFrame) -> ReportTable:
    """Survey totals with their 95% interval, and ranks (of the index once the appraisal is in) with their range.

    A unit with one ballot of a sampled group shows no interval but says so (``note``); a unit
    whose index interval holds a band edge shows its chance of each class (``classes``). A level
    the set ranks within its parent (:func:`scoring.index_intervals` ranks it so) shows its parent
    and how many share the ranking, under the final table's headers ("Xếp hạng trong huyện").
    """
    from scoring.ranking import rank_parents, ranked_within_parent

    rank_header = "Xếp hạng theo chỉ số" if sc.final is not None else "Xếp hạng theo điểm điều tra"
    columns = [
        Column("level_name", "Cấp"),
        Column("unit", "Mã đơn vị"),
        Column("name", "Đơn vị", width=34),
        Column("points", "Điểm điều tra XHH", "number"),
        Column("low", "Khoảng tin cậy 95%: từ", "number"),
        Column("high", "đến", "number"),
        Column("rank", rank_header, "integer"),
        Column("rank_low", "Thứ hạng có thể dao động từ", "integer"),
        Column("rank_high", "đến hạng", "integer"),
        Column("classes", "Khả năng xếp loại", width=26),
        Column("remark", "Ghi chú", width=30),
    ]
    order = {lv.code: i for i, lv in enumerate(sc.cset.levels)}
    frame = intervals.assign(_order=intervals["level"].map(order))
    if ranked_within_parent(sc.cset):  # "" on a level ranked across the province, None where not known
        frame["parent"] = rank_parents(frame, sc.cset, sc.units)
        keys = [frame["level"], frame["parent"].fillna("")]
        frame["rank_of"] = (frame["rank"].notna().astype(int).groupby(keys).transform("sum").astype("Int64")
                            .where(frame["parent"].notna(), pd.NA))
    by = ["_order", "parent", "rank", "unit"] if "parent" in frame else ["_order", "rank", "unit"]
    frame = frame.sort_values(by).drop(columns="_order")
    columns, headers, within = ranked_within_parent_columns(sc, frame, columns)
    frame["level_name"] = frame["level"].map(level_names(sc))
    frame["name"] = frame["unit"].map(sc.names).fillna(frame["unit"])
    group_name = {g.code: g.name for g in sc.cset.groups}
    single = frame["single"].fillna("") if "single" in frame else pd.Series("", index=frame.index)
    frame["remark"] = [
        f"Chỉ có 1 phiếu của {', '.join(group_name.get(g, g) for g in codes.split(','))}: "
        "không ước lượng được khoảng tin cậy" if codes else "" for codes in single]
    frame.loc[single != "", ["low", "high"]] = np.nan
    frame["classes"] = frame["class_chances"].fillna("") if "class_chances" in frame else ""
    census = [g.name for g in sc.cset.groups if getattr(g, "census", False)]
    sampled = [g.name for g in sc.cset.groups if not getattr(g, "census", False)]
    note = (f"Điểm điều tra XHH tính từ một số phiếu nhất định. Với các đối tượng khảo sát theo mẫu "
            f"({', '.join(sampled)}), nếu hỏi những người khác cùng đối tượng, điểm của đơn vị có thể khác đi: "
            "với độ tin cậy 95%, điểm nằm trong khoảng ghi ở hai cột “Khoảng tin cậy 95%”, và thứ hạng có thể "
            "dao động trong khoảng ghi ở hai cột “Thứ hạng có thể dao động”.")
    if census:
        note += (f" Đối tượng khảo sát toàn bộ ({', '.join(census)}) không có sai số chọn mẫu: ý kiến của họ "
                 "được tính đúng như đã trả lời, không chọn lại.")
    if sc.final is not None:
        note += (" Điểm thẩm định được coi là chính xác (không có sai số): khoảng xếp hạng và khả năng xếp loại chỉ "
                 "phản ánh sai số của điểm điều tra. Cột “Khả năng xếp loại” ghi, với đơn vị có khoảng tin cậy của "
                 "chỉ số chạm ngưỡng xếp loại, tỷ lệ số lần tính lại rơi vào mỗi loại"
                 + (" (trước khi áp dụng quy tắc xếp loại cấp huyện theo các xã)." if ruled_levels(sc.cset) else "."))
    if within:
        note += within + " Khoảng thứ hạng và thứ tự chưa chắc chắn của các cấp này cũng tính như vậy."
    return ReportTable(
        "do-tin-cay",
        "Độ tin cậy: khoảng tin cậy 95% của điểm điều tra và thứ hạng",
        columns,
        _records(frame),
        sheet="Độ tin cậy",
        note=note,
        level_headers=headers,
        footnote="Phương pháp: lấy mẫu lặp (bootstrap) theo phiếu, 1.000 lần; mỗi lần chọn lại ngẫu nhiên, có hoàn "
                 "lại, các phiếu của từng đối tượng (trong từng đơn vị, với đối tượng đánh giá đơn vị của mình), "
                 "mỗi phiếu được chọn mang theo mọi ý kiến của nó về mọi đơn vị, rồi tính lại điểm, thứ hạng và xếp "
                 "loại; khoảng là phân vị 2,5% và 97,5% của các lần lặp. Cùng dữ liệu cho cùng kết quả, theo bất kỳ "
                 "thứ tự dòng nào.",
    )


def shown(value, kind: str, places: int | None = None) -> str:
    """A cell as the pages show it: 3 decimals (half up) with a decimal comma, percent with 1; a number
    column given with other ``places`` (last year's, :func:`given_places`) at those.

    Examples
    --------
    >>> shown(79.9995, "number"), shown(2.35, "percent"), shown(None, "number"), shown(3, "integer")
    ('80,000', '2,4', '', '3')
    >>> shown(2798, "integer")
    '2.798'
    >>> shown(80.12, "number", 2)
    '80,12'
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, str):
        return value  # HIDDEN, or a text kept in a number column
    if kind == "number" and places is not None:
        return f"{round_points(value, places):.{places}f}".replace(".", ",")
    if kind == "number":
        return points_vi(value)
    if kind == "percent":
        return f"{round_points(value, 1):.1f}".replace(".", ",")
    if kind == "integer":
        return f"{int(value):,}".replace(",", ".")  # 1.080: thousands with a dot, as Vietnamese documents write
    return str(value)
