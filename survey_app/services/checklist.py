"""The steps of a campaign, in the order an admin takes them, each with its state and what is missing.

criteria set → units → sample plan → links and QR cards → paper ballots → staff → open →
collecting → close → results. Read-only: counts, never a figure computed from answers.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Appraisal, Campaign, Invitation, PaperSerial, Unit, User, UserUnit
from .campaigns import campaign_criteria, campaign_progress
from .units import plan_grid

DONE, TODO, LATER, OPTIONAL = "done", "todo", "later", "optional"


@dataclass(frozen=True)
class Step:
    """One step: ``key`` names its page; ``state`` is done, todo (to do now), later (after an earlier
    step) or optional; ``summary`` says where it stands; ``missing`` what is still to do."""

    key: str
    title: str
    state: str
    summary: str
    missing: tuple[str, ...] = field(default_factory=tuple)


def _names(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" và {len(items) - limit} đơn vị khác" if len(items) > limit else "")


def campaign_steps(s: Session, campaign: Campaign) -> list[Step]:
    """The campaign's steps, each with its state and what is missing (Vietnamese)."""
    cset = campaign_criteria(campaign)
    steps = [Step("criteria", "Bộ tiêu chí", DONE,
                  f"{cset.name} — {len(cset.questionnaires)} mẫu phiếu, {len(cset.groups)} đối tượng")]

    units_by_level: dict[str, int] = dict(s.execute(
        select(Unit.level, func.count()).where(Unit.campaign_id == campaign.id).group_by(Unit.level)).all())
    surveyed = [lv for lv in cset.levels if lv.surveyed]
    missing = tuple(f"chưa có đơn vị {lv.name.lower()}" for lv in surveyed if not units_by_level.get(lv.code))
    summary = ", ".join(f"{units_by_level.get(lv.code, 0)} đơn vị {lv.name.lower()}" for lv in cset.levels)
    steps.append(Step("units", "Đơn vị được đánh giá", TODO if missing else DONE, summary, missing))

    grid = plan_grid(s, campaign)
    empty = [unit.name for level in grid for unit, targets in level.rows if not any(targets.values())]
    cells = sum(len(level.rows) * len(level.groups) for level in grid)
    filled = sum(1 for level in grid for _u, targets in level.rows for t in targets.values() if t)
    state = LATER if missing else (TODO if empty or not filled else DONE)
    steps.append(Step("plan", "Kế hoạch mẫu", state, f"{filled}/{cells} ô có số phiếu cần thu",
                      (f"{len(empty)} đơn vị chưa có số phiếu: {_names(empty)}",) if empty else ()))

    invited = dict(s.execute(select(Invitation.group_id, func.count()).where(
        Invitation.campaign_id == campaign.id, Invitation.revoked.is_(False)).group_by(Invitation.group_id)).all())
    link_groups = [g for g in campaign.groups if cset.group_by_code[g.code].reached_by == "link"]
    no_links = tuple(f"chưa có đường link cho {g.name}" for g in link_groups if not invited.get(g.id))
    steps.append(Step("links", "Đường link và thẻ QR", TODO if no_links else DONE,
                      f"{sum(invited.values())} đường link và thẻ QR", no_links))

    paper_groups = [g for g in campaign.groups if cset.group_by_code[g.code].reached_by in ("paper", "qr", "mixed")]
    printed = dict(s.execute(select(PaperSerial.group_id, func.count()).where(
        PaperSerial.campaign_id == campaign.id).group_by(PaperSerial.group_id)).all())
    no_paper = tuple(f"chưa in phiếu giấy hay thẻ QR cho {g.name}" for g in paper_groups
                     if not printed.get(g.id) and not invited.get(g.id))
    steps.append(Step("paper", "In phiếu giấy", (TODO if no_paper else DONE) if paper_groups else OPTIONAL,
                      f"{sum(printed.values())} phiếu giấy đã in số sê-ri", no_paper))

    staff = s.scalars(select(Unit.name).distinct().join(UserUnit, UserUnit.unit_id == Unit.id)
                      .join(User, User.id == UserUnit.user_id)
                      .where(Unit.campaign_id == campaign.id, User.role == "staff", User.active.is_(True))).all()
    paper_units = s.scalars(select(Unit.name).distinct().join(PaperSerial, PaperSerial.unit_id == Unit.id)
                            .where(PaperSerial.campaign_id == campaign.id)).all()
    uncovered = sorted(set(paper_units) - set(staff))
    steps.append(Step("staff", "Người nhập liệu phiếu giấy", (TODO if uncovered else DONE) if paper_units else OPTIONAL,
                      f"{len(staff)} đơn vị có nhân viên nhập liệu",
                      (f"chưa có nhân viên nhập phiếu của {_names(uncovered)} (quản trị viên vẫn nhập được)",)
                      if uncovered else ()))

    before_open = [st for st in steps if st.state == TODO]
    if campaign.status == "draft":
        state = TODO if not before_open else LATER
        steps.append(Step("open", "Mở khảo sát", state, "Chưa mở: đường link và thẻ QR chưa dùng được",
                          tuple(f"{st.title}: {st.missing[0]}" for st in before_open if st.missing)))
    else:
        steps.append(Step("open", "Mở khảo sát", DONE, "Đã mở" if campaign.status == "open" else "Đã mở và kết thúc"))

    progress = campaign_progress(s, campaign)
    known = [g for g in progress.groups if g.covered is not None]  # a choosing group's is known after close
    planned = sum(g.planned for g in known)
    covered = sum(g.covered for g in known)
    share = f" — đạt {100.0 * covered / planned:.1f}% kế hoạch".replace(".", ",") if planned else ""
    steps.append(Step("collect", "Thu phiếu", {"draft": LATER, "open": TODO, "closed": DONE}[campaign.status],
                      f"{progress.ballots} phiếu{share}"))
    steps.append(Step("close", "Kết thúc và mở niêm phong",
                      DONE if campaign.status == "closed" else LATER,
                      "Đã kết thúc" if campaign.status == "closed" else "Kết quả được niêm phong đến khi kết thúc"))

    if cset.is_sipas:  # shares of people, no appraisal points to import (issue 29)
        steps.append(Step("sipas", "Kết quả SIPAS", DONE if campaign.status == "closed" else LATER,
                          "Tỷ lệ hài lòng theo đơn vị và yếu tố, có sau khi kết thúc"))
        return steps
    appraised = s.scalar(select(func.count(func.distinct(Appraisal.unit_id))).where(
        Appraisal.campaign_id == campaign.id)) or 0
    rated = sum(units_by_level.get(lv.code, 0) for lv in surveyed)
    steps.append(Step("results", "Điểm thẩm định và kết quả", TODO if appraised < rated else DONE,
                      f"{appraised}/{rated} đơn vị có điểm thẩm định",
                      (f"{rated - appraised} đơn vị chưa có điểm thẩm định",) if appraised < rated else ()))
    return steps

