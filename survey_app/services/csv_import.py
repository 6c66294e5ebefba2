"""CSV imports for officials: units, the sample plan, personal links.

Each import reads the whole file, checks every row, and returns either the
rows to write or every problem at once, each naming its row as Excel numbers
it (the header is row 1). Nothing is written when any row is bad.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from questionnaires import CriteriaSet

from ..models import LEVELS, RespondentGroup, Unit

MAX_ROWS = 20_000
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class CsvProblems(ValueError):
    """Every problem of a file; ``problems`` holds (row number, message)."""

    def __init__(self, problems: list[tuple[int, str]]):
        self.problems = problems
        super().__init__("; ".join(f"dòng {n}: {m}" if n else m for n, m in problems))


def read_rows(data: bytes, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[tuple[int, dict]]:
    """The data rows of a CSV file as ``(row number, {column: text})``.

    Accepts UTF-8 (with or without BOM, as Excel saves it) and a comma or
    semicolon separator. Column names are matched without case or spaces.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        message = "tệp không phải UTF-8: trong Excel chọn Lưu thành “CSV UTF-8 (Comma delimited)”"
        raise CsvProblems([(0, message)]) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # a bare CR (old Mac files) ends a line too
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise CsvProblems([(0, "tệp trống")]) from None
    missing = [c for c in required if c not in header]
    unknown = [h for h in header if h and h not in required + optional]
    problems = [(1, f"thiếu cột '{c}' (cần: {', '.join(required)})") for c in missing]
    problems += [(1, f"cột '{c}' không dùng được (dùng: {', '.join(required + optional)})") for c in unknown]
    if problems:
        raise CsvProblems(problems)
    rows = []
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            problems.append((number, f"có {len(values)} ô, nhiều hơn {len(header)} cột của tiêu đề"))
            continue
        rows.append((number, {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)}))
        if len(rows) > MAX_ROWS:
            raise CsvProblems([(number, f"tệp quá {MAX_ROWS} dòng")])
    if problems:
        raise CsvProblems(problems)
    return rows


@dataclass(frozen=True)
class NewUnit:
    code: str
    name: str
    level: str
    parent_code: str | None


def parse_units(data: bytes, existing: dict[str, Unit]) -> list[NewUnit]:
    """Units from ``code,name,level,parent`` (parent: the district code of a commune)."""
    return check_units(read_rows(data, ("code", "name", "level"), ("parent",)), existing)


def check_units(rows: list[tuple[int, dict]], existing: dict[str, Unit]) -> list[NewUnit]:
    """Check units given as ``(row number, {code, name, level, parent})``."""
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    new_levels = {r["code"]: r["level"] for _n, r in rows}
    units = []
    for number, r in rows:
        code, name, level, parent = r["code"], r["name"], r["level"].lower(), r.get("parent") or None
        if not code or any(ch.isspace() for ch in code) or len(code) > 64:
            problems.append((number, f"mã đơn vị '{code}' không được rỗng, chứa khoảng trắng hay dài quá 64 ký tự"))
        elif code in existing or code in seen:
            where = f"dòng {seen[code]}" if code in seen else "đợt khảo sát"
            problems.append((number, f"mã đơn vị '{code}' đã có ({where})"))
        seen.setdefault(code, number)
        if not name:
            problems.append((number, "thiếu tên đơn vị"))
        if level not in LEVELS:
            problems.append((number, f"cấp '{r['level']}' không hợp lệ (dùng: {', '.join(LEVELS)})"))
        if level == "xa":
            parent_level = existing[parent].level if parent in existing else new_levels.get(parent)
            if parent is None:
                problems.append((number, "đơn vị cấp xã phải có cột 'parent' là mã huyện"))
            elif parent_level != "huyen":
                problems.append((number, f"'parent' = '{parent}' không phải mã một huyện"))
        elif parent:
            problems.append((number, "chỉ đơn vị cấp xã mới có 'parent'"))
        units.append(NewUnit(code, name, level, parent))
    if problems:
        raise CsvProblems(problems)
    return units


def parse_plan(data: bytes, units: dict[str, Unit], groups: dict[str, RespondentGroup], cset: CriteriaSet):
    """Targets from ``unit,group,target``: ``[(unit, group, target)]``."""
    rows = read_rows(data, ("unit", "group", "target"))
    problems, plan, seen = [], [], {}
    for number, r in rows:
        before = len(problems)
        unit, group = units.get(r["unit"]), groups.get(r["group"])
        if unit is None:
            problems.append((number, f"không có đơn vị mã '{r['unit']}'"))
        if group is None:
            problems.append((number, f"không có đối tượng '{r['group']}'"))
        if unit is not None and group is not None and cset.group_by_code[group.code].rule_for(unit.level) is None:
            problems.append((number, f"đối tượng '{group.code}' không đánh giá cấp '{unit.level}'"))
        if not r["target"].isdigit() or int(r["target"]) > 100_000:
            problems.append((number, f"số phiếu kế hoạch '{r['target']}' phải là số nguyên không âm"))
        key = (r["unit"], r["group"])
        if key in seen:
            problems.append((number, f"'{key[0]}' × '{key[1]}' đã có ở dòng {seen[key]}"))
        seen.setdefault(key, number)
        if len(problems) == before:
            plan.append((unit, group, int(r["target"])))
    if problems:
        raise CsvProblems(problems)
    return plan


@dataclass(frozen=True)
class NewInvitation:
    group: RespondentGroup
    unit: Unit | None
    name: str | None
    email: str | None
    phone: str | None


def parse_invitations(data: bytes, units: dict[str, Unit], groups: dict[str, RespondentGroup], cset: CriteriaSet):
    """Personal links from ``name,group,unit,email,phone`` (only ``group`` is required)."""
    rows = read_rows(data, ("group",), ("name", "unit", "email", "phone"))
    problems: list[tuple[int, str]] = []
    result = []
    for number, r in rows:
        before = len(problems)
        group = groups.get(r["group"])
        unit = units.get(r.get("unit", "")) if r.get("unit") else None
        if group is None:
            problems.append((number, f"không có đối tượng '{r['group']}' (dùng: {', '.join(groups)})"))
        if r.get("unit") and unit is None:
            problems.append((number, f"không có đơn vị mã '{r['unit']}'"))
        if group is not None:
            own = [rule for rule in cset.group_by_code[group.code].rates if rule.how == "own"]
            if own and unit is None and not r.get("unit"):
                problems.append((number, f"đối tượng '{group.code}' đánh giá đơn vị của mình: cần cột 'unit'"))
        email, phone = r.get("email") or None, r.get("phone") or None
        if email and (not EMAIL.fullmatch(email) or len(email) > 200):
            problems.append((number, f"thư điện tử '{email}' không hợp lệ"))
        if phone and not phone.replace(" ", "").replace(".", "").lstrip("+").isdigit():
            problems.append((number, f"số điện thoại '{phone}' không hợp lệ"))
        if len(problems) == before:
            result.append(NewInvitation(group, unit, r.get("name") or None, email, phone))
    if problems:
        raise CsvProblems(problems)
    return result
