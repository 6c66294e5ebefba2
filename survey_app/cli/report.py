"""``parsurvey report --campaign ID --out report.docx``: the Word report the analyst downloads."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..extensions import get_database


@click.command("report")
@click.option("--campaign", "campaign_id", required=True, type=int, help="Mã đợt khảo sát (số trên trang quản trị).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Tệp .docx sẽ ghi.")
@with_appcontext
def report_command(campaign_id: int, out: Path) -> None:
    """Ghi báo cáo kết quả (Word, .docx) của một đợt đã kết thúc thu phiếu; giống tệp tải trên trang Báo cáo."""
    from ..models import Campaign
    from ..outputs.report_docx import campaign_report
    from ..services.campaigns import sealed
    from ..services.scores import campaign_intervals, campaign_scores

    if out.suffix.lower() != ".docx":
        click.echo(f"{out}: tên tệp phải có đuôi .docx.", err=True)
        sys.exit(2)
    if not out.parent.is_dir():
        click.echo(f"Không có thư mục {out.parent}.", err=True)
        sys.exit(2)
    with get_database().session() as s:
        campaign = s.get(Campaign, campaign_id)
        if campaign is None:
            click.echo(f"Không có đợt khảo sát số {campaign_id}.", err=True)
            sys.exit(2)
        if sealed(campaign):
            click.echo(f"Đợt “{campaign.name}” đang thu phiếu: kết quả được niêm phong đến khi kết thúc đợt.", err=True)
            sys.exit(2)
        sc = campaign_scores(s, campaign)
        rows, unsettled = campaign_intervals(sc)
        data = campaign_report(s, campaign, sc, rows, unsettled)
    out.write_bytes(data)
    click.echo(f"Đã ghi {out} ({len(data) // 1024} KB).")
