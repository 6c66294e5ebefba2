"""XLSForm in and out: ODK Collect / KoboCollect forms <-> a criteria set folder.

Import (:func:`read_xlsform`, :func:`build_set_texts`, :func:`write_set`)
    The ``select_one`` questions of a form's ``survey`` sheet that carry a
    ``par_subcriterion`` become the questions of one level
    (``questions/<level>.yaml``), their choice lists become scales (option
    fractions from the ``par_fraction`` column of the ``choices`` sheet, the
    word ``dont_know`` marking the "don't know" option), and the form becomes
    the questionnaire of one group (``questionnaires/<level>-<group>.yaml``).
    Fields, levels, sub-criteria, groups and classes come from a base set
    (by default the bundled one). The written folder is a **complete,
    standalone set** restricted to what the form asks: only the imported
    group (rating only the imported level), only the sub-criteria the form
    has questions for (field and level maxima are their sums), only the
    scales the questions use. Everything the form holds that this cannot
    represent is listed (:attr:`XLSForm.skipped`), never silently dropped.

Export (:func:`export_sheets`, :func:`write_workbook`)
    One questionnaire (level, group) as an XLSForm with Vietnamese labels
    (``label::Vietnamese (vi)``) and the ``par_*`` columns, so that it
    re-imports to the same questions and scales. The form rates **one unit**:
    its first question ``unit`` (a ``text`` question, or a ``select_one``
    over a list of units) says which; a respondent who rates many units (a
    provincial delegate rating every department) fills one form per unit, so
    the form needs no repeat.

Pure Python and openpyxl: no Flask, no click. Every error a person can cause
is a :class:`FormProblem` naming the sheet and the row as Excel numbers it.
"""
from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field as dc_field, replace
from pathlib import Path
from typing import Iterable, Mapping

from .loader import QUESTIONNAIRES_DIR, QUESTIONS_DIR, SET_FILE, load_criteria_set_from_texts
from .model import CriteriaSet, Level
from .parse_set import TOLERANCE

VI_LABEL = "label::Vietnamese (vi)"
DEFAULT_LANGUAGE = "Vietnamese (vi)"
DONT_KNOW = "dont_know"
UNIT_FIELD = "unit"
UNITS_LIST = "units"
SURVEY_COLUMNS = ("type", "name", VI_LABEL, "required", "par_subcriterion", "par_max_points", "par_text")
CHOICES_COLUMNS = ("list_name", "name", VI_LABEL, "par_fraction", "par_scale_name")
SETTINGS_COLUMNS = ("form_title", "form_id", "version", "default_language", "par_level", "par_group")

# Types that record something about the device or the interview, not an answer.
METADATA_TYPES = {
    "start", "end", "today", "deviceid", "username", "phonenumber", "simserial", "subscriberid",
    "email", "audit", "start-geopoint", "background-audio", "imei",
}
# Columns whose logic our questionnaires do not have: reported when an imported question uses them.
LOGIC_COLUMNS = ("relevant", "constraint", "choice_filter", "calculation", "repeat_count", "trigger")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
PLAIN_CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


# --- problems ----------------------------------------------------------------


@dataclass(frozen=True)
class FormProblem:
    """One thing wrong in a form: sheet, Excel row (0: the whole sheet or file), code, sentence.

    Examples
    --------
    >>> print(FormProblem("survey", 7, "missing_list", "không có danh sách 'muc_do'"))
    trang survey, dòng 7: không có danh sách 'muc_do' [missing_list]
    """

    sheet: str
    row: int
    code: str
    message: str

    def __str__(self) -> str:
        where = f"trang {self.sheet}, dòng {self.row}" if self.row else (f"trang {self.sheet}" if self.sheet else "")
        return f"{where}: {self.message} [{self.code}]" if where else f"{self.message} [{self.code}]"


class XLSFormError(Exception):
    """A form that cannot be imported or exported; ``problems`` lists every problem found."""

    def __init__(self, problems: list[FormProblem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --- what a form holds ---------------------------------------------------------


@dataclass(frozen=True)
class Skipped:
    """A survey row we cannot represent: listed for the person importing, with its row."""

    row: int
    type: str
    name: str
    reason: str

    def __str__(self) -> str:
        name = f" '{self.name}'" if self.name else ""
        return f"dòng {self.row}: {self.type}{name}: {self.reason}"


@dataclass(frozen=True)
class Choice:
    """One row of the ``choices`` sheet of a list used by an imported question.

    ``fraction`` is ``None`` for the "don't know" option and for an option
    whose fraction is not given (``given`` false) yet.
    """

    list_name: str
    code: str
    label: str
    row: int
    fraction: float | None = None
    dont_know: bool = False
    given: bool = False

    @property
    def key(self) -> str:
        """``list:code``, how ``--fractions`` names this option when a code is in several lists."""
        return f"{self.list_name}:{self.code}"


@dataclass(frozen=True)
class FormQuestion:
    """A ``select_one`` row that becomes a question."""

    row: int
    id: str
    label: str
    list_name: str
    sub_criterion: str
    max_points: float | None
    text: str  # the level's wording (``par_text``), else the label


@dataclass
class XLSForm:
    """An XLSForm as far as a criteria set can hold it, plus what it cannot.

    Build it with :func:`read_xlsform`.
    """

    source: str
    title: str
    form_id: str
    version: str
    level: str | None
    group: str | None
    intro: str
    questions: list[FormQuestion]
    lists: dict[str, list[Choice]]  # only the lists the questions use, in choices-sheet order
    scale_names: dict[str, str]
    skipped: list[Skipped] = dc_field(default_factory=list)
    notes: list[str] = dc_field(default_factory=list)

    def missing_fractions(self) -> list[Choice]:
        """The options of the used lists whose fraction is neither given nor "don't know"."""
        return [c for choices in self.lists.values() for c in choices if not c.given]


# --- reading a workbook ----------------------------------------------------------


class _Sheet:
    """A sheet as header names and rows of text, with Excel row numbers."""

    def __init__(self, name: str, ws):
        self.name = name
        rows = list(ws.iter_rows(values_only=True))
        header = rows[0] if rows else ()
        self.headers = [_cell_text(h) for h in header]
        self.index = {h.lower(): i for i, h in reversed(list(enumerate(self.headers))) if h}
        self.rows: list[tuple[int, tuple]] = [
            (n, r) for n, r in enumerate(rows[1:], start=2) if any(_cell_text(v) for v in r)
        ]

    def has(self, column: str) -> bool:
        return column.lower() in self.index

    def get(self, row: tuple, column: str | None) -> str:
        if column is None:
            return ""
        i = self.index.get(column.lower())
        return _cell_text(row[i]) if i is not None and i < len(row) else ""

    def raw(self, row: tuple, column: str):
        i = self.index.get(column.lower())
        return row[i] if i is not None and i < len(row) else None

    def label_columns(self, base: str = "label") -> list[str]:
        """The label columns, Vietnamese first, then a plain ``label``, then the other languages."""
        cols = [h for h in self.headers if h and (h.lower() == base or h.lower().startswith(base + "::"))]

        def rank(h: str) -> int:
            low = h.lower()
            if "(vi)" in low or "vietnam" in low or "tiếng việt" in low or low.endswith("::vi"):
                return 0
            return 1 if low == base else 2

        return sorted(cols, key=rank)


def _cell_text(value) -> str:
    """A cell as text: whole-number floats lose their ``.0`` (Excel stores 1 as 1.0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _open_workbook(path: Path):
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException
    from zipfile import BadZipFile

    if not Path(path).is_file():
        raise XLSFormError([FormProblem("", 0, "missing_file", f"không tìm thấy tệp {path}")])
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError) as exc:
        raise XLSFormError([FormProblem(
            "", 0, "not_xlsx",
            f"không đọc được {Path(path).name} như một tệp Excel .xlsx ({exc.__class__.__name__}); "
            "tệp .xls cũ cần lưu lại dưới dạng .xlsx")]) from exc


def _sheets(wb) -> dict[str, _Sheet]:
    return {ws.title.strip().lower(): _Sheet(ws.title.strip().lower(), ws) for ws in wb.worksheets}


def _number(text: str) -> float | None:
    """A number as Excel or a person writes it (``0,25`` too); ``None`` if it is not one."""
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def parse_fraction(text: str) -> tuple[float | None, bool] | None:
    """``(fraction, dont_know)`` from a ``par_fraction`` cell or a prompt; ``None`` if unreadable.

    Examples
    --------
    >>> parse_fraction("0,6"), parse_fraction("dont_know"), parse_fraction("1.5"), parse_fraction("tốt")
    ((0.6, False), (None, True), None, None)
    """
    text = text.strip()
    if text.lower() == DONT_KNOW:
        return None, True
    value = _number(text)
    if value is None or not 0 <= value <= 1:
        return None
    return value, False


def _normal_type(text: str) -> list[str]:
    tokens = text.strip().split()
    if not tokens:
        return []
    low = [t.lower() for t in tokens]
    aliases = {("select", "one"): "select_one", ("select", "multiple"): "select_multiple",
               ("begin", "group"): "begin_group", ("end", "group"): "end_group",
               ("begin", "repeat"): "begin_repeat", ("end", "repeat"): "end_repeat",
               ("select", "all", "that", "apply"): "select_multiple"}
    for words, name in aliases.items():
        if tuple(low[: len(words)]) == words:
            return [name] + tokens[len(words):]
    return [low[0]] + tokens[1:]


def read_xlsform(path: str | Path) -> XLSForm:
    """Read the parts of an XLSForm a criteria set can hold, and list the rest.

    Parameters
    ----------
    path : str or Path
        An ``.xlsx`` file with ``survey``, ``choices`` and (optionally) ``settings`` sheets.

    Returns
    -------
    XLSForm
        Questions (``select_one`` rows with a ``par_subcriterion``), the choice
        lists they use, and the rows left out (:attr:`XLSForm.skipped`).

    Raises
    ------
    XLSFormError
        With every structural problem found (no ``survey`` sheet, a list that
        does not exist, a fraction out of range, ...), each with sheet and row.
    """
    path = Path(path)
    wb = _open_workbook(path)
    try:
        sheets = _sheets(wb)
    finally:
        wb.close()
    problems: list[FormProblem] = []
    survey = sheets.get("survey")
    if survey is None:
        names = ", ".join(sorted(sheets)) or "không có trang nào"
        raise XLSFormError([FormProblem("", 0, "no_survey_sheet",
                                        f"{path.name} không có trang 'survey' (các trang: {names}): không phải một XLSForm")])
    for column in ("type", "name"):
        if not survey.has(column):
            problems.append(FormProblem("survey", 1, "missing_column", f"trang survey thiếu cột '{column}'"))
    labels = survey.label_columns()
    if not labels:
        problems.append(FormProblem("survey", 1, "missing_column",
                                    f"trang survey thiếu cột nhãn ('{VI_LABEL}' hoặc 'label')"))
    if problems:
        raise XLSFormError(problems)

    notes: list[str] = []
    if labels[0].lower() != VI_LABEL.lower() and labels[0].lower() != "label":
        notes.append(f"không có cột nhãn tiếng Việt: dùng cột '{labels[0]}'")
    if not survey.has("par_subcriterion"):
        notes.append("trang survey không có cột par_subcriterion: không câu select_one nào được nhập "
                     "(thêm cột này, ghi mã tiêu chí thành phần, ví dụ 1.5.3)")

    choices_sheet = sheets.get("choices")
    all_lists = _read_lists(choices_sheet, problems) if choices_sheet else {}

    settings = sheets.get("settings")
    setting = {}
    if settings is not None and settings.rows:
        first = settings.rows[0][1]
        setting = {h.lower(): settings.get(first, h) for h in settings.headers if h}

    questions: list[FormQuestion] = []
    skipped: list[Skipped] = []
    seen: dict[str, int] = {}
    intro = ""
    stack: list[str] = []
    for row_no, row in survey.rows:
        type_text = survey.get(row, "type")
        name = survey.get(row, "name")
        tokens = _normal_type(type_text)
        if not tokens:
            if name:
                skipped.append(Skipped(row_no, "(không có type)", name, "dòng không có kiểu câu hỏi"))
            continue
        kind = tokens[0]
        label = next((survey.get(row, c) for c in labels if survey.get(row, c)), "")
        if kind in ("begin_group", "begin_repeat"):
            stack.append(kind)
            if kind == "begin_group":
                notes.append(f"nhóm '{name}' (dòng {row_no}) được làm phẳng: các câu bên trong thành câu hỏi thường của phiếu")
            else:
                skipped.append(Skipped(row_no, "begin repeat", name,
                                       "lặp lại (repeat) không biểu diễn được: các câu bên trong được nhập như câu hỏi "
                                       "thường, một lần trả lời mỗi phiếu (mỗi đơn vị một phiếu)"))
            continue
        if kind in ("end_group", "end_repeat"):
            if stack:
                stack.pop()
            continue
        if name == UNIT_FIELD:
            notes.append(f"câu '{UNIT_FIELD}' (dòng {row_no}) là đơn vị được đánh giá (cột unit của tệp câu trả lời), "
                         "không phải câu hỏi chấm điểm")
            continue
        if kind == "note":
            if not questions and not intro and label:
                intro = label
            continue
        if kind in ("select_one", "select_multiple") and len(tokens) > 1 and tokens[1] not in all_lists \
                and choices_sheet is not None:
            problems.append(FormProblem("survey", row_no, "missing_list",
                                        f"câu '{name}' ({type_text}) dùng danh sách '{tokens[1]}' nhưng trang choices "
                                        "không có danh sách này"))
            continue
        if kind in ("select_one", "select_multiple") and choices_sheet is None:
            problems.append(FormProblem("survey", row_no, "no_choices_sheet",
                                        f"câu '{name}' ({type_text}) cần trang 'choices' nhưng tệp không có trang này"))
            continue
        if kind != "select_one":
            what = "siêu dữ liệu (metadata), không phải câu trả lời" if kind in METADATA_TYPES else \
                "kiểu câu hỏi không chấm điểm được (chỉ select_one được nhập)"
            skipped.append(Skipped(row_no, type_text, name, what))
            continue
        if len(tokens) < 2:
            problems.append(FormProblem("survey", row_no, "missing_list", f"câu '{name}': select_one thiếu tên danh sách"))
            continue
        sub = survey.get(row, "par_subcriterion")
        if not sub:
            skipped.append(Skipped(row_no, type_text, name,
                                   "không có par_subcriterion (câu hỏi không thuộc tiêu chí thành phần nào, không chấm điểm)"))
            continue
        if not name or not NAME_RE.match(name):
            problems.append(FormProblem("survey", row_no, "bad_name", f"tên câu hỏi '{name}' không hợp lệ (chữ, số, _; không dấu cách)"))
            continue
        if name in seen:
            problems.append(FormProblem("survey", row_no, "duplicate_name", f"tên câu hỏi '{name}' lặp lại (đã có ở dòng {seen[name]})"))
            continue
        seen[name] = row_no
        if not label:
            problems.append(FormProblem("survey", row_no, "missing_label", f"câu '{name}' không có nhãn (nội dung câu hỏi)"))
            continue
        max_text = survey.get(row, "par_max_points")
        max_points = None
        if max_text:
            max_points = _number(max_text)
            if max_points is None or max_points <= 0:
                problems.append(FormProblem("survey", row_no, "bad_max_points",
                                            f"par_max_points '{max_text}' của câu '{name}' phải là một số lớn hơn 0"))
                continue
        extras = [t for t in tokens[2:]]
        if "or_other" in (t.lower() for t in extras):
            skipped.append(Skipped(row_no, type_text, name, "phương án 'khác' (or_other) không chấm điểm được: bỏ phương án này"))
        lost = [c for c in LOGIC_COLUMNS if survey.get(row, c)]
        if lost:
            notes.append(f"câu '{name}' (dòng {row_no}): bỏ {', '.join(lost)} — phiếu của chúng tôi hỏi mọi câu")
        text = survey.get(row, "par_text") or label
        questions.append(FormQuestion(row_no, name, label, tokens[1], sub, max_points, text))
    if problems:
        raise XLSFormError(problems)
    if not questions:
        raise XLSFormError([FormProblem("survey", 0, "no_question",
                                        "không có câu select_one nào có par_subcriterion: không có gì để nhập"
                                        + ("" if survey.has("par_subcriterion") else " (trang survey thiếu cột par_subcriterion)"))])

    used = {q.list_name for q in questions}
    lists = {name: choices for name, (choices, _) in all_lists.items() if name in used}
    scale_names = {name: scale_name or name for name, (_, scale_name) in all_lists.items() if name in used}
    return XLSForm(
        source=path.name,
        title=setting.get("form_title", ""),
        form_id=setting.get("form_id", ""),
        version=setting.get("version", ""),
        level=setting.get("par_level") or None,
        group=setting.get("par_group") or None,
        intro=intro,
        questions=questions,
        lists=lists,
        scale_names=scale_names,
        skipped=skipped,
        notes=notes,
    )


def _read_lists(sheet: _Sheet, problems: list[FormProblem]) -> dict[str, tuple[list[Choice], str]]:
    """The choice lists: ``{list name: (choices, scale name)}``."""
    list_col = "list_name" if sheet.has("list_name") else ("list name" if sheet.has("list name") else None)
    if list_col is None or not sheet.has("name"):
        problems.append(FormProblem("choices", 1, "missing_column", "trang choices phải có cột 'list_name' và 'name'"))
        return {}
    labels = sheet.label_columns()
    if not labels:
        problems.append(FormProblem("choices", 1, "missing_column", f"trang choices thiếu cột nhãn ('{VI_LABEL}' hoặc 'label')"))
        return {}
    has_fraction = sheet.has("par_fraction")
    lists: dict[str, tuple[list[Choice], str]] = {}
    seen: dict[tuple[str, str], int] = {}
    dont_know_row: dict[str, int] = {}
    for row_no, row in sheet.rows:
        list_name, code = sheet.get(row, list_col), sheet.get(row, "name")
        if not list_name:
            continue
        if not code:
            problems.append(FormProblem("choices", row_no, "missing_name", f"phương án của danh sách '{list_name}' thiếu 'name'"))
            continue
        if (list_name, code) in seen:
            problems.append(FormProblem("choices", row_no, "duplicate_choice",
                                        f"phương án '{code}' lặp lại trong danh sách '{list_name}' (đã có ở dòng {seen[(list_name, code)]})"))
            continue
        seen[(list_name, code)] = row_no
        label = next((sheet.get(row, c) for c in labels if sheet.get(row, c)), "") or code
        fraction, dont_know, given = None, False, False
        text = sheet.get(row, "par_fraction") if has_fraction else ""
        if text:
            parsed = parse_fraction(text)
            if parsed is None:
                problems.append(FormProblem("choices", row_no, "bad_fraction",
                                            f"par_fraction '{text}' của phương án '{code}' (danh sách '{list_name}') phải là "
                                            f"một số từ 0 đến 1, hoặc '{DONT_KNOW}' cho phương án không biết"))
                continue
            (fraction, dont_know), given = parsed, True
            if dont_know:
                if list_name in dont_know_row:
                    problems.append(FormProblem("choices", row_no, "dont_know_twice",
                                                f"danh sách '{list_name}' đã có phương án không biết ở dòng {dont_know_row[list_name]}"))
                    continue
                dont_know_row[list_name] = row_no
        choices, scale_name = lists.setdefault(list_name, ([], ""))
        if not scale_name and sheet.get(row, "par_scale_name"):
            lists[list_name] = (choices, sheet.get(row, "par_scale_name"))
        choices.append(Choice(list_name, code, label, row_no, fraction, dont_know, given))
    return lists


# --- fractions ---------------------------------------------------------------------


def parse_fractions_option(text: str) -> dict[str, tuple[float | None, bool]]:
    """Read ``--fractions "tot=1,kha=0.6,khong_biet=dont_know"`` (``list:code=`` for one list only).

    Examples
    --------
    >>> parse_fractions_option("tot=1, muc_do:kem=0, kb=dont_know")
    {'tot': (1.0, False), 'muc_do:kem': (0.0, False), 'kb': (None, True)}
    """
    given: dict[str, tuple[float | None, bool]] = {}
    problems = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        parsed = parse_fraction(value) if sep else None
        if not key.strip() or parsed is None:
            problems.append(FormProblem("", 0, "bad_fractions_option",
                                        f"--fractions: '{part}' phải có dạng mã=tỉ lệ (tỉ lệ từ 0 đến 1, hoặc {DONT_KNOW})"))
            continue
        given[key.strip()] = parsed
    if problems:
        raise XLSFormError(problems)
    return given


def apply_fractions(form: XLSForm, given: Mapping[str, tuple[float | None, bool]]) -> XLSForm:
    """Set option fractions from ``{code or list:code: (fraction, dont_know)}``; they win over the sheet.

    Raises
    ------
    XLSFormError
        When a key names no option of a list the questions use (a typo).
    """
    used = set()
    lists: dict[str, list[Choice]] = {}
    for name, choices in form.lists.items():
        out = []
        for c in choices:
            key = c.key if c.key in given else (c.code if c.code in given else None)
            if key is not None:
                used.add(key)
                fraction, dont_know = given[key]
                c = replace(c, fraction=fraction, dont_know=dont_know, given=True)
            out.append(c)
        lists[name] = out
    unknown = [k for k in given if k not in used]
    if unknown:
        known = ", ".join(c.key for cs in form.lists.values() for c in cs)
        raise XLSFormError([FormProblem("", 0, "unknown_option",
                                        f"--fractions: không có phương án {', '.join(unknown)} trong các danh sách được dùng "
                                        f"(có: {known})")])
    return replace(form, lists=lists)


def missing_fractions_problem(missing: Iterable[Choice]) -> XLSFormError:
    """The error of a non-interactive import with options lacking a fraction."""
    missing = list(missing)
    problems = [FormProblem("choices", c.row, "missing_fraction",
                            f"phương án '{c.code}' ({c.label}) của danh sách '{c.list_name}' chưa có tỉ lệ điểm")
                for c in missing]
    example = ",".join(f"{c.code}=..." for c in missing[:4])
    problems.append(FormProblem("", 0, "missing_fraction",
                                f"{len(missing)} phương án chưa có tỉ lệ điểm: thêm cột par_fraction vào trang choices "
                                f"(số từ 0 đến 1, hoặc {DONT_KNOW}), hoặc dùng --fractions \"{example}\""))
    return XLSFormError(problems)


# --- writing the set -----------------------------------------------------------------


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(str(text), ensure_ascii=False)


def _code(text: str) -> str:
    """A code, quoted unless plainly safe (``H01``; not ``1.1``, ``no`` or ``on``)."""
    text = str(text)
    return text if PLAIN_CODE_RE.match(text) and text.lower() not in YAML_WORDS else _q(text)


def _num(x: float) -> str:
    """A number written short when that reads back exactly, else in full."""
    short = f"{x:.10g}"
    return short if float(short) == x else repr(float(x))


def _comment(text: str) -> str:
    return " ".join(str(text).split())


@dataclass(frozen=True)
class _Plan:
    """Max points of each imported question and of each covered sub-criterion."""

    question_max: dict[str, float]
    question_note: dict[str, str]
    sub_max: dict[str, float]
    sub_note: dict[str, str]


def _plan_points(form: XLSForm, level: Level) -> _Plan:
    subs = {s.code: s for s in level.sub_criteria}
    problems = []
    by_sub: dict[str, list[FormQuestion]] = defaultdict(list)
    for q in form.questions:
        if q.sub_criterion not in subs:
            problems.append(FormProblem("survey", q.row, "unknown_sub_criterion",
                                        f"câu '{q.id}': tiêu chí thành phần '{q.sub_criterion}' không có trong cấp "
                                        f"'{level.code}' của bộ tiêu chí gốc"))
            continue
        by_sub[q.sub_criterion].append(q)
    question_max, question_note, sub_max, sub_note = {}, {}, {}, {}
    for code, qs in by_sub.items():
        base_max = subs[code].max_points
        given = [q for q in qs if q.max_points is not None]
        rest = [q for q in qs if q.max_points is None]
        used = sum(q.max_points for q in given)
        rows = ", ".join(str(q.row) for q in qs)
        if used > base_max + TOLERANCE:
            problems.append(FormProblem("survey", given[0].row, "sum_max_points",
                                        f"par_max_points các câu của tiêu chí thành phần '{code}' (dòng {rows}) cộng lại "
                                        f"{used:g}, vượt điểm tối đa {base_max:g} của bộ tiêu chí"))
            continue
        for q in given:
            question_max[q.id] = q.max_points
        if rest:
            left = base_max - used
            if left <= TOLERANCE:
                problems.append(FormProblem("survey", rest[0].row, "no_points_left",
                                            f"tiêu chí thành phần '{code}': các câu có par_max_points đã dùng hết "
                                            f"{base_max:g} điểm, câu '{rest[0].id}' không còn điểm"))
                continue
            share = left / len(rest)
            for q in rest:
                question_max[q.id] = share
                question_note[q.id] = (
                    f"{_num(left)} điểm của TCTP {code} chia đều cho {len(rest)} câu" if len(rest) > 1 or given
                    else f"điểm tối đa của TCTP {code}")
            sub_max[code] = base_max
        else:
            sub_max[code] = used
            if used < base_max - TOLERANCE:
                sub_note[code] = f"bộ gốc: {base_max:g}; phiếu chỉ hỏi {used:g} điểm (par_max_points)"
    if problems:
        raise XLSFormError(problems)
    return _Plan(question_max, question_note, sub_max, sub_note)


def resolve_target(form: XLSForm, level: str | None, group: str | None) -> tuple[str, str]:
    """The (level, group) to import into: the options win over the ``settings`` sheet."""
    for what, given, sheet in (("cấp", level, form.level), ("đối tượng", group, form.group)):
        if given and sheet and given != sheet:
            form.notes.append(f"trang settings ghi {what} '{sheet}'; dùng '{given}' theo tham số dòng lệnh")
    level, group = level or form.level, group or form.group
    missing = [w for w, v in (("--level (hoặc par_level trong trang settings)", level),
                              ("--group (hoặc par_group trong trang settings)", group)) if not v]
    if missing:
        raise XLSFormError([FormProblem("", 0, "no_target", "cần " + " và ".join(missing))])
    return level, group


def build_set_texts(form: XLSForm, base: CriteriaSet, level_code: str, group_code: str,
                    base_name: str = "bộ tiêu chí mặc định") -> dict[str, str]:
    """The YAML files of a complete set holding the form, checked by the validator.

    Parameters
    ----------
    form : XLSForm
        Every option of the used lists must have its fraction (see :func:`apply_fractions`).
    base : CriteriaSet
        Fields, levels, sub-criteria, groups and classes come from here.
    level_code, group_code : str
        The questionnaire's level and group; both must exist in ``base``.
    base_name : str
        How the comments name the base set.

    Returns
    -------
    dict of str to str
        ``{relative path: YAML text}``, ready for :func:`write_set`.

    Raises
    ------
    XLSFormError
        Missing fractions, an unknown level, group or sub-criterion, max points that do not add up.
    questionnaires.CriteriaSetError
        If the written set would not pass ``parsurvey questionnaires check`` (a bug or a form
        our validator refuses: the problems name the written files).
    """
    missing = form.missing_fractions()
    if missing:
        raise missing_fractions_problem(missing)
    level = base.level_by_code.get(level_code)
    group = base.group_by_code.get(group_code)
    problems = []
    if level is None or not level.surveyed:
        known = ", ".join(lv.code for lv in base.levels if lv.surveyed)
        problems.append(FormProblem("", 0, "unknown_level", f"cấp '{level_code}' không có (hoặc không điều tra) trong bộ tiêu chí gốc (có: {known})"))
    if group is None:
        known = ", ".join(g.code for g in base.groups)
        problems.append(FormProblem("", 0, "unknown_group", f"đối tượng '{group_code}' không có trong bộ tiêu chí gốc (có: {known})"))
    elif level is not None and group.rule_for(level_code) is None:
        problems.append(FormProblem("", 0, "group_not_rating", f"đối tượng '{group_code}' không đánh giá cấp '{level_code}' trong bộ tiêu chí gốc"))
    if problems:
        raise XLSFormError(problems)
    plan = _plan_points(form, level)
    header = [
        f"# Nhập từ XLSForm {form.source}"
        + (f" (form_id {form.form_id}, version {form.version})" if form.form_id or form.version else "")
        + " bằng parsurvey questionnaires import-xlsform.",
    ]
    texts = {
        SET_FILE: _set_yaml(form, base, level, group, plan, header, base_name),
        f"{QUESTIONS_DIR}/{level.code}.yaml": _questions_yaml(form, level, plan, header),
        f"{QUESTIONNAIRES_DIR}/{level.code}-{group.code}.yaml": _questionnaire_yaml(form, level, group, header),
    }
    load_criteria_set_from_texts(texts)  # raises CriteriaSetError: never write a set that does not check
    return texts


def _set_yaml(form, base: CriteriaSet, level: Level, group, plan: _Plan, header, base_name) -> str:
    covered = set(plan.sub_max)
    dropped = [s.code for s in level.sub_criteria if s.code not in covered]
    out = header + [
        f"# Lĩnh vực, cấp, tiêu chí thành phần, đối tượng và xếp loại lấy từ {base_name} ({base.name}).",
        f"# Chỉ giữ: cấp '{level.code}' với các tiêu chí thành phần phiếu có hỏi (điểm lĩnh vực, điểm cấp là tổng của chúng),",
        f"# đối tượng '{group.code}' và các thang đo lấy từ danh sách lựa chọn (trang choices) của phiếu.",
    ]
    if dropped:
        out.append(f"# Tiêu chí thành phần cấp '{level.code}' phiếu không hỏi (đã bỏ): {', '.join(dropped)}.")
    out += [
        f"name: {_q(f'{base.name} — phiếu nhập từ {form.source}')}",
        *( [f"year: {base.year}"] if base.year is not None else [] ),
        "",
        "fields:",
    ]
    for f in base.fields:
        out.append(f"  - {{code: {_q(f.code)}, name: {_q(f.name)}, short_name: {_q(f.short_name)}}}")
    out += ["", "levels:"]
    for lv in base.levels:
        out += [f"  - code: {_code(lv.code)}", f"    name: {_q(lv.name)}"]
        if lv.appraisal_max:
            out.append(f"    appraisal_max: {_num(lv.appraisal_max)}")
        if lv.parent:
            out.append(f"    parent: {_code(lv.parent)}")
        if lv.code != level.code:
            if lv.surveyed:
                out.append("    # không điều tra trong bộ này (phiếu nhập chỉ hỏi cấp " + level.code + ")")
            continue
        by_field: dict[str, list] = defaultdict(list)
        for c in lv.criteria:
            subs = [s for s in c.sub_criteria if s.code in covered]
            if subs:
                by_field[c.field].append((c, subs))
        field_max = {f: sum(plan.sub_max[s.code] for _, subs in cs for s in subs) for f, cs in by_field.items()}
        out.append(f"    survey_max: {_num(sum(field_max.values()))}")
        out.append("    fields:")
        for fcode in [f.code for f in base.fields if f.code in by_field]:
            out += [f"      - field: {_q(fcode)}", f"        survey_max: {_num(field_max[fcode])}", "        criteria:"]
            for c, subs in by_field[fcode]:
                out += [f"          - code: {_q(c.code)}", f"            name: {_q(c.name)}", "            sub_criteria:"]
                for s in subs:
                    note = f"  # {plan.sub_note[s.code]}" if s.code in plan.sub_note else ""
                    out.append(f"              - {{code: {_q(s.code)}, name: {_q(s.name)}, "
                               f"survey_max: {_num(plan.sub_max[s.code])}}}{note}")
    out += ["", "# Thang đo = danh sách lựa chọn của phiếu (list_name); tỉ lệ điểm từ cột par_fraction.", "scales:"]
    for name, choices in form.lists.items():
        out += [f"  - code: {_code(name)}", f"    name: {_q(form.scale_names.get(name, name))}", "    options:"]
        for c in choices:
            tail = "dont_know: true" if c.dont_know else f"fraction: {_num(c.fraction)}"
            out.append(f"      - {{code: {_code(c.code)}, label: {_q(c.label)}, {tail}}}  # choices, dòng {c.row}")
    rule = group.rule_for(level.code)
    out += [
        "",
        "groups:",
        f"  - code: {_code(group.code)}",
        f"    name: {_q(group.name)}",
        f"    reached_by: {group.reached_by}",
        "    rates:",
        f"      - {{level: {_code(rule.level)}, how: {rule.how}}}",
        "",
        "classes:",
    ]
    for band in base.classes:
        out.append(f"  - {{code: {_code(band.code)}, name: {_q(band.name)}, min: {_num(band.min_points)}}}")
    out += ["", "district_rule:", f"  enabled: {'true' if base.district_rule.enabled else 'false'}",
            f"  min_share: {base.district_rule.min_share}"]
    return "\n".join(out) + "\n"


def _questions_yaml(form: XLSForm, level: Level, plan: _Plan, header) -> str:
    out = header + [
        f"# Câu hỏi điều tra XHH {level.name.lower()}: mỗi câu select_one có par_subcriterion của phiếu.",
        "# Điểm tối đa: từ cột par_max_points; nếu không có, điểm tối đa của tiêu chí thành phần chia đều",
        "# cho các câu của nó.",
        f"level: {_code(level.code)}",
        "questions:",
    ]
    for q in form.questions:
        note = f"  # {plan.question_note[q.id]}" if q.id in plan.question_note else ""
        out += [
            f"  - id: {_code(q.id)}   # survey, dòng {q.row}",
            f"    sub_criterion: {_q(q.sub_criterion)}",
            f"    max_points: {_num(plan.question_max[q.id])}{note}",
            f"    scale: {_code(q.list_name)}",
            f"    text: {_q(q.text)}",
        ]
    return "\n".join(out) + "\n"


def _questionnaire_yaml(form: XLSForm, level: Level, group, header) -> str:
    title = form.title or f"Phiếu khảo sát: {group.name} đánh giá {level.name.lower()}"
    out = header + [f"level: {_code(level.code)}", f"group: {_code(group.code)}", f"title: {_q(title)}"]
    if form.intro:
        out.append(f"intro: {_q(form.intro)}")
    out.append("questions:")
    for q in form.questions:
        if q.label != q.text:
            out.append(f"  - {{id: {_code(q.id)}, text: {_q(q.label)}}}")
        else:
            out.append(f"  - {_code(q.id)}   # {_comment(q.text)}")
    return "\n".join(out) + "\n"


def write_set(texts: Mapping[str, str], directory: str | Path) -> list[Path]:
    """Write the set's files into a new (or empty) folder; return the paths written."""
    root = Path(directory)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise XLSFormError([FormProblem("", 0, "out_not_empty",
                                        f"thư mục {root} đã có và không trống: chọn một thư mục mới để khỏi ghi đè")])
    written = []
    for rel, text in texts.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# --- export ----------------------------------------------------------------------------


def read_units(path: str | Path) -> list[tuple[str, str]]:
    """Units for the ``unit`` question from a CSV with columns ``code`` and ``name`` (UTF-8)."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise XLSFormError([FormProblem("", 0, "units_file", f"không đọc được {path.name}: {exc}")]) from exc
    problems, units, seen = [], [], set()
    for n, row in enumerate(rows, start=2):
        row = {str(k).strip().lower(): (v or "").strip() for k, v in row.items() if k}
        code, name = row.get("code", ""), row.get("name", "")
        if not code or not NAME_RE.match(code) or code in seen:
            problems.append(FormProblem(path.name, n, "bad_unit",
                                        f"mã đơn vị '{code}' trống, lặp lại hoặc có ký tự không dùng được trong XLSForm"))
            continue
        seen.add(code)
        units.append((code, name or code))
    if not units and not problems:
        problems.append(FormProblem(path.name, 0, "no_units", "tệp không có đơn vị nào (cần cột code, name)"))
    if problems:
        raise XLSFormError(problems)
    return units


Sheet = tuple[tuple[str, ...], list[tuple]]


def export_sheets(cset: CriteriaSet, level_code: str, group_code: str,
                  units: list[tuple[str, str]] | None = None) -> dict[str, Sheet]:
    """The ``survey``, ``choices`` and ``settings`` sheets of one questionnaire, as plain data.

    Parameters
    ----------
    cset : CriteriaSet
    level_code, group_code : str
        Which questionnaire.
    units : list of (code, name), optional
        With units, ``unit`` is a ``select_one units`` question; without, a ``text``
        question where the unit's code is written.

    Returns
    -------
    dict of str to (headers, rows)

    Examples
    --------
    >>> from questionnaires import load_default_set
    >>> sheets = export_sheets(load_default_set(), "huyen", "nguoi_dan")
    >>> [row[:2] for row in sheets["survey"][1][:3]]
    [('note', 'intro'), ('text', 'unit'), ('select_one quality', 'H03')]
    >>> dict(zip(*[sheets["settings"][0], sheets["settings"][1][0]]))["form_id"]
    'parsurvey_huyen_nguoi_dan'
    """
    qn = cset.questionnaire(level_code, group_code)
    if qn is None:
        known = ", ".join(f"{q.level}/{q.group}" for q in cset.questionnaires)
        raise XLSFormError([FormProblem("", 0, "no_questionnaire",
                                        f"bộ tiêu chí không có phiếu của đối tượng '{group_code}' cho cấp '{level_code}' (có: {known})")])
    bad = [qid for qid in qn.question_ids if not NAME_RE.match(qid) or qid == UNIT_FIELD]
    if bad:
        raise XLSFormError([FormProblem("", 0, "bad_name",
                                        f"mã câu hỏi {', '.join(bad)} không dùng được làm tên trong XLSForm "
                                        "(phải bắt đầu bằng chữ, chỉ gồm chữ, số, _, ., -; khác 'unit')")])
    level = cset.level_by_code[level_code]
    survey: list[tuple] = []
    if qn.intro:
        survey.append(("note", "intro", qn.intro, "", "", "", ""))
    unit_label = f"Đơn vị được đánh giá ({level.name.lower()})" + ("" if units else ": ghi mã đơn vị")
    survey.append((f"select_one {UNITS_LIST}" if units else "text", UNIT_FIELD, unit_label, "yes", "", "", ""))
    used_scales: list[str] = []
    for item in qn.items:
        q = cset.question_by_key[(level_code, item.question)]
        if q.scale not in used_scales:
            used_scales.append(q.scale)
        survey.append((f"select_one {q.scale}", q.id, item.text, "yes", q.sub_criterion, q.max_points,
                       q.text if q.text != item.text else ""))
    choices: list[tuple] = []
    for code in sorted(used_scales, key=[s.code for s in cset.scales].index):
        scale = cset.scale_by_code[code]
        for o in scale.options:
            choices.append((scale.code, o.code, o.label, DONT_KNOW if o.dont_know else o.fraction, scale.name))
    for code, name in units or ():
        choices.append((UNITS_LIST, code, name, "", ""))
    settings = [(qn.title, f"parsurvey_{level_code}_{group_code}", cset.digest[:12] or "1",
                 DEFAULT_LANGUAGE, level_code, group_code)]
    return {
        "survey": (SURVEY_COLUMNS, survey),
        "choices": (CHOICES_COLUMNS, choices),
        "settings": (SETTINGS_COLUMNS, settings),
    }


def write_workbook(sheets: Mapping[str, Sheet], path: str | Path) -> Path:
    """Write ``{sheet: (headers, rows)}`` as an ``.xlsx`` file."""
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (headers, rows) in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(list(headers))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(list(row))
        ws.freeze_panes = "A2"
        for i, header in enumerate(headers, start=1):
            width = max([len(str(header))] + [len(str(r[i - 1])) for r in rows[:200]])
            ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width = min(max(width + 2, 10), 80)
    wb.save(path)
    return Path(path)
