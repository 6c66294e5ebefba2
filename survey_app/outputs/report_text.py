"""The sentences of the published report, written as the Department of Home Affairs writes them.

"Đối với cấp sở: Tổng điểm điều tra XHH trung bình đạt 12,472/13,5 điểm (đạt 92,38% điểm tối
đa). Trong đó, Sở Tư pháp đạt điểm cao nhất (12,907 điểm), Văn phòng UBND tỉnh đạt điểm thấp
nhất (11,054 điểm)."

Pure functions over :class:`~survey_app.services.scores.CampaignScores`: the report pages and
the Word document (:mod:`.report_docx`) print the same sentences. Every figure is written with a
decimal comma; points with 3 decimals (as the tables and the CSV export), maxima as the criteria
set gives them (13,5), shares with at most 2 decimals (92,38%; 78%).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from questionnaires.model import round_points
from scoring.coverage import NOT_ENOUGH
from scoring.final import NOT_CLASSIFIED, ruled_levels

from ..services.scores import CampaignScores

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
# Spelled out once, where the report defines them; abbreviated everywhere else, as the seed does.
ABBREVIATIONS = (("cải cách hành chính", "CCHC"), ("thủ tục hành chính", "TTHC"),
                 ("quy phạm pháp luật", "QPPL"), ("xã hội học", "XHH"))


def points_vi(value: float) -> str:
    """Points as published: 3 decimals, half up, decimal comma.

    >>> points_vi(12.4716), points_vi(11)
    ('12,472', '11,000')
    """
    return f"{round_points(value):.3f}".replace(".", ",")


def maximum_vi(value: float) -> str:
    """A maximum as the criteria set writes it: ``13,5``, ``14``, ``2,00`` is ``2``.

    >>> maximum_vi(13.5), maximum_vi(14.0), maximum_vi(2.25)
    ('13,5', '14', '2,25')
    """
    return f"{value:g}".replace(".", ",")


def share_vi(percent: float) -> str:
    """A percentage with at most 2 decimals, trailing zeros dropped: ``92,38%``, ``78%``.

    >>> share_vi(92.3838), share_vi(78.0), share_vi(75.8)
    ('92,38%', '78%', '75,8%')
    """
    text = f"{round_points(percent, 2):.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + "%"


def last_year_vi(year: int | None) -> str:
    """Last year as the report names it: ``năm 2022`` for a 2023 campaign, ``năm trước`` when unknown.

    >>> last_year_vi(2023), last_year_vi(None)
    ('năm 2022', 'năm trước')
    """
    return "năm trước" if year is None else f"năm {year - 1}"


def count_vi(n: int) -> str:
    """Counts under ten with a leading zero, as official reports write them: ``06``, ``12``.

    >>> count_vi(6), count_vi(12), count_vi(0)
    ('06', '12', '0')
    """
    return f"{n:02d}" if 0 < n < 10 else str(n)


def join_vi(items: list[str]) -> str:
    """``A, B và C``.

    >>> join_vi(["A"]), join_vi(["A", "B"]), join_vi(["A", "B", "C"])
    ('A', 'A và B', 'A, B và C')
    """
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} và {items[-1]}"


def abbreviate(text: str) -> str:
    """The report's abbreviations for terms spelled out in question texts.

    >>> abbreviate("Tính khả thi của văn bản quy phạm pháp luật về thủ tục hành chính")
    'Tính khả thi của văn bản QPPL về TTHC'
    """
    for long, short in ABBREVIATIONS:
        text = re.sub(long, short, text, flags=re.IGNORECASE)
    return text


def roman(n: int) -> str:
    """1 -> ``I``; the report's section numbers."""
    return ROMAN[n - 1] if 0 < n <= len(ROMAN) else str(n)


def section_title(number: int, units_word: str) -> str:
    """``I. Các sở, ban, ngành``: the group of rows of one level in a table."""
    return f"{roman(number)}. Các {units_word}"


def _name_in_sentence(text: str) -> str:
    """``Huyện Ba Bể`` -> ``huyện Ba Bể`` (``Thị xã`` too), as the seed writes names inside a sentence;
    other names (``Sở Tư pháp``, ``Thành phố Bắc Kạn``, ``TP``) keep their capital."""
    word = text.split(" ", 1)[0]
    return text[:1].lower() + text[1:] if word.lower() in ("huyện", "thị") else text


def thousands_vi(n: int) -> str:
    """``1.234``: thousands with a dot, as Vietnamese documents write them."""
    return f"{n:,}".replace(",", ".")


@dataclass(frozen=True)
class Extremes:
    """The units at the top (or bottom) of a column, ties included, and their points."""

    points: float
    units: list[str]

    def phrase(self, word: str) -> str:
        """``Sở Tư pháp đạt điểm cao nhất (12,907 điểm)`` or ``có 04 đơn vị đạt điểm cao nhất là 11,000 điểm
        (A, B, C và D)``."""
        if len(self.units) == 1:
            return f"{self.units[0]} đạt điểm {word} ({points_vi(self.points)} điểm)"
        return (f"có {count_vi(len(self.units))} đơn vị đạt điểm {word} là {points_vi(self.points)} điểm "
                f"({join_vi(self.units)})")


def extremes(values: pd.Series, names: dict[str, str], highest: bool) -> Extremes:
    """The best (or worst) value of ``values`` (indexed by unit code), compared at 3 decimals."""
    shown = values.dropna().map(round_points)
    best = shown.max() if highest else shown.min()
    units = sorted((u for u, v in shown.items() if v == best), key=lambda u: names.get(u, u))
    return Extremes(float(best), [_name_in_sentence(names.get(u, u)) for u in units])


def _level_name(name: str) -> str:
    return name[:1].lower() + name[1:]


def survey_sentences(sc: CampaignScores) -> list[tuple[str, str]]:
    """Per surveyed level with units: the average survey total against the maximum, the highest and lowest."""
    out = []
    t = sc.survey_table
    for lv in sc.cset.levels:
        part = t[t["level"] == lv.code].set_index("unit")["total"]
        if not lv.surveyed or part.empty:
            continue
        mean = float(part.mean())
        top, bottom = extremes(part, sc.names, True), extremes(part, sc.names, False)
        out.append((lv.code, f"Đối với {_level_name(lv.name)}: Tổng điểm điều tra XHH trung bình đạt "
                             f"{points_vi(mean)}/{maximum_vi(lv.survey_max)} điểm (đạt "
                             f"{share_vi(100.0 * mean / lv.survey_max)} điểm tối đa). Trong đó, "
                             f"{top.phrase('cao nhất')}, {_name_in_sentence(bottom.phrase('thấp nhất'))}."))
    return out


def _field_points(sc: CampaignScores) -> tuple[pd.DataFrame, bool]:
    """``level, unit, code, points`` per field: of the index when the appraisal came per field, else of
    the survey; and whether it is the index."""
    if sc.final is not None and not sc.final.fields.empty:
        return sc.final.fields.rename(columns={"index": "points"})[["level", "unit", "code", "points"]], True
    f = sc.points.fields
    return f[["level", "unit", "code", "points"]], False


def field_sentences(sc: CampaignScores) -> list[tuple[str, list[str]]]:
    """Per level with results, per field: its average (against the maximum when known), best and worst units.

    The index per field once the appraisal came per field (its maximum is not in the criteria set,
    so none is written); before that, the survey points per field against their maximum.
    """
    frame, of_index = _field_points(sc)
    out = []
    for lv in sc.cset.levels:
        mine = frame[frame["level"] == lv.code]
        if mine.empty:
            continue
        lines = []
        for field in sc.cset.fields:
            values = mine[mine["code"] == field.code].set_index("unit")["points"].dropna()
            if values.empty:
                continue
            mean = float(values.mean())
            top, bottom = extremes(values, sc.names, True), extremes(values, sc.names, False)
            maximum = None if of_index else lv.field_max.get(field.code)
            against = f"{points_vi(mean)}/{maximum_vi(maximum)} điểm (đạt {share_vi(100.0 * mean / maximum)} " \
                "điểm tối đa)" if maximum else f"{points_vi(mean)} điểm"
            lines.append(f"Lĩnh vực {abbreviate(field.name)}: Điểm trung bình đạt {against}. Trong đó, "
                         f"{top.phrase('cao nhất')}; {_name_in_sentence(bottom.phrase('thấp nhất'))}.")
        out.append((lv.code, lines))
    return out


# The table's term for a unit the rules leave without a class (scoring.final), written inside a sentence.
UNCLASSED = NOT_CLASSIFIED[:1].lower() + NOT_CLASSIFIED[1:]
# What final_table appends to a class reason when some group's opinions are missing: not the district rule's.
INCOMPLETE_NOTE = "điểm điều tra XHH chưa đủ ý kiến mọi đối tượng"


def _share_of(k: int, n: int) -> str:
    return f"chiếm tỷ lệ {share_vi(100.0 * k / n)}"


def _in_range(index: pd.Series, low: float, high: float | None) -> pd.Series:
    """Indexes (at 3 decimals, as classed) from ``low`` to under ``high``."""
    shown = index.dropna().map(round_points)
    return (shown >= low) & (shown < high) if high is not None else shown >= low


def _split(index: pd.Series, n: int, low: float, high: float | None, cuts: tuple[float, ...]) -> str:
    """The band ``low``–``high`` split at the set's ``report_bands`` inside it, as the 2023 report splits Tốt:
    "số đơn vị đạt từ 90 điểm trở lên là 12/19 đơn vị, …; số đơn vị đạt từ 80 đến dưới 90 điểm là 07/19 đơn
    vị, …"; "" when no cut falls inside the band or no unit reaches the first cut."""
    inside = [c for c in sorted(cuts, reverse=True) if c > low and (high is None or c < high)]
    if not inside or not _in_range(index, inside[0], high).any():
        return ""
    edges = [high] + inside + [low]
    parts = []
    for top, bottom in zip(edges, edges[1:]):
        k = int(_in_range(index, bottom, top).sum())
        if k:
            parts.append(f"số đơn vị đạt {band_span(bottom, top)} là {count_vi(k)}/{count_vi(n)} đơn vị, "
                         f"{_share_of(k, n)}")
    return f" (cụ thể: {'; '.join(parts)})"


def _rule_reason(reason: str) -> str:
    """A class reason without the note on missing opinions, which is not the district rule's."""
    return reason.replace(f"; {INCOMPLETE_NOTE}", "").replace(INCOMPLETE_NOTE, "").strip("; ")


def _rule_cause(reason: str) -> str:
    """Why the rule lowered a class, without the "hạ từ … xuống …" the sentence says itself.

    >>> _rule_cause("chỉ 2/4 xã đạt loại Tốt trở lên (< 2/3): hạ từ Tốt xuống Khá; " + INCOMPLETE_NOTE)
    'chỉ 2/4 xã đạt loại Tốt trở lên (< 2/3)'
    """
    return _rule_reason(reason).split(": hạ từ ")[0]


def band_sentences(sc: CampaignScores, year: int | None) -> list[tuple[str, str]]:
    """Per ranked level: the average index (beside last year's), the units per score band, and per final class.

    As the 2023 report: "Trong đó, có 05/08 đơn vị đạt từ 80 điểm trở lên, chiếm tỷ lệ 62,5%; …", counted
    by score (at 3 decimals), a band split at the set's ``report_bands`` when a unit reaches the cut. When
    every unit's class is its score's band, that sentence names the class too; otherwise a second sentence
    counts units by their final class, each unit the district rule moved said in its class's clause ("trong
    đó huyện Chợ Mới đạt 83,396 điểm nhưng xếp loại Khá do chỉ 2/4 xã …"), then the units not classed
    ("không xếp loại", the table's term) and those with too few ballots.
    """
    if sc.final is None:
        return []
    t = sc.final.table
    bands = sorted(sc.cset.classes, key=lambda b: -b.min_points)
    out = []
    for lv in sc.cset.levels:
        part = t[t["level"] == lv.code]
        if part.empty or part["index"].isna().all():
            continue
        n = len(part)
        mean = float(part["index"].mean())
        text = f"Tổng điểm trung bình của các đơn vị đạt {points_vi(mean)}/" \
               f"{maximum_vi(lv.appraisal_max + lv.survey_max)} điểm"
        if "previous_index" in part and part["previous_index"].notna().any():
            before = float(part["previous_index"].mean())
            said = last_year_vi(year)
            way = "cao hơn" if round_points(mean) > round_points(before) else (
                "thấp hơn" if round_points(mean) < round_points(before) else "bằng")
            text += f", {way} so với {said} ({said} đạt {points_vi(before)} điểm)"
        scored = part["index"].notna()
        by_score = [sc.cset.class_for(v).name if pd.notna(v) else None for v in part["index"]]
        same = bool(scored.all()) and list(part["class"]) == by_score
        clauses = []
        for i, band in enumerate(bands):
            high = bands[i - 1].min_points if i else None
            k = int(_in_range(part["index"], band.min_points, high).sum())
            if not k:
                continue
            named = f", xếp loại {band.name}" if same else ""
            clauses.append(f"{count_vi(k)}/{count_vi(n)} đơn vị đạt {band_span(band.min_points, high)}{named}, "
                           f"{_share_of(k, n)}{_split(part['index'], n, band.min_points, high, sc.cset.report_bands)}")
        sentences = [f"{text}."] + ([f"Trong đó, có {'; '.join(clauses)}."] if clauses else [])
        if not same:
            sentences.append(f"Theo xếp loại, có {'; '.join(_class_clauses(sc, part, bands, by_score))}.")
        out.append((lv.code, " ".join(sentences)))
    return out


def _class_clauses(sc: CampaignScores, part: pd.DataFrame, bands, by_score: list[str | None]) -> list[str]:
    """Units per final class, those the district rule moved named in their class's clause; then the units
    not classed and those with too few ballots, named."""
    n = len(part)
    rows = part.to_dict("records")

    def named(units: list[dict]) -> str:
        return join_vi([_name_in_sentence(sc.names.get(r["unit"], r["unit"])) for r in units])

    clauses = []
    for band in bands:
        mine = [r for r in rows if r["class"] == band.name]
        if not mine:
            continue
        clause = f"{count_vi(len(mine))}/{count_vi(n)} đơn vị xếp loại {band.name}, {_share_of(len(mine), n)}"
        moved = [r for r, score in zip(rows, by_score) if r["class"] == band.name and score not in (None, band.name)]
        if moved:
            clause += ", trong đó " + join_vi([
                f"{named([r])} đạt {points_vi(r['index'])} điểm nhưng xếp loại {band.name} do "
                f"{_rule_cause(r['class_reason'] or '')}" for r in moved])
        clauses.append(clause)
    classed = {b.name for b in bands}
    short = [r for r in rows if str(r["class"]).startswith(NOT_ENOUGH)]
    other = [r for r in rows if r["class"] not in classed and not str(r["class"]).startswith(NOT_ENOUGH)]
    if other:
        clauses.append(f"{count_vi(len(other))}/{count_vi(n)} đơn vị {UNCLASSED} ({named(other)}), "
                       f"{_share_of(len(other), n)}")
    if short:
        clauses.append(f"{count_vi(len(short))}/{count_vi(n)} đơn vị chưa đủ phiếu nên không xếp hạng, {UNCLASSED} "
                       f"({named(short)}), {_share_of(len(short), n)}")
    return clauses


def band_span(low: float, high: float | None) -> str:
    """``từ 90 điểm trở lên``, ``từ 80 đến dưới 90 điểm``, ``dưới 50 điểm``.

    >>> band_span(90, None), band_span(80, 90), band_span(0, 50)
    ('từ 90 điểm trở lên', 'từ 80 đến dưới 90 điểm', 'dưới 50 điểm')
    """
    if high is None:
        return f"từ {maximum_vi(low)} điểm trở lên"
    if low <= 0:
        return f"dưới {maximum_vi(high)} điểm"
    return f"từ {maximum_vi(low)} đến dưới {maximum_vi(high)} điểm"


def class_reasons(sc: CampaignScores) -> list[str]:
    """The district rule's notes, a sentence per unit of a level the rule applies to whose class it decided
    (kept, lowered or left open); a unit without an index (no appraisal, too few ballots) has none, and the
    note on missing opinions is not the rule's."""
    if sc.final is None:
        return []
    t = sc.final.table
    ruled = t["level"].isin(list(ruled_levels(sc.cset))) & t["index"].notna()
    ruled &= ~t["class"].astype(str).str.startswith(NOT_ENOUGH)
    rows = t[ruled & (t["class_reason"].fillna("").map(_rule_reason).str.len() > 0)]
    return [f"{sc.names.get(r.unit, r.unit)}: {_rule_reason(r.class_reason)}." for r in rows.itertuples(index=False)]


def level_heading(sc: CampaignScores, level: str, number: int) -> str:
    """``1. Đối với các sở, ban, ngành``."""
    return f"{number}. Đối với các {sc.cset.level_by_code[level].units_word}"


def survey_blocks(sc: CampaignScores) -> list[tuple[str, list[str]]]:
    """The survey section's narrative: one paragraph per surveyed level."""
    sentences = [s for _, s in survey_sentences(sc)]
    return [("", sentences)] if sentences else []


def field_blocks(sc: CampaignScores) -> list[tuple[str, list[str]]]:
    """Results per field, a heading per level (section III of the report)."""
    return [(level_heading(sc, level, i), lines) for i, (level, lines) in enumerate(field_sentences(sc), 1)]


def band_blocks(sc: CampaignScores, year: int | None) -> list[tuple[str, list[str]]]:
    """The final index per level: its average beside last year's, and the units per class."""
    return [(level_heading(sc, level, i), [text]) for i, (level, text) in enumerate(band_sentences(sc, year), 1)]


def reason_blocks(sc: CampaignScores) -> list[tuple[str, list[str]]]:
    """The district rule's reasons, under one heading; none when the rule decided nothing."""
    reasons = class_reasons(sc)
    return [("Căn cứ xếp loại theo kết quả của cấp xã", reasons)] if reasons else []


def index_blocks(sc: CampaignScores, year: int | None) -> list[tuple[str, list[str]]]:
    """The final index per level, then the district rule's reasons (section IV on the pages)."""
    return band_blocks(sc, year) + reason_blocks(sc)


# A share of opinions, as the seed bolds it in the "kém" paragraph ("**2,4%** ý kiến đại biểu HĐND tỉnh");
# a percentage of the scale's wording ("dưới 50%") or of a band's share stays plain, as there.
BOLD_SHARE = re.compile(r"\d+(?:,\d+)?%(?= ý kiến)")


def emphasis(text: str) -> list[tuple[str, bool]]:
    """The sentence as runs ``(text, bold)``, each share of opinions bold, as the published report prints
    the poor-answer paragraph; the sentence itself stays a plain string everywhere else.

    Examples
    --------
    >>> emphasis("gồm: 2,4% ý kiến A đánh giá dưới 50% văn bản; 02% ý kiến B)")
    [('gồm: ', False), ('2,4%', True), (' ý kiến A đánh giá dưới 50% văn bản; ', False), ('02%', True), \
(' ý kiến B)', False)]
    >>> emphasis("Không có.")
    [('Không có.', False)]
    """
    runs: list[tuple[str, bool]] = []
    at = 0
    for match in BOLD_SHARE.finditer(text):
        if match.start() > at:
            runs.append((text[at:match.start()], False))
        runs.append((match.group(), True))
        at = match.end()
    if at < len(text) or not runs:
        runs.append((text[at:], False))
    return runs


def data_status(sc: CampaignScores) -> list[tuple[str, str, bool]]:
    """The overview's list of what the results need: ``(label, state, done)`` for the appraisal, the
    communes' classes for the district rule and last year's results.

    Communes' classes are "đã nhập" when imported; when not, but the rule took them from communes
    surveyed and scored in the same campaign, the page says so rather than "chưa nhập"; a set without
    the rule does not need them.
    """
    rule = sc.cset.district_rule.min_share
    children = [sc.cset.level_by_code[c] for c in ruled_levels(sc.cset).values()]
    label = f"Kết quả xếp loại {children[0].name.lower() if children else 'cấp xã'} (quy tắc " \
            f"{rule.numerator}/{rule.denominator})"
    if sc.imported["communes"]:
        communes = ("đã nhập", True)
    elif not children:
        communes = ("không áp dụng (bộ tiêu chí không có quy tắc này)", True)
    elif sc.final is not None and any(lv.surveyed for lv in children) and (
            sc.final.table["level"].isin([lv.code for lv in children]) & sc.final.table["index"].notna()).any():
        communes = ("không cần nhập: quy tắc dùng chỉ số của các xã được điều tra XHH trong đợt này", True)
    else:
        communes = ("chưa nhập", False)
    said = lambda done: ("đã nhập" if done else "chưa nhập", done)  # noqa: E731
    return [("Điểm thẩm định", *said(sc.imported["appraisal"])), (label, *communes),
            ("Kết quả năm trước", *said(sc.imported["previous"]))]
