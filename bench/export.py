"""Export speed and memory for a million answers (run by hand; results go to BENCHMARKS.md).

    .venv/bin/python bench/export.py [--rows 1000000] [--small 200000] [--long-xlsx] [--style-rows 100000]

Rows are raw answers in the shape of ``survey_app.raw_ballots.LONG_COLUMNS``
(10 text columns, Vietnamese unit names), made by a generator and never held
in a list. Each measure runs in a fresh interpreter of its own, so its peak
memory (``ru_maxrss``) is its own:

1. the generator alone (what making the rows costs);
2. ``csv_chunks`` of the long format written to a file (target: under 10 s for 1 M answers);
3. ``write_xlsx`` of the wide format (one row per ballot × unit, a column per question)
   to a file (target: under 60 s for 1 M answers); ``--long-xlsx`` also times the long
   format as XLSX, which the reports do not offer (openpyxl writes ~28 µs a cell);
4. both again with ``--small`` rows: constant memory means the same peak.

``--style-rows`` compares three ways of giving number cells their format in
openpyxl's write-only mode (one reused ``WriteOnlyCell`` per column, which
``write_xlsx`` uses; a new cell per value; a ``NamedStyle``), on a table of
two text and three number columns; 0 skips it.
"""
from __future__ import annotations

import argparse
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openpyxl  # noqa: E402

from survey_app.outputs.exports import Column, Sheet, csv_chunks, write_xlsx  # noqa: E402
from survey_app.outputs.raw_ballots import BALLOT_COLUMNS, LONG_COLUMNS  # noqa: E402

DISTRICTS = ["Thành phố Bắc Kạn", "Huyện Ba Bể", "Huyện Bạch Thông", "Huyện Chợ Đồn", "Huyện Chợ Mới",
             "Huyện Na Rì", "Huyện Ngân Sơn", "Huyện Pác Nặm"]
DEPARTMENTS = ["Sở Tư pháp", "Sở Y tế", "Sở Giáo dục và Đào tạo", "Sở Tài nguyên và Môi trường",
               "Sở Kế hoạch và Đầu tư", "Sở Xây dựng", "Sở Nội vụ", "Sở Giao thông vận tải", "Sở Tài chính",
               "Sở Công Thương", "Sở Nông nghiệp và Phát triển nông thôn", "Sở Lao động - Thương binh và Xã hội",
               "Sở Văn hóa, Thể thao và Du lịch", "Sở Khoa học và Công nghệ", "Sở Thông tin và Truyền thông",
               "Ban Dân tộc", "Thanh tra tỉnh", "Văn phòng UBND tỉnh", "Ban Quản lý các khu công nghiệp"]
OPTIONS = ["tot", "kha", "trung_binh", "kem", "khong_biet"]
STATES = ["verified"] * 6 + ["received"] * 3 + ["flagged", "rejected"]
CHANNELS = ["web", "qr", "paper"]


def answer_rows(count: int, seed: int = 1) -> Iterator[tuple]:
    """``count`` raw answers as LONG_COLUMNS tuples: citizens rate their district (13 questions),
    delegates rate 19 departments (16 questions each), as in the demo province. Options come
    from a pool drawn once, so making a row costs little next to writing it."""
    rng = random.Random(seed)
    pool = [rng.choice(OPTIONS) for _ in range(9973)]
    questions = {"H": [f"H{q:02d}" for q in range(1, 14)], "S": [f"S{q:02d}" for q in range(1, 17)]}
    made = 0
    while made < count:
        ballot = str(rng.getrandbits(63))
        channel, state = rng.choice(CHANNELS), rng.choice(STATES)
        day = f"2025-{rng.randint(9, 11):02d}-{rng.randint(1, 28):02d}"
        if rng.random() < 0.93:
            group, level, prefix = ("nguoi_dan" if rng.random() < 0.8 else "doanh_nghiep"), "huyen", "H"
            units, names = [rng.randrange(len(DISTRICTS))], DISTRICTS
        else:
            group, level, prefix = "hdnd_tinh", "so", "S"
            units, names = range(len(DEPARTMENTS)), DEPARTMENTS
        for unit in units:
            code, name = f"{level}_{unit:02d}", names[unit]
            for question in questions[prefix]:
                if made == count:
                    return
                yield (ballot, group, channel, state, day, level, code, name, question, pool[made % 9973])
                made += 1


WIDE_QUESTIONS = [f"H{q:02d}" for q in range(1, 14)] + [f"S{q:02d}" for q in range(1, 17)]
WIDE_COLUMNS = BALLOT_COLUMNS + [Column(q, q) for q in WIDE_QUESTIONS]


def wide_answer_rows(count: int, seed: int = 1) -> Iterator[tuple]:
    """The same ``count`` answers as :func:`answer_rows`, one row per ballot × unit with a column
    per question (as ``raw_ballots.wide_rows`` gives them): about 14 answers a row."""
    position = {q: i for i, q in enumerate(WIDE_QUESTIONS)}
    head = len(BALLOT_COLUMNS)
    current, cells = None, None
    for row in answer_rows(count, seed):
        key = row[:head]
        if key != current:
            if current is not None:
                yield current + tuple(cells)
            current, cells = key, [None] * len(WIDE_QUESTIONS)
        cells[position[row[head]]] = row[head + 1]
    if current is not None:
        yield current + tuple(cells)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def style_table(rows: int) -> Iterator[list]:
    for i in range(rows):
        yield [f"h{i % 700:03d}", DISTRICTS[i % len(DISTRICTS)], i * 0.001, i % 1000, (i % 1000) / 10]


def write_styled(path: Path, rows: int, mode: str) -> None:
    """The number-format comparison: a reused cell per column, a new cell per value, or a NamedStyle."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import NamedStyle

    formats = {2: "0.000", 3: "0", 4: "0.0"}
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet("a")
    reused = {}
    for i, number_format in formats.items():
        if mode == "named":
            book.add_named_style(NamedStyle(name=f"n{i}", number_format=number_format))
        reused[i] = WriteOnlyCell(ws)
        reused[i].number_format = number_format
    for row in style_table(rows):
        for i, number_format in formats.items():
            if mode == "reused":
                cell = reused[i]
                cell.value = row[i]
            else:
                cell = WriteOnlyCell(ws, value=row[i])
                if mode == "named":
                    cell.style = f"n{i}"
                else:
                    cell.number_format = number_format
            row[i] = cell
        ws.append(row)
    book.save(path)


def phase(name: str, args: argparse.Namespace) -> None:
    """One measure in this (fresh) process; prints ``key=value`` lines for the parent."""
    with tempfile.TemporaryDirectory(prefix="parsurvey-bench-") as folder:
        path = Path(folder) / "out"
        start = time.perf_counter()
        if name == "generator":
            for _ in answer_rows(args.rows):
                pass
        elif name == "csv":
            with open(path, "w", encoding="utf-8", newline="") as handle:
                for chunk in csv_chunks(LONG_COLUMNS, answer_rows(args.rows)):
                    handle.write(chunk)
        elif name == "xlsx":
            write_xlsx(path, [Sheet("Phiếu", LONG_COLUMNS, answer_rows(args.rows))])
        elif name == "xlsx-wide":
            write_xlsx(path, [Sheet("Phiếu", WIDE_COLUMNS, wide_answer_rows(args.rows))])
        else:
            write_styled(path, args.rows, name.removeprefix("style-"))
        seconds = time.perf_counter() - start
        size = path.stat().st_size / 2**20 if path.exists() else 0.0
    print(f"seconds={seconds:.2f}\nmb={size:.1f}\npeak_mb={peak_mb():.0f}")


def in_child(name: str, rows: int) -> dict[str, float]:
    """Run :func:`phase` in a fresh interpreter, so its peak memory is its own."""
    command = [sys.executable, __file__, "--phase", name, "--rows", str(rows)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return {k: float(v) for k, v in (line.split("=", 1) for line in out.split())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=200_000)
    parser.add_argument("--style-rows", type=int, default=0)
    parser.add_argument("--long-xlsx", action="store_true", help="also time the long format as XLSX (about 5 min)")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        return phase(args.phase, args)

    from openpyxl import LXML

    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}, openpyxl {openpyxl.__version__} (lxml: {LXML})")
    # The issue pairs them: raw ballots as long CSV and wide XLSX. Long XLSX is measured too.
    targets = {"csv": 10.0, "xlsx-wide": 60.0}
    results: dict[tuple[str, int], dict[str, float]] = {}
    for rows in (args.small, args.rows):
        for name in ("generator", "csv", "xlsx-wide") + (("xlsx",) if args.long_xlsx else ()):
            run = results[name, rows] = in_child(name, rows)
            verdict = ""
            if name in targets:
                scaled = run["seconds"] * 1_000_000 / rows
                verdict = (f"; {scaled:.1f} s per million answers (target < {targets[name]:.0f} s: "
                           f"{'met' if scaled < targets[name] else 'missed'})")
            print(f"{name} {rows:,} answers: {run['seconds']:.2f} s, file {run['mb']:,.1f} MB, "
                  f"peak {run['peak_mb']:,.0f} MB{verdict}")
    for name in ("generator", "csv", "xlsx-wide") + (("xlsx",) if args.long_xlsx else ()):
        small, big = results[name, args.small]["peak_mb"], results[name, args.rows]["peak_mb"]
        print(f"memory {name}: peak {big:,.0f} MB at {args.rows:,} rows vs {small:,.0f} MB at {args.small:,} "
              f"= {big / small:.2f}x (constant memory: about 1x)")
    if args.style_rows:
        for mode in ("reused", "new", "named"):
            run = in_child(f"style-{mode}", args.style_rows)
            print(f"number formats, {mode} cells: {args.style_rows:,} rows x 5 cells (3 formatted) "
                  f"in {run['seconds']:.2f} s")


if __name__ == "__main__":
    main()
