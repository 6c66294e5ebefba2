"""A criteria set as an Excel workbook, for officials who edit in Excel rather than YAML.

:func:`export_workbook` writes a set as sheets (fields, levels, criteria and sub-criteria with their
maxima, questions, questionnaires and their questions, scales, groups, bands, the rule);
:func:`import_workbook` reads such a workbook back into the set's YAML files, which the real
loader then checks. The round trip is exact: the re-imported set scores as the original
(:func:`questionnaires.rules_table` gives the same rows).

Every problem names its sheet, row and column (Vietnamese): those of the workbook's cells, and
those the validator finds in the YAML made from them, traced back to the row they came from.
"""
from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from . import tabular
from .loader import CriteriaSetError, load_criteria_set_from_texts
from .model import CriteriaSet

# sheet: [(key, heading)] — headings as written; keys (or headings) are read back.
SHEETS: dict[str, list[tuple[str, str]]] = {
    "Bộ tiêu chí": [("name", "Tên bộ tiêu chí"), ("year", "Năm"), ("district_rule", "Quy tắc cấp xã (có/không)"),
                    ("min_share", "Tỷ lệ xã tối thiểu"), ("min_ballots", "Số phiếu tối thiểu để xếp hạng đơn vị"),
                    ("min_cell", "Số người tối thiểu để hiện số liệu một nhóm"),
                    ("report_bands", "Mốc điểm tách nhóm trong báo cáo (ví dụ 90; …)"),
                    ("kind", "Loại chỉ số (par: Chỉ số CCHC; sipas: Chỉ số hài lòng)"),
                    ("sipas_weighting", "SIPAS của tỉnh (bình quân các đơn vị/theo số hồ sơ)"),
                    ("sipas_target", "Mục tiêu SIPAS (tỷ lệ, ví dụ 0,95)")],
    "Lĩnh vực": [("code", "Mã"), ("name", "Tên"), ("short_name", "Tên ngắn")],
    "Cấp": [("code", "Mã"), ("name", "Tên"), ("plural", "Gọi các đơn vị là"), ("parent", "Cấp trên"),
            ("appraisal_max", "Điểm thẩm định tối đa"), ("rank_within", "Xếp hạng (toàn tỉnh/trong cấp trên)"),
            ("field_appraisal_max", "Điểm thẩm định tối đa theo lĩnh vực (lĩnh vực: điểm; …)")],
    "Tiêu chí": [("level", "Cấp"), ("field", "Lĩnh vực"), ("criterion", "Mã tiêu chí"),
                 ("criterion_name", "Tên tiêu chí"), ("code", "Mã TCTP"), ("name", "Tên TCTP"),
                 ("survey_max", "Điểm điều tra tối đa"),
                 ("from_sipas", "Lấy điểm từ Chỉ số SIPAS (có/không)"),
                 ("sipas_bands", "Mức theo SIPAS (ngưỡng: tỷ lệ điểm; …)")],
    "Câu hỏi": [("level", "Cấp"), ("id", "Mã câu"), ("sub_criterion", "TCTP"), ("max_points", "Điểm tối đa"),
                ("scale", "Thang đo"), ("weights", "Trọng số theo đối tượng"), ("text", "Nội dung câu hỏi"),
                ("role", "Loại câu (hài lòng/nhận định)"),
                ("kind", "Dạng câu (chấm điểm/thông tin người trả lời/mong đợi/ý kiến)"),
                ("choose_up_to", "Chọn tối đa (câu mong đợi)"), ("max_length", "Số ký tự tối đa (câu ý kiến)")],
    "Phiếu": [("level", "Cấp"), ("group", "Đối tượng"), ("title", "Tiêu đề phiếu"), ("intro", "Lời mở đầu")],
    "Câu hỏi của phiếu": [("level", "Cấp"), ("group", "Đối tượng"), ("question", "Mã câu"),
                          ("text", "Cách hỏi riêng (để trống: như câu hỏi)")],
    "Thang đo": [("scale", "Mã thang đo"), ("scale_name", "Tên thang đo"), ("code", "Mã phương án"),
                 ("label", "Phương án"), ("fraction", "Tỷ lệ điểm"), ("dont_know", "Không biết (có/không)"),
                 ("poor", "Tính là kém (có/không)"), ("positive", "Tính là hài lòng, tích cực (có/không)"),
                 ("unscored", "Chỉ để chọn, không tính điểm (có/không)")],
    "Đối tượng": [("code", "Mã"), ("name", "Tên"), ("reached_by", "Cách tiếp cận"),
                  ("rates", "Đánh giá (cấp: own/each/choose; …)"), ("census", "Khảo sát toàn bộ (có/không)"),
                  ("greeting", "Cách xưng hô (Kính gửi …)")],
    "Xếp loại": [("code", "Mã"), ("name", "Tên"), ("min", "Từ (điểm)")],
}
# Rows of one sheet below its header. The bundled sets have at most 112; checking a set of 5,000 questions takes
# about 3 s and 50 MB, one of 20,000 about 13 s and 200 MB (bench/upload_limits.py): a worker stays under 300 MB.
MAX_ROWS = 5_000
# Columns added after the first workbooks went out: a workbook without them still reads (their defaults apply).
OPTIONAL = {("Bộ tiêu chí", "min_ballots"), ("Bộ tiêu chí", "min_cell"), ("Bộ tiêu chí", "report_bands"),
            ("Cấp", "rank_within"),
            ("Cấp", "field_appraisal_max"), ("Thang đo", "poor"), ("Đối tượng", "census"),
            ("Bộ tiêu chí", "kind"), ("Bộ tiêu chí", "sipas_weighting"), ("Bộ tiêu chí", "sipas_target"),
            ("Câu hỏi", "role"), ("Thang đo", "positive"), ("Câu hỏi", "kind"), ("Câu hỏi", "choose_up_to"),
            ("Câu hỏi", "max_length"), ("Thang đo", "unscored"), ("Tiêu chí", "from_sipas"),
            ("Tiêu chí", "sipas_bands"), ("Đối tượng", "greeting")}
RANK_WORDS = {"province": "toàn tỉnh", "parent": "trong cấp trên"}
WEIGHTING_WORDS = {"units": "bình quân các đơn vị", "dossiers": "theo số hồ sơ"}
ROLE_WORDS = {"satisfaction": "hài lòng", "perception": "nhận định"}
KIND_WORDS = {"scored": "chấm điểm", "profile": "thông tin người trả lời", "expectation": "mong đợi",
              "comment": "ý kiến"}
LIMITS = tabular.Limits(rows=MAX_ROWS)
YES = ("có", "co", "1", "x", "yes", "true")


@dataclass(frozen=True)
class WorkbookProblem:
    """A problem of a criteria-set workbook: sheet, row (0: the whole sheet), column heading, message."""

    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = ", ".join(p for p in (f"trang '{self.sheet}'" if self.sheet else "",
                                      f"dòng {self.row}" if self.row else "",
                                      f"cột '{self.column}'" if self.column else "") if p)
        return f"{where}: {self.message}" if where else self.message


class WorkbookError(ValueError):
    """Every problem of a workbook (:class:`WorkbookProblem`)."""

    def __init__(self, problems: list[WorkbookProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# --- export ------------------------------------------------------------------------------------


def _yes(flag: bool) -> str:
    return "có" if flag else ""


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _points(value: float, sipas: bool) -> float | int | str:
    """A maximum as a cell: left empty in a SIPAS set, whose points are unused (0 when not given)."""
    return "" if sipas and not value else _number(value)


def sheet_rows(cset: CriteriaSet) -> dict[str, list[tuple]]:
    """The rows of each sheet (without headings) for ``cset``."""
    questions = cset.question_by_key
    share = cset.district_rule.min_share
    sipas = cset.is_sipas
    return {
        "Bộ tiêu chí": [(cset.name, cset.year or "", _yes(cset.district_rule.enabled),
                         f"{share.numerator}/{share.denominator}", cset.min_ballots, cset.min_cell,
                         "; ".join(str(_number(v)) for v in cset.report_bands), cset.kind,
                         WEIGHTING_WORDS[cset.sipas_weighting] if sipas else "",
                         "" if cset.sipas_target is None else _number(cset.sipas_target))],
        "Lĩnh vực": [(f.code, f.name, f.short_name if f.short_name != f.name else "") for f in cset.fields],
        "Cấp": [(lv.code, lv.name, lv.plural, lv.parent or "", _points(lv.appraisal_max, sipas),
                 RANK_WORDS[lv.rank_within],
                 "; ".join(f"{f}: {_number(v)}" for f, v in lv.field_appraisal_max.items())) for lv in cset.levels],
        "Tiêu chí": [(lv.code, c.field, c.code, c.name, sc.code, sc.name, _points(sc.max_points, sipas),
                      _yes(sc.from_sipas),
                      "; ".join(f"{_number(low)}: {_number(share)}" for low, share in sc.sipas_bands))
                     for lv in cset.levels for c in lv.criteria for sc in c.sub_criteria],
        "Câu hỏi": [(q.level, q.id, q.sub_criterion, "" if not q.scored else _points(q.max_points, sipas), q.scale,
                     "; ".join(f"{g}: {_number(w)}" for g, w in q.weights.items()), q.text,
                     ROLE_WORDS[q.role] if q.scored and (sipas or q.role != "satisfaction") else "",
                     "" if q.scored else KIND_WORDS[q.kind], q.choose_up_to if q.kind == "expectation" else "",
                     q.max_length if q.kind == "comment" else "")
                    for q in cset.all_questions],
        "Phiếu": [(qn.level, qn.group, qn.title, qn.intro) for qn in cset.questionnaires],
        "Câu hỏi của phiếu": [(qn.level, qn.group, item.question,
                               "" if item.text == questions[(qn.level, item.question)].text else item.text)
                              for qn in cset.questionnaires for item in qn.items],
        "Thang đo": [(s.code, s.name, o.code, o.label, "" if o.fraction is None else _number(o.fraction),
                      _yes(o.dont_know), _yes(o.poor), _yes(o.positive), _yes(not s.scored))
                     for s in cset.scales for o in s.options],
        "Đối tượng": [(g.code, g.name, g.reached_by, "; ".join(f"{r.level}: {r.how}" for r in g.rates),
                       _yes(g.census), g.greeting) for g in cset.groups],
        "Xếp loại": [(b.code, b.name, _number(b.min_points)) for b in cset.classes],
    }


def export_workbook(cset: CriteriaSet) -> bytes:
    """The set as an XLSX workbook (one sheet per part, bold headings, text cells as text)."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheet_rows(cset).items():
        sheet = book.create_sheet(title)
        sheet.append([heading for _key, heading in SHEETS[title]])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_formula_safe(v) for v in row])
        for i, (key, _heading) in enumerate(SHEETS[title], start=1):
            wide = key in ("name", "text", "title", "intro", "criterion_name", "label", "scale_name", "rates")
            sheet.column_dimensions[openpyxl.utils.get_column_letter(i)].width = 48 if wide else 14
        sheet.freeze_panes = "A2"
    _dropdowns(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Closed lists of the workbook (issue 30 item 4): each code column offers its codes as a dropdown. A list of codes
# defined in another sheet points at that sheet's column, so a code added there is offered too.
CODE_SOURCES = {  # (sheet, column key) -> (sheet, column key) whose cells are the codes to choose from
    ("Cấp", "parent"): ("Cấp", "code"), ("Tiêu chí", "level"): ("Cấp", "code"),
    ("Tiêu chí", "field"): ("Lĩnh vực", "code"), ("Câu hỏi", "level"): ("Cấp", "code"),
    ("Câu hỏi", "sub_criterion"): ("Tiêu chí", "code"), ("Câu hỏi", "scale"): ("Thang đo", "scale"),
    ("Phiếu", "level"): ("Cấp", "code"), ("Phiếu", "group"): ("Đối tượng", "code"),
    ("Câu hỏi của phiếu", "level"): ("Cấp", "code"), ("Câu hỏi của phiếu", "group"): ("Đối tượng", "code"),
    ("Câu hỏi của phiếu", "question"): ("Câu hỏi", "id"),
}


def closed_lists() -> dict[tuple[str, str], list[str]]:
    """(sheet, column key) -> the words a column of fixed choices takes: yes/no, rank_within, kinds, role,
    reached_by, the SIPAS weighting."""
    from .parse_set import REACHED_BY

    lists = {(sheet, key): ["có", "không"] for sheet, columns in SHEETS.items() for key, heading in columns
             if "(có/không)" in heading}
    lists |= {("Cấp", "rank_within"): list(RANK_WORDS.values()), ("Câu hỏi", "role"): list(ROLE_WORDS.values()),
              ("Câu hỏi", "kind"): list(KIND_WORDS.values()), ("Bộ tiêu chí", "kind"): ["par", "sipas"],
              ("Bộ tiêu chí", "sipas_weighting"): list(WEIGHTING_WORDS.values()),
              ("Đối tượng", "reached_by"): list(REACHED_BY)}
    return lists


def _dropdowns(book) -> None:
    """Data validation on every code column of ``book`` that takes a closed list (:data:`CODE_SOURCES`,
    :func:`closed_lists`), from row 2 to :data:`MAX_ROWS`; a blank cell stays allowed (optional columns)."""
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    def letter(sheet: str, key: str) -> str:
        return get_column_letter([k for k, _h in SHEETS[sheet]].index(key) + 1)

    formulas = {where: f'"{",".join(words)}"' for where, words in closed_lists().items()}
    for where, (sheet, key) in CODE_SOURCES.items():
        column = letter(sheet, key)
        formulas[where] = f"{quote_sheetname(sheet)}!${column}$2:${column}${MAX_ROWS + 1}"
    for (sheet, key), formula in formulas.items():
        if sheet not in book.sheetnames or key not in dict(SHEETS[sheet]):
            continue
        rule = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                              errorTitle="Giá trị không có trong danh sách",
                              error="Chọn một giá trị trong danh sách (bấm mũi tên bên phải ô).")
        column = letter(sheet, key)
        rule.add(f"{column}2:{column}{MAX_ROWS + 1}")
        book[sheet].add_data_validation(rule)


def _formula_safe(value):
    """Text Excel would take for a formula is stored as text: openpyxl writes a leading ``=`` as one."""
    if isinstance(value, str) and value.startswith("="):
        return "'" + value
    return value


# --- import ------------------------------------------------------------------------------------


@dataclass
class _Row:
    sheet: str
    number: int
    cells: dict[str, str]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text[1:] if text.startswith("'=") else text


def _read(data: bytes) -> tuple[dict[str, list[_Row]], list[WorkbookProblem]]:
    """Every sheet's rows as text, keyed by column key; problems of missing sheets and headings. The
    workbook is read by :mod:`.tabular`: unpacked size, header width and rows bounded, each sheet read
    down to its last row holding a value (blank rows in between are read through)."""
    problems: list[WorkbookProblem] = []
    try:
        book = tabular.open_workbook(data)
    except tabular.TableError as exc:
        raise WorkbookError([WorkbookProblem("", 0, "", exc.message)]) from None
    sheets: dict[str, list[_Row]] = {}
    try:
        for title, columns in SHEETS.items():
            if title not in book.sheetnames:
                problems.append(WorkbookProblem(title, 0, "", "thiếu trang này"))
                continue
            try:
                sheets[title] = _read_sheet(title, tabular.sheet_table(book[title], LIMITS), columns, problems)
            except tabular.TableError as exc:
                problems.append(WorkbookProblem(title, exc.row or 0, "", exc.message))
    finally:
        book.close()
    return sheets, problems


def _read_sheet(title: str, table: tabular.Table, columns: list[tuple[str, str]],
                problems: list[WorkbookProblem]) -> list[_Row]:
    by_heading = {h.lower(): k for k, h in columns} | {k: k for k, _h in columns}
    keys = [by_heading.get(h.lower()) for h in table.header]
    problems += [WorkbookProblem(title, 1, h, "thiếu cột này") for k, h in columns
                 if k not in keys and (title, k) not in OPTIONAL]
    rows = []
    for number, values in table.rows:
        cells = [_text(v) for v in values]
        if any(cells):
            rows.append(_Row(title, number, {k: c for k, c in zip(keys, cells) if k}))
    return rows


class _Writer:
    """YAML text, one line at a time, remembering which sheet row each line came from."""

    def __init__(self):
        self.lines: list[str] = []
        self.origin: dict[int, tuple[str, int]] = {}

    def add(self, text: str, row: _Row | None = None) -> None:
        self.lines.append(text)
        if row is not None:
            self.origin[len(self.lines)] = (row.sheet, row.number)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _s(text: str) -> str:
    """A YAML scalar for any text (a JSON string is a YAML double-quoted string)."""
    return json.dumps(text, ensure_ascii=False)


def _num(row: _Row, key: str, heading: str, problems: list[WorkbookProblem], required: bool = True) -> str:
    text = row.cells.get(key, "").replace(",", ".")
    if not text:
        if required:
            problems.append(WorkbookProblem(row.sheet, row.number, heading, "thiếu số"))
        return "null"
    try:
        float(text)
    except ValueError:
        problems.append(WorkbookProblem(row.sheet, row.number, heading, f"'{row.cells.get(key)}' không phải là số"))
        return "null"
    return text


def _pairs(row: _Row, key: str, heading: str, problems: list[WorkbookProblem]) -> list[tuple[str, str]]:
    """``a: x; b: y`` as [(a, x), (b, y)]."""
    out = []
    for part in (p.strip() for p in row.cells.get(key, "").split(";")):
        if not part:
            continue
        left, sep, right = part.partition(":")
        if not sep or not left.strip() or not right.strip():
            problems.append(WorkbookProblem(row.sheet, row.number, heading, f"'{part}' phải có dạng 'mã: giá trị'"))
            continue
        out.append((left.strip(), right.strip()))
    return out


def _field_appraisal(level: _Row, rows: list[_Row], problems: list[WorkbookProblem]) -> dict[str, str]:
    """The level row's appraisal maxima per field (``1: 11; 2: 9``) as YAML numbers; each field must be one
    of the level's fields on the 'Tiêu chí' sheet (the set's validator checks the rest)."""
    heading = _heading("Cấp", "field_appraisal_max")
    fields = {c.cells.get("field", "") for c in rows}
    out: dict[str, str] = {}
    for field, value in _pairs(level, "field_appraisal_max", heading, problems):
        number = value.replace(",", ".")
        try:
            float(number)
        except ValueError:
            problems.append(WorkbookProblem(level.sheet, level.number, heading, f"'{value}' không phải là số"))
            continue
        if field not in fields:
            problems.append(WorkbookProblem(level.sheet, level.number, heading,
                                            f"lĩnh vực '{field}' không có tiêu chí điều tra của cấp này "
                                            "trong trang 'Tiêu chí'"))
        elif field in out:
            problems.append(WorkbookProblem(level.sheet, level.number, heading, f"lĩnh vực '{field}' ghi hai lần"))
        else:
            out[field] = number
    return out


def _heading(sheet: str, key: str) -> str:
    return dict(SHEETS[sheet])[key]


def workbook_texts(data: bytes) -> tuple[dict[str, str], dict[tuple[str, int], tuple[str, int]]]:
    """The set's YAML files made from a workbook, and where each line came from:
    ``{(file, line): (sheet, row)}``.

    Raises
    ------
    WorkbookError
        Missing sheets or columns, numbers that are not numbers, malformed lists.
    """
    sheets, problems = _read(data)
    if problems:
        raise WorkbookError(problems)
    origin: dict[tuple[str, int], tuple[str, int]] = {}
    texts: dict[str, str] = {}
    w = _Writer()
    info = sheets["Bộ tiêu chí"][0] if sheets["Bộ tiêu chí"] else _Row("Bộ tiêu chí", 2, {})
    w.add(f"name: {_s(info.cells.get('name', ''))}", info)
    if info.cells.get("year"):
        w.add(f"year: {_num(info, 'year', _heading('Bộ tiêu chí', 'year'), problems)}", info)
    sipas = _sipas_keys(info, w, problems)
    w.add("fields:")
    for r in sheets["Lĩnh vực"]:
        short = r.cells.get("short_name") or r.cells.get("name", "")
        w.add(f"  - {{code: {_s(r.cells.get('code', ''))}, name: {_s(r.cells.get('name', ''))}, "
              f"short_name: {_s(short)}}}", r)
    w.add("levels:")
    criteria: dict[str, list[_Row]] = {}
    for r in sheets["Tiêu chí"]:
        criteria.setdefault(r.cells.get("level", ""), []).append(r)
    for r in sheets["Cấp"]:
        code = r.cells.get("code", "")
        w.add(f"  - code: {_s(code)}", r)
        w.add(f"    name: {_s(r.cells.get('name', ''))}", r)
        if r.cells.get("plural"):
            w.add(f"    plural: {_s(r.cells['plural'])}", r)
        if r.cells.get("parent"):
            w.add(f"    parent: {_s(r.cells['parent'])}", r)
        if r.cells.get("appraisal_max"):
            w.add(f"    appraisal_max: {_num(r, 'appraisal_max', _heading('Cấp', 'appraisal_max'), problems)}", r)
        within = r.cells.get("rank_within", "").strip().lower()
        if within:
            words = {v: k for k, v in RANK_WORDS.items()} | {k: k for k in RANK_WORDS}
            w.add(f"    rank_within: {_s(words.get(within, within))}", r)
        rows = criteria.pop(code, [])
        per_field = _field_appraisal(r, rows, problems)
        if not rows:
            continue
        by_field: dict[str, dict[str, list[_Row]]] = {}
        for c in rows:
            by_field.setdefault(c.cells.get("field", ""), {}).setdefault(c.cells.get("criterion", ""), []).append(c)
        field_max: dict[str, Fraction] = {}
        for field, crits in by_field.items():
            total = Fraction(0)
            for subs in crits.values():
                for sc in subs:
                    value = _num(sc, "survey_max", _heading("Tiêu chí", "survey_max"), problems, not sipas)
                    total += Fraction(value) if value != "null" else 0
            field_max[field] = total
        if not sipas or any(field_max.values()):
            w.add(f"    survey_max: {_exact(sum(field_max.values()))}", r)
        w.add("    fields:", r)
        for field, crits in by_field.items():
            first = next(iter(crits.values()))[0]
            w.add(f"      - field: {_s(field)}", first)
            if not sipas or field_max[field]:
                w.add(f"        survey_max: {_exact(field_max[field])}", first)
            if field in per_field:
                w.add(f"        appraisal_max: {per_field[field]}", r)
            w.add("        criteria:", first)
            for crit, subs in crits.items():
                w.add(f"          - code: {_s(crit)}", subs[0])
                w.add(f"            name: {_s(subs[0].cells.get('criterion_name', ''))}", subs[0])
                w.add("            sub_criteria:", subs[0])
                for sc in subs:
                    points = _num(sc, "survey_max", _heading("Tiêu chí", "survey_max"), problems, not sipas)
                    points = "" if sipas and points == "null" else f", survey_max: {points}"
                    if sc.cells.get("from_sipas", "").lower() in YES:
                        points += ", from_sipas: true"
                    bands = _pairs(sc, "sipas_bands", _heading("Tiêu chí", "sipas_bands"), problems)
                    if bands:
                        points += ", sipas_bands: [" + ", ".join(
                            f"[{low.replace(',', '.')}, {share.replace(',', '.')}]" for low, share in bands) + "]"
                    w.add(f"              - {{code: {_s(sc.cells.get('code', ''))}, name: "
                          f"{_s(sc.cells.get('name', ''))}{points}}}", sc)
    for level, rows in criteria.items():
        problems += [WorkbookProblem("Tiêu chí", r.number, _heading("Tiêu chí", "level"),
                                     f"cấp '{level}' không có trong trang 'Cấp'") for r in rows]
    w.add("scales:")
    scales: dict[str, list[_Row]] = {}
    for r in sheets["Thang đo"]:
        scales.setdefault(r.cells.get("scale", ""), []).append(r)
    for code, rows in scales.items():
        w.add(f"  - code: {_s(code)}", rows[0])
        w.add(f"    name: {_s(rows[0].cells.get('scale_name', '') or code)}", rows[0])
        unscored = rows[0].cells.get("unscored", "").lower() in YES
        if unscored:
            w.add("    scored: false", rows[0])
        w.add("    options:", rows[0])
        for r in rows:
            head = f"      - {{code: {_s(r.cells.get('code', ''))}, label: {_s(r.cells.get('label', ''))}"
            poor = ", poor: true" if r.cells.get("poor", "").lower() in YES else ""
            poor += ", positive: true" if r.cells.get("positive", "").lower() in YES else ""
            if r.cells.get("dont_know", "").lower() in YES:
                w.add(head + ", dont_know: true" + poor + "}", r)
            elif unscored:
                w.add(head + poor + "}", r)
            else:
                fraction = _num(r, "fraction", _heading("Thang đo", "fraction"), problems)
                w.add(head + f", fraction: {fraction}{poor}}}", r)
    w.add("groups:")
    for r in sheets["Đối tượng"]:
        w.add(f"  - code: {_s(r.cells.get('code', ''))}", r)
        w.add(f"    name: {_s(r.cells.get('name', ''))}", r)
        if r.cells.get("reached_by"):
            w.add(f"    reached_by: {_s(r.cells['reached_by'])}", r)
        if r.cells.get("census", "").lower() in YES:
            w.add("    census: true", r)
        if r.cells.get("greeting"):
            w.add(f"    greeting: {_s(r.cells['greeting'])}", r)
        w.add("    rates:", r)
        for level, how in _pairs(r, "rates", _heading("Đối tượng", "rates"), problems):
            w.add(f"      - {{level: {_s(level)}, how: {_s(how)}}}", r)
    w.add("classes:")
    for r in sheets["Xếp loại"]:
        w.add(f"  - {{code: {_s(r.cells.get('code', ''))}, name: {_s(r.cells.get('name', ''))}, "
              f"min: {_num(r, 'min', _heading('Xếp loại', 'min'), problems)}}}", r)
    enabled = info.cells.get("district_rule", "").lower() in YES
    w.add("district_rule:", info)
    w.add(f"  enabled: {'true' if enabled else 'false'}", info)
    if info.cells.get("min_share"):
        w.add(f"  min_share: {_s(info.cells['min_share'])}", info)
    for key in ("min_ballots", "min_cell"):
        if info.cells.get(key):
            w.add(f"{key}: {_num(info, key, _heading('Bộ tiêu chí', key), problems)}", info)
    cuts = [c.strip() for c in info.cells.get("report_bands", "").split(";") if c.strip()]
    if cuts:
        heading = _heading("Bộ tiêu chí", "report_bands")
        numbers = [_num(_Row(info.sheet, info.number, {"cut": c}), "cut", heading, problems) for c in cuts]
        w.add(f"report_bands: [{', '.join(numbers)}]", info)
    texts["set.yaml"] = w.text()
    origin.update({("set.yaml", line): where for line, where in w.origin.items()})

    questions: dict[str, list[_Row]] = {}
    for r in sheets["Câu hỏi"]:
        questions.setdefault(r.cells.get("level", ""), []).append(r)
    for level, rows in questions.items():
        q = _Writer()
        q.add(f"level: {_s(level)}", rows[0])
        q.add("questions:")
        for r in rows:
            q.add(f"  - id: {_s(r.cells.get('id', ''))}", r)
            kind = r.cells.get("kind", "").strip().lower()
            kind = {v: k for k, v in KIND_WORDS.items()}.get(kind, kind)
            if kind and kind != "scored":
                _other_question(q, r, kind)
                continue
            q.add(f"    sub_criterion: {_s(r.cells.get('sub_criterion', ''))}", r)
            points = _num(r, "max_points", _heading("Câu hỏi", "max_points"), problems, not sipas)
            if not (sipas and points == "null"):
                q.add(f"    max_points: {points}", r)
            q.add(f"    scale: {_s(r.cells.get('scale', ''))}", r)
            role = r.cells.get("role", "").strip().lower()
            if role:
                q.add(f"    role: {_s({v: k for k, v in ROLE_WORDS.items()}.get(role, role))}", r)
            weights = _pairs(r, "weights", _heading("Câu hỏi", "weights"), problems)
            if weights:
                q.add("    weights: {" + ", ".join(f"{_s(g)}: {v.replace(',', '.')}" for g, v in weights) + "}", r)
            q.add(f"    text: {_s(r.cells.get('text', ''))}", r)
        name = f"questions/{_file_part(level)}.yaml"
        texts[name] = q.text()
        origin.update({(name, line): where for line, where in q.origin.items()})

    items: dict[tuple[str, str], list[_Row]] = {}
    for r in sheets["Câu hỏi của phiếu"]:
        items.setdefault((r.cells.get("level", ""), r.cells.get("group", "")), []).append(r)
    for r in sheets["Phiếu"]:
        key = (r.cells.get("level", ""), r.cells.get("group", ""))
        qn = _Writer()
        qn.add(f"level: {_s(key[0])}", r)
        qn.add(f"group: {_s(key[1])}", r)
        qn.add(f"title: {_s(r.cells.get('title', ''))}", r)
        qn.add(f"intro: {_s(r.cells.get('intro', ''))}", r)
        qn.add("questions:", r)
        for item in items.pop(key, []):
            if item.cells.get("text"):
                qn.add(f"  - {{id: {_s(item.cells.get('question', ''))}, text: {_s(item.cells['text'])}}}", item)
            else:
                qn.add(f"  - {_s(item.cells.get('question', ''))}", item)
        name = f"questionnaires/{_file_part(key[0])}-{_file_part(key[1])}.yaml"
        texts[name] = qn.text()
        origin.update({(name, line): where for line, where in qn.origin.items()})
    for (level, group), rows in items.items():
        problems += [WorkbookProblem("Câu hỏi của phiếu", r.number, "",
                                     f"không có phiếu ({level}, {group}) trong trang 'Phiếu'") for r in rows]
    if problems:
        raise WorkbookError(problems)
    return texts, origin


def _other_question(q: _Writer, r: _Row, kind: str) -> None:
    """A profile, expectation or comment question's lines (after its id): no points, no sub-criterion; the
    loader says what is wrong with a cell left where it means nothing."""
    q.add(f"    kind: {_s(kind)}", r)
    for key in ("sub_criterion", "max_points", "weights", "role"):
        if r.cells.get(key, "").strip():
            q.add(f"    {key}: {_s(r.cells[key])}", r)
    for key in ("scale", "choose_up_to", "max_length"):
        value = r.cells.get(key, "").strip()
        if value:
            q.add(f"    {key}: {value if value.isdigit() else _s(value)}", r)
    q.add(f"    text: {_s(r.cells.get('text', ''))}", r)


def _sipas_keys(info: _Row, w: _Writer, problems: list[WorkbookProblem]) -> bool:
    """Write the set's ``kind`` and SIPAS keys from the first sheet's row; True for a SIPAS set (its points
    may then be left empty). Words are read back as codes ("theo số hồ sơ" is ``dossiers``); a value that is
    neither is written as is, for the validator to refuse at this row."""
    kind = info.cells.get("kind", "").strip().lower()
    if kind:
        w.add(f"kind: {_s(kind)}", info)
    weighting = info.cells.get("sipas_weighting", "").strip().lower()
    if weighting:
        words = {v: k for k, v in WEIGHTING_WORDS.items()}
        w.add(f"sipas_weighting: {_s(words.get(weighting, weighting))}", info)
    if info.cells.get("sipas_target"):
        w.add(f"sipas_target: {_num(info, 'sipas_target', _heading('Bộ tiêu chí', 'sipas_target'), problems)}", info)
    return kind == "sipas"


def _exact(value: Fraction) -> str:
    """A sum of decimal maxima, written back without float noise: ``13.5``."""
    return repr(round(float(value), 9))


def _file_part(code: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_." else "_" for ch in code) or "_"


def import_workbook(data: bytes) -> tuple[dict[str, str], CriteriaSet]:
    """The set's YAML files and the checked set, from a workbook's bytes.

    Raises
    ------
    WorkbookError
        Every problem, each with its sheet and row: those of the cells, and those the set's
        validator finds (traced back to the row they came from).
    """
    texts, origin = workbook_texts(data)
    try:
        return texts, load_criteria_set_from_texts(texts)
    except CriteriaSetError as exc:
        raise WorkbookError([_traced(p, origin) for p in exc.problems]) from None


def _traced(problem, origin: Mapping[tuple[str, int], tuple[str, int]]) -> WorkbookProblem:
    """A validator's problem (YAML file, line) as the sheet and row it came from."""
    line = problem.line
    while line > 0 and (problem.file, line) not in origin:
        line -= 1
    sheet, row = origin.get((problem.file, line), ("", 0))
    return WorkbookProblem(sheet, row, "", problem.message)
