"""The report's sentence on coverage (docs/method.md, "Coverage"): how many units reach their plan, how many
are ranked under it, and which have too few ballots to be ranked."""
from __future__ import annotations

from ..services.scores import CampaignScores

LISTED = 6  # units under their plan named in the sentence; more are counted and left to the table


def coverage_sentence(sc: CampaignScores) -> str:
    """One sentence for the report's overview, from the survey table's ``ballots`` and ``planned``.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> t = pd.DataFrame({"unit": ["a", "b", "c"], "ballots": [12, 6, 2], "planned": [10.0, 10.0, 10.0]})
    >>> sc = SimpleNamespace(survey_table=t, cset=SimpleNamespace(min_ballots=5), names={"a": "A", "b": "B", "c": "C"})
    >>> coverage_sentence(sc)  # doctest: +NORMALIZE_WHITESPACE
    'Độ phủ phiếu: 3 đơn vị được khảo sát; 1 đơn vị đạt kế hoạch mẫu; 1 đơn vị đủ tối thiểu 5 phiếu nhưng dưới kế
    hoạch, vẫn được xếp hạng (B: 6/10 phiếu); 1 đơn vị chưa đủ 5 phiếu nên không có điểm điều tra XHH, không được
    xếp hạng, xếp loại (C: 2 phiếu).'
    """
    t = sc.survey_table
    if "ballots" not in t or t.empty:
        return ""
    minimum = sc.cset.min_ballots
    name = sc.names
    under = t[t["ballots"] < minimum]
    short = t[(t["ballots"] >= minimum) & t["planned"].notna() & (t["ballots"] < t["planned"])]
    full = len(t) - len(under) - len(short)
    parts = [f"Độ phủ phiếu: {len(t)} đơn vị được khảo sát", f"{full} đơn vị đạt kế hoạch mẫu"]
    if not short.empty:
        listed = ", ".join(f"{name.get(u, u)}: {int(n)}/{int(p)} phiếu"
                           for u, n, p in zip(short["unit"], short["ballots"], short["planned"]))
        if len(short) > LISTED:  # the table's column "Độ phủ phiếu" names each; the sentence gives the count
            listed = "chi tiết ở cột “Độ phủ phiếu” của bảng kết quả"
        parts.append(f"{len(short)} đơn vị đủ tối thiểu {minimum} phiếu nhưng dưới kế hoạch, vẫn được xếp hạng "
                     f"({listed})")
    if not under.empty:
        listed = ", ".join(f"{name.get(u, u)}: {int(n)} phiếu" for u, n in zip(under["unit"], under["ballots"]))
        parts.append(f"{len(under)} đơn vị chưa đủ {minimum} phiếu nên không có điểm điều tra XHH, không được xếp "
                     f"hạng, xếp loại ({listed})")
    return "; ".join(parts) + "."
