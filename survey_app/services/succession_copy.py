"""Copy last year's campaign across a reform of its units, by a succession table.

:func:`survey_app.services.copying.copy_campaign` copies every unit as it was; here its copy is then
reshaped by the table (:mod:`.succession`): survivors (kept, renamed) carry over with their sample
plan and staff under their new code and name; the successors of merged and split units are proposed
as the table gives them (with the staff of their predecessors, and no sample plan: the admin sets
it); abolished units are dropped. The table is stored on the new campaign and what was done is
returned (:class:`CarryOver`) for the page to show.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import Campaign, SampleTarget, Unit, UserUnit
from .audit import record
from .campaigns import campaign_criteria
from .copying import copy_campaign
from .criteria import replace_criteria
from .csv_import import CsvProblems
from .succession import KIND_NAMES, SuccessionRow, check_rows, parse_file, store


@dataclass
class CarryOver:
    """What a copy across a reform did, by unit name."""

    kept: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (last year's name, the new name)
    proposed: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (new name, kind, predecessors)
    dropped: list[str] = field(default_factory=list)
    no_parent: list[str] = field(default_factory=list)  # of a level with a parent, whose parent went
    criteria: list[str] = field(default_factory=list)  # another set's name, then what changed in the groups

    def sentences(self) -> list[str]:
        """The summary in Vietnamese, one sentence per kind of change that happened."""
        out = [f"Giữ nguyên {len(self.kept)} đơn vị."] if self.kept else []
        if self.renamed:
            out.append(f"Đổi tên {len(self.renamed)} đơn vị: " + "; ".join(f"{a} → {b}" for a, b in self.renamed)
                       + ".")
        if self.proposed:
            out.append(f"Đề xuất {len(self.proposed)} đơn vị mới: " + "; ".join(
                f"{name} ({KIND_NAMES[kind]} từ {', '.join(olds)})" for name, kind, olds in self.proposed)
                + ". Kế hoạch mẫu của các đơn vị này để trống: nhập ở bước Kế hoạch mẫu.")
        if self.dropped:
            out.append(f"Bỏ {len(self.dropped)} đơn vị giải thể: {', '.join(self.dropped)}.")
        if self.criteria:
            out.append(f"Đợt mới dùng bộ tiêu chí “{self.criteria[0]}”"
                       + (f" ({'; '.join(self.criteria[1:])})." if self.criteria[1:] else "."))
        if self.no_parent:
            out.append(f"{len(self.no_parent)} đơn vị chưa có đơn vị cấp trên (đơn vị cấp trên cũ đã giải thể): "
                       f"{', '.join(self.no_parent)}.")
        return out


def checked_rows(data: bytes, source: Campaign) -> list[SuccessionRow]:
    """The rows of a succession file checked against ``source``'s units, for a copy (new units are made
    from the file: each needs a name there, except a kept one).

    Raises
    ------
    CsvProblems
        Every problem, by row.
    """
    rows = parse_file(data)
    problems = check_rows(rows, {u.code: u for u in source.units}, None)
    if problems:
        raise CsvProblems(problems)
    return rows


def copy_across_reform(s: Session, source: Campaign, rows: list[SuccessionRow], *, year: int, name: str,
                       province: str, actor: str, criteria: tuple | None = None) -> tuple[Campaign, CarryOver]:
    """A new draft campaign copied from ``source`` and reshaped by the checked succession ``rows``
    (:func:`checked_rows`); the table is stored on it. Audited.

    Parameters
    ----------
    criteria : tuple, optional
        ``(texts, cset)`` of another criteria set for the new campaign (the first two-tier year after a
        three-level one): given once the units are reshaped, with the groups it names
        (:func:`~.criteria.replace_criteria`). Without it the campaign keeps ``source``'s set.

    Raises
    ------
    CampaignError
        A campaign of that name exists, or a unit the table keeps has a level the new set lacks.
    """
    campaign = copy_campaign(s, source, year=year, name=name, province=province, actor=actor)
    copies = {u.code: u for u in campaign.units}
    old_names = {code: unit.name for code, unit in copies.items()}
    done = CarryOver()
    new_units: dict[str, Unit] = {}
    for r in rows:  # survivors keep their copy, under the new code and name
        if r.kind in ("kept", "renamed"):
            unit = copies[r.old_code]
            unit.code, unit.name = r.new_code, r.new_name or unit.name
            new_units[r.new_code] = unit
            (done.kept.append(unit.name) if r.kind == "kept" else done.renamed.append((old_names[r.old_code],
                                                                                        unit.name)))
    successors = _successors(rows)
    for code, (kind, olds, new_name) in successors.items():
        reused = copies.get(code) if code in olds else None  # a merged unit that keeps one predecessor's code
        unit = reused or Unit(campaign_id=campaign.id, code=code, level=copies[olds[0]].level)
        unit.name = new_name or old_names[code]
        if reused is None:
            campaign.units.append(unit)
        new_units[code] = unit
        done.proposed.append((unit.name, kind, [old_names[o] for o in olds]))
    gone = [u for code, u in copies.items() if u not in new_units.values()]
    done.dropped = [old_names[r.old_code] for r in rows if r.kind == "abolished"]
    levels = (criteria[1] if criteria else campaign_criteria(campaign)).level_by_code
    _parents(rows, copies, new_units, levels, done)
    s.flush()
    _staff(s, successors, copies, new_units)
    gone_ids = [u.id for u in gone]
    proposed_ids = [new_units[code].id for code in successors]  # a proposed unit starts with no sample plan
    s.execute(delete(SampleTarget).where(SampleTarget.unit_id.in_(gone_ids + proposed_ids)))
    s.execute(delete(UserUnit).where(UserUnit.unit_id.in_(gone_ids)))
    for unit in gone:
        unit.parent = None
    s.flush()
    for unit in gone:
        s.delete(unit)
    s.flush()
    s.expire(campaign, ["units"])
    if criteria is not None:
        notes = replace_criteria(s, campaign, criteria[0], actor, criteria[1])
        done.criteria = [criteria[1].name, *notes]
    store(s, campaign, rows, {code: _Named(n) for code, n in old_names.items()}, actor, source=source)
    record(s, actor, "update", "campaign", campaign.id, attribute="units",
           new_value="kế thừa đơn vị: " + " ".join(done.sentences()))
    return campaign, done


@dataclass(frozen=True)
class _Named:
    name: str


def _successors(rows: list[SuccessionRow]) -> dict[str, tuple[str, list[str], str]]:
    """New code -> (kind, predecessors' old codes, new name) of merged and split rows."""
    out: dict[str, tuple[str, list[str], str]] = {}
    for r in rows:
        if r.kind in ("merged", "split"):
            kind, olds, name = out.get(r.new_code, (r.kind, [], ""))
            kind = "merged" if len(set(olds) | {r.old_code}) > 1 else kind
            out[r.new_code] = (kind, [*olds, r.old_code] if r.old_code not in olds else olds, name or r.new_name)
    return out


def _parents(rows, copies: Mapping[str, Unit], new_units: Mapping[str, Unit], levels, done) -> None:
    """Each new unit's parent: the successor of its first predecessor's parent (None if it was abolished)."""
    first_new = {}
    for r in rows:
        first_new.setdefault(r.old_code, r.new_code)
    first_old = {}
    for r in rows:
        if r.new_code:
            first_old.setdefault(r.new_code, r.old_code)
    # the copies' codes changed above: read each copy's parent's old code through the copy objects
    old_code_of = {id(u): code for code, u in copies.items()}
    old_parent = {code: old_code_of.get(id(u.parent)) if u.parent else None for code, u in copies.items()}
    for code, unit in new_units.items():
        parent_old = old_parent[first_old[code]]
        parent_new = first_new.get(parent_old) if parent_old else None
        level = levels.get(unit.level)
        unit.parent = new_units.get(parent_new) if parent_new and level is not None and level.parent else None
        if unit.parent is None and level is not None and level.parent:
            done.no_parent.append(unit.name)


def _staff(s: Session, successors, copies: Mapping[str, Unit], new_units: Mapping[str, Unit]) -> None:
    """The staff who keyed for a predecessor key for its successor."""
    for code, (_kind, olds, _name) in successors.items():
        unit = new_units[code]
        have = set(s.scalars(select(UserUnit.user_id).where(UserUnit.unit_id == unit.id)))
        for old in olds:
            for user_id in s.scalars(select(UserUnit.user_id).where(UserUnit.unit_id == copies[old].id)):
                if user_id not in have:
                    s.add(UserUnit(user_id=user_id, unit_id=unit.id))
                    have.add(user_id)
    s.flush()
