"""A draft campaign's criteria set replaced by an edited one (from a workbook), while nothing depends on it.

The request (or command) commits once; the change is audited.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from questionnaires import CriteriaSet, load_criteria_set_from_texts, set_digest

from ..models import (
    Ballot,
    Campaign,
    Draft,
    Envelope,
    Invitation,
    PaperSerial,
    RespondentGroup,
    SampleTarget,
    SpentLink,
)
from .audit import record
from .campaigns import CampaignError


def _count(s: Session, model, *where) -> int:
    return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def replace_criteria(s: Session, campaign: Campaign, texts: dict[str, str], actor: str,
                     cset: CriteriaSet | None = None) -> list[str]:
    """Give a draft campaign another criteria set (``texts``: its YAML files; ``cset``: the set they make,
    when the caller parsed them already, before taking the write lock). Respondent groups follow
    the new set: new ones are added, renamed ones renamed, removed ones deleted with their plan cells.

    Returns the Vietnamese notes of what changed besides the set (groups added or removed).

    Raises
    ------
    CampaignError
        The campaign is not a draft, a link was opened or answered, a ballot or printed serial
        exists, a unit's level is not in the new set, or a removed group has links or serials.
    """
    if campaign.status != "draft":
        raise CampaignError("Chỉ thay được bộ tiêu chí khi đợt khảo sát đang chuẩn bị (chưa mở).")
    used = sum(_count(s, table, table.campaign_id == campaign.id) for table in (Draft, Envelope, SpentLink))
    if used or _count(s, Ballot, Ballot.campaign_id == campaign.id):
        raise CampaignError("Đã có đường link được mở hoặc phiếu được gửi: không thay bộ tiêu chí được nữa.")
    if cset is None:
        cset = load_criteria_set_from_texts(texts)
    stray = sorted({u.level for u in campaign.units} - set(cset.level_by_code))
    if stray:
        raise CampaignError(f"Bộ tiêu chí mới không có cấp {', '.join(stray)} mà các đơn vị của đợt đang dùng.")
    wanted = {g.code: g for g in cset.groups}
    notes = []
    for group in list(campaign.groups):
        if group.code in wanted:
            new = wanted[group.code]
            group.name, group.reached_by = new.name, new.reached_by
            continue
        hanging = _count(s, Invitation, Invitation.group_id == group.id) + \
            _count(s, PaperSerial, PaperSerial.group_id == group.id)
        if hanging:
            raise CampaignError(f"Bộ tiêu chí mới bỏ đối tượng “{group.name}”, nhưng đối tượng này đã có "
                                f"{hanging} đường link hoặc phiếu giấy: thu hồi chúng trước.")
        for target in s.scalars(select(SampleTarget).where(SampleTarget.group_id == group.id)):
            s.delete(target)
        campaign.groups.remove(group)
        s.delete(group)
        notes.append(f"bỏ đối tượng {group.name}")
    have = {g.code for g in campaign.groups}
    for group in cset.groups:
        if group.code not in have:
            campaign.groups.append(RespondentGroup(code=group.code, name=group.name, reached_by=group.reached_by))
            notes.append(f"thêm đối tượng {group.name}")
    old_name = campaign.criteria_name
    campaign.criteria_name, campaign.criteria_digest = cset.name, set_digest(texts)
    campaign.criteria_files = dict(texts)
    s.flush()
    record(s, actor, "update", "campaign", campaign.id, attribute="criteria", old_value=old_name,
           new_value=f"{cset.name}" + (f" ({'; '.join(notes)})" if notes else ""))
    return notes
