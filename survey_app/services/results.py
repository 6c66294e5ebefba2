"""What a campaign's results are joined with: imports of the appraisal, the communes' results
and last year's table, and how they are read back for :mod:`.scores`.

Imports replace the campaign's previous import of the same kind as a whole,
in one transaction, and are written to the audit log; a file with any bad row
changes nothing (:class:`scoring.TableProblems` lists every problem).
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from questionnaires import CriteriaSet
from scoring import Problem, TableProblems, parse_appraisal, parse_communes, parse_previous, read_table
from scoring.final import ruled_levels

from ..models import Appraisal, Campaign, CommuneResult, PreviousResult, Unit
from .audit import record
from .campaigns import campaign_criteria

KINDS = {"appraisal": "điểm thẩm định", "communes": "kết quả xếp loại cấp xã", "previous": "kết quả năm trước"}


def campaign_units(session: Session, campaign: Campaign) -> pd.DataFrame:
    """``id, level, code, name, parent`` (the parent's code) of every unit of a campaign."""
    units = campaign.units
    code_of = {u.id: u.code for u in units}
    return pd.DataFrame([(u.id, u.level, u.code, u.name, code_of.get(u.parent_id)) for u in units],
                        columns=["id", "level", "code", "name", "parent"])


def import_results(session: Session, campaign: Campaign, kind: str, filename: str, data: bytes, actor: str) -> int:
    """Read, check and store one imported file of ``kind`` (see :data:`KINDS`); returns the rows stored.

    Raises
    ------
    scoring.TableProblems
        Every problem of the file; nothing is stored then.
    """
    cset = campaign_criteria(campaign)
    units = campaign_units(session, campaign)
    frame = read_table(filename, data)
    unit_id = {code: i for i, code in zip(units["id"], units["code"])}
    if kind == "appraisal":
        table = parse_appraisal(frame, units, cset)
        session.execute(delete(Appraisal).where(Appraisal.campaign_id == campaign.id))
        columns = [f.code for f in cset.fields] + ["total"]
        for row in table.itertuples(index=False):
            values = dict(zip(table.columns, row))
            session.add_all(
                Appraisal(campaign_id=campaign.id, unit_id=unit_id[values["unit"]], field=c, points=float(values[c]))
                for c in columns
                if pd.notna(values[c])
            )
        stored = len(table)
    elif kind == "communes":
        ruled = ruled_levels(cset)
        districts = units[units["level"].isin(list(ruled))]
        communes = units[units["level"].isin(list(ruled.values()))]
        table = parse_communes(frame, districts, cset)
        known = {(p, c): c for p, c in zip(communes["parent"], communes["code"])}
        known |= {(p, n): c for p, n, c in zip(communes["parent"], communes["name"], communes["code"])}
        keys = list(zip(table["district"], table["commune"]))
        problems = [Problem(number, None, f"không có xã '{commune}' thuộc huyện '{district}' trong đợt đánh giá")
                    for number, (district, commune) in zip(frame.index, keys) if (district, commune) not in known]
        if problems:
            raise TableProblems(problems)
        session.execute(delete(CommuneResult).where(CommuneResult.campaign_id == campaign.id))
        stored = 0
        for key, value, band in zip(keys, table["index"], table["class"]):
            if pd.isna(value) and not isinstance(band, str):
                continue  # listed without a result: the same as absent
            session.add(CommuneResult(campaign_id=campaign.id, unit_id=unit_id[known[key]],
                                      index_points=None if pd.isna(value) else float(value),
                                      class_code=band if isinstance(band, str) else None))
            stored += 1
    elif kind == "previous":
        table = parse_previous(frame, units)
        session.execute(delete(PreviousResult).where(PreviousResult.campaign_id == campaign.id))
        session.add_all(PreviousResult(campaign_id=campaign.id, unit_id=unit_id[r.unit], index_points=r.previous_index,
                                       rank=None if pd.isna(r.previous_rank) else int(r.previous_rank),
                                       class_name=r.previous_class or "")
                        for r in table.itertuples(index=False))
        stored = len(table)
    else:
        raise ValueError(kind)
    record(session, actor, "import", kind, campaign.id, new_value=f"{filename}: {stored} dòng")
    return stored


def appraisal_table(session: Session, campaign: Campaign, cset: CriteriaSet) -> pd.DataFrame | None:
    """``level, unit, <field codes>, total`` of the stored appraisal; None when none was imported."""
    rows = session.execute(select(Unit.level, Unit.code, Appraisal.field, Appraisal.points)
                           .join(Unit, Appraisal.unit_id == Unit.id).where(Appraisal.campaign_id == campaign.id)).all()
    if not rows:
        return None
    long = pd.DataFrame(rows, columns=["level", "unit", "field", "points"])
    wide = long.pivot_table(index=["level", "unit"], columns="field", values="points", aggfunc="first")
    columns = [f.code for f in cset.fields] + ["total"]
    wide = wide.reindex(columns=columns)
    fields = [f.code for f in cset.fields]
    missing_total = wide["total"].isna() & wide[fields].notna().all(axis=1)
    wide.loc[missing_total, "total"] = wide.loc[missing_total, fields].sum(axis=1)
    wide.columns.name = None
    return wide.reset_index()


def commune_table(session: Session, campaign: Campaign) -> pd.DataFrame | None:
    """``district, commune, index, class`` for every commune of the campaign (None for missing
    results); None when no commune result was ever imported."""
    results = {
        r.unit_id: r for r in session.scalars(select(CommuneResult).where(CommuneResult.campaign_id == campaign.id))
    }
    if not results:
        return None
    units = [u for u in campaign.units if u.level == "xa"]
    parents = {u.id: u.code for u in campaign.units}
    rows = [(parents.get(u.parent_id), u.code, results[u.id].index_points if u.id in results else None,
             results[u.id].class_code if u.id in results else None) for u in units]
    return pd.DataFrame(rows, columns=["district", "commune", "index", "class"])


def previous_table(session: Session, campaign: Campaign) -> pd.DataFrame | None:
    rows = session.execute(select(Unit.level, Unit.code, PreviousResult.index_points, PreviousResult.rank,
                                  PreviousResult.class_name).join(Unit, PreviousResult.unit_id == Unit.id)
                           .where(PreviousResult.campaign_id == campaign.id)).all()
    if not rows:
        return None
    return pd.DataFrame(rows, columns=["level", "unit", "previous_index", "previous_rank", "previous_class"])
