"""What the small-cell rule hides, said where it is hidden (docs/method.md, "Small cells").

``HIDDEN`` stands in a table's cell for a figure of fewer than ``min_cell`` people: pages and exports
write it as it is ("—"), and the table's footnote says why.
"""
from __future__ import annotations

from ..services.scores import CampaignScores

HIDDEN = "—"


def _group_names(sc: CampaignScores) -> dict[str, str]:
    return {g.code: g.name for g in sc.cset.groups}


def hidden_groups(sc: CampaignScores) -> set[tuple[str, str]]:
    """``(level, group)`` whose level-wide figures are hidden."""
    if sc.small is None:
        return set()
    return set(zip(sc.small.hidden_groups["level"], sc.small.hidden_groups["group"]))


def hidden_groups_note(sc: CampaignScores) -> str:
    """The footnote of the level-wide tables: which groups' figures are not shown, and why.

    Examples
    --------
    "“—”: không công bố số liệu riêng của nhóm dưới 5 người trả lời (Cấp sở · Đại biểu HĐND tỉnh: 3 người),
    để không nhận ra được ý kiến của từng người."
    """
    if sc.small is None or sc.small.hidden_groups.empty:
        return ""
    levels = {lv.code: lv.name for lv in sc.cset.levels}
    names = _group_names(sc)
    listed = "; ".join(f"{levels.get(lv, lv)} · {names.get(g, g)}: {int(n)} người"
                       for lv, g, n in sc.small.hidden_groups.itertuples(index=False))
    return (f"“{HIDDEN}”: không công bố số liệu riêng của nhóm dưới {sc.small.k} người trả lời ({listed}), "
            "để không nhận ra được ý kiến của từng người.")


def withheld_note(sc: CampaignScores) -> str:
    """What the raw-ballot exports leave out, for the downloads and the XLSX sheet's heading."""
    if sc.small is None or sc.small.withheld.empty:
        return ""
    w = sc.small.withheld
    names = sc.names
    small = [names.get(u, u) for u in w.loc[w["reason"] == "small", "unit"]]
    pooled = [names.get(u, u) for u in w.loc[w["reason"] == "pooled", "unit"]]
    text = (f"Phiếu thô không gồm các dòng về {len(w)} đơn vị: {', '.join(small)} có nhóm đối tượng dưới "
            f"{sc.small.k} người trả lời")
    if pooled:
        text += (f"; {', '.join(pooled)} được để ra cùng, để không suy ra được ý kiến của nhóm nhỏ bằng cách lấy "
                 "bảng tổng hợp trừ đi phiếu thô")
    return text + ". Điểm của các đơn vị này vẫn có trong các bảng kết quả."
