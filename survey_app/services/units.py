"""A campaign's units (departments, districts, communes) and its sample plan.

Functions take a session and only flush; the request (or command) commits once.
Every change leaves an audit entry.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires import Level

from ..models import Campaign, RespondentGroup, SampleTarget, Unit
from .audit import record
from .campaigns import campaign_criteria
from .csv_import import NewUnit


def units_by_code(campaign: Campaign) -> dict[str, Unit]:
    """The campaign's units by code."""
    return {u.code: u for u in campaign.units}


def units_of_level(campaign: Campaign, level: str) -> list[Unit]:
    """The campaign's units of one level, in the order they were added."""
    return [u for u in campaign.units if u.level == level]


def unit_and_group(s: Session, campaign_id: int, unit_code: str, group_code: str):
    """The unit and respondent group of a campaign named by code (``None`` where unknown)."""
    unit = s.scalar(select(Unit).where(Unit.campaign_id == campaign_id, Unit.code == unit_code))
    group = s.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == campaign_id,
                                                   RespondentGroup.code == group_code))
    return unit, group


def add_units(s: Session, campaign: Campaign, new_units: list[NewUnit], actor: str) -> list[Unit]:
    """Add units; communes are linked to their district by code (existing or in the same batch)."""
    by_code = units_by_code(campaign)
    added = []
    for nu in sorted(new_units, key=lambda u: u.level == "xa"):  # districts before their communes
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


def targets(s: Session, campaign: Campaign) -> dict[tuple[int, int], int]:
    """The sample plan: (unit id, group id) -> target."""
    return {(t.unit_id, t.group_id): t.target
            for t in s.scalars(select(SampleTarget).where(SampleTarget.campaign_id == campaign.id))}


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
