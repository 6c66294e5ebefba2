"""The sentences of the SIPAS report (issue 29 item 4), shared by the Word document and the printable page.

The report has the shape of a provincial SIPAS report: I. purpose and method (the set's five elements, how an
index is computed, the coverage minimum, the target), II. the sample (ballots per unit and group, coverage),
III. results (the province's SIPAS with its 95 % interval against the target, per level the units above and
below it, the highest and lowest element and the neighbours in the ranking whose intervals meet, the
perception shares; :func:`interval_note` says under the tables how the intervals and ranks are made),
IV. expectations (the three chosen most province-wide, from :mod:`..services.sipas_extras`; the sample part
also describes the respondents' profile), V. recommendations (a heading left for the Department to write
under). Every figure comes from :class:`..services.sipas_results.SipasResults`; shares are printed by
:func:`.sipas_table.percent_text` ("91,4 %"), intervals by :func:`.sipas_table.interval_text`
("90,6–92,8 %"). Pure text, no Flask, no python-docx.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..services.ballot_frame import rated_frame
from ..services.campaigns import CHANNELS, GroupCount, ballot_counts
from ..services.sipas_extras import Expectations, ProfileTable, expectations, profile
from ..services.sipas_results import SipasResults, meets
from .report_form import assessed_phrase
from .report_text import join_vi, thousands_vi
from .sipas_table import (
    interval_text,
    method_words,
    percent_text,
    short_of_ballots,
    target_words,
    weighting_words,
)

Blocks = list[tuple[str, list[str]]]

RECOMMENDATIONS = ("(Phần do Sở Nội vụ viết: kiến nghị, đề xuất các giải pháp nâng cao sự hài lòng của người dân, "
                   "tổ chức đối với từng yếu tố và từng cơ quan, đơn vị.)")
NO_EXPECTATIONS = ("Đợt khảo sát này chưa có số liệu về sự mong đợi của người dân, tổ chức (chọn những nội dung muốn "
                   "cơ quan hành chính cải thiện trước): bộ khảo sát không hỏi, hoặc chưa người trả lời nào chọn.")
PROFILE_NOTE = ("Người trả lời không bắt buộc cho biết đặc điểm của mình; tỷ lệ tính trên số người trả lời từng câu. "
                "Số liệu theo đơn vị chỉ ghi khi đơn vị có từ {n} người trả lời câu đó trở lên; “—”: dưới {n} người, "
                "không ghi riêng (vẫn tính vào toàn tỉnh).")


@dataclass(frozen=True)
class UnitGroupRow:
    """One unit's counted ballots by respondent group (group code → ballots) and in all."""

    level: str
    unit: str
    name: str
    by_group: dict[str, int]
    total: int
    covered: bool


@dataclass(frozen=True)
class SipasReportInput:
    """What the report needs beside the figures: year and province (the title block), counted ballots per
    group and channel against the plan (:func:`..services.campaigns.ballot_counts`), ballots per unit and
    group, and the set's groups ``(code, name)`` in order."""

    year: int
    province: str
    counts: list[GroupCount]
    channels: tuple[tuple[str, str, str], ...]
    unit_groups: list[UnitGroupRow]
    groups: tuple[tuple[str, str], ...]
    expectations: Expectations | None = None
    profile: tuple[ProfileTable, ...] = ()


def report_input(session, campaign, results: SipasResults) -> SipasReportInput:
    """The report's input for a campaign whose results are unsealed (the caller checks)."""
    rated = rated_frame(session, campaign)
    rows = unit_group_rows(results, rated[rated["counted"]])
    return SipasReportInput(campaign.year, campaign.province or "", ballot_counts(session, campaign), CHANNELS,
                            rows, tuple((g.code, g.name) for g in results.cset.groups),
                            expectations(session, campaign), profile(session, campaign))


def sipas_title(cset, year: int) -> str:
    """The line under "BÁO CÁO": who is assessed, as the PAR report's title names them.

    Examples
    --------
    >>> from questionnaires import DEFAULT_SET_DIR, load_criteria_set
    >>> sipas_title(load_criteria_set(DEFAULT_SET_DIR.parent / "sipas"), 2026).split(" của các ")[1]
    'sở, ban, ngành; Ủy ban nhân dân các xã, phường, đặc khu năm 2026'
    """
    return (f"Kết quả đo lường Chỉ số hài lòng của người dân, tổ chức đối với sự phục vụ của {assessed_phrase(cset)} "
            f"năm {year}")


def _levels_phrase(cset) -> str:
    return ", ".join(lv.name[:1].lower() + lv.name[1:] for lv in cset.levels if lv.surveyed)


def sipas_closing(cset, province: str, year: int) -> str:
    """The sentence before "Nơi nhận"."""
    kind = "thành phố" if province.strip().lower().startswith("thành phố") else "tỉnh"
    return (f"Trên đây là báo cáo của Sở Nội vụ về kết quả đo lường Chỉ số hài lòng của người dân, tổ chức đối với "
            f"sự phục vụ của cơ quan hành chính nhà nước (SIPAS) đối với {_levels_phrase(cset)} trên địa bàn {kind} "
            f"năm {year}./.")


def method_blocks(results: SipasResults) -> Blocks:
    """I. Purpose and method: the elements, the questions per level, the index, coverage and target."""
    cset = results.cset
    elements = "; ".join(f"({code}) {name}" for code, name in results.elements)
    purpose = [
        "Đo lường sự hài lòng của người dân, tổ chức đối với sự phục vụ của cơ quan hành chính nhà nước theo Đề án "
        "phê duyệt bằng Quyết định số 2640/QĐ-BNV ngày 10/10/2017 của Bộ trưởng Bộ Nội vụ, để các cơ quan, đơn vị "
        "biết người dân, tổ chức hài lòng đến đâu với từng khâu phục vụ và có giải pháp cải thiện.",
        f"Sự phục vụ được đo theo {len(results.elements)} yếu tố: {elements}. Mỗi yếu tố có câu hỏi về sự hài "
        "lòng (thang 5 mức, từ Rất không hài lòng đến Rất hài lòng) và câu hỏi nhận định (sự việc đã diễn ra, trả "
        "lời Có hoặc Không).",
    ]
    for lv in cset.levels:
        mine = [q for q in cset.questions if q.level == lv.code]
        if not lv.surveyed or not mine:
            continue
        satisfaction = sum(q.role == "satisfaction" for q in mine)
        purpose.append(f"Phiếu khảo sát {lv.name[:1].lower() + lv.name[1:]} có {satisfaction} câu hỏi về sự hài "
                       f"lòng và {len(mine) - satisfaction} câu hỏi nhận định.")
    province = ("bình quân SIPAS của các đơn vị, gia quyền theo số hồ sơ đã giải quyết xong của từng đơn vị trong kỳ"
                if cset.sipas_weighting == "dossiers" else "bình quân SIPAS của các đơn vị có chỉ số (mỗi đơn vị "
                                                           "tính như nhau)")
    method = [
        "Tỷ lệ hài lòng của một câu hỏi là số người chọn phương án tích cực (Hài lòng hoặc Rất hài lòng) trên số "
        "người trả lời câu đó; người chọn “Không biết / không ý kiến” không tính vào số người trả lời. Câu hỏi "
        "không có ai trả lời không tính.",
        "Chỉ số của một yếu tố là bình quân tỷ lệ hài lòng các câu hỏi về sự hài lòng của yếu tố đó; câu hỏi nhận "
        "định không tính vào chỉ số mà báo cáo riêng tỷ lệ trả lời “Có”.",
        "Chỉ số hài lòng (SIPAS) của một đơn vị là bình quân chỉ số các yếu tố của đơn vị (yếu tố không có ai trả "
        f"lời không tính). SIPAS của tỉnh là {province}.",
        f"Đơn vị có dưới {cset.min_ballots} phiếu hợp lệ chưa đủ phiếu để tính chỉ số; phiếu bị loại không tính.",
    ]
    if results.target is not None:
        method.append(f"Mục tiêu so sánh: SIPAS đạt tối thiểu {percent_text(results.target)} (mục tiêu đến năm "
                      "2030 của Chương trình tổng thể cải cách hành chính nhà nước giai đoạn 2021-2030).")
    return [("1. Mục đích và các yếu tố đo lường", purpose), ("2. Phương pháp tính chỉ số", method)]


def sample_sentences(results: SipasResults, inp: SipasReportInput) -> list[str]:
    """II. The sample: counted ballots by channel, units with enough ballots and those short of them."""
    channels = {code: sum(c.by_channel.get(code, 0) for c in inp.counts) for code, *_ in inp.channels}
    parts = [f"{thousands_vi(channels[code])} phiếu {phrase}" for code, _, phrase in inp.channels
             if channels.get(code)]
    total = sum(c.total for c in inp.counts)
    rows = inp.unit_groups
    planned, covered = sum(c.planned for c in inp.counts), sum(c.covered for c in inp.counts)
    plan = (f" (đạt {percent_text(covered / planned)} kế hoạch mẫu {thousands_vi(planned)} phiếu)"
            if planned else "")
    out = [f"Tổng số phiếu khảo sát hợp lệ được tính là {thousands_vi(total)} phiếu{plan}"
           + (f", gồm: {join_vi(parts)}." if parts else ".") + " Mỗi người trả lời đánh giá cơ quan, đơn vị nơi "
           "mình đã giải quyết thủ tục hành chính; phiếu bị loại không tính."]
    covered = [r for r in rows if r.covered]
    short = [r for r in rows if not r.covered]
    text = (f"Có {len(covered)}/{len(rows)} đơn vị đủ tối thiểu {results.cset.min_ballots} phiếu hợp lệ để tính "
            "chỉ số")
    if short:
        names = join_vi([f"{r.name} ({r.total} phiếu)" for r in short])
        text += f"; {len(short)} đơn vị chưa đủ phiếu, không có chỉ số: {names}"
    out.append(text + ".")
    return out


def unit_group_rows(results: SipasResults, rated: pd.DataFrame) -> list[UnitGroupRow]:
    """Per unit of the results (in their order) its counted ballots by group, from ``ballot_id, unit, group``
    rows of counted ballots (one per ballot × unit it rates)."""
    counts = rated.drop_duplicates(["ballot_id", "unit"]).groupby(["unit", "group"]).size()
    out = []
    for r in results.units.to_dict("records"):
        by_group = {str(g): int(n) for (u, g), n in counts.items() if u == r["unit"]}
        out.append(UnitGroupRow(r["level"], r["unit"], r["name"], by_group, int(r["ballots"]), bool(r["covered"])))
    return out


def _element_label(results: SipasResults, code: str) -> str:
    return f"yếu tố {code} ({dict(results.elements)[code]})"


def province_sentences(results: SipasResults, year: int) -> list[str]:
    """III.1: the province's SIPAS, how it is stated and whether it reaches the target."""
    p = results.province
    if pd.isna(p.value):
        return ["Chưa có đơn vị nào đủ phiếu để tính chỉ số hài lòng của tỉnh. " + target_words(results)]
    interval = interval_text(*results.province_interval)
    if interval:
        text = (f"Chỉ số hài lòng (SIPAS) của tỉnh năm {year} đạt {percent_text(p.value)} (khoảng tin cậy 95 %: "
                f"{interval}), tính bằng {weighting_words(results)}.")
    else:
        text = f"Chỉ số hài lòng (SIPAS) của tỉnh năm {year} đạt {percent_text(p.value)} ({weighting_words(results)})."
    out = [text]
    if results.target is not None:
        out.append(target_words(results))
    return out


def level_sentences(results: SipasResults) -> Blocks:
    """III.2: per level, the units above and below the target, the highest and lowest element (the plain
    mean of the element's index over the level's units with a figure), the units short of ballots."""
    out: Blocks = []
    target = results.target
    for lv in results.cset.levels:
        mine = results.units[results.units["level"] == lv.code]
        if mine.empty:
            continue
        sentences = []
        indexed = mine[mine["sipas"].notna()]
        if len(indexed):
            top, low = indexed["sipas"].max(), indexed["sipas"].min()
            best = [n for n, v in zip(indexed["name"], indexed["sipas"]) if v == top]
            worst = [n for n, v in zip(indexed["name"], indexed["sipas"]) if v == low]
            if len(indexed) == 1:
                text = f"{lv.name} có 1 đơn vị có chỉ số: {best[0]} ({percent_text(top)})."
            elif top == low:
                text = f"{lv.name} có {len(indexed)} đơn vị có chỉ số, đều đạt {percent_text(top)}."
            else:
                text = (f"{lv.name} có {len(indexed)} đơn vị có chỉ số; cao nhất là {join_vi(best)} "
                        f"({percent_text(top)}), thấp nhất là {join_vi(worst)} ({percent_text(low)}).")
            sentences.append(text)
            if target is not None:
                above = [f"{n} ({percent_text(v)})" for n, v in zip(indexed["name"], indexed["sipas"])
                         if meets(v, target)]
                below = [f"{n} ({percent_text(v)})" for n, v in zip(indexed["name"], indexed["sipas"])
                         if not meets(v, target)]
                goal = percent_text(target)
                sentences.append(f"Đạt mục tiêu {goal}: {len(above)} đơn vị" + (f" ({join_vi(above)})" if above else "")
                                 + f"; chưa đạt: {len(below)} đơn vị" + (f" ({join_vi(below)})." if below else "."))
            means = {code: indexed[code].mean() for code, _ in results.elements if indexed[code].notna().any()}
            if means:
                high, lowest = max(means.values()), min(means.values())
                if high == lowest:
                    sentences.append(f"Các yếu tố có chỉ số bình quân như nhau: {percent_text(high)}.")
                else:
                    best_e = join_vi([_element_label(results, c) for c, v in means.items() if v == high])
                    worst_e = join_vi([_element_label(results, c) for c, v in means.items() if v == lowest])
                    sentences.append(f"Bình quân các đơn vị có chỉ số, người dân, tổ chức hài lòng nhất với {best_e} "
                                     f"({percent_text(high)}) và ít hài lòng nhất với {worst_e} "
                                     f"({percent_text(lowest)}).")
        pairs = overlap_pairs(results, lv.code)
        if pairs:
            sentences.append("Khoảng tin cậy 95 % giao nhau, chênh lệch có thể chỉ do chọn mẫu, thứ tự chưa chắc "
                             f"chắn: {'; '.join(pairs)}.")
        short = mine[~mine["covered"].astype(bool)]
        if len(short):
            names = join_vi([f"{n}: {short_of_ballots(b)}" for n, b in zip(short["name"], short["ballots"])])
            sentences.append(f"Chưa tính chỉ số {len(short)} đơn vị {names}.")
        if not sentences:
            sentences.append("Chưa có đơn vị nào có chỉ số.")
        out.append((lv.name, sentences))
    return out


def rank_text(results: SipasResults, unit: str) -> str:
    """A unit's rank as the report's tables print it, "2/5" (rank / units in its ranking); empty for a unit
    without a SIPAS or without intervals computed."""
    sure = results.sure[results.sure["unit"] == unit]
    if sure.empty or pd.isna(sure["rank"].iloc[0]):
        return ""
    return f"{int(sure['rank'].iloc[0])}/{int(sure['rank_of'].iloc[0])}"


def unit_interval_text(results: SipasResults, unit: str) -> str:
    """A unit's 95 % interval as printed, "88,1–93,0 %"; empty for a unit without one."""
    sure = results.sure[results.sure["unit"] == unit]
    return "" if sure.empty else interval_text(sure["low"].iloc[0], sure["high"].iloc[0])


def overlap_pairs(results: SipasResults, level: str) -> list[str]:
    """The neighbours in a level's ranking whose 95 % intervals meet, "Sở A và Sở B", higher ranked first,
    each pair once."""
    names = dict(zip(results.units["unit"], results.units["name"]))
    sure = results.sure[(results.sure["level"] == level) & results.sure["rank"].notna()]
    rank = {u: int(r) for u, r in zip(sure["unit"], sure["rank"])}
    pairs = set()
    for unit, overlaps in zip(sure["unit"], sure["overlaps"]):
        for other in (o for o in str(overlaps).split(", ") if o and o in rank):
            pairs.add(tuple(sorted((unit, other), key=lambda u: (rank[u], u))))
    return [f"{names.get(a, a)} và {names.get(b, b)}" for a, b in sorted(pairs, key=lambda p: (rank[p[0]], p))]


def interval_note(results: SipasResults) -> str:
    """The note under the results tables: how the 95 % intervals are made (the seed shown), how units are
    ranked and what overlapping intervals mean."""
    within = [lv.units_word for lv in results.cset.levels if lv.rank_within == "parent" and lv.parent]
    where = "trong cấp" + (f" ({', '.join(within)}: trong đơn vị cấp trên)" if within else "")
    return (f"{method_words(results)} Xếp hạng: thứ hạng theo SIPAS {where} trên số đơn vị có chỉ số, cao nhất là "
            "1; đơn vị có SIPAS bằng nhau theo số in (một chữ số thập phân) cùng hạng. Hai đơn vị có khoảng tin cậy "
            "giao nhau thì chênh lệch giữa chúng có thể chỉ do chọn mẫu: thứ tự của chúng chưa chắc chắn.")


def perception_sentence(results: SipasResults) -> str:
    """III.3: what the perception shares are, and the lowest one (a fact most often missed)."""
    p = results.perception.dropna(subset=["share"])
    if p.empty:
        return "Chưa có tỷ lệ nhận định của đơn vị nào đủ phiếu."
    low = p["share"].min()
    rows = p[p["share"] == low]
    where = join_vi([f"{r.name}, câu {r.question} ({r.text})" for r in rows.itertuples()][:5])
    return ("Câu hỏi nhận định được báo cáo bằng tỷ lệ người trả lời “Có” trên số người trả lời câu đó (không tính "
            f"“Không biết”), không tính vào chỉ số. Tỷ lệ thấp nhất là {percent_text(low)}: {where}.")


def _how_many(n: int) -> str:
    """``Ba điều``: how many expectations a sentence names (more than three when the third place is shared)."""
    return {1: "Điều", 2: "Hai điều", 3: "Ba điều"}.get(n, f"{n} điều")


def expectation_sentences(results: SipasResults, inp: SipasReportInput | None = None) -> list[str]:
    """IV. Expectations: per expectation scale, how many people chose at least one and the three chosen most
    province-wide with their shares; :data:`NO_EXPECTATIONS` when nobody chose anything (or no input)."""
    ex = inp.expectations if inp is not None else None
    if ex is None or not ex.any:
        return [NO_EXPECTATIONS]
    out = []
    for block in ex.province:
        if not block.respondents:
            continue
        if not block.shown:
            out.append(f"Chỉ có {block.respondents} người chọn điều mong đợi, dưới {ex.min_cell} người, nên báo cáo "
                       "không nêu số liệu.")
            continue
        top = [f"“{c.label}” ({percent_text(c.share)})" for c in block.top(3)]
        out.append(f"Trên toàn tỉnh, {thousands_vi(block.respondents)} người trả lời đã chọn ít nhất một điều mong "
                   f"đợi cơ quan hành chính cải thiện. {_how_many(len(top))} được chọn nhiều nhất là {join_vi(top)}.")
    out.append("Tỷ lệ là số người chọn điều đó trên số người đã chọn ít nhất một điều (mỗi người chọn được nhiều "
               "điều, nên các tỷ lệ cộng lại có thể quá 100 %); điều mong đợi không tính vào chỉ số. Theo đơn vị, "
               f"chỉ nêu đơn vị có từ {ex.min_cell} người chọn trở lên.")
    return out


def profile_sentences(results: SipasResults, inp: SipasReportInput) -> list[str]:
    """II. Who answered: the rule of the profile tables (empty when nobody described themselves)."""
    if not any(t.province.respondents for t in inp.profile):
        return []
    return [PROFILE_NOTE.format(n=results.cset.min_cell)]
