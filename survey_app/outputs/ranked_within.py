"""The final table's columns where the criteria set ranks a level within its parent (``rank_within: parent``).

Communes ranked within their district read "Xếp hạng trong huyện: 2, trên tổng số 4", beside
their district's name; the pages, the CSV/XLSX/JSON exports and the Word report take these
columns from :func:`survey_app.outputs.report_tables.final_report_table`.
"""
from __future__ import annotations

import pandas as pd

from ..services.scores import CampaignScores
from .exports import Column


def ranked_within_parent_columns(sc: CampaignScores, table: pd.DataFrame,
                                 columns: list[Column]) -> tuple[list[Column], dict[str, dict[str, str]], str]:
    """Where the set ranks a level within its parent (``rank_within: parent``): the parent's name beside the
    unit's ("Thuộc"), how many units share the ranking ("Trên tổng số"), the rank's header per level
    ("Xếp hạng trong huyện") and a sentence for the note. ``table`` (the final table) gains ``parent_name``.
    Nothing changes for a set that ranks every level across the province."""
    if "parent" not in table.columns:
        return columns, {}, ""
    table["parent_name"] = table["parent"].map(sc.names).fillna(table["parent"])
    out: list[Column] = []
    for c in columns:
        out.append(c)
        if c.key == "name":
            out.append(Column("parent_name", "Thuộc", width=24))
        elif c.key == "rank":
            out.append(Column("rank_of", "Trên tổng số", "integer"))
    headers, said = {}, []
    for lv in sc.cset.levels:
        if lv.rank_within == "parent" and lv.parent:
            parent = sc.cset.level_by_code[lv.parent].name.removeprefix("Cấp ").removeprefix("cấp ")
            headers[lv.code] = {"rank": f"Xếp hạng trong {parent}", "parent_name": parent.capitalize()}
            said.append(f"các {lv.units_word} xếp hạng trong từng {parent}")
    return out, headers, f" Xếp hạng theo bộ tiêu chí: {'; '.join(said)}." if said else ""
