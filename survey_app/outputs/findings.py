"""The poor-answer findings written as the seed report writes them.

"Đối với đánh giá cấp sở có 06/21 nội dung có ý kiến đánh giá ở mức kém (cụ thể
gồm: 2,4% ý kiến đại biểu HĐND tỉnh đánh giá kém về chất lượng ...; ...)."
"""
from __future__ import annotations

import re
import unicodedata

from aggregation import option_shares
from questionnaires.model import round_points

from ..services.scores import CampaignScores
from .report_text import abbreviate, count_vi, join_vi
from .small_cells import hidden_groups

RATE = "tỷ lệ "
# Group names that open with a common noun for people, which the seed writes in lower case inside a sentence
# ("ý kiến đại biểu HĐND tỉnh", "ý kiến người dân"). Any other name is a body's proper name ("Ủy ban MTTQ
# tỉnh", "Hội Nông dân tỉnh") and is used as the set writes it.
COMMON_HEADS = ("đại biểu", "lãnh đạo", "công chức", "cán bộ", "viên chức", "người", "doanh nghiệp", "tổ chức",
                "hộ", "cử tri", "thành viên", "hội viên", "đoàn viên", "chuyên gia", "học sinh", "sinh viên",
                "phụ huynh")
REMARK = re.compile(r"\s*\([^()]*\)")


def _lower_first(text: str) -> str:
    """``Chất lượng …`` -> ``chất lượng …``: a question's text inside a sentence (acronyms keep their capitals)."""
    return text[:1].lower() + text[1:] if text[1:2].islower() or len(text) == 1 else text


def group_in_sentence(name: str) -> str:
    """A group's name inside a sentence: as the set writes it, without a remark in parentheses (the seed's
    sentences sit in one already), its first letter lowered only when it opens with a common noun for
    people (:data:`COMMON_HEADS`).

    Examples
    --------
    >>> group_in_sentence("Đại biểu HĐND tỉnh"), group_in_sentence("Tổ chức, doanh nghiệp")
    ('đại biểu HĐND tỉnh', 'tổ chức, doanh nghiệp')
    >>> group_in_sentence("Ủy ban MTTQ tỉnh"), group_in_sentence("Lãnh đạo phòng chuyên môn cấp huyện (đánh giá sở)")
    ('Ủy ban MTTQ tỉnh', 'lãnh đạo phòng chuyên môn cấp huyện')
    >>> group_in_sentence("HĐND huyện"), group_in_sentence("Người dân")
    ('HĐND huyện', 'người dân')
    """
    name = REMARK.sub("", unicodedata.normalize("NFC", name)).strip()
    head = name.lower()
    if any(head == h or head.startswith((h + " ", h + ",")) for h in COMMON_HEADS):
        return name[:1].lower() + name[1:]
    return name


def percent_vi(share: float) -> str:
    """A share (0-1) as the report writes it: one decimal, decimal comma.

    Examples
    --------
    >>> percent_vi(0.837), percent_vi(0.02), percent_vi(0.00249)
    ('83,7%', '2,0%', '0,2%')
    """
    return f"{round_points(100.0 * share, 1):.1f}".replace(".", ",") + "%"


def judged(label: str, text: str) -> str:
    """What the respondents judged, in the words of the scale's poor option(s) ``label``, as the seed words
    it: a quality (``kém``) ``về`` what was asked, ``kém về chất lượng …``; a percentage (``dưới 50%``) of
    what a "Tỷ lệ …" question counts, ``dưới 50% văn bản QPPL …`` (not "dưới 50% về tỷ lệ văn bản");
    any other question on a percentage scale, ``mức độ … ở mức dưới 50%`` (not "dưới 50% về mức độ …").

    >>> judged("kém", "Chất lượng các văn bản")
    'kém về chất lượng các văn bản'
    >>> judged("dưới 50%", "Tỷ lệ văn bản quy phạm pháp luật có tính khả thi")
    'dưới 50% văn bản QPPL có tính khả thi'
    >>> judged("dưới 50%", "Mức độ công khai dự toán, quyết toán ngân sách của sở theo quy định")
    'mức độ công khai dự toán, quyết toán ngân sách của sở theo quy định ở mức dưới 50%'
    """
    text = abbreviate(text)
    if "%" in label:
        if text.lower().startswith(RATE):
            return f"{label} {text[len(RATE):]}"
        return f"{_lower_first(text)} ở mức {label}"
    return f"{label} về {_lower_first(text)}"


def poor_findings(sc: CampaignScores) -> list[dict]:
    """One row per level × question × group with a poor share above zero, in question order; a level ×
    group under the set's ``min_cell`` people is left out (:mod:`.small_cells`)."""
    if sc.counts.empty:
        return []
    shares = option_shares(sc.counts, sc.cset)
    hidden = hidden_groups(sc)
    if hidden:
        shares = shares[[(lv, g) not in hidden for lv, g in zip(shares["level"], shares["group"])]]
    answers = shares.groupby(["level", "question", "group"])["n"].sum()
    poor = shares[shares["poor"].astype(bool)].groupby(["level", "question", "group"])["n"].sum()
    poor = poor[poor > 0]
    groups = {g.code: (i, g.name) for i, g in enumerate(sc.cset.groups)}
    levels = {lv.code: lv.name for lv in sc.cset.levels}
    order = {(q.level, q.id): i for i, q in enumerate(sc.cset.questions)}
    rows = []
    for (level, question, group), n in poor.items():
        q = sc.cset.question_by_key[(level, question)]
        scale = sc.cset.scale_by_code[q.scale]
        label = " hoặc ".join(o.label.lower() for o in scale.poor_options)
        share = n / answers[(level, question, group)]
        rows.append(
            {
                "level": level,
                "level_name": levels.get(level, level),
                "question": question,
                "text": q.text,
                "group": group,
                "group_name": groups[group][1],
                "poor": int(n),
                "answers": int(answers[(level, question, group)]),
                "share": 100.0 * share,
                "label": label,
                "_order": (order[(level, question)], groups[group][0]),
                "sub_criterion": q.sub_criterion,
                "sentence": f"{percent_vi(share)} ý kiến {group_in_sentence(groups[group][1])} đánh giá "
                f"{judged(label, q.text)}",
            }
        )
    rows.sort(key=lambda r: (list(levels).index(r["level"]), r["_order"]))
    for r in rows:
        del r["_order"]
    return rows


def level_paragraphs(sc: CampaignScores, rows: list[dict]) -> list[tuple[str, str]]:
    """Per surveyed level, the seed's paragraph: how many contents drew poor answers, and which.

    A content (nội dung) is a question asked about the level, as the published report counts them:
    "06/21 nội dung" for cấp sở, whose 2023 scheme surveys 27 sub-criteria, is 6 of the 21 contents asked,
    and the paragraph lists those 6, one per content with each group's share. Groups hidden under
    ``min_cell`` are not counted, and the paragraph says so.
    """
    out = []
    hidden = hidden_groups(sc)
    group_name = {g.code: g.name for g in sc.cset.groups}
    for lv in sc.cset.levels:
        if not lv.surveyed:
            continue
        mine = [r for r in rows if r["level"] == lv.code]
        left_out = sorted(group_name.get(g, g) for level, g in hidden if level == lv.code)
        unsaid = (f" Không nêu ý kiến của {join_vi([group_in_sentence(n) for n in left_out])} (dưới "
                  f"{sc.cset.min_cell} người trả lời)." if left_out else "")
        contents = {q.id for q in sc.cset.level_questions(lv.code)}
        by_question: dict[str, list[dict]] = {}
        for r in mine:
            by_question.setdefault(r["question"], []).append(r)
        if not by_question:
            out.append((lv.name, f"Đối với đánh giá {lv.name.lower()}, không có nội dung nào có ý kiến đánh giá ở "
                                 f"mức kém.{unsaid}"))
            continue
        parts = []
        for group_rows in by_question.values():
            who = join_vi([f"{percent_vi(r['share'] / 100.0)} ý kiến {group_in_sentence(r['group_name'])}"
                           for r in group_rows])
            first = group_rows[0]
            parts.append(f"{who} đánh giá {judged(first['label'], first['text'])}")
        poor = {r["question"] for r in mine}
        out.append((lv.name, f"Đối với đánh giá {lv.name.lower()} có {count_vi(len(poor))}/{count_vi(len(contents))} "
                             f"nội dung có ý kiến đánh giá ở mức kém (cụ thể gồm: {'; '.join(parts)}).{unsaid}"))
    return out
