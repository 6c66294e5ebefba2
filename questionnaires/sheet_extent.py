"""Where a sheet's values end, found without reading its cells: a scan of the sheet's XML.

openpyxl parses every ``<row>`` it meets (about 17 µs each here), and a read-only sheet believes what
its ``<dimension>`` declares; a 65 KB upload can hold a million rows, and Excel or LibreOffice may
declare A1:AMJ1048576 for ten filled rows. :func:`sheet_extent` reads the sheet's XML a megabyte at a
time with ``bytes.find`` and ``re.search`` only, and tells :func:`.tabular.sheet_table` the last row
holding a value (it reads no further) and the first value right of the allowed width (it refuses).
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Extent:
    """What a scan of a sheet's XML finds: the last row holding a value (0: none), and the first cell
    holding a value right of the allowed width as ``(column letters, row)`` (None: none)."""

    last_row: int
    wide: tuple[str, int] | None = None


def sheet_extent(ws, columns: int) -> Extent | None:
    """Where a read-only sheet's values end, from a scan of its XML at the speed of ``bytes.find`` and
    ``re.search``: no cell is parsed, whatever the sheet declares or holds. None when the sheet's XML
    cannot be reached (a sheet not read from a file, or an openpyxl that keeps it elsewhere).

    A row is numbered by its ``r`` attribute, or one past the row before (both are valid XLSX); a value
    is a ``<v>`` or an inline string ``<is>`` (a formula without its cached value reads as empty). The
    scan stops at the first cell right of ``columns`` that holds a value (formatted empty cells, as
    Excel and LibreOffice write them across a formatted row, do not count).
    """
    try:
        source = ws._get_source()  # noqa: SLF001 - openpyxl's read-only sheet streams its part from here
    except Exception:  # noqa: BLE001 - not a read-only sheet of a file: no scan
        return None
    with source:
        return _SheetScan(columns).run(source)


_CHUNK = 1 << 20
_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData[\s/>]")
_DIMENSION = re.compile(rb"<([A-Za-z_][\w.-]*:)?dimension[\s/>]")


def declares_dimension(archive, part) -> bool:
    """Whether the sheet ``part`` of a zip ``archive`` has a ``<dimension>`` before its rows (read from the
    first megabyte at most: a sheet's head is small)."""
    with archive.open(part) as stream:
        head = stream.read(_CHUNK)
    data = _SHEET_DATA.search(head)
    dimension = _DIMENSION.search(head, 0, data.start() if data else len(head))
    return dimension is not None
_AFTER_TAG = (b" ", b">", b"/", b"\t", b"\n", b"\r")  # what follows ``<row``; ``<rowBreaks>`` is no row
_NUMBERED = (b' r="', b" r='")
_DIGITS = re.compile(rb"[A-Za-z$]*(\d{1,7})")


def _beyond(column: int) -> str:
    """A regex of the letters of every column after ``column`` (up to XFD).

    >>> import re; [bool(re.fullmatch(_beyond(200), c)) for c in ("GR", "GS", "HA", "AAA", "Z", "FZ")]
    [False, True, True, True, False, False]
    """
    from openpyxl.utils import get_column_letter

    letters = get_column_letter(column)
    alternatives = [f"[A-Z]{{{len(letters) + 1},3}}"] if len(letters) < 3 else []
    for i, letter in enumerate(letters):
        if letter < "Z":
            alternatives.append(letters[:i] + f"[{chr(ord(letter) + 1)}-Z]" + "[A-Z]" * (len(letters) - i - 1))
    return "(?:" + "|".join(alternatives) + ")"


class _SheetScan:
    """One pass over a sheet's XML, a chunk at a time: the last row holding a value, the first wide cell."""

    def __init__(self, columns: int):
        self.columns, self.row, self.last = columns, 0, 0

    def run(self, stream) -> Extent:
        prefix, tail = None, b""
        while True:
            chunk = stream.read(_CHUNK)
            buffer = tail + chunk
            if prefix is None:
                found = _SHEET_DATA.search(buffer)
                if found is None:
                    if not chunk:
                        return Extent(0)
                    tail = buffer[-256:]
                    continue
                prefix = found.group(1) or b""
                self._tags(prefix)
                buffer = buffer[found.end() - 1:]
            stop = buffer.find(self.end_tag)
            if stop >= 0 or not chunk:
                segment, tail = buffer if stop < 0 else buffer[:stop], b""
            else:
                cut = max(buffer.rfind(b"<"), 0)
                segment, tail = buffer[:cut], buffer[cut:]
            wide = self.wide.search(segment)
            if wide:
                return Extent(self.last, (wide.group(1).decode(), int(wide.group(2))))
            self._segment(segment)
            if stop >= 0 or not chunk:
                return Extent(self.last)

    def _tags(self, prefix: bytes) -> None:
        self.row_tag, self.end_tag = b"<" + prefix + b"row", b"</" + prefix + b"sheetData"
        self.values = (b"</" + prefix + b"v>", b"</" + prefix + b"is>")
        beyond, p = _beyond(self.columns).encode(), re.escape(prefix)
        # A cell right of the bound whose content starts with a value (after its formula, if any).
        self.wide = re.compile(rb"<" + p + rb"c\s[^>]*?\br\s*=\s*[\"'](" + beyond + rb")(\d+)[\"'][^>]*(?<!/)>\s*"
                               rb"(?:<" + p + rb"f\b[^>]*?(?:/>|>[^<]*</" + p + rb"f>)\s*)?<" + p + rb"(?:v|is)[\s>]")

    def _segment(self, segment: bytes) -> None:
        """Move past ``segment``: the row open at its end, the last row holding a value so far."""

        def rows_between(start: int, end: int) -> int:
            return sum(segment.count(self.row_tag + after, start, end) for after in _AFTER_TAG)

        def row_at(end: int) -> int:
            # The nearest ``r`` before ``end`` (a row's "12" or a cell's "B12") plus the row tags after it.
            numbered = max(segment.rfind(mark, 0, end) for mark in _NUMBERED)
            if numbered < 0:
                return self.row + rows_between(0, end)
            digits = _DIGITS.match(segment, numbered + 4)
            return (int(digits.group(1)) if digits else self.row) + rows_between(numbered, end)

        value = max(segment.rfind(self.values[0]), segment.rfind(self.values[1]))
        if value >= 0:
            self.last = max(self.last, row_at(value))
        self.row = row_at(len(segment))
