"""Ballots (a long DataFrame of answers) to survey points per unit, question and field.

Pure Python and pandas: no Flask, no ORM. Built in the aggregation issue.
"""
