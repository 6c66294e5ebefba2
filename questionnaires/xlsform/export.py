"""One questionnaire as an XLSForm that pyxform converts and that re-imports unchanged."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .. import tabular
from ..model import CriteriaSet
from .form import (
    CHOICES_COLUMNS,
    DEFAULT_LANGUAGE,
    DONT_KNOW,
    NAME_RE,
    SETTINGS_COLUMNS,
    SURVEY_COLUMNS,
    UNIT_FIELD,
    UNITS_LIST,
    UNSCORED,
    FormProblem,
    XLSFormError,
)

# --- export ----------------------------------------------------------------------------

UNITS_HEADINGS = {"mã": "code", "mã đơn vị": "code", "tên": "name", "tên đơn vị": "name"}


def read_units(path: str | Path) -> list[tuple[str, str]]:
    """Units for the ``unit`` question from a table with columns ``code`` (``Mã``) and ``name`` (``Tên``): CSV as Excel
    or a phone writes it (UTF-8, UTF-16 or Windows-1258; comma, semicolon or tab) or XLSX, read by
    :mod:`..tabular` (names NFC-normalized)."""
    path = Path(path)
    try:
        table = tabular.read_any(path.read_bytes(), path.name, tabular.LOCAL)
    except tabular.TableError as exc:
        raise XLSFormError([FormProblem(path.name, exc.row or 0, "units_file",
                                        f"không đọc được {path.name}: {exc.message}")]) from None
    except OSError as exc:
        raise XLSFormError([FormProblem("", 0, "units_file", f"không đọc được {path.name}: {exc}")]) from exc
    headings = [UNITS_HEADINGS.get(" ".join(h.lower().split()), h.lower()) for h in table.header]
    rows = [(n, dict(zip(headings, cells))) for n, cells in table.rows]
    problems, units, seen = [], [], set()
    for n, row in rows:
        row = {k: (v or "").strip() for k, v in row.items() if k}
        code, name = row.get("code", ""), row.get("name", "")
        if not code or not NAME_RE.match(code) or code in seen:
            problems.append(
                FormProblem(
                    path.name,
                    n,
                    "bad_unit",
                    f"mã đơn vị '{code}' trống, lặp lại hoặc có ký tự không dùng được trong XLSForm",
                )
            )
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
        raise XLSFormError(
            [
                FormProblem(
                    "",
                    0,
                    "no_questionnaire",
                    f"bộ tiêu chí không có phiếu của đối tượng '{group_code}' cho cấp '{level_code}' (có: {known})",
                )
            ]
        )
    bad = [qid for qid in qn.question_ids if not NAME_RE.match(qid) or qid == UNIT_FIELD]
    if bad:
        raise XLSFormError([FormProblem("", 0, "bad_name",
                                        f"mã câu hỏi {', '.join(bad)} không dùng được làm tên trong XLSForm "
                                        "(phải bắt đầu bằng chữ, chỉ gồm chữ, số, _, ., -; khác 'unit')")])
    level = cset.level_by_code[level_code]
    survey: list[tuple] = []
    blank = ("",) * 4  # par_kind, hint, constraint, constraint message
    if qn.intro:
        survey.append(("note", "intro", qn.intro, "", "", "", "") + blank)
    unit_label = f"Đơn vị được đánh giá ({level.name.lower()})" + ("" if units else ": ghi mã đơn vị")
    survey.append((f"select_one {UNITS_LIST}" if units else "text", UNIT_FIELD, unit_label, "yes", "", "", "")
                  + blank)
    used_scales: list[str] = []
    for item in qn.items:
        q = cset.question_by_key[(level_code, item.question)]
        if q.scale and q.scale not in used_scales:
            used_scales.append(q.scale)
        survey.append(_survey_row(q, item.text))
    choices: list[tuple] = []
    for code in sorted(used_scales, key=[s.code for s in cset.scales].index):
        scale = cset.scale_by_code[code]
        for o in scale.options:
            fraction = DONT_KNOW if o.dont_know else (o.fraction if scale.scored else "")
            choices.append((scale.code, o.code, o.label, fraction, scale.name, "" if scale.scored else UNSCORED))
    for code, name in units or ():
        choices.append((UNITS_LIST, code, name, "", "", ""))
    settings = [(qn.title, f"parsurvey_{level_code}_{group_code}", cset.digest[:12] or "1",
                 DEFAULT_LANGUAGE, level_code, group_code)]
    return {
        "survey": (SURVEY_COLUMNS, survey),
        "choices": (CHOICES_COLUMNS, choices),
        "settings": (SETTINGS_COLUMNS, settings),
    }


def _survey_row(q, label: str) -> tuple:
    """One question's survey row (:data:`SURVEY_COLUMNS`): a scored question is a required ``select_one`` with
    its sub-criterion and points (none written when 0, as in a SIPAS set); a profile question an optional
    ``select_one``; an expectation a ``select_multiple`` whose constraint and hint say how many may be chosen;
    a comment a ``text`` whose constraint is its length limit. ``par_kind`` names the kind of the last three.
    """
    wording = q.text if q.text != label else ""
    if q.kind == "scored":
        return (f"select_one {q.scale}", q.id, label, "yes", q.sub_criterion, q.max_points or "", wording,
                "", "", "", "")
    if q.kind == "profile":
        return (f"select_one {q.scale}", q.id, label, "", "", "", wording, q.kind, "", "", "")
    if q.kind == "expectation":
        n = q.choose_up_to
        return (f"select_multiple {q.scale}", q.id, label, "", "", "", wording, q.kind,
                f"Chọn tối đa {n} phương án", f"count-selected(.) <= {n}", f"Chỉ chọn tối đa {n} phương án")
    n = q.max_length
    return ("text", q.id, label, "", "", "", wording, q.kind, f"Tối đa {n} ký tự; xin đừng ghi tên, số điện thoại",
            f"string-length(.) <= {n}", f"Ý kiến dài quá {n} ký tự")


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
