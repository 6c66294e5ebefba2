"""The response-rate dashboard: per unit × group, how far collection has come against the plan.

While a campaign collects, a group that chooses its units or rates each of them is counted per
group only (:func:`.campaigns.per_unit_visible`): its cells keep their plan and links but carry no
ballot count (the count is not even read), its row of the group totals counts its ballots (people)
against its plan, and the level totals leave it out. After close every cell is counted.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from ..models import Answer, Ballot, Campaign, Invitation, RespondentGroup, SampleTarget, Unit
from .ballot_box import SealedCounts, read_link_states, sealed_counts
from .campaigns import campaign_criteria, group_covered, group_total, per_unit_visible

METRICS = ("target", "invited", "opened", "submitted", "verified")
# Why a cell shows "—" for its ballots while collecting (page and API description).
POOLED_NOTE = ("Đối tượng này tự chọn/đánh giá mọi đơn vị: trong thời gian thu phiếu chỉ hiện tổng số phiếu "
               "của đối tượng, để không ai suy ra người đã chọn đơn vị nào.")


@dataclass
class Cell:
    """One unit × group. ``invited`` and ``opened`` count the links that can rate the unit:
    for ``own`` groups the respondent's own unit (or its district), for ``each`` and
    ``choose`` groups every link of the group (the pool of possible raters).
    ``submitted`` and ``verified`` are None where the group is counted per group only."""

    unit: Unit
    group: RespondentGroup
    target: int = 0
    invited: int = 0
    opened: int = 0
    submitted: int | None = 0  # ballots not rejected that rate the unit, web, QR and paper
    verified: int | None = 0
    paper: bool = False  # the group answers on paper, or some of its ballots were keyed: "verified" applies

    @property
    def counted(self) -> bool:
        """Whether the cell's ballots are counted (see the module's doc)."""
        return self.submitted is not None

    @property
    def verified_shown(self) -> int | None:
        """Verified ballots, or None where nothing is verified by design (a group answering by link)
        or the cell is not counted."""
        if self.verified is None:
            return None
        return self.verified if self.paper or self.verified else None

    @property
    def percent(self) -> float | None:
        return 100.0 * self.submitted / self.target if self.target and self.submitted is not None else None


@dataclass
class Total:
    label: str
    values: Counter = field(default_factory=Counter)
    covered: int | None = 0  # sum over cells of min(submitted, target); None: not known before close
    paper: bool = False
    code: str = ""  # the group's, on a group's row
    pooled: bool = False  # a group counted per group only: its ballots are people, its target its plan

    def add(self, cell: Cell) -> None:
        for m in METRICS:
            self.values[m] += getattr(cell, m)
        self.covered += min(cell.submitted, cell.target)
        self.paper = self.paper or cell.verified_shown is not None

    def shown(self, metric: str) -> int | None:
        """The total of ``metric``; None for "verified" where no cell is keyed on paper."""
        return None if metric == "verified" and not self.paper else self.values[metric]

    @property
    def percent(self) -> float | None:
        if self.covered is None or not self.values["target"]:
            return None
        return 100.0 * self.covered / self.values["target"]


@dataclass
class Dashboard:
    cells: list[Cell]  # the units most behind their target first
    by_level: list[Total]  # counted cells only
    by_group: list[Total]
    pooled: list[Total]  # every group counted per group only, even with nothing planned or sent yet


def response_dashboard(s: Session, campaign: Campaign, secret: str, level: str | None = None,
                       group: str | None = None) -> Dashboard:
    """Every unit × group the criteria set asks about, with its counts, the most behind first.

    Ballots still in the box count as the box lets them (:func:`.ballot_box.sealed_counts`); links
    read as opened from the box's markers and drafts, which ``secret`` (``SECRET_KEY``) tells.

    Parameters
    ----------
    level, group : str, optional
        Keep only cells of this level code / group code.
    """
    cset = campaign_criteria(campaign)
    units = campaign.units
    by_id = {u.id: u for u in units}
    groups = {g.id: g for g in campaign.groups}
    rules = {g.id: cset.group_by_code[g.code].rates for g in groups.values()}
    counted = {g_id for g_id, rates in rules.items() if per_unit_visible(campaign, {r.how for r in rates})}
    cells: dict[tuple[int, int], Cell] = {}
    for g in groups.values():
        for rule in rules[g.id]:
            for u in units:
                if u.level == rule.level:
                    cells[(u.id, g.id)] = Cell(u, g, paper=cset.group_by_code[g.code].reached_by == "paper",
                                               **({} if g.id in counted else {"submitted": None, "verified": None}))

    for unit_id, group_id, target in s.execute(
        select(SampleTarget.unit_id, SampleTarget.group_id, SampleTarget.target).where(
            SampleTarget.campaign_id == campaign.id
        )
    ):
        if (unit_id, group_id) in cells:
            cells[(unit_id, group_id)].target = target

    pool: dict[int, Counter] = {g_id: Counter() for g_id in groups}
    links = read_link_states(s, list(s.scalars(select(Invitation).where(
        Invitation.campaign_id == campaign.id, Invitation.revoked.is_(False)))), secret)
    for inv in links:
        group_id, opened = inv.group_id, inv.opened
        pool[group_id].update(invited=1, opened=int(bool(opened)))
        for u in _rated_by_link(rules[group_id], by_id.get(inv.unit_id), units, by_id, card=inv.kind == "qr_card"):
            cell = cells[(u.id, group_id)]
            cell.invited += 1
            cell.opened += int(bool(opened))

    sealed = sealed_counts(s, campaign.id)
    _count_cells(s, campaign, cells, counted, sealed)
    chosen = [c for c in cells.values()
              if (level is None or c.unit.level == level) and (group is None or c.group.code == group)]
    chosen.sort(key=lambda c: (c.percent is None, c.percent or 0.0, c.unit.level, c.unit.name))
    by_level = {lv.code: Total(lv.name) for lv in cset.levels if lv.surveyed}
    by_group = {g.code: Total(g.name, code=g.code) for g in groups.values()}
    for c in chosen:
        if c.counted:
            by_level[c.unit.level].add(c)
            by_group[c.group.code].add(c)
    pooled = _pooled_totals(s, campaign, [g for g in groups.values() if g.id not in counted], rules, cells, pool,
                            sealed)
    pooled = [t for t in pooled if (group is None or t.code == group)
              and (level is None or any(r.level == level for r in cset.group_by_code[t.code].rates))]
    by_group.update((t.code, t) for t in pooled)
    return Dashboard(
        chosen,
        [t for t in by_level.values() if t.values["target"] or t.values["submitted"]],
        [t for t in by_group.values() if t.values["target"] or t.values["submitted"]],
        pooled,
    )


def _rated_by_link(rates, unit: Unit | None, units: list[Unit], by_id: dict[int, Unit],
                   card: bool = False) -> list[Unit]:
    """The units a link (of a group with these rules, for ``unit``) can rate; a QR card, only its unit
    (when the group rates its level: :func:`.invitations.card_rule`)."""
    if card and unit is not None:
        return [unit] if any(rule.level == unit.level for rule in rates) else []
    found = []
    for rule in rates:
        if rule.how == "own":
            rated = unit
            while rated is not None and rated.level != rule.level:
                rated = by_id.get(rated.parent_id)
            found += [rated] if rated is not None else []
        else:
            found += [u for u in units if u.level == rule.level]
    return found


def _count_cells(s: Session, campaign: Campaign, cells: dict[tuple[int, int], Cell], counted: set[int],
                 sealed: SealedCounts) -> None:
    """Ballots (not rejected) per unit × group, read for the ``counted`` groups only, with the box's."""
    if not counted:
        return
    for (unit_id, group_id), n in sealed.by_unit_group.items():
        if group_id in counted and (unit_id, group_id) in cells:
            cells[(unit_id, group_id)].submitted += n
    for unit_id, group_id, submitted, verified in s.execute(
        select(Answer.unit_id, Ballot.group_id, func.count(distinct(Ballot.id)),
               func.count(distinct(Ballot.id)).filter(Ballot.state == "verified"))
        .join(Ballot, Answer.ballot_id == Ballot.id)
        .where(Ballot.campaign_id == campaign.id, Ballot.state != "rejected", Ballot.group_id.in_(counted))
        .group_by(Answer.unit_id, Ballot.group_id)
    ):
        if (unit_id, group_id) in cells:
            cells[(unit_id, group_id)].submitted += submitted
            cells[(unit_id, group_id)].verified = verified


def _pooled_totals(s: Session, campaign: Campaign, pooled: list[RespondentGroup], rules,
                   cells: dict[tuple[int, int], Cell], pool: dict[int, Counter], sealed: SealedCounts) -> list[Total]:
    """A row per group counted per group only: its plan (:func:`.campaigns.group_total`), its links,
    its ballots (people) and how much of the plan they cover (:func:`.campaigns.group_covered`)."""
    if not pooled:
        return []
    ballots = {group_id: (n, verified) for group_id, n, verified in s.execute(
        select(Ballot.group_id, func.count(), func.count().filter(Ballot.state == "verified"))
        .where(Ballot.campaign_id == campaign.id, Ballot.state != "rejected",
               Ballot.group_id.in_([g.id for g in pooled]))
        .group_by(Ballot.group_id))}
    totals = []
    for g in pooled:
        how = {r.how for r in rules[g.id]}
        planned = group_total(how, [c.target for (_, g_id), c in cells.items() if g_id == g.id and c.target])
        n, verified = ballots.get(g.id, (0, 0))
        n += sealed.by_group.get(g.id, 0)
        values = Counter(target=planned, invited=pool[g.id]["invited"], opened=pool[g.id]["opened"],
                         submitted=n, verified=verified)
        totals.append(Total(g.name, values, group_covered(campaign, how, planned, n, []),
                            paper=g.reached_by == "paper" or verified > 0, code=g.code, pooled=True))
    return totals
