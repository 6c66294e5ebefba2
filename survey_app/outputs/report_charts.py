"""A campaign's charts, by kind and level, for the report pages (SVG) and the Word report (PNG).

``nhiet``: the survey heat map, one colour scale for every level; ``chi-so``: how each index is
made up; ``hang``: rank intervals. matplotlib is imported on the first chart, not at start-up.
"""
from __future__ import annotations

import pandas as pd

from ..services.scores import CampaignScores

KINDS = ("chi-so", "nhiet", "hang")


def chart_available(sc: CampaignScores, kind: str, level: str) -> bool:
    """Whether the chart can be drawn: a surveyed level, and for ``chi-so`` a final table."""
    lv = sc.cset.level_by_code.get(level)
    return kind in KINDS and lv is not None and lv.surveyed and (kind != "chi-so" or sc.final is not None)


def campaign_chart(sc: CampaignScores, kind: str, level: str, intervals: pd.DataFrame | None = None,
                   fmt: str = "svg") -> str | bytes:
    """One chart of a campaign (see :func:`chart_available`); ``intervals`` for ``hang``."""
    from . import charts

    lv = sc.cset.level_by_code[level]
    field_names = {f.code: f.short_name for f in sc.cset.fields}
    if kind == "nhiet":
        surveyed = sc.points.fields[sc.points.fields["level"].isin([x.code for x in sc.cset.levels if x.surveyed])]
        fields = surveyed[surveyed["level"] == level]
        return charts.heatmap_chart(fields[["unit", "code", "percent"]], sc.names, field_names,
                                    f"Điểm điều tra XHH, % điểm tối đa — {lv.name}",
                                    floor=charts.heatmap_floor(surveyed["percent"]), fmt=fmt)
    if kind == "chi-so":
        final = sc.final.table[sc.final.table["level"] == level]
        by_field = sc.final.fields[sc.final.fields["level"] == level]
        if by_field.empty:
            by_field = sc.points.fields[sc.points.fields["level"] == level][["unit", "code", "points"]]
        return charts.index_chart(final, by_field, sc.names, field_names, f"Chỉ số CCHC theo lĩnh vực — {lv.name}",
                                  fmt=fmt)
    rows = intervals[intervals["level"] == level]
    if lv.rank_within == "parent" and lv.parent:  # ranks within each parent: one block per parent
        parent = sc.cset.level_by_code[lv.parent].name.removeprefix("Cấp ").removeprefix("cấp ")
        rows = rows.assign(parent=rows["unit"].map(dict(zip(sc.units["code"], sc.units["parent"]))))
        return charts.rank_interval_chart(rows, sc.names, f"Khoảng xếp hạng 95% trong {parent} — {lv.name}",
                                          fmt=fmt)
    return charts.rank_interval_chart(rows, sc.names, f"Khoảng xếp hạng 95% — {lv.name}", fmt=fmt)
