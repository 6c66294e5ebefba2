"""Spreadsheets built to hurt an import, made small and fast: XLSX parts written as XML straight into a zip.

Used by tests/test_upload_limits.py and bench/upload_limits.py.
"""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def cell(ref: str, value) -> bytes:
    """One cell: a number, or text written inline."""
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'.encode()
    text = str(value).replace("&", "&amp;").replace("<", "&lt;")
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def header_row(names: Iterable[str]) -> bytes:
    from openpyxl.utils import get_column_letter

    return b'<row r="1">' + b"".join(cell(f"{get_column_letter(i)}1", n) for i, n in enumerate(names, 1)) + b"</row>"


def xlsx(sheets: dict[str, Iterable[bytes]], dimensions: dict[str, str] | None = None) -> bytes:
    """An XLSX of ``sheets`` (name -> rows of XML, streamed into the zip), each declaring its
    ``dimensions`` entry when given."""
    names = list(sheets)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_SHEET_TYPE}"/>'
                            for i in range(1, len(names) + 1))
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
            '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            f'main+xml"/>{overrides}</Types>'))
        archive.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="{_RELS}"><Relationship Id="r1" '
                         f'Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        listed = "".join(f'<sheet name="{n}" sheetId="{i}" r:id="r{i}"/>' for i, n in enumerate(names, 1))
        archive.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{_MAIN}" xmlns:r="{_DOC}">'
                         f"<sheets>{listed}</sheets></workbook>")
        rels = "".join(f'<Relationship Id="r{i}" Type="{_DOC}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                       for i in range(1, len(names) + 1))
        archive.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0"?><Relationships xmlns="{_RELS}">'
                         f"{rels}</Relationships>")
        for i, name in enumerate(names, 1):
            with archive.open(f"xl/worksheets/sheet{i}.xml", "w") as part:
                part.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">'.encode())
                if dimensions and name in dimensions:
                    part.write(f'<dimension ref="{dimensions[name]}"/>'.encode())
                part.write(b"<sheetData>")
                chunk: list[bytes] = []
                for row in sheets[name]:
                    chunk.append(row)
                    if len(chunk) >= 10_000:
                        part.write(b"".join(chunk))
                        chunk = []
                part.write(b"".join(chunk) + b"</sheetData></worksheet>")
    return out.getvalue()


def wide_sheet(header=("code", "name", "level"), rows: int = 1, in_header: bool = False) -> bytes:
    """A sheet declaring A1:XFD<n> (16,384 columns) whose rows hold a value in column XFD, the last one
    (in the header row too with ``in_header``)."""
    def body():
        first = header_row(header)
        yield first[:-6] + cell("XFD1", "ghi chú") + b"</row>" if in_header else first
        for r in range(2, rows + 2):
            yield f'<row r="{r}">'.encode() + cell(f"A{r}", f"u{r}") + cell(f"XFD{r}", 1) + b"</row>"
    return xlsx({"Sheet1": body()}, {"Sheet1": f"A1:XFD{rows + 1}"})


def long_sheet(header=("unit", "total"), rows: int = 1_000_000, declared: bool = True) -> bytes:
    """A sheet of ``rows`` filled rows below its header, in about 65 KB (rows numbered by position, which
    XLSX allows, compress to almost nothing); ``declared``: with its ``<dimension>``."""
    def body():
        yield header_row(header)
        for _ in range(rows):
            yield b"<row><c><v>1</v></c></row>"
    return xlsx({"Sheet1": body()}, {"Sheet1": f"A1:B{rows + 1}"} if declared else None)


def long_csv(header: str = "group", rows: int = 1_000_000) -> bytes:
    """A CSV of ``rows`` one-character rows: 2 MB, under the upload limit."""
    return header.encode() + b"\n" + b"1\n" * rows


def bomb() -> bytes:
    """A small XLSX whose sheet unpacks to 80 MB of comment."""
    def body():
        yield header_row(("unit", "total"))
        yield b"<!--" + b" " * (80 * 2**20) + b"-->"
    return xlsx({"Sheet1": body()})


def ods() -> bytes:
    """The start of an OpenDocument spreadsheet (LibreOffice's own format)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def with_sheet(workbook: bytes, title: str, rows: Iterable[bytes], dimension: str | None = None) -> bytes:
    """``workbook`` with the sheet named ``title`` replaced by ``rows`` (XML), streamed."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    book = source.read("xl/workbook.xml").decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(title)}"[^>]*r:id="([^"]+)"', book).group(1)
    rels = source.read("xl/_rels/workbook.xml.rels").decode()
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels) or \
        re.search(rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
    part = "xl/" + target.group(1).removeprefix("/xl/")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for item in source.infolist():
            if item.filename != part:
                archive.writestr(item, source.read(item))
                continue
            with archive.open(part, "w") as sheet:
                sheet.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">'.encode())
                if dimension:
                    sheet.write(f'<dimension ref="{dimension}"/>'.encode())
                sheet.write(b"<sheetData>")
                for row in rows:
                    sheet.write(row)
                sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def big_workbook(extra: int = 19_000) -> bytes:
    """The bundled set as a criteria workbook whose "Câu hỏi" sheet has ``extra`` more questions (each
    well-formed, for a sub-criterion of the set): seconds of reading and checking."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    from questionnaires import load_default_set
    from questionnaires.workbook import export_workbook

    data = export_workbook(load_default_set())
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Câu hỏi"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    sample = rows[1]
    rows += [[sample[0], f"them_{i}", *sample[2:6], f"Câu hỏi thêm số {i}"] for i in range(extra)]

    def body():
        for n, values in enumerate(rows, 1):
            yield f'<row r="{n}">'.encode() + b"".join(
                cell(f"{get_column_letter(i)}{n}", v) for i, v in enumerate(values, 1) if v not in (None, "")
            ) + b"</row>"
    return with_sheet(data, "Câu hỏi", body(), f"A1:G{len(rows)}")
