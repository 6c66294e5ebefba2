"""Shares of answers per option, the poor answers, and each level's summary: what analysts read (the seed
report's paragraphs), from answer counts."""
from __future__ import annotations

import pandas as pd

from questionnaires import CriteriaSet

from .answers import options_frame
from .points import SurveyPoints


def option_shares(counts: pd.DataFrame, cset: CriteriaSet) -> pd.DataFrame:
    """Per level × question × group × option: count and share of the group's answers.

    Shares are of all answers of the group to the question (over every unit),
    "don't know" included, as the seed reports them.
    """
    options = options_frame(cset)
    by = counts.groupby(["level", "question", "group", "option"], sort=False)["n"].sum().reset_index()
    by = by.merge(
        options[["level", "question", "option", "dont_know", "poor"]], on=["level", "question", "option"], how="left"
    )
    total = by.groupby(["level", "question", "group"])["n"].transform("sum")
    by["share"] = by["n"] / total
    return by.sort_values(["level", "question", "group", "option"]).reset_index(drop=True)


def poor_shares(counts: pd.DataFrame, cset: CriteriaSet) -> pd.DataFrame:
    """Per level × question × group: the share of poor answers ("kém", "dưới 50%"), as in
    "83,7% ý kiến đại biểu HĐND tỉnh đánh giá dưới 50% ..."; only rows above zero."""
    shares = option_shares(counts, cset)
    poor = (
        shares[shares["poor"].astype(bool)].groupby(["level", "question", "group"])[["n", "share"]].sum().reset_index()
    )
    return poor[poor["n"] > 0].sort_values("share", ascending=False).reset_index(drop=True)


def level_summary(points: SurveyPoints) -> pd.DataFrame:
    """Per level and field (and ``total``): the average, the highest and lowest unit."""
    frames = [points.fields[["level", "unit", "code", "points"]],
              points.totals.assign(code="total")[["level", "unit", "code", "points"]]]
    data = pd.concat(frames, ignore_index=True)
    rows = []
    for (level, code), part in data.groupby(["level", "code"], sort=False):
        hi, lo = part.loc[part["points"].idxmax()], part.loc[part["points"].idxmin()]
        rows.append((level, code, part["points"].mean(), hi["unit"], hi["points"], lo["unit"], lo["points"]))
    return pd.DataFrame(rows, columns=["level", "code", "average", "highest_unit", "highest", "lowest_unit", "lowest"])
