"""A SIPAS campaign's results (issue 29 item 4): the satisfaction index of :mod:`aggregation.sipas` over the
campaign's stored ballots, with the set's coverage minimum, weighting and target.

The inputs of :func:`aggregation.sipas.sipas` come from the campaign's frozen criteria set (a question's
element is its sub-criterion's field, its role, its scale's positive and don't-know options) and from its
counted ballots as :func:`.ballot_frame.answers_frame` reads them (rejected ballots never reach it). A
question is keyed ``level/id`` inside the computation, so two levels may reuse an id. No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy.orm import Session

from aggregation.sipas import ProvinceSipas, sipas
from aggregation.sipas_bootstrap import REPLICATES, SEED, rank_units, sipas_bootstrap
from questionnaires import CriteriaSet
from questionnaires.model import round_points

from ..models import Campaign
from .ballot_frame import answers_frame
from .campaigns import campaign_criteria
from .results import campaign_units

UNIT_COLUMNS = ["level", "unit", "name", "ballots", "covered", "elements", "left_out", "sipas"]
SURE_COLUMNS = ["level", "unit", "low", "high", "rank", "rank_of", "overlaps"]
PERCEPTION_COLUMNS = ["level", "unit", "name", "element", "question", "text", "answered", "dont_know", "positive",
                      "share"]


def _key(level: str, question: str) -> str:
    return f"{level}/{question}"


@dataclass(frozen=True)
class SipasInputs:
    """What :func:`aggregation.sipas.sipas` needs from a set: ``questions`` (``question, element, role``,
    questions keyed ``level/id``), and per question its positive and don't-know options."""

    questions: pd.DataFrame
    positive: dict[str, set[str]]
    dont_know: dict[str, set[str]]


def sipas_inputs(cset: CriteriaSet) -> SipasInputs:
    """The index's inputs from a SIPAS set: every question of a surveyed level, its element (the field of its
    sub-criterion), role and options.

    Examples
    --------
    >>> from questionnaires import DEFAULT_SET_DIR, load_criteria_set
    >>> i = sipas_inputs(load_criteria_set(DEFAULT_SET_DIR.parent / "sipas"))
    >>> i.questions.iloc[0].tolist(), sorted(i.positive["so/S11"]), sorted(i.dont_know["so/S1N1"])
    (['so/S11', '1', 'satisfaction'], ['hai_long', 'rat_hai_long'], ['khong_biet'])
    """
    rows, positive, dont_know = [], {}, {}
    for q in cset.questions:
        key = _key(q.level, q.id)
        sub = cset.sub_criterion_by_key[(q.level, q.sub_criterion)]
        scale = cset.scale_by_code[q.scale]
        rows.append((key, sub.field, q.role))
        positive[key] = {o.code for o in scale.positive_options}
        dont_know[key] = {o.code for o in scale.options if o.dont_know}
    return SipasInputs(pd.DataFrame(rows, columns=["question", "element", "role"]), positive, dont_know)


@dataclass(frozen=True)
class SipasResults:
    """One SIPAS campaign's figures, shares as fractions 0..1.

    ``units``: per unit (every unit of a surveyed level) ``level, unit, name, ballots, covered, elements,
    left_out, sipas`` and one column per element code (its index; NaN for an uncovered unit or an element
    nobody answered); ``perception``: per covered unit and perception question its counts and share;
    ``province``: :class:`aggregation.sipas.ProvinceSipas`; ``elements``: ``(code, name)`` of the set's
    elements in order; ``dossiers``: unit code → completed dossiers when the set weighs by them.
    """

    cset: CriteriaSet
    units: pd.DataFrame
    perception: pd.DataFrame
    province: ProvinceSipas
    elements: tuple[tuple[str, str], ...]
    ballots: int
    dossiers: dict[str, int] | None = None
    sure: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SURE_COLUMNS))
    province_interval: tuple[float, float] = (float("nan"), float("nan"))
    replicates: int = REPLICATES
    seed: int = SEED

    @property
    def target(self) -> float | None:
        return self.cset.sipas_target

    @property
    def meets_target(self) -> bool | None:
        """Whether the province's SIPAS reaches the set's target, compared as published (percent, 1 decimal);
        None without a target or a figure."""
        return meets(self.province.value, self.target)


def meets(value: float, target: float | None) -> bool | None:
    """Whether ``value`` reaches ``target``, both shares, compared at the percent with one decimal the pages print.

    Examples
    --------
    >>> meets(0.9496, 0.95), meets(0.9494, 0.95), meets(float("nan"), 0.95), meets(0.9, None)
    (True, False, None, None)
    """
    if target is None or pd.isna(value):
        return None
    return round_points(100.0 * value, 1) >= round_points(100.0 * target, 1)


def completed_dossiers(session: Session, campaign: Campaign) -> dict[str, int]:
    """Unit code → completed dossiers imported for the campaign (:mod:`.dossiers`)."""
    from .dossiers import unit_counts

    return {row.unit.code: row.dossiers for row in unit_counts(session, campaign) if row.dossiers}


def sipas_results(session: Session, campaign: Campaign, intervals: bool = True) -> SipasResults:
    """The SIPAS figures of a campaign on a SIPAS set (see :class:`SipasResults`); with ``intervals`` also
    their 95 % intervals (:data:`REPLICATES` bootstrap replicates, seed :data:`SEED`) and ranks.

    Raises
    ------
    ValueError
        The campaign's set is not a SIPAS set.
    """
    cset = campaign_criteria(campaign)
    if not cset.is_sipas:
        raise ValueError(f"campaign {campaign.id} is not on a SIPAS set")
    inputs = sipas_inputs(cset)
    units = campaign_units(session, campaign)
    units = units[units["level"].isin([lv.code for lv in cset.levels if lv.surveyed])]
    frame = answers_frame(session, campaign)
    answers = pd.DataFrame({
        "ballot": frame["ballot_id"].to_numpy(),
        "unit": frame["unit"].astype(str).to_numpy(),
        "question": [_key(lv, q) for lv, q in zip(frame["level"].astype(str), frame["question"].astype(str))],
        "option": frame["option"].astype(str).to_numpy(),
        "state": frame["state"].astype(str).to_numpy(),
    })
    weighting = cset.sipas_weighting
    dossiers = completed_dossiers(session, campaign) if weighting == "dossiers" else None
    result = sipas(answers, inputs.questions, inputs.positive, inputs.dont_know, units=list(units["code"]),
                   min_ballots=cset.min_ballots, dossiers=dossiers, weighting=weighting)
    per_unit = units.rename(columns={"code": "unit"})[["level", "unit", "name"]].merge(
        result.units, on="unit", how="left")
    codes = [f.code for f in cset.fields]
    wide = result.elements.pivot(index="unit", columns="element", values="index").reindex(columns=codes)
    wide.columns = codes
    per_unit = per_unit.merge(wide, left_on="unit", right_index=True, how="left")
    order = {lv.code: i for i, lv in enumerate(cset.levels)}
    per_unit = per_unit.sort_values(["level", "unit"], key=lambda s: s.map(order) if s.name == "level" else s)
    texts = {_key(q.level, q.id): q.text for q in cset.questions}
    perception = result.perception.merge(per_unit[["level", "unit", "name"]], on="unit", how="left")
    # the index grids every unit with every question; a question of another level is none of the unit's
    perception = perception[perception["question"].str.split("/", n=1).str[0] == perception["level"]]
    perception["text"] = perception["question"].map(texts)
    perception["question"] = perception["question"].str.split("/", n=1).str[1]
    per_unit = per_unit.reset_index(drop=True)
    extra = {}
    if intervals:
        boot = sipas_bootstrap(answers, inputs.questions, inputs.positive, inputs.dont_know,
                               units=list(units["code"]), min_ballots=cset.min_ballots, dossiers=dossiers,
                               weighting=weighting, replicates=REPLICATES, seed=SEED)
        extra = {"sure": sure_frame(cset, per_unit, units, boot.units),
                 "province_interval": boot.province[1:], "replicates": boot.replicates, "seed": boot.seed}
    return SipasResults(cset, per_unit[UNIT_COLUMNS + codes], perception[PERCEPTION_COLUMNS].reset_index(drop=True),
                        result.province, tuple((f.code, f.name) for f in cset.fields),
                        int(answers["ballot"].nunique()), dossiers, **extra)


def sure_frame(cset: CriteriaSet, per_unit: pd.DataFrame, units: pd.DataFrame,
               intervals: pd.DataFrame) -> pd.DataFrame:
    """:attr:`SipasResults.sure` from the units' figures (``level, unit, sipas``), the campaign's units
    (``code, parent``) and the bootstrap's intervals (``unit, low, high``)."""
    frame = per_unit[["level", "unit", "sipas"]].merge(intervals[["unit", "low", "high"]], on="unit", how="left")
    parent = dict(zip(units["code"], units["parent"]))
    within = {lv.code for lv in cset.levels if lv.rank_within == "parent" and lv.parent}
    frame["ranking"] = [f"{lv}/{parent.get(u) or ''}" if lv in within else lv
                        for lv, u in zip(frame["level"], frame["unit"])]
    ranks = rank_units(frame, ["ranking"])
    return pd.concat([frame[["level", "unit", "low", "high"]], ranks[["rank", "rank_of", "overlaps"]]], axis=1)
