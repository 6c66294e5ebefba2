"""Reading an XLSForm workbook (``survey``, ``choices``, ``settings``) and its option fractions."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from .form import (
    DONT_KNOW,
    LOGIC_COLUMNS,
    METADATA_TYPES,
    NAME_RE,
    UNIT_FIELD,
    VI_LABEL,
    Choice,
    FormProblem,
    FormQuestion,
    Skipped,
    XLSForm,
    XLSFormError,
)

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
    from zipfile import BadZipFile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

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
            problems.append(
                FormProblem("survey", row_no, "missing_list", f"câu '{name}': select_one thiếu tên danh sách")
            )
            continue
        sub = survey.get(row, "par_subcriterion")
        if not sub:
            skipped.append(
                Skipped(
                    row_no,
                    type_text,
                    name,
                    "không có par_subcriterion (câu hỏi không thuộc tiêu chí thành phần nào, không chấm điểm)",
                )
            )
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
            skipped.append(
                Skipped(row_no, type_text, name, "phương án 'khác' (or_other) không chấm điểm được: bỏ phương án này")
            )
        lost = [c for c in LOGIC_COLUMNS if survey.get(row, c)]
        if lost:
            notes.append(f"câu '{name}' (dòng {row_no}): bỏ {', '.join(lost)} — phiếu của chúng tôi hỏi mọi câu")
        text = survey.get(row, "par_text") or label
        questions.append(FormQuestion(row_no, name, label, tokens[1], sub, max_points, text))
    if problems:
        raise XLSFormError(problems)
    if not questions:
        raise XLSFormError(
            [
                FormProblem(
                    "survey",
                    0,
                    "no_question",
                    "không có câu select_one nào có par_subcriterion: không có gì để nhập"
                    + ("" if survey.has("par_subcriterion") else " (trang survey thiếu cột par_subcriterion)"),
                )
            ]
        )

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
        problems.append(
            FormProblem("choices", 1, "missing_column", f"trang choices thiếu cột nhãn ('{VI_LABEL}' hoặc 'label')")
        )
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
            problems.append(
                FormProblem("choices", row_no, "missing_name", f"phương án của danh sách '{list_name}' thiếu 'name'")
            )
            continue
        if (list_name, code) in seen:
            problems.append(
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
        label = next((sheet.get(row, c) for c in labels if sheet.get(row, c)), "") or code
        fraction, dont_know, given = None, False, False
        text = sheet.get(row, "par_fraction") if has_fraction else ""
        if text:
            parsed = parse_fraction(text)
            if parsed is None:
                problems.append(
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
                    problems.append(
                        FormProblem(
                            "choices",
                            row_no,
                            "dont_know_twice",
                            f"danh sách '{list_name}' đã có phương án không biết ở dòng {dont_know_row[list_name]}",
                        )
                    )
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
