"""The report's first table: counted ballots per group and channel, the ratings they give, and the plan.

A ballot is one person's; a rating is a ballot × unit it rates (a provincial delegate rating 19
departments gives 19 ratings). The sample plan sets targets per unit × group, so it is counted in
ratings, and so is how much of it is covered (each cell at most its target). Every column adds up to
the total row, and the headline sentence is read off that row.
"""
from __future__ import annotations

from ..services.campaigns import GroupCount
from .exports import Column
from .report_tables import ReportTable
from .report_text import join_vi, share_vi, thousands_vi

PLAN_NOTE = ("Số phiếu là số người trả lời; lượt đánh giá là số lượt phiếu × đơn vị được đánh giá (một đại biểu "
             "đánh giá 19 sở là 19 lượt). Kế hoạch mẫu đặt cho từng đơn vị × đối tượng nên tính theo lượt đánh giá; "
             "tỷ lệ đạt tính mỗi đơn vị tối đa bằng kế hoạch của nó, để đơn vị vượt kế hoạch không bù cho đơn vị "
             "thiếu.")


def ballot_table(counts: list[GroupCount], channels: tuple[tuple[str, str, str], ...]) -> ReportTable:
    """One row per group and a total row (its index in ``summary``).

    Examples
    --------
    >>> c = [GroupCount("Đại biểu HĐND tỉnh", {"web": 40}, 40, 1080, 1350, 1080),
    ...      GroupCount("Người dân", {"qr": 35, "paper": 417}, 452, 452, 480, 440)]
    >>> t = ballot_table(c, (("web", "Đường link", ""), ("qr", "Thẻ QR", ""), ("paper", "Phiếu giấy", "")))
    >>> total = t.rows[-1]
    >>> (total["ballots"], total["ratings"], total["planned"], total["covered"], round(total["percent"], 2))
    (492, 1532, 1830, 1520, 83.06)
    """
    columns = [Column("name", "Đối tượng", width=34)]
    columns += [Column(f"c_{code}", header, "integer") for code, header, _ in channels]
    columns += [Column("ballots", "Số phiếu", "integer"), Column("ratings", "Lượt đánh giá", "integer"),
                Column("planned", "Kế hoạch (lượt)", "integer"), Column("covered", "Đạt kế hoạch (lượt)", "integer"),
                Column("percent", "Tỷ lệ đạt (%)", "percent")]
    rows = [{"name": c.name, **{f"c_{code}": c.by_channel.get(code, 0) for code, *_ in channels},
             "ballots": c.total, "ratings": c.ratings, "planned": c.planned, "covered": c.covered,
             "percent": c.percent} for c in counts]
    total = {key: sum(r[key] for r in rows) for key in [f"c_{code}" for code, *_ in channels]
             + ["ballots", "ratings", "planned", "covered"]}
    total["percent"] = 100.0 * total["covered"] / total["planned"] if total["planned"] else None
    rows.append({"name": "Tổng cộng", **total})
    return ReportTable("so-phieu", "Số phiếu điều tra XHH được tính theo đối tượng và hình thức, so với kế hoạch mẫu",
                       columns, rows, sheet="Số phiếu", summary={len(rows) - 1}, footnote=PLAN_NOTE)


def ballot_headline(counts: list[GroupCount], channels: tuple[tuple[str, str, str], ...]) -> str:
    """The overview's first sentence, every figure of it in the table's total row.

    >>> c = [GroupCount("Người dân", {"qr": 35, "paper": 417}, 452, 452, 480, 440)]
    >>> ballot_headline(c, (("qr", "Thẻ QR", "qua thẻ QR"), ("paper", "Phiếu giấy", "phát trực tiếp")))
    'Tổng số phiếu điều tra XHH được tính là 452 phiếu, với 452 lượt đánh giá đơn vị (đạt 91,67% kế hoạch mẫu 480 \
lượt), gồm: 35 phiếu qua thẻ QR và 417 phiếu phát trực tiếp.'
    """
    total = ballot_table(counts, channels).rows[-1]
    parts = [f"{thousands_vi(total[f'c_{code}'])} phiếu {phrase}" for code, _, phrase in channels
             if total[f"c_{code}"]]
    text = (f"Tổng số phiếu điều tra XHH được tính là {thousands_vi(total['ballots'])} phiếu, với "
            f"{thousands_vi(total['ratings'])} lượt đánh giá đơn vị")
    if total["planned"]:
        text += f" (đạt {share_vi(total['percent'])} kế hoạch mẫu {thousands_vi(total['planned'])} lượt)"
    return text + (f", gồm: {join_vi(parts)}." if parts else ".")
