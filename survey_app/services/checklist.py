"""The steps of a campaign, in the order an admin takes them, each with its state and what is missing.

criteria set → units → sample plan → links and QR cards → paper ballots → staff → open →
collecting → close → results. Read-only: counts, never a figure computed from answers.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Appraisal, Campaign, Invitation, PaperSerial, RespondentGroup, Unit, User, UserUnit
from . import bulk_print
from .campaigns import campaign_criteria, campaign_progress
from .units import plan_grid, rated_pairs, targets

DONE, TODO, LATER, OPTIONAL, SHORT = "done", "todo", "later", "optional", "short"


@dataclass(frozen=True)
class Step:
    """One step: ``key`` names its page; ``state`` is done, todo (to do now), later (after an earlier
    step) or optional; ``summary`` says where it stands; ``missing`` what is still to do."""

    key: str
    title: str
    state: str
    summary: str
    missing: tuple[str, ...] = field(default_factory=tuple)


def _names(items: list[str], limit: int = 4, unit_word: str = "đơn vị") -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" và {len(items) - limit} {unit_word} khác" if len(items) > limit else "")


@dataclass(frozen=True)
class CellCover:
    """A unit × group of the sample plan with a target, and how many links, QR cards and paper ballots
    were issued for it (not revoked). ``issued`` may pass ``target``; ``missing`` never goes below 0."""

    unit: Unit
    group: RespondentGroup
    target: int
    issued: int

    @property
    def missing(self) -> int:
        """How many the plan still lacks here."""
        return max(0, self.target - self.issued)


def plan_coverage(s: Session, campaign: Campaign) -> list[CellCover]:
    """Every cell of the sample plan with a target, with what was issued for it.

    Groups reached on paper, by QR or both count their QR cards and paper serials together (one
    respondent takes one or the other: :mod:`.bulk_print`). Groups reached by link count their links
    and cards not revoked. One that rates its ``own`` unit counts those naming the unit, then those
    naming none, which fill its cells in plan order. One that rates ``each`` unit of a level, or
    chooses its units, sends one link to a person who rates several units (a link names the person's
    own unit, not the ones rated): each of its cells counts every link of the group.
    """
    cset = campaign_criteria(campaign)
    printed = {(c.unit.id, c.group.id): c.cards + c.serials
               for c in bulk_print.plan_cells(s, campaign, bulk_print.PrintFilter())}
    bound: dict[tuple[int, int], int] = {}
    loose: dict[int, int] = {}
    by_group: dict[int, int] = {}
    for unit_id, group_id, n in s.execute(select(Invitation.unit_id, Invitation.group_id, func.count()).where(
            Invitation.campaign_id == campaign.id, Invitation.revoked.is_(False))
            .group_by(Invitation.unit_id, Invitation.group_id)):
        by_group[group_id] = by_group.get(group_id, 0) + n
        if unit_id is None:
            loose[group_id] = loose.get(group_id, 0) + n
        else:
            bound[(unit_id, group_id)] = n
    planned = targets(s, campaign)
    cells: list[CellCover] = []
    for unit, group in rated_pairs(campaign, list(campaign.groups)):
        target = planned.get((unit.id, group.id), 0)
        if not target:
            continue
        spec = cset.group_by_code.get(group.code)
        if spec is not None and spec.reached_by in bulk_print.PRINTED_BY:
            cells.append(CellCover(unit, group, target, printed.get((unit.id, group.id), 0)))
            continue
        if spec is not None and {rule.how for rule in spec.rates} != {"own"}:
            cells.append(CellCover(unit, group, target, by_group.get(group.id, 0)))
            continue
        have = bound.get((unit.id, group.id), 0)
        extra = min(loose.get(group.id, 0), max(0, target - have))
        loose[group.id] = loose.get(group.id, 0) - extra
        cells.append(CellCover(unit, group, target, have + extra))
    return cells


def uncovered_cells(s: Session, campaign: Campaign) -> list[CellCover]:
    """The cells of the plan still lacking links, QR cards or paper ballots (shown before opening)."""
    return [c for c in plan_coverage(s, campaign) if c.missing]


def _lacking(cells: list[CellCover], what: str) -> tuple[str, ...]:
    """The remaining count of ``cells`` in words, and the first few cells named."""
    short = [c for c in cells if c.missing]
    if not short:
        return ()
    named = [f"{c.unit.name} — {c.group.name} (thiếu {c.missing})" for c in short]
    return (f"còn {len(short)} đơn vị × đối tượng {what} (thiếu {sum(c.missing for c in short)} "
            f"so với kế hoạch): " + _names(named, unit_word="ô"),)


def _share(cells: list[CellCover]) -> str:
    """``— 3/40 ô đủ theo kế hoạch`` (empty when the plan has no cell here)."""
    if not cells:
        return ""
    return f" — {sum(1 for c in cells if not c.missing)}/{len(cells)} ô đơn vị × đối tượng đủ theo kế hoạch"


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

    cover = plan_coverage(s, campaign)
    invited = dict(s.execute(select(Invitation.group_id, func.count()).where(
        Invitation.campaign_id == campaign.id, Invitation.revoked.is_(False)).group_by(Invitation.group_id)).all())
    link_groups = [g for g in campaign.groups if cset.group_by_code[g.code].reached_by in ("link", "qr")]
    link_cells = [c for c in cover if c.group in link_groups]
    no_links = tuple(f"chưa có đường link cho {g.name}" for g in link_groups
                     if cset.group_by_code[g.code].reached_by == "link" and not invited.get(g.id))
    lacking = _lacking(link_cells, "chưa có đủ đường link hay thẻ QR")
    if link_groups and not link_cells:
        lacking = ("kế hoạch mẫu chưa có số phiếu cho đối tượng trả lời bằng đường link hay thẻ QR",)
    steps.append(Step("links", "Đường link và thẻ QR", (TODO if no_links or lacking else DONE) if link_groups
                      else OPTIONAL,
                      f"{sum(invited.values())} đường link và thẻ QR" + _share(link_cells),
                      no_links + lacking))

    paper_groups = [g for g in campaign.groups if cset.group_by_code[g.code].reached_by in ("paper", "mixed")]
    paper_cells = [c for c in cover if c.group in paper_groups]
    printed = dict(s.execute(select(PaperSerial.group_id, func.count()).where(
        PaperSerial.campaign_id == campaign.id).group_by(PaperSerial.group_id)).all())
    no_paper = _lacking(paper_cells, "chưa in đủ phiếu giấy hay thẻ QR")
    if paper_groups and not paper_cells:
        no_paper = ("kế hoạch mẫu chưa có số phiếu cho đối tượng trả lời trên giấy",)
    steps.append(Step("paper", "In phiếu giấy", (TODO if no_paper else DONE) if paper_groups else OPTIONAL,
                      f"{sum(printed.values())} phiếu giấy đã in số sê-ri" + _share(paper_cells), no_paper))

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
        short = [c for c in cover if c.missing]
        warning = (f"Cảnh báo (vẫn mở được): {len(short)} đơn vị × đối tượng chưa có đủ đường link, thẻ QR hay "
                   f"phiếu giấy theo kế hoạch: " + _names([f"{c.unit.name} — {c.group.name} (thiếu {c.missing})"
                                                           for c in short], 8, "ô"),) if short else ()
        steps.append(Step("open", "Mở khảo sát", state, "Chưa mở: đường link và thẻ QR chưa dùng được",
                          tuple(f"{st.title}: {st.missing[0]}" for st in before_open if st.missing) + warning))
    else:
        steps.append(Step("open", "Mở khảo sát", DONE, "Đã mở" if campaign.status == "open" else "Đã mở và kết thúc"))

    progress = campaign_progress(s, campaign)
    known = [g for g in progress.groups if g.covered is not None]  # a choosing group's is known after close
    planned = sum(g.planned for g in known)
    covered = sum(g.covered for g in known)
    reached = bool(planned) and covered >= planned
    percent = f"{100.0 * covered / planned:.1f}".replace(".", ",") if planned else ""
    if campaign.status == "draft":
        state, share = LATER, ""
    elif reached:
        state, share = DONE, " — đạt kế hoạch"
    elif campaign.status == "open":
        state, share = TODO, f" — đang thu: {percent} % kế hoạch" if planned else ""
    else:
        state, share = (SHORT, f" — đã kết thúc ở {percent} % kế hoạch") if planned else (DONE, "")
    collect_missing = (f"còn thiếu {planned - covered} phiếu so với kế hoạch ({covered}/{planned})",) \
        if planned and not reached and campaign.status != "draft" else ()
    steps.append(Step("collect", "Thu phiếu", state, f"{progress.ballots} phiếu{share}", collect_missing))
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

