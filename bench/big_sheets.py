"""Workbooks declared down to row 1,048,576 and column AMJ (as Excel and LibreOffice may write them):
how long ``import-xlsform`` and ``import-workbook`` take (run by hand; results go to BENCHMARKS.md).

    .venv/bin/python bench/big_sheets.py

Two files per reader: one whose declared dimension is A1:AMJ1048576 with a single formatted empty
cell at its far corner (small on disk), and one with 1,048,576 empty rows really written (every row
present in the XML). Target: imported or refused in under 10 s each.
"""
from __future__ import annotations

import importlib.util
import io
import platform
import tempfile
import time
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("make_form", ROOT / "tests" / "data" / "xlsform" / "make_form.py")
make_form = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_form)


def corner(book) -> None:
    for sheet in book.worksheets:
        sheet.cell(row=1_048_576, column=1024).number_format = "0"


def written_rows(book, sheet_name: str) -> None:
    sheet = book[sheet_name]
    for row in range(sheet.max_row + 1, 1_048_577):
        sheet.cell(row=row, column=1).number_format = "0"  # an empty cell in every row


def timed(label: str, action) -> None:
    start = time.perf_counter()
    try:
        outcome = action()
    except Exception as exc:  # a refusal counts as an answer too
        outcome = f"refused: {type(exc).__name__}"
    print(f"{label:<58} {time.perf_counter() - start:7.2f} s  {outcome}")


def main() -> None:
    from questionnaires import load_default_set, xlsform
    from questionnaires.workbook import export_workbook, import_workbook

    print(f"{platform.node()} · {platform.processor() or platform.machine()} · Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("corner", "rows"):
            book = make_form.build_workbook()
            corner(book) if kind == "corner" else written_rows(book, "survey")
            path = Path(folder) / f"form-{kind}.xlsx"
            book.save(path)
            timed(f"import-xlsform, {kind} ({path.stat().st_size // 1024} KB)",
                  lambda p=path: f"{len(xlsform.read_xlsform(p).questions)} questions")
            book = openpyxl.load_workbook(io.BytesIO(export_workbook(load_default_set())))
            corner(book) if kind == "corner" else written_rows(book, "Câu hỏi")
            buffer = io.BytesIO()
            book.save(buffer)
            data = buffer.getvalue()
            timed(f"import-workbook, {kind} ({len(data) // 1024} KB)",
                  lambda d=data: f"{len(import_workbook(d)[1].questions)} questions")


if __name__ == "__main__":
    main()
