"""Coverage against the plan as the closing page shows it, before the box is opened.

A unit with fewer than the set's ``min_ballots`` counted ballots gets no survey score after close
(:mod:`scoring.coverage`). Before close, ballots still sealed in the box are counted per unit only
for groups that rate their own unit (:func:`.campaigns.per_unit_visible`); groups that rate each
unit or choose theirs are counted per group. So a unit is known to fall under the minimum only
when what can be counted for it, plus every ballot of the groups counted per group that rate its
level, stays under the minimum; known to reach it when its own-unit groups alone reach it; and
otherwise its coverage is known only after opening.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ..models import Campaign
from .campaigns import campaign_criteria
from .dashboard import Cell, Total, response_dashboard


@dataclass
class UnitCoverage:
    """One unit's countable cells (own-unit groups before close, every group after)."""

    name: str
    level: str
    cells: list[Cell] = field(default_factory=list)
    pooled_bound: int = 0  # ballots of the groups counted per group that rate the unit's level
    pooled_groups: list[str] = field(default_factory=list)

    @property
    def counted(self) -> int:
        return sum(c.submitted for c in self.cells)

    @property
    def target(self) -> int:
        return sum(c.target for c in self.cells)

    def state(self, minimum: int) -> str:
        """``under`` (known to fall under ``minimum``), ``unknown`` (known after opening) or ``ok``."""
        if self.counted >= minimum:
            return "ok"
        return "under" if self.counted + self.pooled_bound < minimum else "unknown"


@dataclass
class ClosingCoverage:
    """What the closing page says of coverage: ``units`` in the dashboard's order of levels and names,
    ``pooled`` (groups counted per group only, with their plan), and the set's ``minimum``."""

    minimum: int
    units: list[UnitCoverage]
    pooled: list[Total]

    @property
    def under(self) -> list[UnitCoverage]:
        """Units known to fall under the minimum: closing them needs the second confirmation."""
        return [u for u in self.units if u.state(self.minimum) == "under"]

    @property
    def unknown(self) -> list[UnitCoverage]:
        return [u for u in self.units if u.state(self.minimum) == "unknown"]


def closing_coverage(s: Session, campaign: Campaign, secret: str) -> ClosingCoverage:
    """Coverage per unit × group against the plan, as far as it can be counted before opening the box.

    Parameters
    ----------
    secret : str
        ``SECRET_KEY``, for the dashboard's reading of the links (:func:`.dashboard.response_dashboard`).
    """
    cset = campaign_criteria(campaign)
    board = response_dashboard(s, campaign, secret)
    levels = {lv.code: i for i, lv in enumerate(cset.levels)}
    units: dict[int, UnitCoverage] = {}
    for cell in board.cells:
        unit = units.setdefault(cell.unit.id, UnitCoverage(cell.unit.name, cell.unit.level))
        if cell.counted:
            unit.cells.append(cell)
    for total in board.pooled:
        rated = {r.level for r in cset.group_by_code[total.code].rates}
        for unit in units.values():
            if unit.level in rated:
                unit.pooled_bound += total.values["submitted"]
                unit.pooled_groups.append(total.label)
    for unit in units.values():
        unit.cells.sort(key=lambda c: c.group.name)
    ordered = sorted(units.values(), key=lambda u: (levels.get(u.level, len(levels)), u.name))
    return ClosingCoverage(cset.min_ballots, ordered, board.pooled)
