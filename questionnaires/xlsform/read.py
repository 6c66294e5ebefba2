"""Reading an XLSForm workbook (``survey``, ``choices``, ``settings``) and its option fractions."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from pathlib import Path

from .. import tabular
from ..model import COMMENT_MAX
from .form import (
    DEFAULT_CHOOSE_UP_TO,
    DONT_KNOW,
    LOGIC_COLUMNS,
    METADATA_TYPES,
    NAME_RE,
    UNIT_FIELD,
    UNSCORED,
    VI_LABEL,
    Choice,
    FormProblem,
    FormQuestion,
    Skipped,
    XLSForm,
    XLSFormError,
)

# The sheets an XLSForm is read from; any other sheet of the workbook is not read at all.
FORM_SHEETS = ("survey", "choices", "settings")
# A sheet whose values reach further below its header than this is refused: no questionnaire is that long.
# Excel and LibreOffice may declare (and format) a sheet down to row 1,048,576 and across 1,024 columns:
# the declaration is not trusted, a sheet is read down to its last row holding a value (tabular).
MAX_ROWS = 100_000
# Question types whose choices live outside the workbook: their options, hence their scores, are unknown.
FROM_FILE_TYPES = ("select_one_from_file", "select_multiple_from_file")
EXTERNAL_TYPE = "select_one_external"
# A group of background questions ("thông tin người trả lời"): a select_one in it without par_subcriterion is
# a profile question. Matched on the group's name: thong_tin, thong_tin_nguoi_tra_loi, profile, respondent.
PROFILE_GROUP = re.compile(r"thong_?tin|profile|respondent|nhan_khau", re.IGNORECASE)
_COUNT_SELECTED = re.compile(r"count-selected\(\s*\.\s*\)\s*(<=|<)\s*(\d+)")
_STRING_LENGTH = re.compile(r"string-length\(\s*\.\s*\)\s*(<=|<)\s*(\d+)")
OTHER_KINDS = ("profile", "expectation", "comment")


def _limit(pattern: re.Pattern, constraint: str, default: int) -> int:
    """The bound a constraint puts (``<= 3`` is 3, ``< 3`` is 2), else ``default``.

    Examples
    --------
    >>> _limit(_COUNT_SELECTED, "count-selected(.) <= 2", 3), _limit(_COUNT_SELECTED, "count-selected(.)<4", 3)
    (2, 3)
    >>> _limit(_STRING_LENGTH, "string-length(.) <= 300", 500), _limit(_STRING_LENGTH, "", 500)
    (300, 500)
    """
    match = pattern.search(constraint or "")
    if match is None:
        return default
    return int(match.group(2)) - (1 if match.group(1) == "<" else 0)


def _question_kind(type_: str, par_kind: str, sub: str, list_unscored: bool, in_profile_group: bool) -> str | None:
    """What a survey row of a question type becomes: ``scored``, ``profile``, ``expectation``, ``comment``, or
    None (not imported).

    ``text`` is a comment and ``select_multiple`` an expectation; a ``select_one`` is scored with a
    ``par_subcriterion``, else a profile question when ``par_kind`` says so, its list is marked
    ``par_scored: no`` or it sits in a group of background questions (:data:`PROFILE_GROUP`).

    Examples
    --------
    >>> [_question_kind("select_one", "", "1.2.1", False, False), _question_kind("select_one", "", "", False, True),
    ...  _question_kind("select_one", "", "", False, False), _question_kind("select_multiple", "", "", True, False),
    ...  _question_kind("text", "", "", False, False), _question_kind("integer", "", "", False, False)]
    ['scored', 'profile', None, 'expectation', 'comment', None]
    """
    if type_ == "text":
        return "comment"
    if type_ == "select_multiple":
        return "expectation"
    if type_ != "select_one":
        return None
    if par_kind == "profile" or (not sub and (list_unscored or in_profile_group)):
        return "profile"
    return "scored" if sub else None

# --- reading a workbook ----------------------------------------------------------


def _split_translated(header: str) -> tuple[str, str | None]:
    """``(column, language)`` of a header: ``label::English (en)`` and ``label:English (en)`` alike.

    pyxform splits a header on ``::``, or on a single ``:`` (the older spelling).

    Examples
    --------
    >>> _split_translated("label::Vietnamese (vi)"), _split_translated("Label:en"), _split_translated("label")
    (('label', 'Vietnamese (vi)'), ('label', 'en'), ('label', None))
    """
    base, sep, language = header.partition("::")
    if not sep:
        base, sep, language = header.partition(":")
    base = "_".join(base.split()).lower()
    return (base, language.strip() or None) if sep else (base, None)


def _is_vietnamese(language: str | None) -> bool:
    """Whether a label language names Vietnamese (``Vietnamese (vi)``, ``vi``, ``Tiếng Việt``, ...).

    Examples
    --------
    >>> [_is_vietnamese(x) for x in ("Vietnamese (vi)", "vi", "vi-VN", "Tiếng Việt", "English (en)", None)]
    [True, True, True, True, False, False]
    """
    if not language:
        return False
    low = language.lower()
    return bool(re.search(r"\(vi([-_][a-z]+)?\)", low) or re.fullmatch(r"vi([-_][a-z]+)?|vie", low)
                or "vietnam" in low or "tiếng việt" in low or "tieng viet" in low)


def _language_name(header: str) -> str:
    """How a note names the language of a label column."""
    language = _split_translated(header)[1]
    return language if language else f"ngôn ngữ mặc định (cột '{header}')"


@dataclass
class _Sheet:
    """A sheet as header names and its filled rows of cells, with Excel row numbers."""

    name: str
    headers: list[str]
    rows: list[tuple[int, tuple]]
    index: dict[str, int] = dc_field(init=False)

    def __post_init__(self):
        self.index = {h.lower(): i for i, h in reversed(list(enumerate(self.headers))) if h}

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

    def label_columns(self, base: str = "label", default_language: str = "") -> list[str]:
        """The ``label`` columns (``label``, ``label::Lang``, ``label:Lang``) in the order they are used.

        Vietnamese first, then a plain ``label``, then the form's ``default_language``,
        then the other languages in sheet order.
        """
        cols = [h for h in self.headers if h and _split_translated(h)[0] == base]

        def rank(h: str) -> int:
            language = _split_translated(h)[1]
            if _is_vietnamese(language):
                return 0
            if language is None:
                return 1
            return 2 if default_language and language.lower() == default_language.strip().lower() else 3

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


def _read_sheet(name: str, ws) -> _Sheet:
    """A sheet's rows down to its last row holding a value, within the columns its header row fills.

    Row 1 is the header; cells right of its last filled heading are not read (no column name,
    nothing to read). Blank rows anywhere are skipped, so a question after a thousand blank rows
    is read like any other; the declared dimension costs nothing (:func:`.tabular.sheet_table`).

    Raises
    ------
    XLSFormError
        When the sheet's header is wider than :data:`.tabular.MAX_COLUMNS` or its values reach
        further than :data:`MAX_ROWS` rows below the header (naming the row).
    """
    try:
        table = tabular.sheet_table(ws, tabular.Limits(rows=MAX_ROWS, cells=None))
    except tabular.TableError as exc:
        raise XLSFormError([FormProblem(name, exc.row or 0, exc.code, f"{exc.fact}: không phải một phiếu hỏi; kiểm "
                                        "tra xem có dán nhầm dữ liệu vào trang này không")]) from None
    return _Sheet(name, [_cell_text(h) for h in table.header], [(n, tuple(cells)) for n, cells in table.rows])


def _open_workbook(path: Path):
    if not Path(path).is_file():
        raise XLSFormError([FormProblem("", 0, "missing_file", f"không tìm thấy tệp {path}")])
    try:
        return tabular.open_workbook(Path(path))
    except tabular.TableError as exc:
        if exc.code != "unreadable":
            raise XLSFormError([FormProblem("", 0, exc.code, exc.message)]) from exc
        cause = type(exc.__cause__).__name__ if exc.__cause__ else "BadZipFile"
        raise XLSFormError([FormProblem("", 0, "not_xlsx", f"không đọc được {Path(path).name} như một tệp Excel .xlsx "
                                        f"({cause}); tệp .xls cũ cần lưu lại dưới dạng .xlsx")]) from exc
    except OSError as exc:
        raise XLSFormError([FormProblem("", 0, "not_xlsx", f"không đọc được {Path(path).name} ({exc})")]) from exc


def _sheets(wb) -> tuple[dict[str, _Sheet], list[str]]:
    """The form's sheets (:data:`FORM_SHEETS`, read) and the names of every sheet of the workbook."""
    names = [ws.title.strip().lower() for ws in wb.worksheets]
    read = {name: _read_sheet(name, ws) for name, ws in zip(names, wb.worksheets) if name in FORM_SHEETS}
    return read, names


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


# Spellings of a type pyxform accepts, longest first: "select one from file x.csv" is not list "from".
_TYPE_ALIASES = sorted({
    ("select", "one", "from", "file"): "select_one_from_file",
    ("select", "multiple", "from", "file"): "select_multiple_from_file",
    ("select", "all", "that", "apply", "from"): "select_multiple",
    ("select", "all", "that", "apply"): "select_multiple",
    ("select", "one", "from"): "select_one",
    ("select", "one"): "select_one", ("select", "multiple"): "select_multiple",
    ("begin", "group"): "begin_group", ("end", "group"): "end_group",
    ("begin", "repeat"): "begin_repeat", ("end", "repeat"): "end_repeat",
}.items(), key=lambda item: -len(item[0]))


def _normal_type(text: str) -> list[str]:
    """A ``type`` cell as tokens, its first one spelled the canonical way.

    Examples
    --------
    >>> _normal_type("select one muc_do"), _normal_type("select one from file don_vi.csv")
    (['select_one', 'muc_do'], ['select_one_from_file', 'don_vi.csv'])
    """
    tokens = text.strip().split()
    if not tokens:
        return []
    low = [t.lower() for t in tokens]
    for words, name in _TYPE_ALIASES:
        if tuple(low[: len(words)]) == words:
            return [name] + tokens[len(words):]
    return [low[0]] + tokens[1:]


def _outside_choices_reason(kind: str, tokens: list[str]) -> str:
    """Why a question whose choices live outside the ``choices`` sheet cannot be scored."""
    if kind == EXTERNAL_TYPE:
        where = "trang external_choices (thành tệp itemsets.csv đi kèm phiếu)"
    else:
        where = f"tệp ngoài '{tokens[1]}'" if len(tokens) > 1 else "một tệp ngoài (thiếu tên tệp)"
    reason = (f"danh sách lựa chọn nằm trong {where}, không có trong trang choices: không biết các phương án "
              "và tỉ lệ điểm của chúng nên không chấm điểm được")
    if kind == "select_multiple_from_file":
        return "chọn nhiều phương án (select_multiple) không chấm điểm được; " + reason
    return (reason + "; muốn chấm câu này, chép các phương án vào trang choices (có par_fraction) "
            "và đổi kiểu thành 'select_one <tên danh sách>'")


def read_xlsform(path: str | Path) -> XLSForm:
    """Read the parts of an XLSForm a criteria set can hold, and list the rest.

    Only the ``survey``, ``choices`` and ``settings`` sheets are read, each down to
    its last row holding a value (blank rows in between are skipped; its declared
    dimension is not trusted) and within its header's columns. Labels
    come from one language (``label::Lang``, ``label:Lang`` or ``label``;
    Vietnamese first): the label languages left out are reported in
    :attr:`XLSForm.notes`. Only the choice lists of the imported questions are
    checked.

    Parameters
    ----------
    path : str or Path
        An ``.xlsx`` file with ``survey``, ``choices`` and (optionally) ``settings`` sheets.

    Returns
    -------
    XLSForm
        Questions (``select_one`` rows with a ``par_subcriterion``), the choice
        lists they use, the rows left out (:attr:`XLSForm.skipped`) and notes for
        the person importing (:attr:`XLSForm.notes`).

    Raises
    ------
    XLSFormError
        With every structural problem found (no ``survey`` sheet, a list that
        does not exist, a fraction out of range, a sheet reaching more than
        :data:`MAX_ROWS` rows below its header, ...), each with sheet and row.
    """
    path = Path(path)
    wb = _open_workbook(path)
    try:
        sheets, sheet_names = _sheets(wb)
    finally:
        wb.close()
    problems: list[FormProblem] = []
    survey = sheets.get("survey")
    if survey is None:
        names = ", ".join(sorted(sheet_names)) or "không có trang nào"
        raise XLSFormError(
            [
                FormProblem(
                    "",
                    0,
                    "no_survey_sheet",
                    f"{path.name} không có trang 'survey' (các trang: {names}): không phải một XLSForm",
                )
            ]
        )
    settings = sheets.get("settings")
    setting = {}
    if settings is not None and settings.rows:
        first = settings.rows[0][1]
        setting = {h.lower(): settings.get(first, h) for h in settings.headers if h}
    default_language = setting.get("default_language", "")

    for column in ("type", "name"):
        if not survey.has(column):
            problems.append(FormProblem("survey", 1, "missing_column", f"trang survey thiếu cột '{column}'"))
    labels = survey.label_columns(default_language=default_language)
    if not labels:
        problems.append(FormProblem("survey", 1, "missing_column",
                                    f"trang survey thiếu cột nhãn ('{VI_LABEL}' hoặc 'label')"))
    if problems:
        raise XLSFormError(problems)

    notes: list[str] = []
    if not _is_vietnamese(_split_translated(labels[0])[1]) and labels[0].lower() != "label":
        notes.append(f"không có cột nhãn tiếng Việt: dùng cột '{labels[0]}'")
    if not survey.has("par_subcriterion"):
        notes.append("trang survey không có cột par_subcriterion: không câu select_one nào được nhập "
                     "(thêm cột này, ghi mã tiêu chí thành phần, ví dụ 1.5.3)")

    choices_sheet = sheets.get("choices")
    all_lists = _read_lists(choices_sheet, default_language) if choices_sheet else _Lists({}, [], [])

    questions: list[FormQuestion] = []
    skipped: list[Skipped] = []
    seen: dict[str, int] = {}
    intro = ""
    stack: list[str] = []
    needs_choices = False  # a scored question to import uses the choices sheet
    outside_scored: list[int] = []  # rows of questions with a par_subcriterion whose choices are outside the form
    fallback_rows: list[int] = []  # rows of imported questions labelled from a later label column
    for row_no, row in survey.rows:
        type_text = survey.get(row, "type")
        name = survey.get(row, "name")
        tokens = _normal_type(type_text)
        if not tokens:
            if name:
                skipped.append(Skipped(row_no, "(không có type)", name, "dòng không có kiểu câu hỏi"))
            continue
        kind = tokens[0]
        label_col = next((c for c in labels if survey.get(row, c)), None)
        label = survey.get(row, label_col)
        if kind in ("begin_group", "begin_repeat"):
            stack.append(name)
            if kind == "begin_group":
                notes.append(
                    f"nhóm '{name}' (dòng {row_no}) được làm phẳng: các câu bên trong thành câu hỏi thường của phiếu"
                )
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
        if kind in FROM_FILE_TYPES or kind == EXTERNAL_TYPE:
            skipped.append(Skipped(row_no, type_text, name, _outside_choices_reason(kind, tokens)))
            if survey.get(row, "par_subcriterion"):
                outside_scored.append(row_no)
            continue
        sub = survey.get(row, "par_subcriterion")
        par_kind = survey.get(row, "par_kind").strip().lower()
        list_unscored = len(tokens) > 1 and tokens[1] in all_lists.lists and all_lists.lists[tokens[1]].unscored
        qkind = _question_kind(kind, par_kind, sub, list_unscored, any(PROFILE_GROUP.search(g) for g in stack))
        if qkind is None:
            if kind == "select_one":
                skipped.append(Skipped(row_no, type_text, name, "không có par_subcriterion (câu hỏi không thuộc "
                                       "tiêu chí thành phần nào, không chấm điểm)"))
            else:
                what = "siêu dữ liệu (metadata), không phải câu trả lời" if kind in METADATA_TYPES else \
                    "kiểu câu hỏi không nhập được (chỉ select_one, select_multiple và text được nhập)"
                skipped.append(Skipped(row_no, type_text, name, what))
            continue
        if kind != "text":
            if len(tokens) < 2:
                problems.append(FormProblem("survey", row_no, "missing_list",
                                            f"câu '{name}': {kind} thiếu tên danh sách"))
                continue
            if choices_sheet is None:
                problems.append(FormProblem("survey", row_no, "no_choices_sheet", f"câu '{name}' ({type_text}) "
                                            "cần trang 'choices' nhưng tệp không có trang này"))
                continue
            needs_choices = needs_choices or qkind == "scored"
            if all_lists.sheet_problems:  # the choices sheet cannot be read: said once, after the survey rows
                continue
            if tokens[1] not in all_lists.lists:
                problems.append(FormProblem("survey", row_no, "missing_list",
                                            f"câu '{name}' ({type_text}) dùng danh sách '{tokens[1]}' nhưng trang "
                                            "choices không có danh sách này"))
                continue
        if not name or not NAME_RE.match(name):
            problems.append(
                FormProblem(
                    "survey", row_no, "bad_name", f"tên câu hỏi '{name}' không hợp lệ (chữ, số, _; không dấu cách)"
                )
            )
            continue
        if name in seen:
            problems.append(
                FormProblem(
                    "survey", row_no, "duplicate_name", f"tên câu hỏi '{name}' lặp lại (đã có ở dòng {seen[name]})"
                )
            )
            continue
        seen[name] = row_no
        if not label:
            problems.append(
                FormProblem("survey", row_no, "missing_label", f"câu '{name}' không có nhãn (nội dung câu hỏi)")
            )
            continue
        max_text = survey.get(row, "par_max_points") if qkind == "scored" else ""
        max_points = None
        if max_text:
            max_points = _number(max_text)
            if max_points is None or max_points <= 0:
                problems.append(FormProblem("survey", row_no, "bad_max_points",
                                            f"par_max_points '{max_text}' của câu '{name}' phải là một số lớn hơn 0"))
                continue
        extras = [t for t in tokens[2:]]
        if "or_other" in (t.lower() for t in extras):
            skipped.append(
                Skipped(row_no, type_text, name, "phương án 'khác' (or_other) không chấm điểm được: bỏ phương án này")
            )
        used_logic = ("constraint",) if qkind in ("expectation", "comment") else ()
        lost = [c for c in LOGIC_COLUMNS if survey.get(row, c) and c not in used_logic]
        if lost:
            notes.append(f"câu '{name}' (dòng {row_no}): bỏ {', '.join(lost)} — phiếu của chúng tôi hỏi mọi câu")
        if label_col != labels[0]:
            fallback_rows.append(row_no)
        text = survey.get(row, "par_text") or label
        constraint = survey.get(row, "constraint")
        if qkind == "expectation":
            n = len(all_lists.lists[tokens[1]].choices)
            extra = {"choose_up_to": max(1, min(_limit(_COUNT_SELECTED, constraint, DEFAULT_CHOOSE_UP_TO), n))}
        elif qkind == "comment":
            extra = {"max_length": max(1, _limit(_STRING_LENGTH, constraint, COMMENT_MAX))}
        else:
            extra = {}
        questions.append(FormQuestion(row_no, name, label, tokens[1] if kind != "text" else "",
                                      sub if qkind == "scored" else "", max_points, text, qkind, **extra))
    if needs_choices:  # without a scored question there is nothing to import (said below), whatever the sheet
        problems.extend(all_lists.sheet_problems)
    used_names = {q.list_name for q in questions if q.list_name}
    used = [name for name in all_lists.lists if name in used_names]  # in choices-sheet order
    scored_lists = {q.list_name for q in questions if q.kind == "scored"}
    for q in questions:
        if q.list_name and q.kind != "scored" and q.list_name in scored_lists:
            problems.append(FormProblem("survey", q.row, "mixed_list",
                                        f"câu '{q.id}' không tính điểm nhưng dùng danh sách '{q.list_name}' của câu "
                                        "tính điểm: dùng một danh sách riêng"))
    for list_name in used:
        problems.extend(all_lists.lists[list_name].problems)
    if problems:
        raise XLSFormError(problems)
    if not any(q.kind == "scored" for q in questions):
        why = "" if survey.has("par_subcriterion") else " (trang survey thiếu cột par_subcriterion)"
        if outside_scored:
            why += (f" (câu ở dòng {', '.join(map(str, outside_scored))} có par_subcriterion nhưng danh sách lựa chọn "
                    "nằm ngoài trang choices, trong tệp ngoài: chép các phương án vào trang choices)")
        raise XLSFormError(
            [
                FormProblem(
                    "survey",
                    0,
                    "no_question",
                    "không có câu select_one nào có par_subcriterion: không có gì để nhập" + why,
                )
            ]
        )

    notes += _label_notes(survey, labels, fallback_rows, all_lists, used)
    lists = {name: all_lists.lists[name].choices for name in used}
    scale_names = {name: all_lists.lists[name].scale_name or name for name in used}
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
        unscored=frozenset(name for name in used if name not in scored_lists),
    )


def _label_notes(survey: _Sheet, labels: list[str], fallback_rows: list[int], all_lists: _Lists,
                 used: list[str]) -> list[str]:
    """Notes naming the label languages not imported, and the rows labelled from another language."""
    per_sheet = [("survey", labels, fallback_rows)]
    if all_lists.labels:
        per_sheet.append(("choices", all_lists.labels,
                          sorted(n for name in used for n in all_lists.lists[name].fallback_rows)))
    notes: list[str] = []
    dropped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for sheet, cols, _ in per_sheet:
        if len(cols) > 1:
            dropped.setdefault((cols[0], tuple(_language_name(c) for c in cols[1:])), []).append(sheet)
    for (chosen, languages), sheet_list in dropped.items():
        notes.append(f"nhãn có {len(languages) + 1} ngôn ngữ: dùng cột '{chosen}'; bỏ nhãn {', '.join(languages)} "
                     f"(trang {', '.join(sheet_list)})")
    for sheet, cols, rows in per_sheet:
        if rows:
            notes.append(f"trang {sheet}, dòng {', '.join(map(str, rows))}: cột '{cols[0]}' trống, "
                         "dùng nhãn của ngôn ngữ khác")
    return notes


@dataclass
class _List:
    """One choice list: its options, scale name, the problems of its rows."""

    choices: list[Choice] = dc_field(default_factory=list)
    scale_name: str = ""
    problems: list[FormProblem] = dc_field(default_factory=list)
    fallback_rows: list[int] = dc_field(default_factory=list)  # options labelled from a later label column
    unscored: bool = False  # a row of the list says par_scored: no


@dataclass
class _Lists:
    """The ``choices`` sheet: its lists, the problems of the sheet as a whole, its label columns."""

    lists: dict[str, _List]
    sheet_problems: list[FormProblem]
    labels: list[str]


def _read_lists(sheet: _Sheet, default_language: str = "") -> _Lists:
    """The choice lists, each with its own problems: only the lists a question imports are checked."""
    list_col = "list_name" if sheet.has("list_name") else ("list name" if sheet.has("list name") else None)
    if list_col is None or not sheet.has("name"):
        return _Lists({}, [FormProblem("choices", 1, "missing_column",
                                       "trang choices phải có cột 'list_name' và 'name'")], [])
    labels = sheet.label_columns(default_language=default_language)
    if not labels:
        return _Lists({}, [FormProblem("choices", 1, "missing_column",
                                       f"trang choices thiếu cột nhãn ('{VI_LABEL}' hoặc 'label')")], [])
    has_fraction = sheet.has("par_fraction")
    lists: dict[str, _List] = {}
    seen: dict[tuple[str, str], int] = {}
    dont_know_row: dict[str, int] = {}
    for row_no, row in sheet.rows:
        list_name, code = sheet.get(row, list_col), sheet.get(row, "name")
        if not list_name:
            continue
        one = lists.setdefault(list_name, _List())
        if not code:
            one.problems.append(
                FormProblem("choices", row_no, "missing_name", f"phương án của danh sách '{list_name}' thiếu 'name'")
            )
            continue
        if (list_name, code) in seen:
            one.problems.append(
                FormProblem(
                    "choices",
                    row_no,
                    "duplicate_choice",
                    f"phương án '{code}' lặp lại trong danh sách '{list_name}' "
                    f"(đã có ở dòng {seen[(list_name, code)]})",
                )
            )
            continue
        seen[(list_name, code)] = row_no
        label_col = next((c for c in labels if sheet.get(row, c)), None)
        label = sheet.get(row, label_col) or code
        fraction, dont_know, given = None, False, False
        text = sheet.get(row, "par_fraction") if has_fraction else ""
        if text:
            parsed = parse_fraction(text)
            if parsed is None:
                one.problems.append(
                    FormProblem(
                        "choices",
                        row_no,
                        "bad_fraction",
                        f"par_fraction '{text}' của phương án '{code}' (danh sách '{list_name}') phải là "
                        f"một số từ 0 đến 1, hoặc '{DONT_KNOW}' cho phương án không biết",
                    )
                )
                continue
            (fraction, dont_know), given = parsed, True
            if dont_know:
                if list_name in dont_know_row:
                    one.problems.append(
                        FormProblem(
                            "choices",
                            row_no,
                            "dont_know_twice",
                            f"danh sách '{list_name}' đã có phương án không biết ở dòng {dont_know_row[list_name]}",
                        )
                    )
                    continue
                dont_know_row[list_name] = row_no
        if sheet.get(row, "par_scored").strip().lower() in (UNSCORED, "false", "0", "không"):
            one.unscored = True
        if not one.scale_name and sheet.get(row, "par_scale_name"):
            one.scale_name = sheet.get(row, "par_scale_name")
        one.choices.append(Choice(list_name, code, label, row_no, fraction, dont_know, given))
        if label_col is not None and label_col != labels[0]:
            one.fallback_rows.append(row_no)
    return _Lists(lists, [], labels)


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
            problems.append(
                FormProblem(
                    "",
                    0,
                    "bad_fractions_option",
                    f"--fractions: '{part}' phải có dạng mã=tỉ lệ (tỉ lệ từ 0 đến 1, hoặc {DONT_KNOW})",
                )
            )
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
        raise XLSFormError(
            [
                FormProblem(
                    "",
                    0,
                    "unknown_option",
                    f"--fractions: không có phương án {', '.join(unknown)} trong các danh sách được dùng (có: {known})",
                )
            ]
        )
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
