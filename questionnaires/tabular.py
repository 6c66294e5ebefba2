"""The one reader of the tables people send: CSV as Excel or a phone writes it, XLSX sheets, within bounds.

Every table the app and the ``parsurvey`` commands read goes through here: the imports of units,
people, the sample plan, appraisal points, commune results and last year's table; the criteria
workbook; XLSForms; the ballots and unit lists given to the commands.

Text
    UTF-8 with or without BOM; UTF-16 with its BOM (Excel's "Unicode Text"); otherwise the legacy
    code page that charset-normalizer recognises among :data:`LEGACY_CODE_PAGES` (Windows-1258 is
    what Excel on Vietnamese Windows saves as "CSV"). Recognising a code page is a solved problem:
    we ask the library rather than guess. A file none of these reads is refused with a sentence
    naming what was tried. Every text cell and heading is NFC-normalized, so a name typed in
    decomposed Unicode (some Mac and web forms) matches the same name typed precomposed.
Separator
    ``,`` ``;`` or a tab, read off the header line (:func:`csv_delimiter`).
Bounds
    A table is read within its header's columns (at most :attr:`Limits.columns`); cells right of the
    header are not read. Rows below the header are bounded by :attr:`Limits.rows`, and rows times
    columns by :attr:`Limits.cells`. An XLSX's parts unpack to at most :data:`MAX_UNPACKED` (zip
    bombs stop there); before openpyxl walks a sheet, its XML is scanned for the last row holding a
    value (:func:`.sheet_extent.sheet_extent`), so a sheet declaring or reaching a million rows is refused at
    once and trailing formatted rows cost nothing. What a sheet's ``<dimension>`` declares bounds
    nothing: LibreOffice and Excel may declare A1:AMJ1048576 for a formatted sheet of ten rows.

Errors are :class:`TableError`: one Vietnamese sentence, with the row (as Excel numbers it) when one
row is to blame. Pure Python and openpyxl; charset-normalizer only for legacy code pages.
"""
from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .sheet_extent import declares_dimension, sheet_extent

MAX_COLUMNS = 200
MAX_ROWS = 100_000
MAX_CELLS = 1_000_000
MAX_UNPACKED = 64 * 2**20  # bytes, every part of an XLSX together, unpacked
MAX_PARTS = 2_000
MAX_UNDECLARED = 4 * 2**20  # bytes of a sheet that does not declare its dimension
EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384
LEGACY_CODE_PAGES = ("cp1258", "cp1252")  # Vietnamese Windows first, then Western Windows
TRIED = "UTF-8, UTF-16 (có BOM), Windows-1258 (tiếng Việt), Windows-1252"
XLSX_SUFFIXES = (".xlsx", ".xlsm")
ZIP_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"


@dataclass(frozen=True)
class Limits:
    """How large a table may be: header columns, rows below the header (``None``: no bound, for a
    command's own file), rows × columns."""

    columns: int = MAX_COLUMNS
    rows: int | None = MAX_ROWS
    cells: int | None = MAX_CELLS


UPLOAD = Limits()
LOCAL = Limits(rows=None, cells=None)  # a file given to a command on the analyst's own machine


class TableError(ValueError):
    """A table that cannot be read or is larger than allowed: ``message`` (Vietnamese: ``fact``, then what
    to do), ``row`` (Excel's numbering, None for the whole file), ``sheet`` (None for a CSV or a
    workbook's first sheet) and ``code``: ``unreadable`` (damaged, not the format, undecodable text),
    ``too_large`` (past a bound) or ``other_format`` (an ``.xls`` or ``.ods`` to save again as ``.xlsx``)."""

    def __init__(self, fact: str, advice: str = "", row: int | None = None, sheet: str | None = None,
                 code: str = "unreadable"):
        self.fact, self.advice, self.row, self.sheet, self.code = fact, advice, row, sheet, code
        self.message = f"{fact}: {advice}" if advice else fact
        super().__init__(self.message)

    def at(self, row: int | None, sheet: str | None) -> TableError:
        """The same error, said of ``row`` of ``sheet``."""
        return TableError(self.fact, self.advice, row, sheet, self.code)


@dataclass
class Table:
    """A table's header (text, trailing empty headings dropped) and its filled rows as
    ``(row number, cells)``, cells cut to the header's width; ``wider`` lists ``(row number, cells)``
    of CSV rows that had filled cells right of the header (an unquoted comma, usually)."""

    header: list[str]
    rows: list[tuple[int, list]]
    wider: list[tuple[int, int]] = field(default_factory=list)


def vn_number(n: int) -> str:
    """A whole number with Vietnamese thousands dots.

    >>> vn_number(1048576)
    '1.048.576'
    """
    return f"{n:,}".replace(",", ".")


def nfc(value):
    """``value`` NFC-normalized when it is text, as it is otherwise.

    >>> nfc("Ba Be\\u0302\\u0309") == "Ba Bể", nfc(1.5)
    (True, 1.5)
    """
    if isinstance(value, str) and not unicodedata.is_normalized("NFC", value):
        return unicodedata.normalize("NFC", value)
    return value


# --- text ----------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """The text of a file's bytes: UTF-8 (BOM or not), UTF-16 with its BOM, or the legacy code page
    charset-normalizer recognises among :data:`LEGACY_CODE_PAGES`; NFC-normalized, line ends as read.

    Raises
    ------
    TableError
        Nothing of these reads the bytes (a binary file, an old ``.xls``, another encoding).

    Examples
    --------
    >>> decode_text("Mã;Tên\\nba_be;Ba Bể\\n".encode("utf-16"))
    'Mã;Tên\\nba_be;Ba Bể\\n'
    >>> decode_text(b"\\xef\\xbb\\xbfunit,total\\n")
    'unit,total\\n'
    """
    if data[:4] == OLE_MAGIC:
        raise TableError("đây là tệp Excel 97-2003 (.xls)", "mở bằng Excel rồi Lưu thành “Excel Workbook (.xlsx)” "
                         "hoặc “CSV UTF-8”", code="other_format")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return nfc(data.decode("utf-16"))
        except UnicodeDecodeError:
            raise _undecodable("tệp bắt đầu bằng dấu UTF-16 nhưng nội dung không phải UTF-16") from None
    try:
        return nfc(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise _undecodable("tệp chứa byte 0: không phải tệp văn bản")
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(LEGACY_CODE_PAGES)).best()
    if best is None:
        raise _undecodable("không nhận ra bảng mã của tệp")
    return nfc(str(best))


def _undecodable(why: str) -> TableError:
    return TableError(f"không đọc được tệp văn bản ({why}; đã thử {TRIED})",
                      "trong Excel chọn Lưu thành “CSV UTF-8 (Comma delimited)”, hoặc nhập tệp .xlsx")


def csv_delimiter(text: str) -> str:
    """The separator of a CSV file's text: ``;`` as Excel writes CSV in a Vietnamese (comma-decimal)
    locale, a tab, else ``,``; whichever the header line holds most of. Only the header counts: rows
    hold decimal commas and names with commas ("Sở Lao động, Thương binh và Xã hội").

    >>> csv_delimiter("Mã;Tên;Điểm\\nso_tp;Sở Lao động, Thương binh, Xã hội;1,5")
    ';'
    >>> csv_delimiter("unit,points\\n"), csv_delimiter("code\\tname\\n")
    (',', '\\t')
    """
    end = text.find("\n")
    head = text if end < 0 else text[:end]
    return max((",", ";", "\t"), key=head.count)


def csv_table(source: bytes | str, limits: Limits = UPLOAD) -> Table:
    """A CSV file's table (see :class:`Table`): decoded by :func:`decode_text`, its separator read off
    the header, blank lines skipped; a bare CR (old Mac files) ends a line too.

    Raises
    ------
    TableError
        Undecodable, malformed, or beyond ``limits``.
    """
    text = decode_text(source) if isinstance(source, bytes) else nfc(source)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text), delimiter=csv_delimiter(text))
    try:
        header = _header([cell.strip() for cell in next(reader, [])], limits)
        width, table = len(header), Table(header, [])
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            _check_size(number, len(table.rows) + 1, width, limits)
            if any(cell.strip() for cell in cells[width:]):
                table.wider.append((number, len(cells)))
            table.rows.append((number, cells[:width] + [""] * (width - len(cells))))
    except csv.Error as exc:
        raise TableError(f"không đọc được tệp CSV: {exc}", row=reader.line_num or None) from None
    return table


def _header(cells: list, limits: Limits) -> list[str]:
    header = [_heading(c) for c in cells]
    while header and not header[-1]:
        header.pop()
    if len(header) > limits.columns:
        raise TableError(f"dòng tiêu đề có {vn_number(len(header))} cột, nhiều hơn {limits.columns} cột được phép",
                         "chỉ giữ lại các cột cần nhập (xoá các cột thừa bên phải)", 1, code="too_large")
    return header


def _heading(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value).strip())


def _check_size(number: int, filled: int, width: int, limits: Limits) -> None:
    """Refuse row ``number``, the ``filled``-th filled row below a header of ``width`` columns, if it
    is past ``limits``."""
    if limits.rows is not None and (number - 1 > limits.rows or filled > limits.rows):
        raise TableError(f"bảng có hơn {vn_number(limits.rows)} dòng (dòng {vn_number(number)} còn dữ liệu)",
                         "chia thành nhiều tệp nhỏ hơn, hoặc xoá các dòng thừa", number, code="too_large")
    if limits.cells is not None and filled * width > limits.cells:
        raise TableError(f"bảng có hơn {vn_number(limits.cells)} ô ({width} cột × {vn_number(filled)} dòng)",
                         "chia thành nhiều tệp nhỏ hơn", number, code="too_large")


# --- XLSX ----------------------------------------------------------------------------------------


def check_archive(data: bytes) -> None:
    """Refuse a zip (XLSX, ODS) whose parts would unpack to more than :data:`MAX_UNPACKED` bytes or that
    has more than :data:`MAX_PARTS` parts, before anything is unpacked. Python's zipfile stops every
    part at its declared size (and fails its checksum past it), so the declared sizes bound the bytes
    anything reading this archive will ever inflate. Refuse too a sheet of more than
    :data:`MAX_UNDECLARED` bytes that does not declare its ``<dimension>``: opening a workbook, openpyxl
    parses such a sheet whole, keeping every row element (seconds and a hundred MB for a million rows).

    Raises
    ------
    TableError
        Too large, or not a zip at all.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            names = {p.filename for p in parts}
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names and len(parts) <= MAX_PARTS else b""
            if len(parts) > MAX_PARTS or sum(p.file_size for p in parts) > MAX_UNPACKED:
                raise TableError(f"tệp Excel giải nén ra quá lớn (tối đa {MAX_UNPACKED // 2**20} MB, "
                                 f"{vn_number(MAX_PARTS)} phần)", "chỉ giữ lại bảng cần nhập", code="too_large")
            undeclared = next((p for p in parts if p.file_size > MAX_UNDECLARED and p.filename.startswith("xl/work")
                               and not declares_dimension(archive, p)), None)
    except TableError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise TableError(f"không đọc được tệp Excel: tệp hỏng hoặc không phải .xlsx ({type(exc).__name__})") \
            from exc
    if undeclared is not None:  # openpyxl would parse the whole of it on opening, to look for its size
        raise TableError(f"một trang của tệp ({undeclared.filename.rsplit('/', 1)[-1]}) không khai báo kích thước và "
                         f"giải nén ra {undeclared.file_size / 2**20:.0f} MB (tối đa {MAX_UNDECLARED // 2**20} MB)",
                         "mở tệp bằng Excel hoặc LibreOffice rồi lưu lại", code="too_large")
    if b"opendocument" in mimetype:
        raise TableError("đây là tệp OpenDocument (.ods)", "trong LibreOffice chọn Lưu thành “Excel 2007-365 (.xlsx)” "
                         "hoặc “CSV”", code="other_format")


def open_workbook(source: bytes | Path):
    """An XLSX opened read-only (values, not formulas), after :func:`check_archive`; close it after use.

    Raises
    ------
    TableError
        Too large, damaged, or not an XLSX.
    """
    import openpyxl

    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else source
    check_archive(data)
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zip, XML or openpyxl errors alike: a damaged or disguised file
        raise TableError(f"không đọc được tệp Excel: tệp hỏng hoặc không phải .xlsx ({type(exc).__name__})") \
            from exc


def sheet_table(ws, limits: Limits = UPLOAD) -> Table:
    """A read-only sheet's table (see :class:`Table`), cells as openpyxl gives them (text NFC-normalized).

    Row 1 is the header. The sheet's XML is scanned first (:func:`sheet_extent`): a value right of
    :attr:`Limits.columns`, or rows holding values further down than :attr:`Limits.rows`, refuse it
    before openpyxl reads a cell. Then it is read down to its last row holding a value and within the
    header's columns: nothing larger than ``limits`` is ever allocated, whatever the sheet declares.

    Raises
    ------
    TableError
        The sheet is wider or longer than ``limits``, naming the row.
    """
    sheet, extent = getattr(ws, "title", None), sheet_extent(ws, limits.columns)
    if extent is None:  # no scan possible: read one row past the bound and refuse if it holds a value
        last = EXCEL_ROWS if limits.rows is None else min(limits.rows + 2, EXCEL_ROWS)
    elif extent.wide is not None:
        column, row = extent.wide
        raise TableError(f"ô {column}{row} có dữ liệu: trang rộng hơn {limits.columns} cột được phép",
                         "xoá dữ liệu ở các cột thừa bên phải, chỉ giữ lại bảng cần nhập", row, sheet, "too_large")
    elif limits.rows is not None and extent.last_row - 1 > limits.rows:
        raise TableError(f"trang có dữ liệu đến dòng {vn_number(extent.last_row)}, quá {vn_number(limits.rows)} dòng "
                         "dưới tiêu đề", "chia thành nhiều tệp nhỏ hơn, hoặc xoá các dòng thừa", extent.last_row,
                         sheet, "too_large")
    else:
        last = extent.last_row
    if last < 1:
        return Table([], [])
    first = next(ws.iter_rows(min_row=1, max_row=1, max_col=EXCEL_COLUMNS, values_only=True), ())
    try:
        header = _header(list(first), limits)
    except TableError as exc:
        raise exc.at(1, sheet) from None
    table = Table(header, [])
    if not header or last < 2:
        return table
    rows = ws.iter_rows(min_row=2, max_row=last, max_col=len(header), values_only=True)
    for number, values in enumerate(rows, start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        try:
            _check_size(number, len(table.rows) + 1, len(header), limits)
        except TableError as exc:
            raise exc.at(exc.row, sheet) from None
        table.rows.append((number, [nfc(v) for v in values]))
    return table


def xlsx_table(source: bytes | Path, limits: Limits = UPLOAD) -> Table:
    """The first sheet's table of an XLSX (see :func:`sheet_table`)."""
    book = open_workbook(source)
    try:
        if not book.worksheets:
            return Table([], [])
        return sheet_table(book.worksheets[0], limits)
    finally:
        book.close()


def read_any(data: bytes, name: str | None = None, limits: Limits = UPLOAD) -> Table:
    """The table of an uploaded or given file: an XLSX (its first sheet) when its name says so or its
    bytes are a zip, otherwise CSV text. Cells are text (``str`` of what a sheet holds)."""
    if data[:4] == ZIP_MAGIC or (name and Path(name).suffix.lower() in XLSX_SUFFIXES):
        table = xlsx_table(data, limits)
        table.rows = [(n, ["" if v is None else str(v) for v in cells]) for n, cells in table.rows]
        return table
    return csv_table(data, limits)
