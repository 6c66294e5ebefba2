"""Criteria sets (Bộ tiêu chí) and questionnaires as data: YAML files, their loader and validator.

Pure Python: no Flask, no database. See :func:`load_criteria_set`.
"""
from .loader import (
    DEFAULT_SET_DIR,
    CriteriaSetError,
    load_criteria_set,
    load_criteria_set_from_texts,
    load_default_set,
    read_set_texts,
    set_digest,
)
from .model import (
    ClassBand,
    CriteriaSet,
    Criterion,
    DistrictRule,
    Field,
    Group,
    Level,
    Option,
    Question,
    Questionnaire,
    QuestionnaireItem,
    RatingRule,
    Scale,
    SubCriterion,
    round_points,
)
from .rules import RULES_COLUMNS, rules_table, summary_line
from .yamlnodes import Problem

# The bundled set a new campaign starts from: two-tier local government (departments and communes, no district),
# from 1 July 2025. DEFAULT_SET_DIR stays the 2023 set: the tests, the demo and the command line's defaults
# reproduce the published 2023 tables with it.
NEW_CAMPAIGN_SET_DIR = DEFAULT_SET_DIR.parent / "hai_cap"

__all__ = [
    "DEFAULT_SET_DIR", "NEW_CAMPAIGN_SET_DIR", "CriteriaSetError", "load_criteria_set", "load_criteria_set_from_texts",
    "load_default_set", "read_set_texts", "set_digest", "ClassBand", "CriteriaSet", "Criterion",
    "DistrictRule", "Field", "Group", "Level", "Option", "Question", "Questionnaire",
    "QuestionnaireItem", "RatingRule", "Scale", "SubCriterion", "RULES_COLUMNS", "rules_table",
    "summary_line", "Problem", "round_points",
]
