"""The poor-answer findings written as the seed report writes them.

"Đối với đánh giá cấp sở có 06/21 nội dung có ý kiến đánh giá ở mức kém (cụ thể
gồm: 2,4% ý kiến đại biểu HĐND tỉnh đánh giá kém về chất lượng ...; ...)."
"""
from __future__ import annotations

from aggregation import option_shares
from questionnaires.model import round_points

from ..services.scores import CampaignScores


def _lower_first(text: str) -> str:
    """``Đại biểu HĐND tỉnh`` -> ``đại biểu HĐND tỉnh`` (acronyms keep their capitals)."""
    return text[:1].lower() + text[1:] if text[1:2].islower() or len(text) == 1 else text


def percent_vi(share: float) -> str:
    """A share (0-1) as the report writes it: one decimal, decimal comma.

    Examples
    --------
    >>> percent_vi(0.837), percent_vi(0.02), percent_vi(0.00249)
    ('83,7%', '2,0%', '0,2%')
    """
    return f"{round_points(100.0 * share, 1):.1f}".replace(".", ",") + "%"


def poor_findings(sc: CampaignScores) -> list[dict]:
    """One row per level × question × group with a poor share above zero, in question order."""
    if sc.counts.empty:
        return []
    shares = option_shares(sc.counts, sc.cset)
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
                "sentence": f"{percent_vi(share)} ý kiến {_lower_first(groups[group][1])} đánh giá {label} về "
                f"{_lower_first(q.text)}",
            }
        )
    rows.sort(key=lambda r: (list(levels).index(r["level"]), r["_order"]))
    for r in rows:
        del r["_order"]
    return rows


def level_paragraphs(sc: CampaignScores, rows: list[dict]) -> list[tuple[str, str]]:
    """Per surveyed level, the seed's paragraph: how many questions drew poor answers, and which."""
    out = []
    for lv in sc.cset.levels:
        if not lv.surveyed:
            continue
        mine = [r for r in rows if r["level"] == lv.code]
        asked = len(sc.cset.level_questions(lv.code))
        by_question: dict[str, list[dict]] = {}
        for r in mine:
            by_question.setdefault(r["question"], []).append(r)
        if not by_question:
            out.append(
                (lv.name, f"Đối với đánh giá {lv.name.lower()}, không có nội dung nào có ý kiến đánh giá ở mức kém.")
            )
            continue
        parts = []
        for group_rows in by_question.values():
            who = " và ".join(
                f"{percent_vi(r['share'] / 100.0)} ý kiến {_lower_first(r['group_name'])}" for r in group_rows
            )
            first = group_rows[0]
            parts.append(f"{who} đánh giá {first['label']} về {_lower_first(first['text'])}")
        out.append((lv.name, f"Đối với đánh giá {lv.name.lower()} có {len(by_question):02d}/{asked} nội dung có ý kiến "
                             f"đánh giá ở mức kém (cụ thể gồm: {'; '.join(parts)})."))
    return out
