"""What a SIPAS campaign reports beside its index (issue 29 items 2 and 4): the expectations respondents chose
and who the respondents were (their profile).

Both read the counted ballots' answers to questions of ``kind: expectation`` and ``kind: profile``
(:func:`.ballot_frame.answers_frame` with ``scored=False``). An expectation's stored answer is the chosen
codes joined by a space (:func:`questionnaires.answers.split_choices`): it becomes one row per chosen option
and :func:`aggregation.sipas.expectation_counts` ranks them (share = people who chose the option / people who
chose at least one). The province's figures pool the questions of every level that share a scale (the bundled
set asks ``SE1`` of departments and ``XE1`` of communes, both on ``mong_doi``).

Small cells: a unit's figures of a question are shown only when at least the set's ``min_cell`` people
answered it there; below that the unit counts in the province's figure only (``shown`` False). No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from aggregation.sipas import expectation_counts
from questionnaires import CriteriaSet
from questionnaires.answers import split_choices

from ..models import Campaign
from .ballot_frame import answers_frame
from .campaigns import campaign_criteria
from .results import campaign_units

PROVINCE = "Toàn tỉnh"


@dataclass(frozen=True)
class Choice:
    """One option of a ranked list: its code and label, how many chose it, their share (0..1) and rank."""

    option: str
    label: str
    n: int
    share: float
    rank: int


@dataclass(frozen=True)
class ExpectationBlock:
    """The ranked expectations of one unit (``unit`` None: the province) for one scale.

    ``respondents`` chose at least one option; ``shown`` is False under ``min_cell`` respondents, and then
    ``choices`` is empty (the unit's figures are only in the province's)."""

    unit: str | None
    name: str
    level: str | None
    scale: str
    respondents: int
    shown: bool
    choices: tuple[Choice, ...]

    def top(self, ranks: int = 3) -> tuple[Choice, ...]:
        """The choices ranked ``ranks`` or better (ties included)."""
        return tuple(c for c in self.choices if c.rank <= ranks)


@dataclass(frozen=True)
class Expectations:
    """A campaign's expectations: per scale the province's block, then per unit (results' order) its blocks."""

    province: tuple[ExpectationBlock, ...]
    units: tuple[ExpectationBlock, ...]
    scale_names: dict[str, str]
    min_cell: int

    @property
    def any(self) -> bool:
        return any(b.respondents for b in self.province)

    def hidden(self, scale: str) -> list[ExpectationBlock]:
        """Units with respondents of ``scale``, too few to be shown on their own."""
        return [b for b in self.units if b.scale == scale and b.respondents and not b.shown]


@dataclass(frozen=True)
class ProfileCell:
    """One option in one row of a profile table; ``n`` and ``share`` None when the row is not shown."""

    option: str
    n: int | None
    share: float | None


@dataclass(frozen=True)
class ProfileRow:
    """The province (``unit`` None) or one unit: respondents to the scale's question(s) and one cell per option."""

    unit: str | None
    name: str
    level: str | None
    respondents: int
    shown: bool
    cells: tuple[ProfileCell, ...]


@dataclass(frozen=True)
class ProfileTable:
    """Who answered, for one profile scale (e.g. ``gioi_tinh``): the options ``(code, label)`` in order, the
    province's row first, then one row per unit asked (units under ``min_cell`` respondents not shown)."""

    scale: str
    name: str
    options: tuple[tuple[str, str], ...]
    province: ProfileRow
    units: tuple[ProfileRow, ...]


def _units(session: Session, campaign: Campaign, cset: CriteriaSet) -> pd.DataFrame:
    """Units of a surveyed level in the results' order (level as in the set, then code)."""
    units = campaign_units(session, campaign)
    order = {lv.code: i for i, lv in enumerate(cset.levels) if lv.surveyed}
    units = units[units["level"].isin(order)].copy()
    units["_order"] = units["level"].map(order)
    return units.sort_values(["_order", "code"]).reset_index(drop=True)


def other_answers(session: Session, campaign: Campaign, kind: str) -> pd.DataFrame:
    """``ballot, unit, level, question, scale, option`` of the counted ballots' answers to questions of
    ``kind`` (``expectation`` or ``profile``); an expectation's answer is split, one row per chosen option."""
    cset = campaign_criteria(campaign)
    scales = {(q.level, q.id): q.scale for q in cset.other_questions if q.kind == kind}
    columns = ["ballot", "unit", "level", "question", "scale", "option"]
    if not scales:
        return pd.DataFrame(columns=columns)
    frame = answers_frame(session, campaign, scored=False)
    rows = []
    for ballot, unit, level, question, option in zip(frame["ballot_id"], frame["unit"].astype(object),
                                                     frame["level"].astype(object), frame["question"].astype(object),
                                                     frame["option"].astype(object)):
        scale = scales.get((level, question))
        if scale is None:
            continue
        for code in (split_choices(option) if kind == "expectation" else [option]):
            rows.append((int(ballot), unit, level, question, scale, code))
    return pd.DataFrame(rows, columns=columns)


def expectations(session: Session, campaign: Campaign) -> Expectations:
    """The campaign's expectations, ranked, per scale for the province and per unit (see :class:`Expectations`)."""
    cset = campaign_criteria(campaign)
    labels = {s.code: {o.code: o.label for o in s.options} for s in cset.scales}
    scale_names = {s.code: s.name or s.code for s in cset.scales}
    answers = other_answers(session, campaign, "expectation")
    scales = list(dict.fromkeys(q.scale for q in cset.other_questions if q.kind == "expectation"))
    units = _units(session, campaign, cset)

    def block(unit, name, level, scale, counts: pd.DataFrame) -> ExpectationBlock:
        respondents = int(counts["respondents"].iloc[0]) if len(counts) else 0
        shown = respondents >= cset.min_cell
        choices = tuple(Choice(r.option, labels[scale].get(r.option, r.option), int(r.n), float(r.share),
                               int(r.rank)) for r in counts.itertuples()) if shown else ()
        return ExpectationBlock(unit, name, level, scale, respondents, shown, choices)

    pooled = expectation_counts(answers.assign(unit="", question=answers["scale"])) if len(answers) else \
        expectation_counts(answers)
    by_unit = expectation_counts(answers.assign(question=answers["scale"])) if len(answers) else pooled
    province = tuple(block(None, PROVINCE, None, s, pooled[pooled["question"] == s]) for s in scales)
    mine = []
    level_scales = {(q.level, q.scale) for q in cset.other_questions if q.kind == "expectation"}
    for u in units.itertuples():
        for s in scales:
            if (u.level, s) in level_scales:
                rows = by_unit[(by_unit["unit"] == u.code) & (by_unit["question"] == s)]
                mine.append(block(u.code, u.name, u.level, s, rows))
    return Expectations(province, tuple(mine), scale_names, cset.min_cell)


def _profile_row(unit: str | None, name: str, level: str | None, part: pd.DataFrame,
                 options: tuple[tuple[str, str], ...], min_cell: int) -> ProfileRow:
    total = len(part)
    shown = total >= min_cell
    counts = part["option"].value_counts()
    cells = tuple(ProfileCell(code, int(counts.get(code, 0)) if shown else None,
                              float(counts.get(code, 0) / total) if shown else None) for code, _ in options)
    return ProfileRow(unit, name, level, total, shown, cells)


def profile(session: Session, campaign: Campaign) -> tuple[ProfileTable, ...]:
    """Per profile scale, the count and share of each option over the province and per unit (a unit under the
    set's ``min_cell`` respondents to it is not shown: its row has ``shown`` False and no figures)."""
    cset = campaign_criteria(campaign)
    answers = other_answers(session, campaign, "profile").drop_duplicates(["ballot", "unit", "scale"])
    units = _units(session, campaign, cset)
    out = []
    for scale in dict.fromkeys(q.scale for q in cset.other_questions if q.kind == "profile"):
        sc = cset.scale_by_code[scale]
        options = tuple((o.code, o.label) for o in sc.options)
        mine = answers[answers["scale"] == scale]
        levels = {q.level for q in cset.other_questions if q.kind == "profile" and q.scale == scale}
        province = _profile_row(None, PROVINCE, None, mine, options, cset.min_cell)
        rows = tuple(_profile_row(u.code, u.name, u.level, mine[mine["unit"] == u.code], options, cset.min_cell)
                     for u in units.itertuples() if u.level in levels)
        out.append(ProfileTable(scale, sc.name or scale, options, province, rows))
    return tuple(out)
