"""Scoring: survey points joined with appraisal points into the final index, rank and class.

Pure Python and pandas, no Flask: the CLI (``parsurvey rank``) and the web
reports call the same functions.
"""
from .final import COLUMNS, NOT_CLASSIFIED, DistrictDecision, FinalTable, district_class, final_table, ranks
from .intervals import index_intervals
from .readers import (
                      Problem,
                      TableProblems,
                      parse_appraisal,
                      parse_communes,
                      parse_number,
                      parse_previous,
                      parse_survey,
                      parse_units,
                      read_table,
)

__all__ = ["COLUMNS", "NOT_CLASSIFIED", "DistrictDecision", "FinalTable", "Problem", "TableProblems", "district_class",
           "final_table", "index_intervals", "parse_appraisal", "parse_communes", "parse_number", "parse_previous",
           "parse_survey", "parse_units", "ranks", "read_table"]
