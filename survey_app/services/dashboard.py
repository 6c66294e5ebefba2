"""The response-rate dashboard: per unit × group, how far collection has come against the plan."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from ..models import Answer, Ballot, Campaign, Invitation, RespondentGroup, SampleTarget, Unit
from .campaigns import campaign_criteria

METRICS = ("target", "invited", "opened", "submitted", "verified")


@dataclass
class Cell:
    """One unit × group. ``invited`` and ``opened`` count the links that can rate the unit:
    for ``own`` groups the respondent's own unit (or its district), for ``each`` and
    ``choose`` groups every link of the group (the pool of possible raters)."""

    unit: Unit
    group: RespondentGroup
    target: int = 0
    invited: int = 0
    opened: int = 0
    submitted: int = 0  # ballots not rejected that rate the unit, web, QR and paper
    verified: int = 0
    paper: bool = False  # the group answers on paper, or some of its ballots were keyed: "verified" applies

    @property
    def verified_shown(self) -> int | None:
        """Verified ballots, or None where nothing is verified by design (a group answering by link)."""
        return self.verified if self.paper or self.verified else None

    @property
    def percent(self) -> float | None:
        return 100.0 * self.submitted / self.target if self.target else None


@dataclass
class Total:
    label: str
    values: Counter = field(default_factory=Counter)
    covered: int = 0  # sum over cells of min(submitted, target)
    paper: bool = False

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
        return 100.0 * self.covered / self.values["target"] if self.values["target"] else None


@dataclass
class Dashboard:
    cells: list[Cell]  # the units most behind their target first
    by_level: list[Total]
    by_group: list[Total]


def response_dashboard(s: Session, campaign: Campaign, level: str | None = None, group: str | None = None) -> Dashboard:
    """Every unit × group the criteria set asks about, with its counts, the most behind first.

    Parameters
    ----------
    level, group : str, optional
        Keep only cells of this level code / group code.
    """
    cset = campaign_criteria(campaign)
    units = campaign.units
    by_id = {u.id: u for u in units}
    groups = {g.id: g for g in campaign.groups}
    cells: dict[tuple[int, int], Cell] = {}
    for g in groups.values():
        for rule in cset.group_by_code[g.code].rates:
            for u in units:
                if u.level == rule.level:
                    cells[(u.id, g.id)] = Cell(u, g, paper=cset.group_by_code[g.code].reached_by == "paper")

    for unit_id, group_id, target in s.execute(
        select(SampleTarget.unit_id, SampleTarget.group_id, SampleTarget.target).where(
            SampleTarget.campaign_id == campaign.id
        )
    ):
        if (unit_id, group_id) in cells:
            cells[(unit_id, group_id)].target = target

    for group_id, unit_id, opened in s.execute(
        select(Invitation.group_id, Invitation.unit_id, Invitation.opened).where(
            Invitation.campaign_id == campaign.id, Invitation.revoked.is_(False))
    ):
        g = groups[group_id]
        for rule in cset.group_by_code[g.code].rates:
            if rule.how == "own":
                rated = by_id.get(unit_id)
                while rated is not None and rated.level != rule.level:
                    rated = by_id.get(rated.parent_id)
                targets = [rated] if rated is not None else []
            else:
                targets = [u for u in units if u.level == rule.level]
            for u in targets:
                cell = cells[(u.id, group_id)]
                cell.invited += 1
                cell.opened += int(bool(opened))

    counted = Ballot.state != "rejected"
    for unit_id, group_id, submitted, verified in s.execute(
        select(Answer.unit_id, Ballot.group_id, func.count(distinct(Ballot.id)),
               func.count(distinct(Ballot.id)).filter(Ballot.state == "verified"))
        .join(Ballot, Answer.ballot_id == Ballot.id)
        .where(Ballot.campaign_id == campaign.id, counted)
        .group_by(Answer.unit_id, Ballot.group_id)
    ):
        if (unit_id, group_id) in cells:
            cells[(unit_id, group_id)].submitted = submitted
            cells[(unit_id, group_id)].verified = verified

    chosen = [c for c in cells.values()
              if (level is None or c.unit.level == level) and (group is None or c.group.code == group)]
    chosen.sort(key=lambda c: (c.percent is None, c.percent or 0.0, c.unit.level, c.unit.name))
    by_level = {lv.code: Total(lv.name) for lv in cset.levels if lv.surveyed}
    by_group = {g.code: Total(g.name) for g in groups.values()}
    for c in chosen:
        by_level[c.unit.level].add(c)
        by_group[c.group.code].add(c)
    return Dashboard(
        chosen,
        [t for t in by_level.values() if t.values["target"] or t.values["submitted"]],
        [t for t in by_group.values() if t.values["target"] or t.values["submitted"]],
    )
