"""Section I of the report (the method, written from the criteria set) and section III (the index per field).

The published 2023 report opens with the set it applies: its fields, how many sub-criteria of each are
surveyed per level, the split of 100 points between appraisal and survey ("Cấp sở: … 86,5 điểm; … điều tra
XHH 13,5 điểm"), who rates what, the class bands and the district 2/3 rule. :func:`method_blocks` writes
those sentences from the :class:`~questionnaires.model.CriteriaSet` alone, so a province's own set gives
its own section. Its section III gives, per level and field, the average index against the field's
maximum ("Lĩnh vực … đạt bình quân 10,219/13 điểm, đạt 78,61%"): :func:`field_index_blocks`, once the
appraisal came per field and the set gives each field's appraisal maximum; before that, the survey points
per field under a heading that says so.

Both return ``[(heading, sentences)]`` as the other blocks of :mod:`.report_text` do; the Word report and
the printable page lay them out. No Flask here.
"""
from __future__ import annotations

import re

import pandas as pd

from questionnaires.model import CriteriaSet, Level, round_points

from .report_text import (
    ABBREVIATIONS,
    abbreviate,
    band_span,
    count_vi,
    extremes,
    field_sentences,
    maximum_vi,
    points_vi,
    share_vi,
)

# How a group rates the units of a level (questionnaires.model.RATING_MODES), in the report's words.
HOW = {
    "own": "đánh giá đơn vị của mình",
    "each": "đánh giá tất cả các {units}",
    "choose": "tự chọn các {units} đã làm việc cùng để đánh giá",
}
REACHED = {
    "link": "qua phiếu điện tử (đường dẫn khảo sát)",
    "paper": "qua phát phiếu trực tiếp",
    "qr": "qua thẻ mã QR",
    "mixed": "qua phiếu điện tử và phiếu giấy",
}
# Terms the method section spells out once, then abbreviates (the seed's "tiêu chí thành phần (TCTP)").
TERMS = ABBREVIATIONS + (("tiêu chí thành phần", "TCTP"),)


class _Terms:
    """Spell a term out the first time with its abbreviation, ``cải cách thủ tục hành chính (TTHC)``,
    and abbreviate it afterwards, as the seed does in its section I."""

    def __init__(self):
        self.defined: set[str] = set()

    def term(self, long: str, short: str) -> str:
        if short in self.defined:
            return short
        self.defined.add(short)
        return f"{long} ({short})"

    def text(self, text: str) -> str:
        """``text`` with every known term defined on its first use and abbreviated after."""
        for long, short in TERMS:
            pattern = re.compile(re.escape(long), re.IGNORECASE)
            if short not in self.defined:
                match = pattern.search(text)
                if match is None:
                    continue
                self.defined.add(short)
                head, tail = text[:match.end()], text[match.end():]
                text = f"{head} ({short})" + pattern.sub(short, tail)
            else:
                text = pattern.sub(short, text)
        return text


def level_word(lv: Level) -> str:
    """The level as a sentence names it: ``Cấp sở`` -> ``cấp sở``; a name not starting with "Cấp" as written.

    >>> level_word(Level("so", "Cấp sở", 0, 0, {}, ())), level_word(Level("x", "UBND cấp xã", 0, 0, {}, ()))
    ('cấp sở', 'UBND cấp xã')
    """
    first = lv.name.split(" ", 1)[0]
    return lv.name[:1].lower() + lv.name[1:] if first == "Cấp" else lv.name


def _scored(cset: CriteriaSet) -> list[Level]:
    """Levels whose units get points in this set (appraisal or survey)."""
    return [lv for lv in cset.levels if lv.appraisal_max + lv.survey_max > 0]


def _set_sentence(cset: CriteriaSet, terms: _Terms) -> str:
    name = cset.name if cset.name.lower().startswith("bộ tiêu chí") else f"bộ tiêu chí “{cset.name}”"
    year = f", áp dụng năm {cset.year}" if cset.year else ""
    fields = "; ".join(terms.text(f.name) for f in cset.fields)
    return (f"Chỉ số CCHC được xác định theo {name}{year}. Bộ tiêu chí gồm {count_vi(len(cset.fields))} lĩnh "
            f"vực: {fields}.")


def _level_fields(cset: CriteriaSet, lv: Level, terms: _Terms, sipas_source: str | None = None) -> list[str]:
    """The surveyed sub-criteria of a level, per field, with the field's maxima (and those taken from SIPAS)."""
    subs = lv.sub_criteria
    xhh = "điều tra " + terms.term("xã hội học", "XHH")
    tctp = terms.term("tiêu chí thành phần", "TCTP")
    surveyed = [f for f in cset.fields if f.code in lv.field_max]
    lines = [f"Nội dung {xhh} gồm {count_vi(len(subs))} {tctp} thuộc {count_vi(len(surveyed))} lĩnh vực, tối đa "
             f"{maximum_vi(lv.survey_max)} điểm, cụ thể:"]
    for i, field in enumerate(surveyed):
        k = sum(s.field == field.code for s in subs)
        text = f"- Lĩnh vực {terms.text(field.name)}: điều tra XHH {count_vi(k)} TCTP, tối đa " \
               f"{maximum_vi(lv.field_max[field.code])} điểm"
        whole = lv.field_index_max(field.code)
        if whole is not None:
            text += f" (điểm thẩm định tối đa {maximum_vi(lv.field_appraisal_max[field.code])} điểm; điểm tối " \
                    f"đa của lĩnh vực {maximum_vi(whole)} điểm)"
        lines.append(text + ("." if i == len(surveyed) - 1 else ";"))
    left = [terms.text(f.name) for f in cset.fields if f.code not in lv.field_max]
    if left:  # names hold commas: listed with semicolons, as the seed lists them
        lines.append(f"Lĩnh vực không có TCTP điều tra XHH ở {level_word(lv)}: {'; '.join(left)}.")
    return lines + _sipas_lines(lv, sipas_source)


def _sipas_lines(lv: Level, source: str | None) -> list[str]:
    """Which sub-criteria of a level take their points from SIPAS, from which campaign, and how (issue 29)."""
    lines = []
    for s in (s for s in lv.sub_criteria if s.from_sipas):
        how = "; ".join(f"từ {maximum_vi(100 * low)}% trở lên: {maximum_vi(100 * share)}% số điểm"
                        for low, share in s.sipas_bands) if s.sipas_bands else "điểm = điểm tối đa × Chỉ số SIPAS"
        where = f"đợt khảo sát “{source}”" if source else "đợt khảo sát SIPAS (chưa chọn)"
        lines.append(f"TCTP {s.code} ({s.name}, tối đa {maximum_vi(s.max_points)} điểm) không điều tra XHH mà lấy "
                     f"điểm từ Chỉ số hài lòng (SIPAS) của chính đơn vị trong {where}: {how}.")
    return lines


def _split_lines(cset: CriteriaSet) -> list[str]:
    """``Thang điểm đánh giá tối đa 100 điểm, trong đó:`` and ``Cấp sở: 86,5 điểm thẩm định, 13,5 điểm điều
    tra XHH;`` per scored level."""
    levels = _scored(cset)
    totals = {lv.appraisal_max + lv.survey_max for lv in levels}
    same = len(totals) == 1
    lines = [f"Thang điểm đánh giá tối đa {maximum_vi(totals.pop())} điểm, trong đó:" if same
             else "Thang điểm đánh giá của từng cấp:"]
    for i, lv in enumerate(levels):
        whole = "" if same else f"tối đa {maximum_vi(lv.appraisal_max + lv.survey_max)} điểm, gồm "
        survey = f"{maximum_vi(lv.survey_max)} điểm điều tra XHH" if lv.survey_max else "không điều tra XHH"
        end = "." if i == len(levels) - 1 else ";"
        lines.append(f"- {lv.name}: {whole}{maximum_vi(lv.appraisal_max)} điểm thẩm định, {survey}{end}")
    lines.append("Chỉ số CCHC của mỗi đơn vị là tổng điểm thẩm định và điểm điều tra XHH, tính đến 3 chữ số "
                 "thập phân.")
    return lines


def _group_lines(cset: CriteriaSet) -> list[str]:
    """Who is surveyed, how they are reached, who rates which level and how, which groups are a census."""
    groups = [g for g in cset.groups if g.rates]
    lines = [f"Đối tượng điều tra XHH gồm: {'; '.join(g.name for g in groups)}."]
    for code, phrase in REACHED.items():  # group names hold commas: listed with semicolons
        names = [g.name for g in groups if g.reached_by == code]
        if names:
            lines.append(f"Điều tra XHH {phrase} đối với: {'; '.join(names)}.")
    for lv in cset.levels:
        raters = [(g, g.rule_for(lv.code)) for g in groups if g.rule_for(lv.code) is not None]
        if raters:
            said = "; ".join(f"{g.name} ({HOW[rule.how].format(units=lv.units_word)})" for g, rule in raters)
            lines.append(f"Đối tượng đánh giá {level_word(lv)}: {said}.")
    census = [g.name for g in groups if g.census]
    if census and len(census) == len(groups):
        lines.append("Mọi đối tượng được khảo sát toàn bộ (không chọn mẫu).")
    elif census:
        lines.append(f"Khảo sát toàn bộ (không chọn mẫu) đối với: {'; '.join(census)}. Các đối tượng khác được "
                     "chọn mẫu theo kế hoạch mẫu.")
    else:
        lines.append("Các đối tượng được chọn mẫu theo kế hoạch mẫu.")
    return lines


def _band_lines(cset: CriteriaSet) -> list[str]:
    """The bands, the levels ranked within their parent, the district rule."""
    bands = sorted(cset.classes, key=lambda b: -b.min_points)
    spans = "; ".join(f"{b.name}: {band_span(b.min_points, bands[i - 1].min_points if i else None)}"
                      for i, b in enumerate(bands))
    lines = ["Chỉ số CCHC của các đơn vị được xếp theo thứ tự từ cao đến thấp và xếp loại theo tổng điểm (tính đến "
             f"3 chữ số thập phân): {spans}."]
    for lv in cset.levels:
        if lv.rank_within == "parent" and lv.parent in cset.level_by_code:
            parent = cset.level_by_code[lv.parent]
            lines.append(f"Các {lv.units_word} được xếp hạng trong từng {parent.units_word} trực thuộc.")
    if cset.district_rule.enabled:
        share = cset.district_rule.min_share
        rule = f"{share.numerator}/{share.denominator}"
        for child in (lv for lv in cset.levels if lv.parent in cset.level_by_code):
            parent = cset.level_by_code[child.parent]
            lines.append(f"Riêng đối với các {parent.units_word} ({level_word(parent)}), ngoài tổng điểm đạt được "
                         f"còn phải có ít nhất {rule} số {child.units_word} trực thuộc được xếp loại cùng mức trở "
                         f"lên; trường hợp dưới {rule} số {child.units_word} trực thuộc được xếp loại cùng mức thì "
                         "được xếp loại xuống mức thấp hơn liền kề. Không xếp loại đơn vị "
                         f"{level_word(parent)} không có đầy đủ kết quả xếp loại của các {child.units_word} trực "
                         "thuộc.")
            source = ("Xếp loại của các đơn vị {child} là kết quả xếp loại được nhập cho từng đơn vị, hoặc xếp "
                      "loại theo Chỉ số CCHC của chính đơn vị đó" if child.appraisal_max + child.survey_max > 0
                      else "Xếp loại của các đơn vị {child} là kết quả xếp loại được nhập cho từng đơn vị")
            text = source.format(child=level_word(child))
            if child.surveyed:
                text += (f"; đơn vị {level_word(child)} có dưới {count_vi(cset.min_ballots)} phiếu điều tra XHH "
                         "không được xếp loại và được tính là chưa đạt mức xếp loại")
            lines.append(text + ".")
    return lines


def _rule_lines(cset: CriteriaSet) -> list[str]:
    """The coverage guard (min_ballots) and the small-cell rule (min_cell), one sentence each."""
    return [
        f"Đơn vị có dưới {count_vi(cset.min_ballots)} phiếu điều tra XHH được tính (không kể phiếu bị loại) không "
        "có điểm điều tra XHH, không được xếp hạng, xếp loại (ghi “chưa đủ phiếu”).",
        f"Không công bố số liệu tính từ ý kiến của dưới {count_vi(cset.min_cell)} người thuộc cùng một đối tượng "
        "(tại một đơn vị hoặc trên toàn cấp), để không lộ ý kiến của từng người.",
    ]


def method_blocks(cset: CriteriaSet, sipas_source: str | None = None) -> list[tuple[str, list[str]]]:
    """Section I of the report: the criteria set and how it scores, every figure read from ``cset``.

    Parameters
    ----------
    cset : CriteriaSet
        The campaign's frozen set.
    sipas_source : str, optional
        The name of the SIPAS campaign whose index gives the points of the set's ``from_sipas`` sub-criteria.

    Returns
    -------
    list of (str, list of str)
        ``(heading, sentences)``: the set and its fields; per scored level with a survey, the surveyed
        sub-criteria per field (with the field's appraisal maximum when the set gives it); the split of
        the points between appraisal and survey; the groups and what they rate; the class bands and the
        district rule; the coverage and small-cell rules. Sentences ending ``:`` or ``;`` open or continue
        a list, as in the published report.

    Examples
    --------
    >>> from questionnaires import load_default_set
    >>> blocks = dict(method_blocks(load_default_set()))
    >>> blocks["2. Thang điểm"][1]
    '- Cấp sở: 86,5 điểm thẩm định, 13,5 điểm điều tra XHH;'
    """
    terms = _Terms()
    heading = f"1. Bộ tiêu chí, phương pháp xác định {terms.term('Chỉ số cải cách hành chính', 'CCHC')}"
    blocks: list[tuple[str, list[str]]] = [(heading, [_set_sentence(cset, terms)])]
    surveyed = [lv for lv in _scored(cset) if lv.surveyed]
    for i, lv in enumerate(surveyed, 1):
        heading = f"1.{i}. Đối với các {lv.units_word} ({level_word(lv)})"
        blocks.append((heading, _level_fields(cset, lv, terms, sipas_source)))
    blocks.append(("2. Thang điểm", _split_lines(cset)))
    blocks.append(("3. Đối tượng điều tra XHH", _group_lines(cset)))
    blocks.append(("4. Xếp hạng, xếp loại", _band_lines(cset)))
    blocks.append(("5. Độ phủ phiếu và công bố số liệu", _rule_lines(cset)))
    return blocks


def sipas_source(sc) -> str | None:
    """The name of the SIPAS campaign a campaign's scores take points from (:func:`method_blocks`), if any."""
    sipas = getattr(sc, "sipas", None)
    return sipas.source if sipas is not None else None


# --- section III: the index per field -------------------------------------------------------------------


class _SurveyOnly:
    """A view of a campaign's scores without the final table: :func:`.report_text.field_sentences` then
    gives the survey points per field against their maxima."""

    final = None

    def __init__(self, sc):
        self._sc = sc

    def __getattr__(self, name):
        return getattr(self._sc, name)


def _ranked(sc, lv: Level) -> list[str]:
    t = sc.final.table
    return t.loc[(t["level"] == lv.code) & t["rank"].notna(), "unit"].tolist()


def _field_values(sc, lv: Level) -> dict[str, pd.Series] | None:
    """Each field's index over the level's ranked units, or None when the index per field cannot be given:
    no appraisal yet, no appraisal maxima per field in the set, or a ranked unit without appraisal per field."""
    if sc.final is None or not lv.field_appraisal_max or sc.final.fields.empty:
        return None
    ranked = _ranked(sc, lv)
    if not ranked:
        return None
    f = sc.final.fields
    mine = f[(f["level"] == lv.code) & f["unit"].isin(ranked)]
    out = {}
    for code in (fd.code for fd in sc.cset.fields if fd.code in lv.field_appraisal_max):
        values = mine[mine["code"] == code].set_index("unit")["index"].dropna()
        if len(values) != len(ranked):
            return None
        out[code] = values
    return out


def _index_sentence(sc, lv: Level, code: str, values: pd.Series) -> str:
    """``Lĩnh vực …: đạt bình quân 10,219/13 điểm, đạt 78,61%. Trong đó, …``; the share is of the mean as
    printed (3 decimals), so a reader gets it back from the figures on the page."""
    mean = round_points(float(values.mean()))
    most = lv.field_index_max(code)
    name = sc.cset.field_by_code[code].name
    text = f"Lĩnh vực {abbreviate(name)} đạt bình quân {points_vi(mean)}/{maximum_vi(most)} điểm, đạt " \
           f"{share_vi(100.0 * mean / most)}."
    if len(values) < 2:
        return text
    top, bottom = extremes(values, sc.names, True), extremes(values, sc.names, False)
    if top.points == bottom.points:
        return text + f" Trong đó, {count_vi(len(values))}/{count_vi(len(values))} đơn vị đều đạt " \
                      f"{points_vi(top.points)} điểm."
    return text + f" Trong đó, {top.phrase('cao nhất')}; {bottom.phrase('thấp nhất')}."


def field_index_blocks(sc) -> list[tuple[str, list[str]]]:
    """Section III: per level, the index per field (appraisal + survey points of the field) against the
    field's maximum (appraisal + survey maxima), averaged over the ranked units, with the highest and lowest.

    Parameters
    ----------
    sc : CampaignScores
        Reads ``cset``, ``names``, ``final`` (``table``: level, unit, rank; ``fields``: level, unit, code,
        index) and, for the survey points, what :func:`.report_text.field_sentences` reads.

    Returns
    -------
    list of (str, list of str)
        A block per level with figures. Where the index per field cannot be given (no appraisal per field
        imported, or the set gives no appraisal maximum per field for the level), the level's survey
        points per field against their maxima, under a heading that says they are survey points.
    """
    survey = dict(field_sentences(_SurveyOnly(sc))) if getattr(sc, "points", None) is not None else {}
    out: list[tuple[str, list[str]]] = []
    for lv in sc.cset.levels:
        values = _field_values(sc, lv)
        number = len(out) + 1
        if values is not None:
            n = len(next(iter(values.values())))
            lines = [f"Chỉ số theo lĩnh vực là điểm thẩm định cộng điểm điều tra XHH của lĩnh vực, so với điểm tối "
                     f"đa của lĩnh vực (điểm thẩm định và điểm điều tra XHH tối đa); bình quân tính trên "
                     f"{count_vi(n)} đơn vị được xếp hạng."]
            lines += [_index_sentence(sc, lv, code, v) for code, v in values.items()]
            out.append((f"{number}. Đối với các {lv.units_word}: Chỉ số CCHC theo lĩnh vực (điểm thẩm định và "
                        "điểm điều tra XHH)", lines))
        elif survey.get(lv.code):
            why = ("chưa có điểm thẩm định theo lĩnh vực" if lv.field_appraisal_max
                   else "bộ tiêu chí không ghi điểm thẩm định tối đa theo lĩnh vực")
            out.append((f"{number}. Đối với các {lv.units_word}: điểm điều tra XHH theo lĩnh vực",
                        [f"Số liệu dưới đây là điểm điều tra XHH theo lĩnh vực, chưa phải Chỉ số CCHC theo lĩnh vực "
                         f"({why})."] + survey[lv.code]))
    return out
