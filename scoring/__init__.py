"""Survey points plus appraisal points to the final index, rank and class.

Pure Python and pandas: no Flask, no ORM. Built in the scoring issue.
"""
