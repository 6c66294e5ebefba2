"""The input of aggregation: a long DataFrame of answers, checked against a criteria set.

Columns: ``ballot_id, group, level, unit, question, option`` and optionally
``state`` (``received``, ``verified``, ``flagged``, ``rejected``; default
``verified``). One row is one fact: this ballot gave this option to this
question about this unit.
"""
from __future__ import annotations

import pandas as pd

from questionnaires import CriteriaSet

COLUMNS = ("ballot_id", "group", "level", "unit", "question", "option")
STATES = ("received", "verified", "flagged", "rejected")
COUNTED = ("received", "verified", "flagged")


class AnswerProblems(ValueError):
    """Bad rows, all of them: ``problems`` is a list of (row label, message)."""

    def __init__(self, problems: list[tuple[object, str]]):
        self.problems = problems
        super().__init__(f"{len(problems)} bad rows")


def rules_frame(cset: CriteriaSet) -> pd.DataFrame:
    """Per level × question × asking group: weight, max points and where it counts."""
    rows = []
    for q in cset.questions:
        sub = cset.sub_criterion_by_key[(q.level, q.sub_criterion)]
        for group, weight in cset.group_weights(q.level, q.id).items():
            rows.append((q.level, q.id, group, weight, q.max_points, sub.code, sub.criterion, sub.field, q.scale))
    return pd.DataFrame(rows, columns=["level", "question", "group", "weight", "max_points",
                                       "sub_criterion", "criterion", "field", "scale"])


def options_frame(cset: CriteriaSet) -> pd.DataFrame:
    """Per level × question × option: its fraction (NaN for "don't know") and whether it is poor."""
    rows = []
    for q in cset.questions:
        scale = cset.scale_by_code[q.scale]
        poor = {o.code for o in scale.poor_options}
        for o in scale.options:
            rows.append((q.level, q.id, o.code, o.fraction, o.dont_know, o.code in poor))
    frame = pd.DataFrame(rows, columns=["level", "question", "option", "fraction", "dont_know", "poor"])
    frame["fraction"] = frame["fraction"].astype(float)
    return frame


def check_answers(answers: pd.DataFrame, cset: CriteriaSet) -> list[tuple[object, str]]:
    """Every bad row, as (row label, message); an empty list when all rows are good.

    A row is bad when its state is unknown, its group is unknown or does not rate
    the unit's level, its question is not a question of that level asked of that
    group, its option is not in the question's scale, or it repeats an earlier
    row's ballot × unit × question.
    """
    missing = [c for c in COLUMNS if c not in answers.columns]
    if missing:
        return [(None, f"thiếu cột: {', '.join(missing)}")]
    # Text columns as str; categorical ones (the database adapter's) are compared as they are.
    df = answers.astype({c: str for c in COLUMNS if c != "ballot_id"
                         and not isinstance(answers[c].dtype, pd.CategoricalDtype)})
    rules = rules_frame(cset)
    options = options_frame(cset)
    problems: list[tuple[object, str]] = []

    def flag(mask, message) -> None:
        for label, row in df.loc[mask].iterrows():
            problems.append((label, message(row)))

    if "state" in df.columns:
        flag(~df["state"].isin(STATES), lambda r: f"trạng thái '{r['state']}' không hợp lệ (dùng: {', '.join(STATES)})")
    groups = set(cset.group_by_code)
    flag(~df["group"].isin(groups), lambda r: f"không có đối tượng '{r['group']}'")
    rated = pd.MultiIndex.from_tuples([(g.code, r.level) for g in cset.groups for r in g.rates])
    pairs = pd.MultiIndex.from_arrays([df["group"], df["level"]]).isin(rated)
    flag(df["group"].isin(groups) & ~pairs,
         lambda r: f"đối tượng '{r['group']}' không đánh giá cấp '{r['level']}'")
    asked = pd.MultiIndex.from_frame(rules[["level", "question", "group"]])
    known = pd.MultiIndex.from_arrays([df["level"], df["question"], df["group"]]).isin(asked)
    flag(pairs & ~known,
         lambda r: f"câu hỏi '{r['question']}' không có trong phiếu của '{r['group']}' cho cấp '{r['level']}'")
    valid = pd.MultiIndex.from_frame(options[["level", "question", "option"]])
    in_scale = pd.MultiIndex.from_arrays([df["level"], df["question"], df["option"]]).isin(valid)
    flag(known & ~in_scale, lambda r: f"phương án '{r['option']}' không có trong thang đo của câu '{r['question']}'")
    duplicated = df.duplicated(["ballot_id", "unit", "question"], keep="first")
    flag(duplicated, lambda r: f"phiếu {r['ballot_id']} trả lời câu '{r['question']}' về đơn vị '{r['unit']}' hai lần")
    return problems


def counted_answers(answers: pd.DataFrame) -> pd.DataFrame:
    """The rows that count: every state but ``rejected`` (a missing state means verified)."""
    if "state" not in answers.columns:
        return answers
    return answers[answers["state"] != "rejected"]
