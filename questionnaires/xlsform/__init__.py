"""XLSForm in and out: ODK Collect / KoboCollect forms <-> a criteria set folder.

Import (:func:`read_xlsform`, :func:`build_set_texts`, :func:`write_set`)
    The ``select_one`` questions of a form's ``survey`` sheet that carry a
    ``par_subcriterion`` become the questions of one level
    (``questions/<level>.yaml``), their choice lists become scales (option
    fractions from the ``par_fraction`` column of the ``choices`` sheet, the
    word ``dont_know`` marking the "don't know" option), and the form becomes
    the questionnaire of one group (``questionnaires/<level>-<group>.yaml``).
    Questions never scored come too: a ``select_multiple`` is an expectation (``choose_up_to`` from a
    ``count-selected(.) <= N`` constraint, else 3), a ``text`` a comment (``max_length`` from a
    ``string-length(.) <= N`` constraint, else 500), and a ``select_one`` without ``par_subcriterion`` a
    profile question when ``par_kind`` says ``profile``, its list is marked ``par_scored: no``, or it sits
    in a group of background questions (named like ``thong_tin``, ``profile``); their lists are scales
    without fractions (``scored: false``).
    Fields, levels, sub-criteria, groups and classes come from a base set
    (by default the bundled one). The written folder is a **complete,
    standalone set** restricted to what the form asks: only the imported
    group (rating only the imported level), only the sub-criteria the form
    has questions for (field and level maxima are their sums), only the
    scales the questions use. Everything the form holds that this cannot
    represent is listed (:attr:`XLSForm.skipped`), never silently dropped;
    label languages not used, like everything else worth knowing, are in
    :attr:`XLSForm.notes`. Only the ``survey``, ``choices`` and ``settings``
    sheets are read, each streamed to its last filled row whatever dimension
    the file declares, and only the choice lists of imported questions are checked.

Export (:func:`export_sheets`, :func:`write_workbook`)
    One questionnaire (level, group) as an XLSForm with Vietnamese labels
    (``label::Vietnamese (vi)``) and the ``par_*`` columns, so that it
    re-imports to the same questions and scales. A profile question is an optional ``select_one``, an
    expectation a ``select_multiple`` with its ``count-selected`` constraint and a hint, a comment a ``text``
    with its ``string-length`` constraint, each named by ``par_kind``; their lists say ``par_scored: no``.
    The form rates **one unit**:
    its first question ``unit`` (a ``text`` question, or a ``select_one``
    over a list of units) says which; a respondent who rates many units (a
    provincial delegate rating every department) fills one form per unit, so
    the form needs no repeat.

Pure Python and openpyxl: no Flask, no click. Every error a person can cause
is a :class:`FormProblem` naming the sheet and the row as Excel numbers it.
"""
from __future__ import annotations

from .export import export_sheets, read_units, write_workbook
from .form import DONT_KNOW, UNIT_FIELD, VI_LABEL, Choice, FormProblem, FormQuestion, Skipped, XLSForm, XLSFormError
from .read import apply_fractions, missing_fractions_problem, parse_fraction, parse_fractions_option, read_xlsform
from .write_set import build_set_texts, resolve_target, write_set

__all__ = ["DONT_KNOW", "UNIT_FIELD", "VI_LABEL", "Choice", "FormProblem", "FormQuestion", "Skipped", "XLSForm",
           "XLSFormError", "apply_fractions", "build_set_texts", "export_sheets", "missing_fractions_problem",
           "parse_fraction", "parse_fractions_option", "read_units", "read_xlsform", "resolve_target", "write_set",
           "write_workbook"]
