"""Table writers for what the province publishes: XLSX, CSV and JSON, streamed.

No Flask and no database here: a table is a list of :class:`Column` and an
iterable of rows (mappings keyed by :attr:`Column.key`, or sequences in column
order), and every writer walks the rows once, so a million rows take the
memory of one block of them.

Spreadsheets read text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula (CSV injection, see OWASP). CSV and XLSX cells
get such text behind an apostrophe (:func:`safe_text`); JSON is data, not a
spreadsheet, and keeps text as it is. Numbers are never touched, so a negative
number stays a number.

Values are made plain the same way for every format: a missing value, NaN or an
infinity becomes empty (``null`` in JSON); ``number`` and ``percent`` cells are
rounded to 6 decimals (XLSX shows 3 and 1 of them); a text column holds text
(a date becomes its ISO form). A value that is not a number in a number column
is kept as text rather than lost.

A CSV comes in one of two forms (:class:`CsvForm`). :data:`EXCEL_VI` is what
Excel set to Vietnamese reads as the published figures: ``;`` between cells, a
decimal comma, ``number`` cells at 3 decimals and ``percent`` at 1, rounded half
up as the pages show them (``12,608``, ``80,000``, ``2,4``). :data:`MACHINE`
is for programs: ``,`` between cells, a decimal point, 6 decimals. The report
downloads give the first unless the query word :data:`CSV_FORM_WORD` names the
second (``?dang=may``), see :func:`csv_form`.
"""
from __future__ import annotations

import csv
import io
import json
import math
import numbers
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from questionnaires.model import round_points

KINDS = ("text", "number", "integer", "percent")
NUMBER_FORMATS = {"number": "0.000", "integer": "0", "percent": "0.0"}
DANGEROUS_PREFIXES = "=+-@\t\r"
BLOCK_ROWS = 1000
WIDTH_SAMPLE_ROWS = 200
MAX_WIDTH = 60.0
SHEET_ROW_LIMIT = 1_048_576  # Excel refuses a sheet with more rows: the rest goes to a next sheet
PUBLISHED_PLACES = {"number": 3, "percent": 1}  # decimals the pages show; an integer is shown as it is
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
NOTE_FONT = Font(italic=True)
CREATOR = "parsurvey"

_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
_DANGEROUS_START = re.compile(r"\0[=+\-@\t\r]")  # a value's start, in values each behind a NUL
# What an XML document (an Excel cell, a Word paragraph) cannot hold, and a chart font has no glyph for.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def safe_text(value: Any) -> Any:
    """A string that a spreadsheet would read as a formula, behind an apostrophe.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    gets a leading ``'``; any other value, numbers included, is returned as it is.

    Examples
    --------
    >>> safe_text('=HYPERLINK("http://x")')
    '\\'=HYPERLINK("http://x")'
    >>> [safe_text(s) for s in ("+1", "-2", "@SUM(A1)", "\\tx", "\\rx")]
    ["'+1", "'-2", "'@SUM(A1)", "'\\tx", "'\\rx"]
    >>> safe_text("Sở Tư pháp"), safe_text(""), safe_text("a=b")
    ('Sở Tư pháp', '', 'a=b')
    >>> safe_text(-2), safe_text(-0.5), safe_text(None)
    (-2, -0.5, None)
    """
    if isinstance(value, str) and value and value[0] in DANGEROUS_PREFIXES:
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    """A column of a published table.

    Parameters
    ----------
    key : str
        The field of a row mapping, and the key of a JSON object.
    header : str
        The Vietnamese header shown in CSV and XLSX.
    kind : {"text", "number", "integer", "percent"}
        ``number`` is shown with 3 decimals, ``percent`` (0–100) with 1.
    width : float, optional
        XLSX width in characters; by default from the header and the first rows.
    """

    key: str
    header: str
    kind: str = "text"
    width: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key!r}: kind {self.kind!r} is not one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: a title (at most 31 characters are kept), columns,
    rows, and an optional note shown above the header."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Mapping | Sequence]
    note: str | None = None


@dataclass(frozen=True)
class CsvForm:
    """How a CSV writes its cells: separator, decimal mark and the precision of numbers.

    Parameters
    ----------
    name : str
        The value of the query word :data:`CSV_FORM_WORD` that asks a download for this form.
    delimiter : str
        Between cells.
    decimal : str
        The decimal mark of numbers.
    published : bool
        Numbers at the precision the pages show (:data:`PUBLISHED_PLACES`, half up)
        rather than in full (6 decimals).
    """

    name: str
    delimiter: str
    decimal: str
    published: bool

    def __post_init__(self) -> None:
        if not self.published and self.decimal != ".":
            raise ValueError(f"CSV form {self.name!r}: numbers in full are written with a decimal point")


EXCEL_VI = CsvForm("excel", ";", ",", published=True)
MACHINE = CsvForm("may", ",", ".", published=False)
CSV_FORMS = {form.name: form for form in (EXCEL_VI, MACHINE)}
CSV_FORM_WORD = "dang"  # dạng: ``?dang=may`` asks for the machine form


def csv_form(word: str | None) -> CsvForm | None:
    """The form a download's query word asks for: :data:`EXCEL_VI` when none; ``None`` when unknown.

    Examples
    --------
    >>> csv_form(None).delimiter, csv_form("may").delimiter, csv_form("excel").decimal, csv_form("x")
    (';', ',', ',', None)
    """
    return EXCEL_VI if word is None else CSV_FORMS.get(word)


# --- plain values -----------------------------------------------------------------------

def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _float(value: Any) -> float | str | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return _text(value)
    return round(number, 6) if math.isfinite(number) else None


def _integer(value: Any) -> int | float | str | None:
    if isinstance(value, numbers.Integral):  # exact, however large (NumPy integers too)
        return int(value)
    number = _float(value)
    return int(number) if isinstance(number, float) and number.is_integer() else number


_PLAIN: dict[str, Callable[[Any], Any]] = {"text": _text, "number": _float, "percent": _float, "integer": _integer}


def _csv_text(value: Any) -> Any:
    if type(value) is not str:
        value = _text(value)
    return safe_text(value)


def _csv_number(plain: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        return safe_text(plain(value))  # a number stays a number; text kept in a number column is escaped
    return convert


def _csv_published(kind: str, decimal: str, given: int | None = None) -> Callable[[Any], Any]:
    """A ``kind`` column's numbers as the pages show them, with ``decimal`` as the decimal mark.

    The number is written as text so its decimals stay; a negative one is not
    escaped (``-2,500`` is a number to Excel). Text kept in a number column is.
    A ``number`` column ``given`` with other decimals (last year's index, as
    published) is written with those.
    """
    places = given if kind == "number" and given is not None else PUBLISHED_PLACES.get(kind)

    def convert(value: Any) -> Any:
        if places is None:
            value = _integer(value)  # an int, a float that is not whole, text or None
            if isinstance(value, int):
                return str(value)
            if isinstance(value, float):
                return repr(value).replace(".", decimal)
            return safe_text(value)
        try:
            number = float(value)  # the value itself, rounded once as the pages do (not first to 6 decimals)
        except (TypeError, ValueError):
            return safe_text(_text(value))
        if not math.isfinite(number):
            return None
        return f"{round_points(number, places):.{places}f}".replace(".", decimal)

    return convert


def _xlsx_text(value: Any) -> Any:
    if type(value) is not str:
        value = _text(value)
        if value is None:
            return None
    if NOT_XML.search(value):
        value = NOT_XML.sub("", value)
    return safe_text(value)


def _xlsx_number(plain: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        value = plain(value)
        return _xlsx_text(value) if isinstance(value, str) else value
    return convert


def _cell_converters(columns: Sequence[Column], target: str, form: CsvForm | None = None,
                     places: Mapping[str, int] | None = None) -> list[Callable[[Any], Any]]:
    """One function per column turning a raw value into what ``target`` writes (a CSV in ``form``)."""
    if target == "json":
        return [_PLAIN[c.kind] for c in columns]
    if target == "csv" and form is not None and form.published:
        places = places or {}
        return [_csv_text if c.kind == "text" else _csv_published(c.kind, form.decimal, places.get(c.key))
                for c in columns]
    text, number = (_csv_text, _csv_number) if target == "csv" else (_xlsx_text, _xlsx_number)
    return [text if c.kind == "text" else number(_PLAIN[c.kind]) for c in columns]


def _row_converter(columns: Sequence[Column], target: str, form: CsvForm | None = None,
                   places: Mapping[str, int] | None = None) -> Callable[[Mapping | Sequence], list]:
    """A function from a row (mapping or sequence) to its converted values, in column order."""
    keys = [c.key for c in columns]
    converters = _cell_converters(columns, target, form, places)
    width = len(keys)

    def convert(row: Mapping | Sequence) -> list:
        if isinstance(row, Mapping):
            values: Iterable = [row.get(k) for k in keys]
        elif len(row) != width:
            raise ValueError(f"a row has {len(row)} values for {width} columns ({', '.join(keys)})")
        else:
            values = row
        return [f(v) for f, v in zip(converters, values)]

    return convert


# --- CSV and JSON -----------------------------------------------------------------------

def csv_chunks(columns: Sequence[Column], rows: Iterable[Mapping | Sequence],
               block_rows: int = BLOCK_ROWS, form: CsvForm = MACHINE,
               places: Mapping[str, int] | None = None) -> Iterator[str]:
    """A CSV table as UTF-8 text chunks, for a streamed response.

    The first chunk starts with a byte order mark (so Excel reads Vietnamese
    right) and the header row; then rows follow, ``block_rows`` to a chunk.
    Text goes through :func:`safe_text`. In the :data:`MACHINE` form (the
    default) numbers are written in full with a decimal point and cells are
    separated by ``,``; in :data:`EXCEL_VI` numbers are written as the pages
    show them, with a decimal comma, and cells are separated by ``;``;
    ``places`` gives, by :attr:`Column.key`, the decimals of a ``number``
    column the pages show at other than 3 (last year's index as published).

    Examples
    --------
    >>> columns = [Column("unit", "Đơn vị"), Column("points", "Điểm", "number")]
    >>> "".join(csv_chunks(columns, [("=A1", -1.25), {"unit": "Sở Y tế"}]))
    "\\ufeffĐơn vị,Điểm\\r\\n'=A1,-1.25\\r\\nSở Y tế,\\r\\n"
    >>> rows = [("Sở; Ban", 12.6084825), ("=A1", 79.9995)]
    >>> "".join(csv_chunks(columns, rows, form=EXCEL_VI)).splitlines()
    ['\\ufeffĐơn vị;Điểm', '"Sở; Ban";12,608', "'=A1;80,000"]
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=form.delimiter)
    convert = _row_converter(columns, "csv", form, places)
    all_text = all(c.kind == "text" for c in columns)
    buffer.write("\ufeff")
    writer.writerow([safe_text(c.header) for c in columns])
    rows = iter(rows)
    while block := list(islice(rows, block_rows)):
        if not (all_text and _plain_text_block(block, len(columns))):
            block = [convert(row) for row in block]
        writer.writerows(block)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # no rows: the header alone
        yield buffer.getvalue()


def _plain_text_block(block: list, width: int) -> bool:
    """Whether every row is a tuple or list of ``width`` strings, none of which starts dangerously.

    The fast path of the big all-text tables (raw answers), written as they are:
    with a NUL before each value, one search in C sees the start of every value.
    """
    if not set(map(type, block)) <= {tuple, list} or set(map(len, block)) != {width}:
        return False
    try:
        joined = "\0" + "\0".join(chain.from_iterable(block))
    except TypeError:  # a value that is not a string
        return False
    return _DANGEROUS_START.search(joined) is None


def json_chunks(columns: Sequence[Column], rows: Iterable[Mapping | Sequence],
                block_rows: int = BLOCK_ROWS) -> Iterator[str]:
    """A JSON array of objects keyed by :attr:`Column.key`, as text chunks.

    Text is kept as it is (no apostrophe), non-ASCII is written as such, and a
    missing value, NaN or an infinity becomes ``null``.

    Examples
    --------
    >>> columns = [Column("unit", "Đơn vị"), Column("points", "Điểm", "number")]
    >>> "".join(json_chunks(columns, [("=A1", float("nan")), ("Sở Y tế", 1 / 3)]))
    '[{"unit": "=A1", "points": null}, {"unit": "Sở Y tế", "points": 0.333333}]'
    """
    keys = [c.key for c in columns]
    convert = _row_converter(columns, "json")
    separator = "["
    block: list[dict] = []
    for row in rows:
        block.append(dict(zip(keys, convert(row))))
        if len(block) == block_rows:
            yield separator + _json_objects(block)
            separator = ", "
            block.clear()
    if block:
        yield separator + _json_objects(block)
        separator = ", "
    yield "[]" if separator == "[" else "]"


def _json_objects(block: list[dict]) -> str:
    """The objects of a block, comma-separated, without the array's brackets."""
    return json.dumps(block, ensure_ascii=False, allow_nan=False)[1:-1]


# --- XLSX -------------------------------------------------------------------------------

def sheet_title(title: str, taken: set[str]) -> str:
    """A sheet title Excel accepts, not in ``taken`` (compared case-blind), added to it.

    Examples
    --------
    >>> taken = set()
    >>> sheet_title("Chỉ số: cấp huyện [2025]", taken)
    'Chỉ số  cấp huyện  2025'
    >>> sheet_title("Chỉ số? cấp huyện/2025", taken)
    'Chỉ số  cấp huyện 2025'
    >>> sheet_title("Chỉ số  CẤP HUYỆN  2025", taken)
    'Chỉ số  CẤP HUYỆN  2025 (2)'
    >>> sheet_title("x" * 40, taken)
    'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'
    """
    clean = _BAD_TITLE.sub(" ", title).strip(" '")[:31].rstrip(" '") or "Trang"
    candidate, number = clean, 2
    while candidate.casefold() in taken:
        suffix = f" ({number})"
        candidate = clean[:31 - len(suffix)] + suffix
        number += 1
    taken.add(candidate.casefold())
    return candidate


def _shown_length(kind: str, value: Any) -> int:
    """How many characters a cell shows (numbers with their format's decimals)."""
    if value is None:
        return 0
    if isinstance(value, float) and kind in ("number", "percent"):
        return len(f"{value:.{3 if kind == 'number' else 1}f}")
    return len(str(value))


def _widths(columns: Sequence[Column], sample: list[list]) -> list[float]:
    """Column widths in characters: given ones, else the longest of header and sample, capped."""
    widths = []
    for i, column in enumerate(columns):
        if column.width is not None:
            widths.append(float(column.width))
            continue
        longest = max([len(column.header)] + [_shown_length(column.kind, row[i]) for row in sample])
        widths.append(min(MAX_WIDTH, longest + 2.0))
    return widths


class _SheetWriter:
    """Writes one :class:`Sheet`, continuing on a next sheet past Excel's row limit."""

    def __init__(self, workbook: Workbook, sheet: Sheet, taken: set[str]) -> None:
        self.workbook, self.sheet, self.taken = workbook, sheet, taken
        self.convert = _row_converter(sheet.columns, "xlsx")
        self.formatted = [(i, NUMBER_FORMATS[c.kind]) for i, c in enumerate(sheet.columns) if c.kind in NUMBER_FORMATS]
        self.header_rows = 1 if sheet.note is None else 2

    def write(self) -> None:
        rows = iter(self.sheet.rows)
        sample = [self.convert(r) for r in islice(rows, WIDTH_SAMPLE_ROWS)]
        self.widths = _widths(self.sheet.columns, sample)
        values = chain(sample, map(self.convert, rows))
        capacity = SHEET_ROW_LIMIT - self.header_rows
        part = 1
        while True:
            ws, cells = self._open(part)
            written = 0
            for row in values:
                for i, cell in cells:
                    if row[i] is not None:
                        cell.value = row[i]  # the cell is written at once by append: reusing it is safe
                        row[i] = cell
                ws.append(row)
                written += 1
                if written == capacity:
                    break
            if written < capacity:
                return
            following = next(values, None)
            if following is None:
                return
            values = chain([following], values)
            part += 1

    def _open(self, part: int):
        """A new worksheet with widths, note, header and frozen panes; and the reusable number cells."""
        title = self.sheet.title if part == 1 else f"{self.sheet.title[:25]} ({part})"
        ws = self.workbook.create_sheet(sheet_title(title, self.taken))
        for index, width in enumerate(self.widths, 1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = f"A{self.header_rows + 1}"
        if self.sheet.note is not None:
            note = WriteOnlyCell(ws, value=_xlsx_text(self.sheet.note))
            note.font = NOTE_FONT
            ws.append([note])
        header = []
        for column in self.sheet.columns:
            cell = WriteOnlyCell(ws, value=_xlsx_text(column.header))
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            header.append(cell)
        ws.append(header)
        cells = []
        for i, number_format in self.formatted:
            cell = WriteOnlyCell(ws)
            cell.number_format = number_format
            cells.append((i, cell))
        return ws, cells


def write_xlsx(target: str | Path | IO[bytes], sheets: Sequence[Sheet]) -> None:
    """Write sheets to an XLSX workbook, streaming (openpyxl's write-only mode).

    Each sheet gets a bold header row with a fill (below the note, if any),
    frozen; column widths; number formats ``0.000`` (number), ``0`` (integer)
    and ``0.0`` (percent); text through :func:`safe_text`, so nothing is stored
    as a formula. A sheet with more rows than Excel holds goes on in a next
    sheet ``"<title> (2)"`` with the same header.

    Parameters
    ----------
    target : path or binary file object
    sheets : sequence of Sheet
        At least one.
    """
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    workbook = Workbook(write_only=True)
    workbook.properties.creator = CREATOR
    taken: set[str] = set()
    for sheet in sheets:
        _SheetWriter(workbook, sheet, taken).write()
    workbook.save(target)


def xlsx_file(sheets: Sequence[Sheet]) -> Path:
    """Write sheets to a new temporary ``.xlsx`` file and return its path.

    The caller sends the file and deletes it afterwards.
    """
    with tempfile.NamedTemporaryFile(delete=False, suffix=".xlsx") as handle:
        path = Path(handle.name)
        try:
            write_xlsx(handle, sheets)
        except BaseException:
            handle.close()
            path.unlink(missing_ok=True)
            raise
    return path
