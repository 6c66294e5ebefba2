"""A campaign's units (departments, districts, communes) and its sample plan.

Functions take a session and only flush; the request (or command) commits once.
Every change leaves an audit entry.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from questionnaires import Level

from ..models import (
    Answer,
    Appraisal,
    Campaign,
    Comment,
    CommuneResult,
    Dossier,
    Envelope,
    Invitation,
    PaperSerial,
    PreviousResult,
    RespondentGroup,
    SampleTarget,
    Unit,
    UserUnit,
)
from .audit import record
from .campaigns import campaign_criteria
from .csv_import import NewUnit


def units_by_code(campaign: Campaign) -> dict[str, Unit]:
    """The campaign's units by code."""
    return {u.code: u for u in campaign.units}


def units_of_level(campaign: Campaign, level: str) -> list[Unit]:
    """The campaign's units of one level in use (not "ngừng sử dụng"), in the order they were added."""
    return [u for u in campaign.units if u.level == level and not u.retired]


def units_in_use(campaign: Campaign) -> list[Unit]:
    """The campaign's units not retired ("ngừng sử dụng"): what the plan, cards, links and forms offer. A retired
    unit keeps its history (answers, links, results) and is listed on the units page."""
    return [u for u in campaign.units if not u.retired]


def rated_pairs(campaign: Campaign, groups: list[RespondentGroup]) -> list[tuple[Unit, RespondentGroup]]:
    """The (unit, group) pairs where the group rates the unit's level, at every level the criteria set
    surveys (communes too, when it does): what a QR card or a paper ballot can be printed for."""
    cset = campaign_criteria(campaign)
    order = {lv.code: i for i, lv in enumerate(cset.levels)}
    units = sorted(units_in_use(campaign), key=lambda u: (order.get(u.level, len(order)), u.parent_id or 0, u.id))
    return [(u, g) for u in units for g in groups if cset.group_by_code[g.code].rule_for(u.level)]


def unit_and_group(s: Session, campaign_id: int, unit_code: str, group_code: str):
    """The unit and respondent group of a campaign named by code (``None`` where unknown)."""
    unit = s.scalar(select(Unit).where(Unit.campaign_id == campaign_id, Unit.code == unit_code))
    group = s.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == campaign_id,
                                                   RespondentGroup.code == group_code))
    return unit, group


def add_units(s: Session, campaign: Campaign, new_units: list[NewUnit], actor: str) -> list[Unit]:
    """Add units; communes are linked to their district by code (existing or in the same batch)."""
    by_code = units_by_code(campaign)
    levels = campaign_criteria(campaign).level_by_code

    def depth(level: str) -> int:
        parent = levels[level].parent if level in levels else None
        return 0 if parent is None else 1 + depth(parent)

    added = []
    for nu in sorted(new_units, key=lambda u: depth(u.level)):  # a district before its communes
        unit = Unit(campaign_id=campaign.id, code=nu.code, name=nu.name, level=nu.level,
                    parent=by_code.get(nu.parent_code) if nu.parent_code else None)
        s.add(unit)
        by_code[unit.code] = unit
        added.append(unit)
    s.flush()
    s.expire(campaign, ["units"])
    for unit in added:
        record(s, actor, "create", "unit", unit.id, new_value=f"{unit.code} {unit.name} ({unit.level})")
    return added


class UnitInUse(ValueError):
    """A unit that data hangs on cannot be removed; the message says what (Vietnamese)."""


# What may hang on a unit, and how a person calls it.
_HANGING = ((Answer, Answer.unit_id, "câu trả lời"), (Invitation, Invitation.unit_id, "đường link/thẻ QR"),
            (PaperSerial, PaperSerial.unit_id, "phiếu giấy đã in"), (Appraisal, Appraisal.unit_id, "điểm thẩm định"),
            (CommuneResult, CommuneResult.unit_id, "kết quả xã"), (PreviousResult, PreviousResult.unit_id,
                                                                     "kết quả năm trước"),
            (Comment, Comment.unit_id, "ý kiến"), (Dossier, Dossier.unit_id, "hồ sơ"),
            (Unit, Unit.parent_id, "đơn vị trực thuộc"))


def _sealed_about(s: Session, unit: Unit) -> int:
    """Envelopes in the box that may rate ``unit``: those naming it (a group rating its own unit), and
    every one of a group that rates each unit of its level or chooses among them (their answers are
    sealed: which units they rate is known only at close)."""
    cset = campaign_criteria(unit.campaign)
    raters = [g.id for g in unit.campaign.groups if g.code in cset.group_by_code
              and any(rule.level == unit.level and rule.how != "own" for rule in cset.group_by_code[g.code].rates)]
    return s.scalar(select(func.count()).select_from(Envelope).where(
        Envelope.campaign_id == unit.campaign_id, or_(Envelope.unit_id == unit.id, Envelope.group_id.in_(raters))))


def unit_references(s: Session, unit: Unit) -> list[str]:
    """What hangs on ``unit`` (answers, links, printed ballots, results, dossiers, sub-units, sealed web
    ballots that may rate it), each as "<count> <what>" in Vietnamese; empty when it can be deleted."""
    hanging = []
    for model, column, label in _HANGING:
        count = s.scalar(select(func.count()).select_from(model).where(column == unit.id))
        if count:
            hanging.append(f"{count} {label}")
    sealed = _sealed_about(s, unit)
    if sealed:  # their answers, sealed until close, may rate this unit: they would be refused when opened
        hanging.append(f"{sealed} phiếu trực tuyến niêm phong trong hòm phiếu có thể đánh giá đơn vị này")
    return hanging


def referenced_units(s: Session, campaign: Campaign) -> set[int]:
    """The ids of the campaign's units that something hangs on (:func:`unit_references` not empty), read
    for all units at once: which the units page offers to delete and which to retire."""
    own = select(Unit.id).where(Unit.campaign_id == campaign.id)
    ids: set[int] = set()
    for _model, column, _label in _HANGING:
        ids.update(s.scalars(select(column).where(column.in_(own)).distinct()))
    sealed = s.execute(select(Envelope.unit_id, Envelope.group_id).where(Envelope.campaign_id == campaign.id)
                       .distinct()).all()
    ids.update(unit_id for unit_id, _group in sealed)
    cset = campaign_criteria(campaign)
    sealing = {group for _unit, group in sealed}
    for group in campaign.groups:
        if group.id in sealing and group.code in cset.group_by_code:
            levels = {rule.level for rule in cset.group_by_code[group.code].rates if rule.how != "own"}
            ids.update(u.id for u in campaign.units if u.level in levels)
    ids.discard(None)
    return ids


def remove_unit(s: Session, unit: Unit, actor: str) -> None:
    """Remove a unit added by mistake, with its sample-plan cells and staff assignments (audited).

    Raises
    ------
    UnitInUse
        Answers, links, printed ballots, results or communes hang on it: it stays, and the message
        lists them (the unit can be retired instead, :func:`set_retired`).
    """
    hanging = unit_references(s, unit)
    if hanging:
        raise UnitInUse(f"Không xoá được {unit.name}: đã có {', '.join(hanging)}.")
    s.execute(delete(SampleTarget).where(SampleTarget.unit_id == unit.id))
    s.execute(delete(UserUnit).where(UserUnit.unit_id == unit.id))
    record(s, actor, "delete", "unit", unit.id, old_value=f"{unit.code} {unit.name} ({unit.level})")
    campaign = unit.campaign
    s.delete(unit)
    s.flush()
    s.expire(campaign, ["units"])


def set_retired(s: Session, unit: Unit, retired: bool, actor: str) -> bool:
    """Retire a unit ("ngừng sử dụng") or bring it back ("dùng lại"), audited; returns whether it changed.

    A retired unit keeps every row that hangs on it (its history) but leaves the sample plan (its targets
    no longer count), the QR cards, paper ballots and links that can be made, and the forms that offer
    units; nothing is deleted, so bringing it back restores all of it.
    """
    if unit.retired == retired:
        return False
    record(s, actor, "update", "unit", unit.id, attribute="retired", old_value=unit.retired, new_value=retired)
    unit.retired = retired
    s.flush()
    return True


def targets(s: Session, campaign: Campaign) -> dict[tuple[int, int], int]:
    """The sample plan: (unit id, group id) -> target, of the units in use, in a stable order (the join's
    order is the query plan's otherwise: the API's list would change with the database's statistics)."""
    return {(t.unit_id, t.group_id): t.target
            for t in s.scalars(select(SampleTarget).join(Unit, SampleTarget.unit_id == Unit.id)
                               .where(SampleTarget.campaign_id == campaign.id, Unit.retired.is_(False))
                               .order_by(SampleTarget.unit_id, SampleTarget.group_id))}


def set_targets(s: Session, campaign: Campaign, plan: list[tuple[Unit, RespondentGroup, int]], actor: str) -> int:
    """Set sample-plan targets; returns how many changed."""
    current = {(t.unit_id, t.group_id): t
               for t in s.scalars(select(SampleTarget).where(SampleTarget.campaign_id == campaign.id))}
    changed = 0
    for unit, group, target in plan:
        row = current.get((unit.id, group.id))
        old = row.target if row else 0
        if old == target:
            continue
        if row is None:
            s.add(SampleTarget(campaign_id=campaign.id, unit_id=unit.id, group_id=group.id, target=target))
        else:
            row.target = target
        record(s, actor, "update", "sample_target", f"{unit.code}/{group.code}", attribute="target",
               old_value=old, new_value=target)
        changed += 1
    s.flush()
    return changed


@dataclass(frozen=True)
class PlanLevel:
    """The sample plan of one surveyed level: its groups, and per unit the target of each group."""

    level: Level
    groups: list[RespondentGroup]
    rows: list[tuple[Unit, dict[int, int]]]  # (unit, {group id: target})


def plan_grid(s: Session, campaign: Campaign) -> list[PlanLevel]:
    """The sample plan as a grid per surveyed level (unit × the groups that rate the level)."""
    cset = campaign_criteria(campaign)
    planned = targets(s, campaign)
    grid = []
    for level in cset.levels:
        if not level.surveyed:
            continue
        groups = [g for g in campaign.groups if cset.group_by_code[g.code].rule_for(level.code)]
        grid.append(PlanLevel(level, groups, [(u, {g.id: planned.get((u.id, g.id), 0) for g in groups})
                                              for u in units_of_level(campaign, level.code)]))
    return grid


def small_cells(grid: list[PlanLevel], min_cell: int) -> list[tuple[Unit, RespondentGroup, int]]:
    """The planned cells too small to be published on their own.

    A figure computed from fewer than ``min_cell`` respondents of a unit × group is never shown
    (``CriteriaSet.min_cell``), so a cell planned above 0 but under it will have no figures of its own.

    Parameters
    ----------
    grid : list of PlanLevel
        The sample plan, as :func:`plan_grid` gives it.
    min_cell : int
        The respondents a unit × group needs before a figure of it is shown.

    Returns
    -------
    list of tuple
        ``(unit, group, target)`` for each cell with ``0 < target < min_cell``, in the grid's order
        (level, then unit, then group). A cell planned at 0 is not surveyed and is not listed.
    """
    return [(unit, group, planned[group.id]) for level in grid for unit, planned in level.rows
            for group in level.groups if 0 < planned[group.id] < min_cell]


def small_cells_message(cells: list[tuple[Unit, RespondentGroup, int]], min_cell: int, named: int = 3) -> str:
    """One Vietnamese sentence warning of the cells :func:`small_cells` found, naming the first few.

    Parameters
    ----------
    cells : list of tuple
        ``(unit, group, target)`` as :func:`small_cells` gives them; not empty.
    min_cell : int
        The set's ``min_cell``.
    named : int, optional
        How many cells the sentence names (default 3); "…" stands for the others.

    Returns
    -------
    str
        E.g. "7 ô kế hoạch dưới 5 người (Sở Tư pháp · Người dân: 3, …): số liệu riêng của các ô này sẽ
        không được công bố; nên nâng chỉ tiêu lên ít nhất 5 hoặc gộp."
    """
    listed = [f"{unit.name} · {group.name}: {target}" for unit, group, target in cells[:named]]
    if len(cells) > named:
        listed.append("…")
    which = "các ô này" if len(cells) > 1 else "ô này"
    return (f"{len(cells)} ô kế hoạch dưới {min_cell} người ({', '.join(listed)}): số liệu riêng của {which} "
            f"sẽ không được công bố; nên nâng chỉ tiêu lên ít nhất {min_cell} hoặc gộp.")
