"""A campaign's raw ballots as SPSS (``.sav``) and Stata (``.dta``) files, labelled in Vietnamese.

One row per ballot and unit, as :func:`survey_app.raw_ballots.wide_rows` gives
them (every ballot, rejected ones included: ``state`` says which count). The
variables, in order:

================ ===================== =============================================
name             label                 values
================ ===================== =============================================
``ballot_id``    Mã phiếu              text: a 63-bit id, more digits than a double keeps
``group``        Đối tượng             1.. in the criteria set's group order, labelled
``channel``      Kênh                  1.. web, qr, paper, api, labelled
``state``        Trạng thái            1.. received, verified, flagged, rejected, labelled
``level``        Cấp                   1.. in the set's level order, labelled
``unit``         Mã đơn vị             text (the unit code, the key other tables use)
``unit_name``    Tên đơn vị            text
``H01``...       the question's text   1..k, the scale's options in order, labelled
``XP1``...       the question's text   a profile question: 1..k, its list's options
``XE1_phi``...   the option's label    an expectation: one variable per option, 1
                                       chosen, 0 not chosen (multiple-response
                                       dummies), empty when left out or not asked
================ ===================== =============================================

Comments (free text) are not in these files: what a person writes may say who they are; they are read
on their own after the campaign closes. The SPSS file's document says so (:data:`SPSS_NOTE`).

"Don't know" is a missing value, not a point on the scale: in the frame and in
SPSS it is :data:`DONT_KNOW` (9), declared user-missing, so SPSS leaves it out
of statistics yet shows it in a frequency table; in Stata it is the extended
missing value ``.a``. Both carry the scale's label ("Không biết / không ý kiến"). A
question not asked about a row's unit is system-missing (empty, ``.``).
Labelled codes skip 9 everywhere, so 9 never means anything but "don't know".

An option code or question id that the set does not hold (the raw export loses
nothing) gets the next code, labelled with the code itself.

Labels are cut to what each format keeps (SPSS: 255 bytes for a variable label,
120 for a value label; Stata: 80 characters for a variable label), at a word
boundary when one is near, ending in "…".

pyreadstat needs the whole table in memory: about 8 bytes a cell plus the
text columns (a 2023-size survey, 2,400 rows, is nothing; 700,000 rows of
30 questions are about 300 MB).
"""
from __future__ import annotations

import math
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
from sqlalchemy.orm import Session

from questionnaires import CriteriaSet

from ..models import BALLOT_STATES, CHANNELS, Campaign
from ..services.review import STATE_LABELS
from .raw_ballots import BALLOT_COLUMNS, WideColumn, wide_columns, wide_layout, wide_rows

DONT_KNOW = 9
STATA_MISSING = "a"  # Stata's .a
STATA_VERSION = 14  # pyreadstat's name for dta format 118: UTF-8, read by Stata 14 and later
STATA_LABEL_CHARS = 80
SPSS_LABEL_BYTES = 255
SPSS_VALUE_LABEL_BYTES = 120
SPSS_FILE_LABEL_BYTES = 64
ELLIPSIS = "…"
CHUNK_ROWS = 20_000
MAX_NAME = 32
SPSS_NOTE = [  # SPSS keeps a document as lines of 80 bytes
    f"Mã {DONT_KNOW}: không biết / không ý kiến (giá trị khuyết).",
    "Ô trống: câu hỏi không hỏi về đơn vị của dòng này.",
    "Câu chọn nhiều phương án (XE1_...): mỗi phương án một biến,",
    "1 có chọn, 0 không chọn, trống nếu không trả lời câu đó.",
    "Ý kiến ghi chữ không có trong tệp này (có thể làm lộ người",
    "viết); ý kiến được xem riêng sau khi kết thúc đợt.",
]
DUMMY_LABELS = {0: "Không chọn", 1: "Có chọn"}
CHANNEL_LABELS = {"web": "Trực tuyến", "qr": "Thẻ QR", "paper": "Giấy", "api": "Qua API"}

_TEXT = ("ballot_id", "unit", "unit_name")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_RESERVED = {w.casefold() for w in (
    # Stata
    "_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n", "_pi", "_pred",
    "_rc", "_skip", "strL", "using", "with",
    # SPSS
    "ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO",
)}
_STATA_STR = re.compile(r"str\d+", re.IGNORECASE)


# --- names and labels -------------------------------------------------------------------

def variable_name(key: str, taken: set[str]) -> str:
    """A variable name both SPSS and Stata accept, not in ``taken`` (compared case-blind), added to it.

    At most 32 characters, ASCII letters, digits and ``_``, starting with a
    letter, not a reserved word. A good name is kept as it is.

    Examples
    --------
    >>> taken = {"unit"}
    >>> variable_name("H01", taken), variable_name("Unit", taken), variable_name("1.2 Điều", taken)
    ('H01', 'Unit_2', 'q_1_2_Dieu')
    >>> variable_name("to", taken), variable_name("h01", taken)
    ('q_to', 'h01_2')
    """
    name = key
    if not (_NAME.fullmatch(name) and len(name) <= MAX_NAME):
        plain = unicodedata.normalize("NFKD", key.replace("đ", "d").replace("Đ", "D"))
        name = re.sub(r"[^A-Za-z0-9_]+", "_", plain.encode("ascii", "ignore").decode()).strip("_")
        if not name[:1].isalpha():
            name = f"q_{name}"
        name = name[:MAX_NAME].rstrip("_")
    if name.casefold() in _RESERVED or _STATA_STR.fullmatch(name):
        name = f"q_{name}"
    name = name[:MAX_NAME]
    candidate, number = name, 2
    while candidate.casefold() in taken:
        suffix = f"_{number}"
        candidate = name[:MAX_NAME - len(suffix)] + suffix
        number += 1
    taken.add(candidate.casefold())
    return candidate


def clip_label(text: str, max_chars: int | None = None, max_bytes: int | None = None) -> str:
    """``text`` on one line, cut to ``max_chars`` characters and ``max_bytes`` UTF-8 bytes.

    A cut text ends in "…", at a word boundary when one is in the last third.

    Examples
    --------
    >>> clip_label("Tốt", 80)
    'Tốt'
    >>> clip_label("Chất lượng các văn bản chỉ đạo, điều hành", 31)
    'Chất lượng các văn bản chỉ đạo…'
    >>> clip_label("Chất lượng các văn bản chỉ đạo, điều hành", 30)
    'Chất lượng các văn bản chỉ…'
    >>> clip_label("Chất lượng các văn bản", max_bytes=20)
    'Chất lượng…'
    """
    text = re.sub(r"\s*[\r\n\t]+\s*", " ", text).strip()

    def fits(s: str) -> bool:
        return (max_chars is None or len(s) <= max_chars) and (max_bytes is None or len(s.encode()) <= max_bytes)

    if fits(text):
        return text
    cut = text[:max_chars - 1] if max_chars is not None else text
    while cut and not fits(cut + ELLIPSIS):
        cut = cut[:-1]
    space = cut.rfind(" ")
    if space >= len(cut) * 2 // 3 and text[len(cut):len(cut) + 1].isalnum():  # the cut splits a word
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—/(") + ELLIPSIS


# --- the frame --------------------------------------------------------------------------

class _Coding:
    """Raw codes (text) to labelled numbers 1, 2, ... (skipping :data:`DONT_KNOW`); ``None`` to NaN."""

    def __init__(self, known: Iterable[tuple[str, str]] = (), dont_know: Iterable[tuple[str, str]] = ()) -> None:
        self.codes: dict[str | None, float] = {None: math.nan}
        self.labels: dict[int, str] = {}
        self._next = 1
        for raw, label in dont_know:
            self.codes[raw] = float(DONT_KNOW)
            self.labels.setdefault(DONT_KNOW, label)
        for raw, label in known:
            if raw not in self.codes:
                self._add(raw, label)

    def _add(self, raw: str, label: str) -> float:
        if self._next == DONT_KNOW:
            self._next += 1
        code = self._next
        self._next += 1
        self.codes[raw] = float(code)
        self.labels[code] = label
        return float(code)

    def __call__(self, raw: str | None) -> float:
        code = self.codes.get(raw)
        return self._add(raw, str(raw)) if code is None else code


def _dummy_coding() -> _Coding:
    """An expectation's option dummy: 0 not chosen, 1 chosen, labelled; None (left out, not asked) NaN."""
    coding = _Coding()
    coding.codes.update({0: 0.0, 1: 1.0})
    coding.labels.update(DUMMY_LABELS)
    return coding


def _dummy_label(cset: CriteriaSet, column: WideColumn) -> str:
    """An expectation dummy's label: the option's label, or ``[XE1] code`` for a code the scale does not hold."""
    for q in cset.all_questions:
        if q.id == column.question and q.kind == "expectation":
            option = cset.scale_by_code[q.scale].by_code.get(column.option)
            if option is not None:
                return option.label
    return f"[{column.question}] {column.option}"


def _question_coding(cset: CriteriaSet, question_id: str) -> _Coding:
    """The options of every scale the id uses (one per level; normally one scale), in scale order."""
    scales = dict.fromkeys(q.scale for q in cset.all_questions if q.id == question_id)
    options = [o for s in scales for o in cset.scale_by_code[s].options]
    return _Coding([(o.code, o.label) for o in options if not o.dont_know],
                   dont_know=[(o.code, o.label) for o in options if o.dont_know])


def _question_label(cset: CriteriaSet, question_id: str, name: str) -> str:
    question = next((q for q in cset.all_questions if q.id == question_id), None)
    if question is None:
        return f"[{question_id}] Câu hỏi không có trong bộ tiêu chí"
    return question.text if name == question_id else f"[{question_id}] {question.text}"


def ballot_frame_wide(session: Session, campaign: Campaign,
                      cset: CriteriaSet) -> tuple[pd.DataFrame, dict[str, str], dict[str, dict[int, str]]]:
    """The wide raw ballots as labelled, coded variables for SPSS and Stata.

    Parameters
    ----------
    session : Session
        Open while the function runs (rows are read in chunks).
    campaign : Campaign
    cset : CriteriaSet
        The campaign's set (:func:`survey_app.campaigns.campaign_criteria`).

    Returns
    -------
    frame : pandas.DataFrame
        One row per ballot and unit, in the order of ``wide_rows``; text columns
        ``ballot_id``, ``unit``, ``unit_name``; every other column is float codes,
        NaN where empty, :data:`DONT_KNOW` for "don't know".
    variable_labels : dict
        Variable name to its Vietnamese label, uncut (the writers cut).
    value_labels : dict
        Variable name to ``{code: Vietnamese label}`` for the coded variables.
    """
    columns = wide_columns(session, campaign, cset)
    layout = wide_layout(session, campaign, cset)
    head = len(BALLOT_COLUMNS)
    taken: set[str] = set()
    names = [variable_name(c.key, taken) for c in columns]
    labels = {name: c.header for name, c in zip(names[:head], columns[:head])}
    codings: dict[str, _Coding] = {
        "group": _Coding((g.code, g.name) for g in cset.groups),
        "channel": _Coding((c, CHANNEL_LABELS.get(c, c)) for c in CHANNELS),
        "state": _Coding((s, STATE_LABELS.get(s, s)) for s in BALLOT_STATES),
        "level": _Coding((lv.code, lv.name) for lv in cset.levels),
    }
    ordinal = []  # scored questions' scales are ordered; a profile's list and a dummy are not
    scored = {q.id for q in cset.questions}
    for name, column in zip(names[head:], layout):
        if column.option is not None:
            labels[name] = _dummy_label(cset, column)
            codings[name] = _dummy_coding()
            continue
        labels[name] = _question_label(cset, column.question, name)
        codings[name] = _question_coding(cset, column.question)
        if column.question in scored or not any(q.id == column.question for q in cset.all_questions):
            ordinal.append(name)
    shared: dict[str, str] = {}  # one object per distinct unit code and name

    def text(values: tuple) -> list:
        return [shared.setdefault(v, v) if v is not None else "" for v in values]

    convert: list[Callable[[tuple], object]] = []
    for name in names:
        if name in _TEXT:
            convert.append(text)
        else:
            coding = codings[name]
            convert.append(lambda values, coding=coding: np.fromiter(map(coding, values), float, len(values)))

    parts: list[list] = [[] for _ in names]
    rows = wide_rows(session, campaign, cset)
    while block := list(islice(rows, CHUNK_ROWS)):
        for part, values, f in zip(parts, zip(*block), convert):
            part.append(f(values))
    data = {}
    for name, part in zip(names, parts):
        if name in _TEXT:
            data[name] = pd.Series([v for p in part for v in p], dtype=str)
        else:
            data[name] = pd.Series(np.concatenate(part) if part else np.empty(0), dtype=float)
    frame = pd.DataFrame(data, columns=names)
    frame.attrs["ordinal"] = ordinal
    value_labels = {name: dict(sorted(c.labels.items())) for name, c in codings.items()}
    return frame, labels, value_labels


# --- writers ----------------------------------------------------------------------------

def _questions(frame: pd.DataFrame) -> list[str]:
    return list(frame.columns[len(BALLOT_COLUMNS):])


def _dont_know_columns(value_labels: dict[str, dict[int, str]]) -> list[str]:
    return [name for name, labels in value_labels.items() if DONT_KNOW in labels]


def write_sav(path: str | Path, frame: pd.DataFrame, variable_labels: dict[str, str],
              value_labels: dict[str, dict[int, str]], file_label: str = "") -> None:
    """Write :func:`ballot_frame_wide`'s result as an SPSS ``.sav`` (UTF-8, bytecode-compressed).

    "Don't know" (9) is declared user-missing; coded variables are nominal, scored questions
    ordinal (``frame.attrs["ordinal"]``, else every question), codes shown without decimals.
    """
    coded = [name for name in frame.columns if name in value_labels]
    pyreadstat.write_sav(
        frame, str(path),
        file_label=clip_label(file_label, max_bytes=SPSS_FILE_LABEL_BYTES),
        column_labels={k: clip_label(v, max_bytes=SPSS_LABEL_BYTES) for k, v in variable_labels.items()},
        variable_value_labels={k: {code: clip_label(label, max_bytes=SPSS_VALUE_LABEL_BYTES)
                                   for code, label in labels.items()} for k, labels in value_labels.items()},
        missing_ranges={name: [DONT_KNOW] for name in _dont_know_columns(value_labels)},
        variable_measure={**{name: "nominal" for name in frame.columns},
                          **{name: "ordinal" for name in frame.attrs.get("ordinal", _questions(frame))}},
        variable_format={name: f"F{len(str(max(value_labels[name], default=1)))}.0" for name in coded},
        note=SPSS_NOTE,
        row_compress=True,
    )


def write_dta(path: str | Path, frame: pd.DataFrame, variable_labels: dict[str, str],
              value_labels: dict[str, dict[int, str]], file_label: str = "") -> None:
    """Write :func:`ballot_frame_wide`'s result as a Stata ``.dta`` (format 118, UTF-8).

    "Don't know" becomes the extended missing value ``.a``, labelled;
    variable labels are cut to Stata's 80 characters.
    """
    frame = frame.copy(deep=False)
    stata_labels = {name: dict(labels) for name, labels in value_labels.items()}
    dont_know = _dont_know_columns(value_labels)
    for name in dont_know:
        codes = frame[name].to_numpy()
        # one object per distinct value, so a big column costs a pointer a cell
        top = max(DONT_KNOW, int(np.nanmax(codes, initial=0)))
        table = np.array([math.nan, *map(float, range(1, top + 1))], dtype=object)
        table[DONT_KNOW] = STATA_MISSING
        # A categorical, not a plain object column: pyreadstat's dataframe layer (narwhals) guesses an object
        # column's type from its first 100 cells, and takes a column whose first 100 rows were not asked the
        # question for text. The categories (numbers and "a") always read as mixed, so as numbers.
        categories = [*map(float, range(1, top + 1))]
        categories[DONT_KNOW - 1] = STATA_MISSING
        frame[name] = pd.Series(pd.Categorical(table[np.nan_to_num(codes, nan=0).astype(int)], categories=categories),
                                index=frame.index)
        stata_labels[name][STATA_MISSING] = stata_labels[name].pop(DONT_KNOW)
    pyreadstat.write_dta(
        frame, str(path),
        file_label=clip_label(file_label, max_chars=STATA_LABEL_CHARS),
        column_labels={k: clip_label(v, max_chars=STATA_LABEL_CHARS) for k, v in variable_labels.items()},
        version=STATA_VERSION,
        variable_value_labels=stata_labels,
        missing_user_values={name: [STATA_MISSING] for name in dont_know},
        variable_format={name: f"%-{max(1, int(frame[name].str.len().max()) if len(frame) else 1)}s"
                         for name in _TEXT if name in frame.columns},
    )


WRITERS = {"sav": write_sav, "dta": write_dta}


def stat_file(fmt: str, session: Session, campaign: Campaign, cset: CriteriaSet) -> Path:
    """A campaign's wide raw ballots in a new temporary ``.sav`` or ``.dta`` file; returns its path.

    The caller sends the file and deletes it afterwards.
    """
    write = WRITERS[fmt]
    frame, variable_labels, value_labels = ballot_frame_wide(session, campaign, cset)
    with tempfile.NamedTemporaryFile(delete=False, suffix=f".{fmt}") as handle:
        path = Path(handle.name)
    try:
        write(path, frame, variable_labels, value_labels, file_label=f"Phiếu thô — {campaign.name}")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
