"""SIPAS into PAR (issue 29 item 5): a PAR campaign whose set marks sub-criteria ``from_sipas`` takes their
points from a closed SIPAS campaign's index of the same units (matched by unit code), chosen by an admin
(``Campaign.sipas_source_id``, audited). The points themselves are :func:`aggregation.sipas_points.sipas_points`.
No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from aggregation.sipas_points import sipas_points, sipas_sub_criteria
from questionnaires import CriteriaSet

from ..models import Campaign
from .audit import record
from .campaigns import campaign_criteria
from .sipas_results import sipas_results

SETTING = "Chỉ số SIPAS dùng cho tiêu chí"


def percent_vi(share: float) -> str:
    """A share as the pages print it: percent, one decimal, decimal comma.

    >>> percent_vi(0.913889)
    '91,4 %'
    """
    return f"{100.0 * share:.1f}".replace(".", ",") + " %"


def points_vi(value: float) -> str:
    """Points with 3 decimals and a decimal comma, trailing zeros kept as the tables print them.

    >>> points_vi(0.456944)
    '0,457'
    """
    return f"{value:.3f}".replace(".", ",")


def wants_sipas(campaign: Campaign) -> bool:
    """Whether the campaign's set has a sub-criterion that takes its points from SIPAS (a PAR set)."""
    cset = campaign_criteria(campaign)
    return not cset.is_sipas and bool(sipas_sub_criteria(cset))


def sipas_choices(session: Session, campaign: Campaign) -> list[Campaign]:
    """The campaigns an admin may choose as the source: closed, on a SIPAS set, not the campaign itself; newest
    first."""
    closed = session.scalars(select(Campaign).where(Campaign.status == "closed", Campaign.id != campaign.id)
                             .order_by(Campaign.year.desc(), Campaign.id.desc())).all()
    return [c for c in closed if campaign_criteria(c).is_sipas]


def set_sipas_source(session: Session, campaign: Campaign, source_id: int | None, actor: str) -> Campaign | None:
    """Choose (or, with None, clear) the SIPAS campaign of ``campaign``; audited when it changes.

    Raises
    ------
    ValueError
        The campaign's set takes nothing from SIPAS, or ``source_id`` is not one of :func:`sipas_choices`.
    """
    if not wants_sipas(campaign):
        raise ValueError("bộ tiêu chí của đợt này không có tiêu chí thành phần nào lấy điểm từ Chỉ số SIPAS")
    source = None
    if source_id is not None:
        source = next((c for c in sipas_choices(session, campaign) if c.id == source_id), None)
        if source is None:
            raise ValueError("chỉ chọn được một đợt khảo sát SIPAS đã kết thúc")
    if campaign.sipas_source_id != source_id:
        old = session.get(Campaign, campaign.sipas_source_id) if campaign.sipas_source_id else None
        record(session, actor, "update", "campaign", campaign.id, attribute="sipas_source_id",
               old_value=old.name if old else None, new_value=source.name if source else None)
        campaign.sipas_source_id = source_id
    return source


@dataclass(frozen=True)
class SipasPart:
    """The points a PAR campaign takes from SIPAS: ``points`` (:func:`aggregation.sipas_points.sipas_points` of
    its surveyed units) and the source campaign's name (None when none is chosen yet)."""

    points: pd.DataFrame
    source: str | None

    def notes(self) -> dict[str, str]:
        """Unit code → "trong đó từ Chỉ số SIPAS: x điểm (SIPAS 91,4 %)", or what is missing."""
        out = {}
        for unit, rows in self.points.groupby("unit", sort=False):
            if self.source is None:
                out[unit] = "chưa chọn đợt khảo sát SIPAS: thiếu điểm TCTP " + ", ".join(rows["code"])
            elif rows["points"].isna().all():
                out[unit] = f"không có Chỉ số SIPAS ({self.source}): thiếu điểm TCTP " + ", ".join(rows["code"])
            else:
                out[unit] = (f"trong đó từ Chỉ số SIPAS: {points_vi(rows['points'].sum())} điểm "
                             f"(SIPAS {percent_vi(rows['sipas'].iloc[0])})")
        return out


def sipas_part(session: Session, campaign: Campaign, cset: CriteriaSet, units: pd.DataFrame) -> SipasPart | None:
    """The SIPAS points of ``units`` (``level, code``, the campaign's surveyed units); None when the set takes
    nothing from SIPAS. Without a chosen source every unit's points are NaN (missing, never invented)."""
    subs = sipas_sub_criteria(cset)
    if cset.is_sipas or not subs:
        return None
    source = session.get(Campaign, campaign.sipas_source_id) if campaign.sipas_source_id else None
    index = pd.Series(float("nan"), index=pd.Index(units["code"], dtype=object))
    if source is not None:
        by_code = sipas_results(session, source).units.drop_duplicates("unit").set_index("unit")["sipas"]
        index = by_code.reindex(index.index).astype(float)
    levels = dict(zip(units["code"], units["level"]))
    return SipasPart(sipas_points(index, subs, levels), source.name if source else None)
