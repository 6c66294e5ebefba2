"""A campaign's scores (survey points, final index, intervals) and the app's cache of them.

Report pages, their charts, their exports and the API all need the same scores. They are
computed by :mod:`aggregation` and :mod:`scoring` and kept in a :class:`ScoreCache` that
belongs to one app (``app.extensions``), keyed by its database and by the state of the
data: the ballot count per review state and the newest audit entry (imports and review
changes are audited). Two apps on two databases never share an entry.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aggregation import SurveyPoints, answer_counts, points_from_counts
from aggregation.sipas_points import with_sipas_points
from aggregation.suppression import SmallCells, small_cells
from questionnaires import CriteriaSet
from scoring import FinalTable, final_table, index_intervals
from scoring.coverage import unit_ballots, with_coverage
from scoring.intervals import COLUMNS as INTERVAL_COLUMNS
from scoring.intervals import UNSETTLED_COLUMNS

from ..models import AuditEntry, Ballot, Campaign, SampleTarget
from .ballot_frame import answers_frame, rated_frame
from .campaigns import campaign_criteria
from .results import appraisal_table, campaign_units, commune_table, previous_table
from .sipas_into_par import SipasPart, sipas_part

REPLICATES = 1000
SEED = 2023


@dataclass(frozen=True)
class CampaignScores:
    """Everything the reports show of a campaign."""

    cset: CriteriaSet
    units: pd.DataFrame
    answers: pd.DataFrame
    counts: pd.DataFrame
    points: SurveyPoints
    survey_table: pd.DataFrame  # with ``ballots`` and ``planned``; points empty under the set's min_ballots
    final: FinalTable | None
    imported: dict[str, bool]
    year: int | None = None  # the campaign's year: "Năm 2022" names last year in the tables
    small: SmallCells | None = None  # what the small-cell rule hides (set's min_cell)
    sipas: SipasPart | None = None  # points of from_sipas sub-criteria, already in ``points`` (issue 29 item 5)

    @property
    def names(self) -> dict[str, str]:
        return dict(zip(self.units["code"], self.units["name"]))


def campaign_scores(session: Session, campaign: Campaign) -> CampaignScores:
    """Survey points of every surveyed unit (also those without a ballot) and, once the
    appraisal is imported, the final table with the district rule and last year."""
    cset = campaign_criteria(campaign)
    units = campaign_units(session, campaign)
    surveyed = units[units["level"].isin([lv.code for lv in cset.levels if lv.surveyed])]
    answers = answers_frame(session, campaign)
    counts = answer_counts(answers)
    points = points_from_counts(counts, cset, surveyed.rename(columns={"code": "unit"})[["level", "unit"]])
    sipas = sipas_part(session, campaign, cset, surveyed)
    if sipas is not None:
        points = with_sipas_points(points, sipas.points)
    survey = with_coverage(points.table([f.code for f in cset.fields]), unit_ballots(answers), cset,
                           planned_ballots(session, campaign))
    appraisal = appraisal_table(session, campaign, cset)
    communes, previous = commune_table(session, campaign), previous_table(session, campaign)
    final = (
        final_table(survey, appraisal, cset, communes=communes, previous=previous,
                    units=units[["level", "code", "name", "parent"]]) if appraisal is not None else None
    )
    return CampaignScores(cset, units, answers, counts, points, survey, final,
                          {"appraisal": appraisal is not None, "communes": communes is not None,
                           "previous": previous is not None}, campaign.year,
                          small_cells(rated_frame(session, campaign), cset.min_cell), sipas)


def planned_ballots(session: Session, campaign: Campaign) -> pd.DataFrame:
    """``level, unit, planned``: a unit's sample targets added over the groups that rate it (a ballot rates a
    unit in one group), the plan its counted ballots are held against."""
    rows = session.execute(select(SampleTarget.unit_id, func.sum(SampleTarget.target))
                           .where(SampleTarget.campaign_id == campaign.id).group_by(SampleTarget.unit_id)).all()
    units = {u.id: u for u in campaign.units}
    return pd.DataFrame([(units[i].level, units[i].code, float(n)) for i, n in rows if i in units and n],
                        columns=["level", "unit", "planned"])


def campaign_intervals(sc: CampaignScores, replicates: int = REPLICATES,
                       seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Survey totals with 95% intervals and ranks (of the final index once the appraisal is
    in) with their range; and the neighbouring pairs whose order is not settled
    (:func:`scoring.index_intervals`). A level the set ranks within its parent is ranked
    within each parent unit, its parent taken from the campaign's units."""
    from aggregation import bootstrap_points  # SciPy: loaded when first needed

    if sc.answers.empty:
        return pd.DataFrame(columns=INTERVAL_COLUMNS), pd.DataFrame(columns=UNSETTLED_COLUMNS)
    boot = bootstrap_points(sc.answers, sc.cset, replicates=replicates, seed=seed)
    return index_intervals(boot, sc.final.table if sc.final is not None else None, cset=sc.cset,
                           units=sc.units[["level", "code", "parent"]])


class ScoreCache:
    """The last few computed scores of one app, keyed by database and state of the data.

    Parameters
    ----------
    size : int
        How many results are kept (least recently used go first).
    """

    def __init__(self, size: int = 8):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _fingerprint(session: Session, database_key: str, campaign: Campaign) -> tuple:
        states = session.execute(select(Ballot.state, func.count()).where(Ballot.campaign_id == campaign.id)
                                 .group_by(Ballot.state).order_by(Ballot.state)).all()
        return database_key, campaign.id, tuple(map(tuple, states)), session.scalar(select(func.max(AuditEntry.id)))

    def _cached(self, key: tuple, compute):
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = compute()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def scores(self, session: Session, database_key: str, campaign: Campaign) -> CampaignScores:
        """:func:`campaign_scores`, computed once per state of the data."""
        key = ("scores",) + self._fingerprint(session, database_key, campaign)
        return self._cached(key, lambda: campaign_scores(session, campaign))

    def intervals(self, session: Session, database_key: str, campaign: Campaign) -> tuple[pd.DataFrame, pd.DataFrame]:
        """:func:`campaign_intervals`, computed once per state of the data."""
        key = ("intervals",) + self._fingerprint(session, database_key, campaign)
        return self._cached(key, lambda: campaign_intervals(self.scores(session, database_key, campaign)))

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
