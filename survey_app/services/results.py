"""What a campaign's results are joined with: imports of the appraisal, the communes' results
and last year's table, and how they are read back for :mod:`.scores`.

Imports replace the campaign's previous import of the same kind as a whole,
in one transaction, and are written to the audit log; a file with any bad row
changes nothing (:class:`scoring.TableProblems` lists every problem).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from questionnaires import CriteriaSet
from scoring import Problem, TableProblems, parse_appraisal, parse_communes, parse_previous, read_table
from scoring.final import ruled_levels
from scoring.readers import closest, did_you_mean, fold
from scoring.succession import carry_previous

from ..models import Appraisal, Campaign, CommuneResult, PreviousResult, Unit
from . import succession
from .audit import record
from .campaigns import campaign_criteria

KINDS = {"appraisal": "điểm thẩm định", "communes": "kết quả xếp loại cấp xã", "previous": "kết quả năm trước"}


def campaign_units(session: Session, campaign: Campaign) -> pd.DataFrame:
    """``id, level, code, name, parent`` (the parent's code) of every unit of a campaign."""
    units = campaign.units
    code_of = {u.id: u.code for u in units}
    return pd.DataFrame([(u.id, u.level, u.code, u.name, code_of.get(u.parent_id)) for u in units],
                        columns=["id", "level", "code", "name", "parent"])


@dataclass(frozen=True)
class CheckedImport:
    """A file of ``kind`` read and checked, ready to store: ``rows`` name units by id.

    appraisal: ``(unit id, field or "total", points)``; communes: ``(unit id, index or None, class code or None)``;
    previous: ``(unit id, index, rank or None, class name)``. ``levels``: for an appraisal, the levels the file
    gives (a template per level replaces that level's points only); empty for the other kinds.
    """

    kind: str
    filename: str
    rows: list[tuple]
    count: int  # rows of the file
    levels: tuple[str, ...] = ()


def check_import(session: Session, campaign: Campaign, kind: str, filename: str, data: bytes) -> CheckedImport:
    """Read and check one file of ``kind`` (see :data:`KINDS`), writing nothing: a slow or large file
    never holds the database's write lock (the request stores it with :func:`store_import` after).

    Raises
    ------
    scoring.TableProblems
        Every problem of the file.
    """
    if kind not in KINDS:
        raise ValueError(kind)
    cset = campaign_criteria(campaign)
    units = campaign_units(session, campaign)
    frame = read_table(filename, data)
    unit_id = {code: i for i, code in zip(units["id"], units["code"])}
    rows: list[tuple] = []
    levels: tuple[str, ...] = ()
    if kind == "appraisal":
        table = parse_appraisal(frame, units, cset, whole=False)
        levels = tuple(sorted(set(table["level"])))
        columns = [f.code for f in cset.fields] + ["total"]
        for row in table.itertuples(index=False):
            values = dict(zip(table.columns, row))
            rows += [(unit_id[values["unit"]], c, float(values[c])) for c in columns if pd.notna(values[c])]
        count = len(table)
    elif kind == "communes":
        ruled = ruled_levels(cset)
        districts = units[units["level"].isin(list(ruled))]
        communes = units[units["level"].isin(list(ruled.values()))]
        table = parse_communes(frame, districts, cset)
        known = {(p, fold(c)): c for p, c in zip(communes["parent"], communes["code"])}
        known |= {(p, fold(n)): c for p, n, c in zip(communes["parent"], communes["name"], communes["code"])}
        keys = [(d, fold(c)) for d, c in zip(table["district"], table["commune"])]
        names_under = {}
        for parent, name in zip(communes["parent"], communes["name"]):
            names_under.setdefault(parent, []).append(name)
        name_of = dict(zip(districts["code"], districts["name"]))
        problems = [Problem(number, None, f"không có xã '{commune}' thuộc {name_of.get(district, district)} "
                                          "trong đợt đánh giá"
                            + did_you_mean(closest(commune, names_under.get(district, []))))
                    for number, (district, commune) in zip(frame.index, zip(table["district"], table["commune"]))
                    if (district, fold(commune)) not in known]
        if problems:
            raise TableProblems(problems)
        for key, value, band in zip(keys, table["index"], table["class"]):
            if pd.isna(value) and not isinstance(band, str):
                continue  # listed without a result: the same as absent
            rows.append((unit_id[known[key]], None if pd.isna(value) else float(value),
                         band if isinstance(band, str) else None))
        count = len(rows)
    else:
        before = reformed_from(session, campaign)  # across a reform: last year's table names last year's units
        if before is not None:
            units = campaign_units(session, before)
            unit_id = {code: i for i, code in zip(units["id"], units["code"])}
        table = parse_previous(frame, units)
        rows = [(unit_id[r.unit], r.previous_index, None if pd.isna(r.previous_rank) else int(r.previous_rank),
                 r.previous_class or "") for r in table.itertuples(index=False)]
        count = len(rows)
    return CheckedImport(kind, filename, rows, count, levels)


def store_import(session: Session, campaign: Campaign, checked: CheckedImport, actor: str) -> int:
    """Replace the campaign's import of that kind with ``checked`` (audited); returns the rows stored. An
    appraisal file replaces the points of the levels it gives (a file per level keeps the other levels')."""
    model = {"appraisal": Appraisal, "communes": CommuneResult, "previous": PreviousResult}[checked.kind]
    replaced = delete(model).where(model.campaign_id == campaign.id)
    if checked.kind == "appraisal" and checked.levels:
        replaced = replaced.where(model.unit_id.in_(select(Unit.id).where(Unit.campaign_id == campaign.id,
                                                                          Unit.level.in_(checked.levels))))
    session.execute(replaced)
    if checked.kind == "appraisal":
        session.add_all(Appraisal(campaign_id=campaign.id, unit_id=u, field=f, points=p) for u, f, p in checked.rows)
    elif checked.kind == "communes":
        session.add_all(CommuneResult(campaign_id=campaign.id, unit_id=u, index_points=i, class_code=c)
                        for u, i, c in checked.rows)
    else:
        session.add_all(PreviousResult(campaign_id=campaign.id, unit_id=u, index_points=i, rank=r, class_name=c)
                        for u, i, r, c in checked.rows)
    record(session, actor, "import", checked.kind, campaign.id, new_value=f"{checked.filename}: {checked.count} dòng")
    return checked.count


def import_results(session: Session, campaign: Campaign, kind: str, filename: str, data: bytes, actor: str) -> int:
    """Read, check and store one imported file of ``kind`` (see :data:`KINDS`); returns the rows stored.

    Raises
    ------
    scoring.TableProblems
        Every problem of the file; nothing is stored then.
    """
    return store_import(session, campaign, check_import(session, campaign, kind, filename, data), actor)


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
    children = set(ruled_levels(campaign_criteria(campaign)).values())  # the communes' level
    units = [u for u in campaign.units if u.level in children]
    parents = {u.id: u.code for u in campaign.units}
    rows = [(parents.get(u.parent_id), u.code, results[u.id].index_points if u.id in results else None,
             results[u.id].class_code if u.id in results else None) for u in units]
    return pd.DataFrame(rows, columns=["district", "commune", "index", "class"])


def reformed_from(session: Session, campaign: Campaign) -> Campaign | None:
    """Last year's campaign when ``campaign`` has a succession table (its units came through a reform)."""
    if not succession.entries(session, campaign):
        return None
    return succession.last_year(session, campaign)


def previous_table(session: Session, campaign: Campaign) -> pd.DataFrame | None:
    """``level, unit, previous_index, previous_rank, previous_class`` by this campaign's units; across a reform
    (last year's results stored against last year's units) carried through the succession table, with
    ``previous_note`` naming the predecessors of a merged or split unit (:func:`scoring.succession.carry_previous`)."""
    rows = session.execute(select(Unit.level, Unit.code, Unit.name, Unit.campaign_id, PreviousResult.index_points,
                                  PreviousResult.rank, PreviousResult.class_name)
                           .join(Unit, PreviousResult.unit_id == Unit.id)
                           .where(PreviousResult.campaign_id == campaign.id)).all()
    if not rows:
        return None
    frame = pd.DataFrame(rows, columns=["level", "unit", "name", "campaign_id", "previous_index", "previous_rank",
                                        "previous_class"])
    if (frame["campaign_id"] == campaign.id).all():
        return frame.drop(columns=["name", "campaign_id"])
    stored = succession.entries(session, campaign)
    table = pd.DataFrame([(e.old_code, e.new_code, e.kind) for e in stored], columns=["old", "new", "kind"])
    return carry_previous(frame, table, campaign_units(session, campaign),
                          dict(zip(frame["unit"], frame["name"])) | {e.old_code: e.old_name for e in stored})
