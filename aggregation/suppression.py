"""Small cells: which figures may be published without singling out a respondent (docs/method.md, "Small cells").

A *cell* is a unit × respondent group; its size is the number of people (ballots) in it. The set's
``min_cell`` (*k*, default 5) is the fewest people a published figure of one group may come from.

- **Level-wide figures** per group (the shares of each option and of poor answers, pooled over a level's
  units) are hidden for a level × group answered by fewer than *k* people.
- **Unit figures that combine groups** (points per field, totals, index) are shown when the unit meets
  the coverage guard (``min_ballots``, which the set check keeps at or above ``min_cell``).
- **Raw ballots** (one row per ballot × unit) leave out every row of a *withheld* unit: a unit with a
  cell of 1 to *k* − 1 people (counting every state, rejected included, and counting only counted
  ballots), so nobody can take the unit's published total and subtract its other groups' raw rows. Then,
  per level × group, the withheld units' rows of that group together (what a reader gets by subtracting
  the raw rows from the level-wide table) must come from at least *k* people and at least two units;
  where they do not, the level's next smallest cell of that group is withheld too, until they do or the
  whole level × group is withheld (when the level-wide figures are then those of one withheld unit, they
  are hidden as well).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

RATED_COLUMNS = ["ballot_id", "level", "unit", "group", "counted"]


@dataclass(frozen=True)
class SmallCells:
    """What the publication rule hides for one campaign.

    ``cells``: ``level, unit, group, people, counted`` per cell with a ballot; ``withheld``: ``level, unit,
    reason`` (``"small"``: a cell under *k*; ``"pooled"``: withheld so the small ones cannot be told apart);
    ``hidden_groups``: ``level, group, people`` of level-wide figures that are not shown.
    """

    k: int
    cells: pd.DataFrame
    withheld: pd.DataFrame
    hidden_groups: pd.DataFrame

    def withheld_units(self) -> set[tuple[str, str]]:
        """``(level, unit)`` of every unit left out of the raw ballots."""
        return set(zip(self.withheld["level"], self.withheld["unit"]))

    def hides(self, level: str, group: str) -> bool:
        """Whether the level-wide figures of ``group`` at ``level`` are hidden."""
        return bool(((self.hidden_groups["level"] == level) & (self.hidden_groups["group"] == group)).any())


def cell_sizes(rated: pd.DataFrame) -> pd.DataFrame:
    """People per cell: ``level, unit, group, people`` (ballots in any state), ``counted`` (counted ones).

    Parameters
    ----------
    rated : DataFrame
        One row per ballot × unit it rates: ``ballot_id, level, unit, group, counted`` (bool).
    """
    if rated.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ("level", "unit", "group")}
                            | {"people": pd.Series(dtype="int64"), "counted": pd.Series(dtype="int64")})
    r = rated.drop_duplicates(["ballot_id", "level", "unit"]).astype({"level": str, "unit": str, "group": str})
    return (r.groupby(["level", "unit", "group"], sort=True)
            .agg(people=("ballot_id", "size"), counted=("counted", "sum"))
            .reset_index().astype({"people": "int64", "counted": "int64"}))


def _small(cells: pd.DataFrame, k: int) -> pd.Series:
    return ((cells["people"] > 0) & (cells["people"] < k)) | ((cells["counted"] > 0) & (cells["counted"] < k))


def small_cells(rated: pd.DataFrame, k: int) -> SmallCells:
    """Apply the rule of the module's docstring to one campaign's ballots.

    Parameters
    ----------
    rated : DataFrame
        ``ballot_id, level, unit, group, counted``: one row per ballot × unit it rates, every state.
    k : int
        The set's ``min_cell``.

    Examples
    --------
    Unit ``a`` has 2 citizens: it is withheld, and so is ``b`` (the next smallest citizen cell), since
    ``a``'s citizens alone could be told by subtraction from the level-wide table.

    >>> rows = [(i, "huyen", u, "dan", True) for i, u in enumerate(["a"] * 2 + ["b"] * 5 + ["c"] * 9)]
    >>> sc = small_cells(pd.DataFrame(rows, columns=RATED_COLUMNS), 5)
    >>> sorted(sc.withheld_units()), list(sc.withheld["reason"])
    ([('huyen', 'a'), ('huyen', 'b')], ['small', 'pooled'])
    """
    cells = cell_sizes(rated)
    r = rated.drop_duplicates(["ballot_id", "level", "unit"]).astype({"level": str, "unit": str, "group": str})
    reason: dict[tuple[str, str], str] = {(lv, u): "small" for lv, u in
                                          cells.loc[_small(cells, k), ["level", "unit"]].itertuples(index=False)}
    key = list(zip(r["level"], r["unit"]))
    changed = True
    while changed:
        changed = False
        out = pd.Series([kv in reason for kv in key], index=r.index, dtype=bool)
        for (level, group), part in r[out].groupby(["level", "group"], sort=True):
            if _pool_ok(part, k) and _pool_ok(part[part["counted"].astype(bool)], k):
                continue
            rest = cells[(cells["level"] == level) & (cells["group"] == group)]
            rest = rest[[(level, u) not in reason for u in rest["unit"]]].sort_values(["people", "unit"])
            if rest.empty:
                continue
            reason[(level, rest["unit"].iloc[0])] = "pooled"
            changed = True
            break
    withheld = pd.DataFrame([(lv, u, why) for (lv, u), why in sorted(reason.items())],
                            columns=["level", "unit", "reason"])
    return SmallCells(k, cells, withheld, _hidden_groups(r, reason, k))


def _pool_ok(part: pd.DataFrame, k: int) -> bool:
    """Withheld rows of one level × group that nobody can tell apart: none, or from k people and two units."""
    return part.empty or (part["ballot_id"].nunique() >= k and part["unit"].nunique() >= 2)


def _hidden_groups(r: pd.DataFrame, withheld: dict, k: int) -> pd.DataFrame:
    """Level × group whose level-wide figures are hidden: under *k* counted people, or all of them from
    one withheld unit (the level-wide figure would be that unit's cell)."""
    rows = []
    counted = r[r["counted"].astype(bool)]
    for (level, group), part in counted.groupby(["level", "group"], sort=True):
        people = part["ballot_id"].nunique()
        units = part["unit"].unique()
        if people < k or (len(units) == 1 and (level, units[0]) in withheld):
            rows.append((level, group, people))
    return pd.DataFrame(rows, columns=["level", "group", "people"]).astype({"people": "int64"})
