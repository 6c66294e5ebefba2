"""The scoring rules of a set as one flat table, for an analyst to review in Excel."""
from __future__ import annotations

from .model import CriteriaSet

RULES_COLUMNS = (
    "level", "question", "field", "criterion", "sub_criterion", "max_points",
    "group", "weight", "scale", "option", "fraction", "dont_know",
)


def rules_table(cset: CriteriaSet) -> tuple[tuple[str, ...], list[tuple]]:
    """Every scoring rule: a row per level × question × group × option.

    ``weight`` is the group's normalised weight for the question (the weights
    of the groups asking it add up to 1); ``fraction`` is empty and
    ``dont_know`` is 1 on the "don't know" option.

    Returns
    -------
    (headers, rows)
        Plain data; the caller writes CSV or Excel.

    Examples
    --------
    >>> from questionnaires import load_default_set
    >>> headers, rows = rules_table(load_default_set())
    >>> dict(zip(headers, rows[0]))["level"]
    'so'
    """
    rows: list[tuple] = []
    for level in cset.levels:
        for q in cset.level_questions(level.code):
            sub = cset.sub_criterion_by_key[(level.code, q.sub_criterion)]
            scale = cset.scale_by_code[q.scale]
            for group, weight in cset.group_weights(level.code, q.id).items():
                for option in scale.options:
                    rows.append((
                        level.code, q.id, sub.field, sub.criterion, sub.code, q.max_points,
                        group, round(weight, 6), scale.code, option.code,
                        "" if option.fraction is None else option.fraction,
                        1 if option.dont_know else 0,
                    ))
    return RULES_COLUMNS, rows


def summary_words(cset: CriteriaSet) -> str:
    """What a set holds, as a page shows it to an official: levels by name, "tiêu chí thành phần" in full,
    points with a decimal comma, and the questions that are not scored counted apart.

    Examples
    --------
    >>> from questionnaires import load_default_set
    >>> summary_words(load_default_set()).split("; ")[1]
    'cấp sở: 27 tiêu chí thành phần, 28 câu hỏi, 13,5 điểm'
    """
    parts = []
    for level in (lv for lv in cset.levels if lv.surveyed):
        name = level.name[:1].lower() + level.name[1:]
        asked = len(cset.level_questions(level.code))
        if cset.is_sipas:
            satisfied = sum(q.role == "satisfaction" for q in cset.level_questions(level.code))
            parts.append(f"{name}: {asked} câu hỏi ({satisfied} hài lòng, {asked - satisfied} nhận định)")
        else:
            points = f"{level.survey_max:g}".replace(".", ",")
            parts.append(f"{name}: {len(level.sub_criteria)} tiêu chí thành phần, {asked} câu hỏi, {points} điểm")
    others = len(cset.other_questions)
    return (f"{cset.name}: {len(cset.fields)} {'yếu tố' if cset.is_sipas else 'lĩnh vực'}; {'; '.join(parts)}"
            + (f"; {others} câu không tính điểm (thông tin người trả lời, mong đợi, ý kiến)" if others else "")
            + f"; {len(cset.groups)} đối tượng, {len(cset.questionnaires)} phiếu")


def summary_line(cset: CriteriaSet) -> str:
    """One line saying what a set holds, for ``parsurvey questionnaires check``; a SIPAS set's line counts
    elements and questions by role, never points.

    Examples
    --------
    >>> from questionnaires import load_criteria_set
    >>> from questionnaires.loader import DEFAULT_SET_DIR
    >>> summary_line(load_criteria_set(DEFAULT_SET_DIR.parent / "sipas")).split(": ", 1)[1][:70]
    '5 yếu tố; so: 22 câu hỏi (14 hài lòng, 8 nhận định); xa: 22 câu hỏi (1'
    """
    if cset.is_sipas:
        parts = []
        for level in (lv for lv in cset.levels if lv.surveyed):
            qs = cset.level_questions(level.code)
            satisfied = sum(q.role == "satisfaction" for q in qs)
            parts.append(f"{level.code}: {len(qs)} câu hỏi ({satisfied} hài lòng, {len(qs) - satisfied} nhận định)")
        return (f"OK — {cset.name} (SIPAS): {len(cset.fields)} yếu tố; {'; '.join(parts)}; "
                f"{len(cset.groups)} đối tượng, {len(cset.questionnaires)} phiếu")
    parts = []
    for level in cset.levels:
        if level.surveyed:
            parts.append(
                f"{level.code}: {len(level.sub_criteria)} TCTP, "
                f"{len(cset.level_questions(level.code))} câu hỏi, {level.survey_max:g} điểm"
            )
    return (
        f"OK — {cset.name}: {len(cset.fields)} lĩnh vực; {'; '.join(parts)}; "
        f"{len(cset.groups)} đối tượng, {len(cset.questionnaires)} phiếu"
    )
