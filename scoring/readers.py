"""Reading the tables scoring imports: appraisal points, commune results, last year's table.

Each reader takes the file's cells as text (a DataFrame whose index is the
row number as Excel shows it, the header being row 1) and returns a clean
table, or raises :class:`TableProblems` with every problem at once, each
naming its row and column. Units are matched by code or by name, whatever the
case, the spaces and the Unicode form (:func:`fold`); an unknown name is answered
with the closest names ("có phải … không?"). Headings are the templates' Vietnamese
ones (:data:`APPRAISAL_HEADINGS`) or the older English codes.
"""
from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from questionnaires import CriteriaSet, tabular
from questionnaires.tabular import csv_delimiter  # noqa: F401 - the one separator rule, used from here

UNIT_COLUMNS = ("unit", "đơn vị", "don_vi", "code", "mã", "ma", "tên đơn vị", "mã đơn vị")
TOTAL_COLUMNS = ("total", "tổng", "tong", "tổng điểm", "tổng điểm thẩm định", "điểm thẩm định", "tong_diem")
APPRAISAL_UNIT = "Đơn vị"  # the headings of the appraisal template (outputs/import_templates.py)
APPRAISAL_TOTAL = "Tổng điểm thẩm định"
LEVEL_COLUMNS = ("level", "cấp", "cap")
NAME_COLUMNS = ("name", "tên", "ten")


def fold(text) -> str:
    """``text`` as names and headings are compared: NFC, case-folded, spaces collapsed and trimmed.

    Examples
    --------
    >>> fold(" Sở Kế hoạch  và Đầu Tư ") == fold("Sở Kế hoạch và Đầu tư")
    True
    >>> fold("So\u031b\u0309 Tu\u031b pha\u0301p") == fold("Sở Tư pháp")
    True
    """
    return " ".join(unicodedata.normalize("NFC", str(text)).casefold().split())


def closest(text: str, names) -> list[str]:
    """Up to three of ``names`` closest to ``text`` (difflib, on folded forms), the best first; only those
    about as close as the best, so that one clear likeness gives one name."""
    wanted = fold(text)
    scored = sorted(((difflib.SequenceMatcher(None, wanted, fold(n)).ratio(), n) for n in set(names)),
                    key=lambda pair: -pair[0])
    best = scored[0][0] if scored else 0
    return [n for ratio, n in scored[:3] if ratio >= 0.6 and ratio >= best - 0.05]


def did_you_mean(names: list[str]) -> str:
    """``: có phải “A” không?`` (or “A”, “B” hay “C”) for the closest names; empty when there are none.

    >>> did_you_mean(["Sở Tài chính"]), did_you_mean(["A", "B", "C"]), did_you_mean([])
    (': có phải “Sở Tài chính” không?', ': có phải “A”, “B” hay “C” không?', '')
    """
    if not names:
        return ""
    quoted = [f"“{n}”" for n in names]
    said = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} hay {quoted[-1]}"
    return f": có phải {said} không?"


@dataclass(frozen=True)
class Problem:
    """One problem of an imported table: row (None for the whole file), column, Vietnamese message."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [f"dòng {self.row}" if self.row is not None else "", f"cột '{self.column}'" if self.column else ""]
        prefix = ", ".join(w for w in where if w)
        return f"{prefix}: {self.message}" if prefix else self.message


class TableProblems(ValueError):
    """Every problem of an imported table."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


MAX_ROWS = tabular.MAX_ROWS


def xlsx_rows(source) -> list[list[str]]:
    """The first sheet's rows as text, the header first, after :func:`questionnaires.tabular.check_archive`
    (no zip bomb reaches openpyxl) and within :data:`questionnaires.tabular.UPLOAD`'s bounds.

    Parameters
    ----------
    source : Path or bytes
        The file, or its bytes (an upload).

    Raises
    ------
    TableProblems
        The file is damaged, not an XLSX, unpacks too large, or is too wide or too long.
    """
    try:
        table = tabular.read_any(source.read_bytes() if isinstance(source, Path) else source, "x.xlsx")
    except tabular.TableError as error:
        raise TableProblems([Problem(error.row, None, error.message)]) from None
    return [table.header] + [cells for _n, cells in table.rows]


def read_table(path: Path | str, data: bytes | None = None, limits: tabular.Limits = tabular.UPLOAD) -> pd.DataFrame:
    """Cells of a CSV or XLSX file as text; index = Excel row number. Read by
    :mod:`questionnaires.tabular`: UTF-8, UTF-16 or Windows-1258; comma, semicolon or tab; names
    NFC-normalized; within ``limits``.

    ``data`` gives the file's bytes when they are not on disk (an upload); ``path`` then only tells
    the format by its suffix (a zip is read as XLSX whatever its name). A CSV row with more cells than
    the header is reported (with every other such row).
    """
    path = Path(path)
    try:
        table = tabular.read_any(data if data is not None else path.read_bytes(), path.name, limits)
    except tabular.TableError as error:
        raise TableProblems([Problem(error.row, None, error.message)]) from None
    except OSError as error:
        raise TableProblems([Problem(None, None, f"không đọc được tệp ({type(error).__name__}): {error}")]) from error
    if not table.header:
        raise TableProblems([Problem(None, None, "tệp trống")])
    problems = [Problem(n, None, f"có {cells} ô, nhiều hơn {len(table.header)} cột của tiêu đề "
                                 "(ô có dấu phẩy phải đặt trong ngoặc kép)") for n, cells in table.wider]
    if problems:
        raise TableProblems(problems)
    frame = pd.DataFrame([[cell.strip() for cell in cells] for _n, cells in table.rows],
                         columns=[h.lower() for h in table.header], index=[n for n, _c in table.rows], dtype=str)
    return frame


def level_code(cset: CriteriaSet, text: str) -> str | None:
    """The code of a level given by its code (``so``) or name (``Cấp sở``, ``sở``; case and spaces
    do not matter), or None.

    Examples
    --------
    >>> from questionnaires import load_default_set
    >>> cs = load_default_set()
    >>> level_code(cs, "so"), level_code(cs, " cấp  Huyện "), level_code(cs, "xã"), level_code(cs, "tinh")
    ('so', 'huyen', 'xa', None)
    """
    if text in cset.level_by_code:
        return text
    folded = " ".join(unicodedata.normalize("NFC", str(text)).lower().split())
    for level in cset.levels:
        name = " ".join(unicodedata.normalize("NFC", level.name).lower().split())
        if folded in (name, name.removeprefix("cấp "), level.code.lower()):
            return level.code
    return None


def parse_number(text: str) -> float | None:
    """A number as officials type it: ``95,476`` (Vietnamese decimal comma) or ``95.476``; with both
    marks, the last one is the decimal mark (``1.234,5`` as Excel in vi-VN writes it, ``1,234.5``);
    None if not one.

    Examples
    --------
    >>> parse_number("95,476"), parse_number("12.5"), parse_number(" 7 "), parse_number("x")
    (95.476, 12.5, 7.0, None)
    >>> parse_number("1.234,5"), parse_number("1,234.5"), parse_number("1,2,3")
    (1234.5, 1234.5, None)
    """
    text = text.strip().replace(" ", "").replace("\u00a0", "")
    if "," in text and "." in text:
        decimal, grouping = (",", ".") if text.rfind(",") > text.rfind(".") else (".", ",")
        text = text.replace(grouping, "").replace(decimal, ".")
    elif "," in text:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


class UnitMatcher:
    """Finds a unit by code or name among ``units`` (``level, code, name``); given a level, only
    among that level's units (a commune and a district may share a code). Codes and names compare
    folded (:func:`fold`: case, spaces and Unicode form do not matter)."""

    def __init__(self, units: pd.DataFrame):
        self.units = units
        self.by_code: dict[str, list[tuple[str, str]]] = {}
        self.by_name: dict[str, list[tuple[str, str]]] = {}
        self.names: dict[str, list[str]] = {}  # level -> the units' names as written, for suggestions
        for r in units.itertuples():
            self.by_code.setdefault(fold(r.code), []).append((r.level, r.code))
            if "name" in units.columns and isinstance(r.name, str):
                self.by_name.setdefault(fold(r.name), []).append((r.level, r.code))
                self.names.setdefault(r.level, []).append(r.name)

    def find(self, text: str, level: str | None = None) -> tuple[str, str] | None:
        """(level, code) of the unit, or None when unknown or ambiguous."""
        text = fold(text)
        for found in (self.by_code.get(text, []), self.by_name.get(text, [])):
            if level is not None:
                found = [f for f in found if f[0] == level]
            if len(found) == 1:
                return found[0]
        return None

    def twice(self, text: str) -> bool:
        """Whether ``text`` is the code of units of several levels."""
        return len(self.by_code.get(fold(text), [])) > 1

    def suggest(self, text: str, level: str | None = None) -> str:
        """``: có phải “…” không?`` with the names closest to ``text`` (of ``level`` when given), or empty."""
        names = self.names.get(level, []) if level else [n for names in self.names.values() for n in names]
        return did_you_mean(closest(text, names))


def _column(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    folded = {fold(n) for n in names}
    return next((c for c in frame.columns if fold(c) in folded), None)


COMMUNE_HEADINGS = {"commune": ("commune", "xã", "xa", "unit", "đơn vị", "tên xã"),
                    "district": ("district", "huyện", "huyen", "tên huyện", "đơn vị cấp trên")}
INDEX_HEADINGS = ("index", "chỉ số", "chi_so", "điểm", "diem", "chỉ số năm trước", "chỉ số cải cách hành chính")
CLASS_HEADINGS = ("class", "xếp loại", "xep_loai")


def _refuse_unknown(frame: pd.DataFrame, understood, choices: str) -> None:
    """Raise a problem for every heading of ``frame`` not in ``understood``, naming the headings to use."""
    problems = [Problem(1, c, f"không hiểu tiêu đề cột “{c}”: dùng {choices}") for c in frame.columns
                if c not in understood and c.strip()]
    if problems:
        raise TableProblems(problems)


def field_headings(cset: CriteriaSet) -> dict[str, str]:
    """Folded heading -> field code: each field by its code, its name, its short name, "lĩnh vực <code>"."""
    out = {}
    for f in cset.fields:
        for text in (f.code, f.name, f.short_name, f"lĩnh vực {f.code}", f"lĩnh vực {f.code}: {f.name}"):
            if text:
                out[fold(text)] = f.code
    return out


def vi_number(value: float) -> str:
    """A number as pages show it: a decimal comma, no trailing zeros.

    >>> vi_number(86.5), vi_number(86.0), vi_number(13.25)
    ('86,5', '86', '13,25')
    """
    return f"{value:g}".replace(".", ",")


def parse_appraisal(frame: pd.DataFrame, units: pd.DataFrame, cset: CriteriaSet, whole: bool = True) -> pd.DataFrame:
    """Appraisal points: ``level, unit, <field codes>, total`` (fields NaN when only a total was given).

    Parameters
    ----------
    frame : DataFrame
        The file's cells (:func:`read_table`): a unit column (code or name; "Đơn vị" or ``unit``) and
        either one column per field (its code or its name), or only the total ("Tổng điểm thẩm định",
        "Tổng" or ``total``), or both (then they must add up).
    units : DataFrame
        ``level, code[, name]`` of the units scored (the campaign's, or those
        of ``points.csv``). Every unit of a surveyed level must be in the file;
        a unit of a level without a survey (a commune) may be, and then its
        index (its appraisal) feeds its district's rule.
    cset : CriteriaSet
        Gives the field codes and each level's appraisal maximum.
    whole : bool
        True: every unit of every surveyed level must be in the file. False (a template per level): every
        unit of each level the file names.

    Raises
    ------
    TableProblems
        Every bad cell, unknown or repeated unit, and every unit missing from the file.
    """
    problems: list[Problem] = []
    unit_col = _column(frame, UNIT_COLUMNS)
    total_col = _column(frame, TOTAL_COLUMNS)
    by_heading = field_headings(cset)
    fields = [f.code for f in cset.fields]
    field_of = {c: by_heading[fold(c)] for c in frame.columns if fold(c) in by_heading and c not in (unit_col,
                                                                                                   total_col)}
    field_cols = list(field_of)
    repeated = [c for c in field_cols if list(field_of.values()).count(field_of[c]) > 1]
    problems += [Problem(1, c, "lĩnh vực có hai cột") for c in repeated]
    names = ", ".join(f"“{f.name}”" for f in cset.fields)
    if unit_col is None:
        problems.append(Problem(1, None, f"thiếu cột “{APPRAISAL_UNIT}” (tên hoặc mã đơn vị)"))
    if total_col is None and not field_cols:
        problems.append(Problem(1, None, f"thiếu cột điểm: mỗi lĩnh vực một cột ({names}) "
                                         f"hoặc cột “{APPRAISAL_TOTAL}”"))
    level_col = _column(frame, LEVEL_COLUMNS)
    name_col = _column(frame, NAME_COLUMNS) if unit_col is not None and fold(unit_col) not in NAME_COLUMNS else None
    understood = {unit_col, total_col, level_col, name_col, *field_cols}
    problems += [Problem(1, c, f"không hiểu tiêu đề cột “{c}”: dùng “{APPRAISAL_UNIT}”, tên các lĩnh vực "
                               f"({names}), “{APPRAISAL_TOTAL}”")
                 for c in frame.columns if c not in understood]
    if problems:
        raise TableProblems(problems)
    known = units[units["level"].isin(list(cset.level_by_code))]
    scored = known[known["level"].map(lambda lv: cset.level_by_code[lv].surveyed)]  # these must all be given
    matcher = UnitMatcher(known)  # a unit of a level not surveyed (a commune) may be given too
    rows, seen = [], {}
    for number, row in frame.iterrows():
        if not any(str(v).strip() for v in row.values):
            continue  # an empty row (a template's spare lines)
        level = level_code(cset, row[level_col]) if level_col and row[level_col] else None
        key = matcher.find(row[unit_col], level)
        if key is None:
            twice = matcher.twice(row[unit_col]) and level is None
            problems.append(Problem(number, unit_col,
                                    f"mã '{row[unit_col]}' có ở nhiều cấp: thêm cột 'level' hay “Cấp”" if twice
                                    else f"không có đơn vị '{row[unit_col]}' trong đợt đánh giá"
                                    + matcher.suggest(row[unit_col], level)))
            continue
        if key in seen:
            problems.append(Problem(number, unit_col, f"đơn vị '{row[unit_col]}' đã có ở dòng {seen[key]}"))
            continue
        seen[key] = number
        values: dict[str, float] = {}
        for column in field_cols + ([total_col] if total_col else []):
            if row[column] == "":
                continue  # a blank cell: the fields or the total may be given alone
            value = parse_number(row[column])
            if value is None:
                problems.append(Problem(number, column, f"'{row[column]}' không phải là số"))
            elif value < 0:
                problems.append(Problem(number, column, f"điểm âm ({row[column]})"))
            else:
                values["total" if column == total_col else field_of[column]] = value
        level = cset.level_by_code[key[0]]
        if field_cols and all(field_of[c] in values for c in field_cols):
            summed = sum(values[field_of[c]] for c in field_cols)
            if "total" in values and abs(values["total"] - summed) > 0.0005:
                problems.append(
                    Problem(number, total_col, f"tổng {values['total']:g} khác tổng các lĩnh vực {summed:.3f}")
                )
            values.setdefault("total", summed)
        if "total" not in values and all(row[c] == "" for c in field_cols + ([total_col] if total_col else [])):
            problems.append(Problem(number, total_col or field_cols[0], "chưa có điểm: ghi điểm mọi lĩnh vực "
                                                                        f"hoặc “{APPRAISAL_TOTAL}”"))
        elif "total" not in values and not any(p.row == number for p in problems):
            problems.append(Problem(number, total_col or field_cols[0], "thiếu điểm của một số lĩnh vực: ghi đủ "
                                                                        f"mọi lĩnh vực hoặc “{APPRAISAL_TOTAL}”"))
        if "total" in values and level.appraisal_max and values["total"] > level.appraisal_max + 1e-9:
            problems.append(
                Problem(
                    number,
                    total_col or field_cols[-1],
                    f"điểm thẩm định {vi_number(values['total'])} vượt tối đa {vi_number(level.appraisal_max)} "
                    f"của {level.name.lower()}",
                )
            )
        rows.append(
            {
                "level": key[0],
                "unit": key[1],
                **{c: values.get(c, np.nan) for c in fields},
                "total": values.get("total", np.nan),
            }
        )
    given = {level for level, _code in seen}
    for r in scored.itertuples():
        if (r.level, r.code) not in seen and (whole or r.level in given):
            problems.append(Problem(None, None, f"thiếu điểm thẩm định của đơn vị '{r.code}'"
                                    + (f" ({r.name})" if "name" in scored.columns and isinstance(r.name, str) else "")))
    if problems:
        raise TableProblems(problems)
    return pd.DataFrame(rows, columns=["level", "unit", *fields, "total"])


def parse_communes(frame: pd.DataFrame, districts: pd.DataFrame, cset: CriteriaSet,
                   communes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Commune results for the district rule: ``district, commune, index, class`` (class code or None).

    A commune listed with neither an index nor a class counts as a missing
    result. ``districts`` is ``level, code[, name]`` of the units the rule
    applies to; ``communes`` (``code, name, parent``), when known (the
    campaign's), adds the communes absent from the file as missing results.
    """
    problems: list[Problem] = []
    commune_col = _column(frame, COMMUNE_HEADINGS["commune"])
    district_col = _column(frame, COMMUNE_HEADINGS["district"])
    index_col = _column(frame, INDEX_HEADINGS)
    class_col = _column(frame, CLASS_HEADINGS)
    if commune_col is None or district_col is None:
        raise TableProblems([Problem(1, None, "cần cột “Xã” và cột “Huyện” (tên hoặc mã)")])
    if index_col is None and class_col is None:
        raise TableProblems([Problem(1, None, "cần cột “Chỉ số” và/hoặc cột “Xếp loại”")])
    _refuse_unknown(frame, (commune_col, district_col, index_col, class_col), "“Huyện”, “Xã”, “Chỉ số”, “Xếp loại”")
    matcher = UnitMatcher(districts)
    band_by_text = {b.code.lower(): b for b in cset.classes} | {b.name.lower(): b for b in cset.classes}
    rows, seen = [], {}
    for number, row in frame.iterrows():
        district = matcher.find(row[district_col])
        if district is None:
            problems.append(Problem(number, district_col, f"không có huyện '{row[district_col]}'"
                                    + matcher.suggest(row[district_col])))
            continue
        commune = row[commune_col]
        if (district[1], commune) in seen:
            problems.append(Problem(number, commune_col, f"xã '{commune}' đã có ở dòng {seen[(district[1], commune)]}"))
            continue
        seen[(district[1], commune)] = number
        value, band = None, None
        if index_col and row[index_col] != "":
            value = parse_number(row[index_col])
            if value is None or not 0 <= value <= 100:
                problems.append(Problem(number, index_col, f"'{row[index_col]}' không phải là chỉ số từ 0 đến 100"))
                continue
        if class_col and row[class_col] != "":
            band = band_by_text.get(row[class_col].lower())
            if band is None:
                problems.append(Problem(number, class_col, f"xếp loại '{row[class_col]}' không có "
                                        f"(dùng: {', '.join(b.name for b in cset.classes)})"))
                continue
        if value is not None and band is not None and cset.class_for(value) != band:
            problems.append(
                Problem(
                    number,
                    class_col,
                    f"xếp loại '{row[class_col]}' không khớp chỉ số {row[index_col]} ({cset.class_for(value).name})",
                )
            )
            continue
        if band is None and value is not None:
            band = cset.class_for(value)
        rows.append({"district": district[1], "commune": commune, "index": value, "class": band.code if band else None})
    if problems:
        raise TableProblems(problems)
    out = pd.DataFrame(rows, columns=["district", "commune", "index", "class"])
    if communes is not None and len(communes):
        listed = set(zip(out["district"], out["commune"]))
        absent = [{"district": c.parent, "commune": c.name, "index": None, "class": None}
                  for c in communes.itertuples()
                  if (c.parent, c.code) not in listed and (c.parent, c.name) not in listed]
        out = pd.concat([out, pd.DataFrame(absent, columns=out.columns)], ignore_index=True) if absent else out
    return out


def parse_previous(frame: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Last year's final table: ``level, unit, previous_index, previous_rank, previous_class``.

    Units no longer in the campaign (merged, renamed) are left out without an
    error; the class is kept as written (last year's bands may differ).
    """
    problems: list[Problem] = []
    unit_col = _column(frame, UNIT_COLUMNS)
    index_col = _column(frame, INDEX_HEADINGS)
    rank_col = _column(frame, ("rank", "xếp hạng", "xep_hang", "thứ hạng"))
    class_col = _column(frame, CLASS_HEADINGS)
    if unit_col is None or index_col is None:
        raise TableProblems([Problem(1, None, "cần cột “Đơn vị” (tên hoặc mã) và cột “Chỉ số”")])
    # other headings are left alone: last year's final table, as exported, has many more columns
    matcher = UnitMatcher(units)
    rows = []
    for number, row in frame.iterrows():
        key = matcher.find(row[unit_col])
        if key is None:
            continue
        value = parse_number(row[index_col])
        if value is None:
            problems.append(Problem(number, index_col, f"'{row[index_col]}' không phải là số"))
            continue
        rank = None
        if rank_col and row[rank_col] != "":
            rank = parse_number(row[rank_col])
            if rank is None or rank != int(rank) or rank < 1:
                problems.append(Problem(number, rank_col, f"'{row[rank_col]}' không phải là thứ hạng"))
                continue
        rows.append(
            {
                "level": key[0],
                "unit": key[1],
                "previous_index": value,
                "previous_rank": int(rank) if rank else None,
                "previous_class": row[class_col] if class_col else "",
            }
        )
    if problems:
        raise TableProblems(problems)
    return pd.DataFrame(rows, columns=["level", "unit", "previous_index", "previous_rank", "previous_class"])


def parse_units(frame: pd.DataFrame, cset: CriteriaSet) -> pd.DataFrame:
    """Units and their hierarchy: ``level, code, name, parent`` (parent: the code of a unit of the
    level's parent level, in the same file; empty for a top-level unit).

    The level is given by code or name; the parent by code or exact name.
    """
    problems: list[Problem] = []
    code_col = _column(frame, ("code", "mã", "ma", "unit"))
    name_col = _column(frame, ("name", "tên", "ten"))
    level_col = _column(frame, ("level", "cấp", "cap"))
    parent_col = _column(frame, ("parent", "thuộc", "thuoc", "district", "huyện"))
    if code_col is None or level_col is None:
        raise TableProblems([Problem(1, None, "cần cột 'code' (mã), 'level' (cấp); thêm 'name' (tên), "
                                              "'parent' (đơn vị cấp trên) nếu có")])
    choices = ", ".join(f"{lv.code} ({lv.name})" for lv in cset.levels)
    rows, seen = [], {}
    for number, row in frame.iterrows():
        level = level_code(cset, row[level_col])
        if level is None:
            problems.append(Problem(number, level_col, f"không có cấp '{row[level_col]}' (dùng: {choices})"))
            continue
        code = row[code_col]
        if not code or code in seen:
            problems.append(Problem(number, code_col, f"mã '{code}' rỗng hoặc đã có ở dòng {seen.get(code)}"))
            continue
        seen[code] = number
        rows.append((number, level, code, row[name_col] if name_col else "", row[parent_col] if parent_col else ""))
    by_name: dict[str, list[str]] = {}
    for _n, _level, code, name, _parent in rows:
        by_name.setdefault(name, []).append(code)
    level_of = {code: level for _n, level, code, _name, _p in rows}
    out = []
    for number, level, code, name, parent in rows:
        wanted = cset.level_by_code[level].parent
        if parent and parent not in level_of and len(by_name.get(parent, [])) == 1:
            parent = by_name[parent][0]
        if wanted is None and parent:
            problems.append(Problem(number, parent_col, f"đơn vị {cset.level_by_code[level].name.lower()} "
                                                        "không thuộc đơn vị nào"))
        elif wanted is not None and level_of.get(parent) != wanted:
            problems.append(Problem(number, parent_col, f"'{parent}' không phải một đơn vị "
                                                        f"{cset.level_by_code[wanted].name.lower()} của tệp"))
        out.append({"level": level, "code": code, "name": name, "parent": parent or None})
    if problems:
        raise TableProblems(problems)
    return pd.DataFrame(out, columns=["level", "code", "name", "parent"])


def parse_survey(frame: pd.DataFrame, cset: CriteriaSet, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """Survey points as ``parsurvey aggregate`` writes them: ``level, unit, <field codes>, total, complete,
    ballots``.

    ``ballots`` (each unit's counted ballots) is kept when the file has it; a points file written before
    the coverage guard has none. With ``units`` (:func:`parse_units`), a unit may be given by its exact
    name too.
    """
    fields = [f.code for f in cset.fields]
    missing = [c for c in ("level", "unit", "total") if c not in frame.columns]
    if missing:
        raise TableProblems(
            [Problem(1, None, f"thiếu cột {', '.join(missing)} (tệp points.csv của parsurvey aggregate)")]
        )
    problems: list[Problem] = []
    out = frame[["level", "unit"]].copy()
    out["level"] = frame["level"].map(lambda text: level_code(cset, text) or text)
    if units is not None:
        matcher = UnitMatcher(units)
        found = out["unit"].map(lambda text: (matcher.find(text) or (None, None))[1])
        problems += [Problem(n, "unit", f"không có đơn vị '{v}' trong --units")
                     for n, v in out.loc[found.isna(), "unit"].items()]
        out["unit"] = found.fillna(out["unit"])
    bad_level = ~out["level"].isin(list(cset.level_by_code))
    choices = ", ".join(f"{lv.code} ({lv.name})" for lv in cset.levels)
    problems += [Problem(n, "level", f"không có cấp '{v}' (dùng: {choices})")
                 for n, v in out.loc[bad_level, "level"].items()]
    for column in [c for c in fields if c in frame.columns] + ["total"]:
        values = frame[column].map(parse_number)
        problems += [
            Problem(n, column, f"'{frame.at[n, column]}' không phải là số") for n in values.index[values.isna()]
        ]
        out[column] = values.astype(float)
        for n in values.index[values.notna()]:
            level = cset.level_by_code.get(out.at[n, "level"])
            most = None if level is None else (level.survey_max if column == "total" else level.field_max.get(column))
            if most is not None and (values[n] < 0 or values[n] > most + 1e-9):
                what = "tổng" if column == "total" else f"lĩnh vực {column}"
                problems.append(Problem(n, column, f"điểm điều tra {values[n]:g} ngoài khoảng 0–{most:g} của "
                                                   f"{what}, {level.name.lower()}"))
    out["complete"] = frame["complete"].isin(["1", "true", "True"]) if "complete" in frame.columns else True
    if "ballots" in frame.columns:  # each unit's counted ballots, which rank holds against min_ballots
        counts = frame["ballots"].map(parse_number).astype(float)
        bad = counts.isna() | (counts < 0) | (counts != counts.round())
        problems += [Problem(n, "ballots", f"'{frame.at[n, 'ballots']}' không phải là số phiếu")
                     for n in counts.index[bad]]
        out["ballots"] = counts.where(~bad, 0).astype("int64")
    repeated = out.duplicated(["level", "unit"])
    problems += [Problem(n, "unit", f"đơn vị '{u}' lặp lại") for n, u in out.loc[repeated, "unit"].items()]
    if problems:
        raise TableProblems(problems)
    return out.reset_index(drop=True)
