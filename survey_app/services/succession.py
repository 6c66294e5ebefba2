"""Unit succession: which of last year's units became which of this campaign's.

Since 1 July 2025 provinces and communes were merged and districts abolished, so a campaign may rate
units last year did not have. A campaign's succession table says, for every unit of last year's
campaign (:func:`last_year`), what it became: kept (giữ nguyên), renamed (đổi tên), merged into one
new unit with others (hợp nhất), split into several (chia tách: one row per new unit) or abolished
(giải thể: no new unit).

A table is checked whole (:func:`check_rows`) and every problem is named by its row, in Vietnamese;
nothing is stored while any row is wrong. :func:`predecessors` reads a table for other features
(year-on-year comparisons, the copy across a reform in :mod:`.succession_copy`).

Functions take a session and only flush; the request (or command) commits once. Every change leaves
an audit entry. No Flask here.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Campaign, Unit, UnitSuccession
from .audit import record
from .csv_import import CsvProblems, fold, read_rows

KIND_NAMES = {"kept": "giữ nguyên", "renamed": "đổi tên", "merged": "hợp nhất", "split": "chia tách",
              "abolished": "giải thể"}
# What may be typed in the column "Loại thay đổi" (folded), besides the names above and the English codes.
KIND_WORDS = {**{fold(name): code for code, name in KIND_NAMES.items()}, **{code: code for code in KIND_NAMES},
              "sáp nhập": "merged", "tách": "split"}
KIND_CHOICES = ", ".join(KIND_NAMES.values())

# The file's columns, as the template heads them (compared folded: case and spaces do not matter).
OLD_CODE, OLD_NAME, NEW_CODE, NEW_NAME, KIND = ("mã đơn vị cũ", "tên đơn vị cũ", "mã đơn vị mới", "tên đơn vị mới",
                                                "loại thay đổi")


@dataclass(frozen=True)
class SuccessionRow:
    """One row of a succession table as read or stored: ``kind`` is an English code, or ``None`` when
    ``kind_text`` is none of :data:`KIND_WORDS`; ``new_name`` only from a file (used by the copy)."""

    row: int
    old_code: str
    old_name: str
    new_code: str | None
    kind: str | None
    new_name: str = ""
    kind_text: str = ""


def kind_of(text: str) -> str | None:
    """The kind code of what was typed (Vietnamese name or English code), or None.

    Examples
    --------
    >>> kind_of(" Hợp  nhất "), kind_of("renamed"), kind_of("Sáp nhập"), kind_of("nhập")
    ('merged', 'renamed', 'merged', None)
    """
    return KIND_WORDS.get(fold(text))


def predecessors(succession: Iterable) -> dict[str, list[tuple[str, str]]]:
    """Each new unit's predecessors: ``{new_code: [(old_code, kind), ...]}`` in the table's order.

    Parameters
    ----------
    succession : iterable
        Rows with ``old_code``, ``new_code`` and ``kind`` (:class:`~survey_app.models.UnitSuccession`
        or :class:`SuccessionRow`). Abolished rows (no new code) lead nowhere and are left out.

    Returns
    -------
    dict
        A renamed unit has one predecessor, a merged unit several; each new unit of a split names
        the unit it came from.

    Examples
    --------
    >>> rows = [SuccessionRow(2, "a", "A", "c", "merged"), SuccessionRow(3, "b", "B", "c", "merged"),
    ...         SuccessionRow(4, "f", "F", None, "abolished")]
    >>> predecessors(rows)
    {'c': [('a', 'merged'), ('b', 'merged')]}
    """
    out: dict[str, list[tuple[str, str]]] = {}
    for entry in succession:
        if entry.new_code:
            out.setdefault(entry.new_code, []).append((entry.old_code, entry.kind))
    return out


def last_year(s: Session, campaign: Campaign) -> Campaign | None:
    """The campaign a succession of ``campaign`` starts from: the latest of an earlier year (of two in
    one year, the one created last), or None."""
    return s.scalar(select(Campaign).where(Campaign.year < campaign.year, Campaign.id != campaign.id)
                    .order_by(Campaign.year.desc(), Campaign.id.desc()).limit(1))


def parse_file(data: bytes) -> list[SuccessionRow]:
    """The rows of a succession file (XLSX or CSV with the template's Vietnamese headings), unchecked.

    Raises
    ------
    CsvProblems
        The file cannot be read, lacks a column, or still holds an example row.
    """
    rows = read_rows(data, (OLD_CODE, NEW_CODE, KIND), (OLD_NAME, NEW_NAME))
    return [SuccessionRow(n, r[OLD_CODE], r.get(OLD_NAME, ""), r[NEW_CODE] or None, kind_of(r[KIND]),
                          r.get(NEW_NAME, ""), r[KIND]) for n, r in rows]


def check_rows(rows: list[SuccessionRow], old_units: Mapping[str, Unit],
               new_units: Mapping[str, str] | None) -> list[tuple[int, str]]:
    """Every problem of a succession table, each as ``(row, Vietnamese message)`` (row 0: the table).

    Parameters
    ----------
    rows : list of SuccessionRow
        The table.
    old_units : mapping
        Last year's units by code (``name`` and ``level`` are read).
    new_units : mapping or None
        This campaign's unit names by code: every new code must be one of them. ``None`` when the table
        builds a new campaign (:mod:`.succession_copy`): then a new unit needs a name in the file,
        except a kept one (it keeps last year's), and a new code a valid form.

    Returns
    -------
    list of tuple
        Empty when the table is sound: every unit of last year on exactly one row (a split one on two or
        more, all split), kinds known, an abolished unit without a new code and every other with one,
        several old units into one new unit only by merging (or splitting), no new code that was last
        year's code of another unit that changed (no chain or cycle within one year).
    """
    problems: list[tuple[int, str]] = []
    by_old: dict[str, list[SuccessionRow]] = {}
    by_new: dict[str, list[SuccessionRow]] = {}
    named: dict[str, tuple[int, str]] = {}
    seen: dict[tuple[str, str | None], int] = {}
    for r in rows:
        problems += _row_problems(r, old_units, new_units, named)
        if (r.old_code, r.new_code) in seen:
            problems.append((r.row, f"trùng với dòng {seen[r.old_code, r.new_code]}"))
        seen.setdefault((r.old_code, r.new_code), r.row)
        by_old.setdefault(r.old_code, []).append(r)
        if r.new_code:
            by_new.setdefault(r.new_code, []).append(r)
    problems += _old_problems(by_old, old_units)
    problems += _new_problems(by_new, old_units, new_units is None)
    problems += _chains(rows, by_old, old_units)
    return sorted(problems, key=lambda p: (p[0] == 0, p[0]))


def _row_problems(r: SuccessionRow, old_units, new_units, named) -> list[tuple[int, str]]:
    out = []
    old = old_units.get(r.old_code)
    if not r.old_code:
        out.append((r.row, "thiếu mã đơn vị cũ"))
    elif old is None:
        out.append((r.row, f"không có đơn vị mã '{r.old_code}' trong đợt năm trước"))
    elif r.old_name and fold(r.old_name) != fold(old.name):
        out.append((r.row, f"'{r.old_name}' không phải tên năm trước của mã '{r.old_code}' ({old.name})"))
    if r.kind is None:
        out.append((r.row, f"loại thay đổi '{r.kind_text}' không hợp lệ (dùng: {KIND_CHOICES})"))
    elif r.kind == "abolished" and r.new_code:
        out.append((r.row, f"đơn vị giải thể không có đơn vị mới: để trống cột Mã đơn vị mới (đang ghi "
                           f"'{r.new_code}')"))
    elif r.kind != "abolished" and not r.new_code:
        out.append((r.row, f"{KIND_NAMES[r.kind]} cần mã đơn vị mới"))
    if not r.new_code:
        return out
    if new_units is not None:
        if r.new_code not in new_units:
            out.append((r.row, f"không có đơn vị mã '{r.new_code}' trong đợt này: thêm đơn vị trước, hoặc sửa mã"))
        return out
    if any(ch.isspace() for ch in r.new_code) or len(r.new_code) > 64:
        out.append((r.row, f"mã đơn vị mới '{r.new_code}' không được chứa khoảng trắng hay dài quá 64 ký tự"))
    name = r.new_name or (old.name if old is not None and r.kind == "kept" else "")
    if not name and r.new_code in old_units and r.kind != "renamed":
        name = old_units[r.new_code].name
    if not name and r.kind is not None:
        out.append((r.row, f"{KIND_NAMES[r.kind]}: cần tên đơn vị mới ở cột Tên đơn vị mới"))
    elif name and r.new_code in named and fold(named[r.new_code][1]) != fold(name):
        out.append((r.row, f"đơn vị mới '{r.new_code}' đã có tên khác ở dòng {named[r.new_code][0]}"))
    named.setdefault(r.new_code, (r.row, name))
    return out


def _old_problems(by_old, old_units) -> list[tuple[int, str]]:
    out = []
    for code, entries in by_old.items():
        if len(entries) > 1 and any(e.kind != "split" for e in entries):
            out += [(e.row, f"đơn vị cũ '{code}' đã có ở dòng {entries[0].row}: mỗi đơn vị năm trước một dòng, "
                            "trừ chia tách (mỗi đơn vị mới một dòng)") for e in entries[1:]]
        elif len(entries) == 1 and entries[0].kind == "split":
            out.append((entries[0].row, f"chia tách '{code}' cần ít nhất hai dòng, mỗi đơn vị mới một dòng"))
    out += [(0, f"Thiếu đơn vị năm trước '{code}' ({unit.name}): mỗi đơn vị cần một dòng (giữ nguyên, đổi tên, "
                "hợp nhất, chia tách hay giải thể)") for code, unit in old_units.items() if code not in by_old]
    return out


def _new_problems(by_new, old_units, building: bool) -> list[tuple[int, str]]:
    out = []
    for code, entries in by_new.items():
        olds = list(dict.fromkeys(e.old_code for e in entries))
        if len(olds) > 1:
            out += [(e.row, f"'{code}' nhận từ nhiều đơn vị cũ ({', '.join(olds)}): đó là hợp nhất, không phải "
                            f"{KIND_NAMES[e.kind]}") for e in entries if e.kind in ("kept", "renamed")]
        elif any(e.kind == "merged" for e in entries):
            out.append((entries[0].row, f"hợp nhất về '{code}' cần ít nhất hai đơn vị cũ (chỉ có '{olds[0]}'): "
                                        "một đơn vị thì ghi giữ nguyên hay đổi tên"))
        levels = {old_units[o].level for o in olds if o in old_units}
        if building and len(levels) > 1:
            out.append((entries[0].row, f"các đơn vị cũ về '{code}' khác cấp ({', '.join(sorted(levels))})"))
    return out


def _chains(rows, by_old, old_units) -> list[tuple[int, str]]:
    """A new code that was last year's code of a unit that did not keep it: a chain (A → B, B → C) or a
    cycle (A → B, B → A) within one year."""
    def onward(code: str) -> str | None:  # where last year's ``code`` went, when not to itself
        moves = [e.new_code or "∅" for e in by_old.get(code, []) if e.new_code != code]
        return moves[0] if moves else None

    out = []
    for r in rows:
        if not r.new_code or r.new_code == r.old_code or r.new_code not in old_units or onward(r.new_code) is None:
            continue
        path = [r.old_code, r.new_code]
        while (step := onward(path[-1])) is not None and step not in path and step != "∅":
            path.append(step)
        if step == r.old_code:
            out.append((r.row, f"vòng kế thừa {' → '.join([*path, r.old_code])}: trong một năm, một mã không "
                               "thể vừa chuyển đi vừa nhận về"))
        else:
            first = onward(r.new_code)
            went = "đã giải thể" if first == "∅" else f"đã chuyển thành '{first}'"
            out.append((r.row, f"chuỗi kế thừa trong một năm: mã '{r.new_code}' năm trước {went}; ghi thẳng "
                               "đơn vị cũ → đơn vị của năm nay"))
    return out


# --- stored tables ---------------------------------------------------------------------------------


def entries(s: Session, campaign: Campaign) -> list[UnitSuccession]:
    """The campaign's succession table, in the order it was imported."""
    return list(s.scalars(select(UnitSuccession).where(UnitSuccession.campaign_id == campaign.id)
                          .order_by(UnitSuccession.id)))


def as_rows(stored: list[UnitSuccession]) -> list[SuccessionRow]:
    """Stored entries as rows numbered 1, 2, … (the STT the units page shows)."""
    return [SuccessionRow(i, e.old_code, e.old_name, e.new_code, e.kind, kind_text=KIND_NAMES[e.kind])
            for i, e in enumerate(stored, 1)]


def stored_problems(s: Session, campaign: Campaign) -> list[tuple[int, str]]:
    """What is wrong with the stored table now (a row deleted, a unit removed since): rows by STT."""
    previous = last_year(s, campaign)
    old = {u.code: u for u in previous.units} if previous else {}
    return check_rows(as_rows(entries(s, campaign)), old, {u.code: u.name for u in campaign.units})


def import_succession(s: Session, campaign: Campaign, data: bytes, actor: str) -> list[UnitSuccession]:
    """Replace the campaign's succession table with a checked file (audited).

    Raises
    ------
    CsvProblems
        Every problem of the file (row numbers as Excel shows them); nothing is stored.
    """
    previous = last_year(s, campaign)
    if previous is None:
        raise CsvProblems([(0, f"Không có đợt khảo sát nào trước năm {campaign.year} để kế thừa")])
    rows = parse_file(data)
    old = {u.code: u for u in previous.units}
    problems = check_rows(rows, old, {u.code: u.name for u in campaign.units})
    if problems:
        raise CsvProblems(problems)
    return store(s, campaign, rows, old, actor, source=previous)


def store(s: Session, campaign: Campaign, rows: list[SuccessionRow], old_units: Mapping[str, Unit], actor: str,
          source: Campaign) -> list[UnitSuccession]:
    """Replace the campaign's table with checked ``rows`` (old names as last year had them); audited."""
    before = entries(s, campaign)
    for entry in before:
        s.delete(entry)
    s.flush()
    added = [UnitSuccession(campaign_id=campaign.id, old_code=r.old_code, old_name=old_units[r.old_code].name,
                            new_code=r.new_code, kind=r.kind) for r in rows]
    s.add_all(added)
    s.flush()
    record(s, actor, "import", "unit_succession", campaign.id, old_value=f"{len(before)} dòng" if before else None,
           new_value=f"{len(added)} dòng từ “{source.name}”: {counts_text(added)}")
    return added


def counts_text(stored: Iterable) -> str:
    """How many rows of each kind there is, in the order of :data:`KIND_NAMES`, e.g. ``"1 giữ nguyên,
    1 đổi tên, 2 hợp nhất, 1 giải thể"``."""
    kinds = [entry.kind for entry in stored]
    return ", ".join(f"{kinds.count(kind)} {name}" for kind, name in KIND_NAMES.items() if kind in kinds)


class SuccessionError(ValueError):
    """An edit refused; ``problems`` are what it would have broken (Vietnamese)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def edit_entry(s: Session, entry: UnitSuccession, new_code: str | None, kind: str, actor: str) -> None:
    """Change one row's new unit and kind (audited). The table is checked with the change: an edit that
    brings a problem the table did not have is refused, so a table made incomplete by a deletion can
    still be mended one row at a time.

    Raises
    ------
    SuccessionError
        The problems the edit would bring; nothing is changed.
    """
    campaign = s.get(Campaign, entry.campaign_id)
    stored = entries(s, campaign)
    previous = last_year(s, campaign)
    old = {u.code: u for u in previous.units} if previous else {}
    new = {u.code: u.name for u in campaign.units}
    rows = as_rows(stored)
    before = {m for _n, m in check_rows(rows, old, new)}
    at = stored.index(entry)
    rows[at] = SuccessionRow(at + 1, entry.old_code, entry.old_name, new_code or None, kind_of(kind),
                             kind_text=kind)
    brought = [f"Dòng {n}: {m}" if n else m for n, m in check_rows(rows, old, new) if m not in before]
    if brought:
        raise SuccessionError(brought)
    was = f"{entry.new_code or '—'} ({KIND_NAMES[entry.kind]})"
    entry.new_code, entry.kind = rows[at].new_code, rows[at].kind
    s.flush()
    record(s, actor, "update", "unit_succession", entry.id, attribute=entry.old_code, old_value=was,
           new_value=f"{entry.new_code or '—'} ({KIND_NAMES[entry.kind]})")


def delete_entry(s: Session, entry: UnitSuccession, actor: str) -> None:
    """Delete one row (audited); the page then says which unit of last year is unaccounted for."""
    record(s, actor, "delete", "unit_succession", entry.id, attribute=entry.old_code,
           old_value=f"{entry.old_code} {entry.old_name} → {entry.new_code or '—'} ({KIND_NAMES[entry.kind]})")
    s.delete(entry)
    s.flush()


@dataclass(frozen=True)
class SuccessionTable:
    """What the units page shows: last year's campaign, the stored rows with their new unit's name, and
    what is wrong with the table now (rows by STT)."""

    previous: Campaign | None
    rows: list[tuple[UnitSuccession, str]]
    problems: list[tuple[int, str]]


def succession_table(s: Session, campaign: Campaign) -> SuccessionTable:
    """The campaign's succession table for the units page (:class:`SuccessionTable`)."""
    stored = entries(s, campaign)
    names = {u.code: u.name for u in campaign.units}
    return SuccessionTable(last_year(s, campaign), [(e, names.get(e.new_code, "") if e.new_code else "")
                                                    for e in stored],
                           stored_problems(s, campaign) if stored else [])
