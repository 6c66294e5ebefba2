"""Start a campaign from last year's: the same criteria set, units (with their districts), sample plan,
settings and staff assignments; nothing that was answered, sent or printed.

Functions take a session and only flush; the caller commits once. Audited.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Campaign, RespondentGroup, SampleTarget, Unit, User, UserUnit
from .audit import record
from .campaigns import CampaignError, name_taken


def copy_campaign(s: Session, source: Campaign, *, year: int, name: str, province: str, actor: str) -> Campaign:
    """A new draft campaign with ``source``'s frozen criteria set, respondent groups, units, sample plan
    and paper/review settings. Staff who key for a unit of ``source`` key for its copy too.

    Ballots, invitations, paper serials, appraisal points and results are not copied: a new year
    starts with none.

    Raises
    ------
    CampaignError
        A campaign of that name exists.
    """
    if name_taken(s, name):
        raise CampaignError(f"Đã có đợt khảo sát tên “{name}”.")
    campaign = Campaign(
        year=year, name=name, status="draft", province=province or source.province,
        criteria_name=source.criteria_name, criteria_digest=source.criteria_digest,
        criteria_files=dict(source.criteria_files), double_entry=source.double_entry,
        min_web_seconds=source.min_web_seconds, cross_district_check=source.cross_district_check,
    )
    s.add(campaign)
    groups = {}
    for group in source.groups:
        groups[group.id] = RespondentGroup(code=group.code, name=group.name, reached_by=group.reached_by)
        campaign.groups.append(groups[group.id])
    units: dict[int, Unit] = {}
    for unit in sorted(source.units, key=lambda u: u.parent_id is not None):  # districts before communes
        units[unit.id] = Unit(code=unit.code, name=unit.name, level=unit.level,
                              parent=units.get(unit.parent_id) if unit.parent_id else None)
        campaign.units.append(units[unit.id])
    s.flush()
    plan = s.scalars(select(SampleTarget).where(SampleTarget.campaign_id == source.id)).all()
    s.add_all(SampleTarget(campaign_id=campaign.id, unit_id=units[t.unit_id].id, group_id=groups[t.group_id].id,
                           target=t.target) for t in plan)
    staff = s.execute(select(UserUnit.user_id, UserUnit.unit_id).join(User, User.id == UserUnit.user_id)
                      .where(UserUnit.unit_id.in_(units), User.role == "staff")).all()
    s.add_all(UserUnit(user_id=user_id, unit_id=units[unit_id].id) for user_id, unit_id in staff)
    s.flush()
    record(s, actor, "create", "campaign", campaign.id,
           new_value=f"{year} {name}: sao chép từ “{source.name}” ({len(units)} đơn vị, {len(plan)} ô kế hoạch, "
                     f"{len({u for u, _ in staff})} nhân viên nhập liệu)")
    return campaign
