"""Ballots (a long DataFrame of answers) to survey points per unit, question and field.

Pure Python and pandas: no Flask, no ORM. See :func:`survey_points`.
"""
from .answers import COLUMNS, COUNTED, AnswerProblems, check_answers, options_frame, rules_frame
from .points import SurveyPoints, answer_counts, group_fractions, points_from_counts, survey_points
from .shares import level_summary, option_shares, poor_shares

_STATS = ("Bootstrap", "bootstrap_points", "cronbach_alpha", "difference_interval", "field_reliability",
          "group_disagreement", "rank_intervals")


def __getattr__(name: str):
    """The statistics import SciPy (seconds at start-up): loaded on first use only."""
    if name in _STATS:
        from . import stats
        return getattr(stats, name)
    raise AttributeError(f"module 'aggregation' has no attribute {name!r}")


__all__ = ["COLUMNS", "COUNTED", "AnswerProblems", "check_answers", "options_frame", "rules_frame",
           "SurveyPoints", "answer_counts", "group_fractions", "points_from_counts", "survey_points",
           "Bootstrap", "bootstrap_points", "cronbach_alpha", "field_reliability", "group_disagreement",
           "difference_interval", "rank_intervals", "level_summary", "option_shares", "poor_shares"]
