"""The final index, rank and class (DOMAIN.md "Final index, rank, class").

- index = appraisal points + survey points, per field and in total;
- rank within a level, highest first; indexes equal at 3 decimals share the
  rank (1, 2, 2, 4); a level the set ranks within its parent (``rank_within: parent``)
  is ranked within each parent unit (:mod:`scoring.ranking`);
- class from the index at 3 decimals by the criteria set's bands;
- the district rule: a district keeps its class only if at least 2/3 of its
  communes reached that class or higher, else it drops one class; it is not
  classified when its communes' results are incomplete or absent;
- beside last year's index, rank and class when given.

Pure pandas; the CLI and the web reports call the same :func:`final_table`.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from questionnaires import CriteriaSet

from .coverage import UNRANKED, UNRANKED_BAND, guarded_ballots, mark_coverage
from .ranking import WITHIN_COLUMNS, level_ranks, rank_parents, ranked_within_parent
from .ranking import ranks as ranks  # scoring.ranks, as before
from .succession import NEW_UNIT

NOT_CLASSIFIED = "Không xếp loại"
COLUMNS = ["level", "unit", "appraisal", "survey", "index", "rank", "class", "class_reason", "ballots", "coverage"]
PREVIOUS = ["previous_index", "previous_rank", "previous_class", "index_change", "rank_change", "class_change",
            "previous_note"]  # the note only when last year comes through a reform (scoring.succession)


def ruled_levels(cset: CriteriaSet) -> dict[str, str]:
    """Levels the district rule applies to, each with its child level (``{"huyen": "xa"}``)."""
    if not cset.district_rule.enabled:
        return {}
    return {lv.parent: lv.code for lv in cset.levels if lv.parent}


@dataclass(frozen=True)
class DistrictDecision:
    """The class a district gets under the rule, and the sentence saying why."""

    band_code: str | None
    reason: str


def district_class(index_band: int, commune_classes: list[str | None], cset: CriteriaSet) -> DistrictDecision:
    """Apply the district rule to a district whose index falls in band number ``index_band``.

    ``commune_classes`` holds each commune's class code, None for a missing
    result, :data:`UNRANKED` for a commune not ranked for want of ballots: it
    counts among the communes and as reaching no class (docs/method.md,
    "Coverage"). Bands are numbered from the best (0).

    Examples
    --------
    >>> from questionnaires import load_default_set
    >>> cs = load_default_set()
    >>> district_class(0, ["tot", "tot", "kha"], cs).band_code    # 2/3 reached Tốt: kept
    'tot'
    >>> district_class(0, ["tot", "kha", "kha"], cs).band_code    # 1/3: one class lower
    'kha'
    >>> district_class(0, ["tot", None], cs).band_code is None    # a result missing
    True
    >>> district_class(0, ["tot", "tot", UNRANKED], cs).reason
    '2/3 xã đạt loại Tốt trở lên (≥ 2/3; 1 xã chưa đủ phiếu, không tính là đạt)'
    """
    bands = cset.classes
    band = bands[index_band]
    if not commune_classes:
        return DistrictDecision(None, "không có kết quả xếp loại của các xã trực thuộc")
    missing = sum(c is None for c in commune_classes)
    if missing:
        return DistrictDecision(None, f"thiếu kết quả xếp loại của {missing}/{len(commune_classes)} xã trực thuộc")
    order = {b.code: i for i, b in enumerate(bands)}
    reached = sum(c in order and order[c] <= index_band for c in commune_classes)
    unranked = sum(c == UNRANKED for c in commune_classes)
    said = f"; {unranked} xã chưa đủ phiếu, không tính là đạt" if unranked else ""
    share = cset.district_rule.min_share
    rule = f"{share.numerator}/{share.denominator}"
    if Fraction(reached, len(commune_classes)) >= share:
        return DistrictDecision(
            band.code, f"{reached}/{len(commune_classes)} xã đạt loại {band.name} trở lên (≥ {rule}{said})"
        )
    lower = bands[min(index_band + 1, len(bands) - 1)]
    return DistrictDecision(lower.code, f"chỉ {reached}/{len(commune_classes)} xã đạt loại {band.name} trở lên "
                                        f"(< {rule}{said}): hạ từ {band.name} xuống {lower.name}")


@dataclass(frozen=True)
class FinalTable:
    """``table``: one row per unit (:data:`COLUMNS`, + previous-year columns when given);
    ``fields``: ``level, unit, code, appraisal, survey, index`` per field, when the
    appraisal came per field; ``warnings``: sentences for the terminal and the page."""

    table: pd.DataFrame
    fields: pd.DataFrame
    warnings: list[str]


def commune_classes(out: pd.DataFrame, band_no: pd.Series, cset: CriteriaSet, communes: pd.DataFrame | None,
                    units: pd.DataFrame | None) -> dict[str, list[str | None]] | None:
    """Each ruled district's communes' class codes (None: no result), or None when nothing is known.

    Imported results (``communes``: ``district, commune, class``) win where they give a class; a
    commune of ``units`` (``level, code[, name], parent``) whose level is surveyed takes the class
    of its own index, computed in the same table (``out``, ``band_no``); a commune known to neither
    counts as a missing result.
    """
    ruled = ruled_levels(cset)
    children = set(ruled.values())
    by_district: dict[str, dict[str, str | None]] = {}
    if communes is not None:
        for district, commune, band_code in zip(communes["district"], communes["commune"], communes["class"]):
            by_district.setdefault(district, {})[commune] = band_code if isinstance(band_code, str) else None
    computed = {unit: cset.classes[b].code if b >= 0 else UNRANKED
                for unit, level, b in zip(out["unit"], out["level"], band_no)
                if level in children and (b >= 0 or b == UNRANKED_BAND)}
    if units is not None:
        for u in units[units["level"].isin(list(children))].itertuples():
            known = by_district.setdefault(u.parent, {})
            names = [u.code] + ([u.name] if "name" in units.columns and isinstance(u.name, str) else [])
            key = next((n for n in names if n in known), u.code)
            if known.get(key) is None:
                known[key] = computed.get(u.code)
    if communes is None and not computed:
        return None
    return {district: list(classes.values()) for district, classes in by_district.items()}


def _incomplete_reason(reason) -> str:
    """What an incomplete survey total lacks, from its reason text: answers of some group, and/or the SIPAS
    index a ``from_sipas`` sub-criterion takes its points from (``aggregation.sipas_points``).

    Examples
    --------
    >>> _incomplete_reason("không có Chỉ số SIPAS: 4.1.3")
    'không có Chỉ số SIPAS của đơn vị cho TCTP 4.1.3'
    >>> _incomplete_reason("H01: thiếu nguoi_dan")
    'điểm điều tra XHH chưa đủ ý kiến mọi đối tượng'
    """
    parts = [p for p in str(reason if isinstance(reason, str) else "").split("; ") if p]
    sipas = [p.split(":", 1)[1].strip() for p in parts if p.startswith("không có Chỉ số SIPAS:")]
    said = ["điểm điều tra XHH chưa đủ ý kiến mọi đối tượng"] if len(sipas) < len(parts) or not parts else []
    if sipas:
        said.append(f"không có Chỉ số SIPAS của đơn vị cho TCTP {', '.join(sipas)}")
    return "; ".join(said)


def final_table(survey: pd.DataFrame, appraisal: pd.DataFrame, cset: CriteriaSet,
                communes: pd.DataFrame | None = None, previous: pd.DataFrame | None = None,
                units: pd.DataFrame | None = None) -> FinalTable:
    """Index, rank and class of every unit.

    Parameters
    ----------
    survey : DataFrame
        ``level, unit, <field codes>, total[, complete]`` (``points.csv``, or
        :meth:`aggregation.SurveyPoints.table`).
    appraisal : DataFrame
        ``level, unit, <field codes>, total`` (:func:`scoring.readers.parse_appraisal`).
    cset : CriteriaSet
        Class bands and the district rule.
    communes : DataFrame, optional
        ``district, commune, class`` (:func:`scoring.readers.parse_communes`): imported commune
        results. They win where they give a class.
    units : DataFrame, optional
        ``level, code[, name], parent``: the units and their parents. With it, communes scored in
        this same table (their survey and appraisal points given) feed their district's rule in
        one pass. Without either, no district is classified. A level the set ranks within its
        parent (``rank_within: parent``) needs it: a unit whose parent is not known gets no rank.
    previous : DataFrame, optional
        ``level, unit, previous_index, previous_rank, previous_class``.

    When a level of the set is ranked within its parent, the table also has ``parent`` (the
    parent's code on that level's rows, "" on the others) and ``rank_of`` (how many units are
    ranked with the row's: M of "xếp thứ N/M"), after ``class_reason``; rows are grouped by parent.

    Examples
    --------
    >>> from questionnaires import load_default_set
    >>> s = pd.DataFrame({"level": "so", "unit": ["a", "b", "c"], "total": [12.0, 11.0, 10.0]})
    >>> a = pd.DataFrame({"level": "so", "unit": ["a", "b", "c"], "total": [68.0, 69.0, 59.9995]})
    >>> t = final_table(s, a, load_default_set()).table
    >>> t[["unit", "index", "rank", "class"]].values.tolist()
    [['a', 80.0, 1, 'Tốt'], ['b', 80.0, 1, 'Tốt'], ['c', 69.9995, 3, 'Khá']]
    """
    fields = [f.code for f in cset.fields]
    warnings: list[str] = []
    s = survey.copy()
    s["complete"] = s["complete"].astype(bool) if "complete" in s else True
    merged = s.merge(appraisal, on=["level", "unit"], how="outer", suffixes=("_survey", "_appraisal"), indicator=True)
    for row in merged[merged["_merge"] == "left_only"].itertuples():
        warnings.append(f"đơn vị '{row.unit}' chưa có điểm thẩm định: không tính chỉ số")
    surveyed = {lv.code for lv in cset.levels if lv.surveyed}
    for row in merged[(merged["_merge"] == "right_only") & merged["level"].isin(surveyed)].itertuples():
        warnings.append(
            f"đơn vị '{row.unit}' có điểm thẩm định nhưng không có điểm điều tra XHH: "
            + ("chưa đủ phiếu (0 phiếu), không xếp hạng, không xếp loại" if "ballots" in survey
               else "điểm điều tra tính bằng 0")
        )
    merged["complete"] = merged["complete"].astype("boolean").fillna(False).astype(bool)
    ballots, under = guarded_ballots(merged, cset)
    out = pd.DataFrame({"level": merged["level"], "unit": merged["unit"], "appraisal": merged["total_appraisal"],
                        "survey": merged["total_survey"].fillna(0.0).where(~under)})
    out["index"] = out["appraisal"] + out["survey"]
    parents = rank_parents(out, cset, units)
    out[["rank", "rank_of"]] = level_ranks(out, parents)
    out["parent"] = parents
    warnings += _unknown_parents(out, cset)
    bands = list(cset.classes)
    band_no = out["index"].map(lambda v: bands.index(cset.class_for(v)) if pd.notna(v) else -1)
    band_no = band_no.where(~under, UNRANKED_BAND)
    out["class"] = [bands[b].name if b >= 0 else NOT_CLASSIFIED for b in band_no]
    out["class_reason"] = ["" if b >= 0 else "chưa có điểm thẩm định" for b in band_no]
    mark_coverage(out, merged, ballots, under, cset)
    ruled = ruled_levels(cset)
    if ruled:
        by_district = commune_classes(out, band_no, cset, communes, units) or {}
        for i in out.index[out["level"].isin(list(ruled)) & (band_no >= 0)]:
            decision = district_class(band_no[i], by_district.get(out.at[i, "unit"], []), cset)
            band = next((b for b in bands if b.code == decision.band_code), None)
            out.at[i, "class"] = band.name if band else NOT_CLASSIFIED
            out.at[i, "class_reason"] = decision.reason
        if not by_district and out["level"].isin(list(ruled)).any():
            warnings.append("không có kết quả xếp loại của cấp xã (nhập kết quả các xã, hoặc điểm của các xã): "
                            "các huyện không được xếp loại")
    incomplete = ~merged["complete"] & ~under
    why = [_incomplete_reason(r) for r in (merged["reason"] if "reason" in merged else [""] * len(merged))]
    out.loc[incomplete & out["appraisal"].notna(), "class_reason"] = (
        out["class_reason"] + np.where(out["class_reason"] == "", "", "; ") + pd.Series(why, index=out.index))
    if previous is not None:
        out = out.merge(previous, on=["level", "unit"], how="left")
        out["index_change"] = out["index"] - out["previous_index"]
        out["rank_change"] = (out["previous_rank"].astype("Int64") - out["rank"]).astype("Int64")
        order = {b.name.lower(): i for i, b in enumerate(bands)} | {b.code: i for i, b in enumerate(bands)}
        out["class_change"] = [
            _class_change(order, now, before) for now, before in zip(out["class"], out["previous_class"])
        ]
        out["previous_rank"] = out["previous_rank"].astype("Int64")
        if "previous_note" in out:  # a unit made by a merger or a split: new, nothing to compare with
            out["previous_note"] = out["previous_note"].fillna("")
            out.loc[out["previous_note"] != "", "class_change"] = NEW_UNIT
    level_order = {lv.code: i for i, lv in enumerate(cset.levels)}
    out["parent"] = out["parent"].fillna("")
    out = out.sort_values(["level", "parent", "rank", "unit"],
                          key=lambda c: c.map(level_order) if c.name == "level" else c,
                          na_position="last").reset_index(drop=True)
    field_rows = _field_index(merged, fields, under)
    within = WITHIN_COLUMNS if ranked_within_parent(cset) else []
    return FinalTable(out[COLUMNS + within + ([c for c in PREVIOUS if c in out] if previous is not None else [])],
                      field_rows, warnings)


def _unknown_parents(out: pd.DataFrame, cset: CriteriaSet) -> list[str]:
    """A sentence per level ranked within its parent whose units' parents are not known (they get no rank)."""
    said = []
    for code in ranked_within_parent(cset):
        lost = out.loc[(out["level"] == code) & out["parent"].isna() & out["index"].notna(), "unit"].tolist()
        if lost:
            lv = cset.level_by_code[code]
            parent = cset.level_by_code[lv.parent].name.lower().removeprefix("cấp ")
            said.append(f"{lv.name.lower()} xếp hạng trong từng {parent} nhưng không biết {parent} của "
                        f"{len(lost)} đơn vị ({', '.join(map(str, lost[:5]))}{'…' if len(lost) > 5 else ''}): "
                        "các đơn vị này không được xếp hạng (cần danh sách đơn vị có cột parent)")
    return said


# Class names the PAR INDEX has used over the years, best first: a band a province no longer uses
# (Xuất sắc) is known as a class, but not compared with this year's.
CLASS_WORDS = ("xuất sắc", "tốt", "khá", "trung bình", "yếu", "kém")
# Last year's class is one this year's set no longer has (2022's Xuất sắc, 2023's bands top out at Tốt):
# its units cannot be said to have gone up or down.
NOT_COMPARED = "không so sánh (thay đổi thang xếp loại)"


def _class_change(order: dict[str, int], now: str, before) -> str:
    """``Tăng``, ``Giảm``, ``Giữ nguyên`` (the published report's words) by this year's band order;
    :data:`NOT_COMPARED` when last year's class is a band this year's set no longer has (one of
    :data:`CLASS_WORDS`); "" when a class is unknown or this year's unit is not classed.

    Examples
    --------
    >>> order = {"tốt": 0, "khá": 1}
    >>> _class_change(order, "Tốt", "Khá"), _class_change(order, "Khá", "Tốt"), _class_change(order, "Tốt", "?")
    ('Tăng', 'Giảm', '')
    >>> _class_change(order, "Tốt", "Xuất sắc"), _class_change(order, "Khá", "Xuất sắc")
    ('không so sánh (thay đổi thang xếp loại)', 'không so sánh (thay đổi thang xếp loại)')
    >>> _class_change(order, "Không xếp loại", "Xuất sắc")
    ''
    """
    if not isinstance(before, str):
        return ""
    now_key, before_key = unicodedata.normalize("NFC", now.strip().lower()), \
        unicodedata.normalize("NFC", before.strip().lower())
    if now_key not in order:
        return ""
    if before_key not in order:
        return NOT_COMPARED if before_key in CLASS_WORDS else ""
    a, b = order[now_key], order[before_key]
    return "Giữ nguyên" if a == b else ("Tăng" if a < b else "Giảm")


def _field_index(merged: pd.DataFrame, fields: list[str], under: pd.Series) -> pd.DataFrame:
    """Index per field; empty (NaN) for a unit under the set's min_ballots."""
    rows = []
    for code in fields:
        a, s = f"{code}_appraisal", f"{code}_survey"
        if a not in merged or s not in merged or merged[a].isna().all():
            continue
        survey = merged[s].fillna(0.0).where(~under)
        rows.append(pd.DataFrame({"level": merged["level"], "unit": merged["unit"], "code": code,
                                  "appraisal": merged[a], "survey": survey, "index": merged[a] + survey}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["level", "unit", "code", "appraisal", "survey", "index"])
