from __future__ import annotations

from flask import abort, render_template, request
from sqlalchemy import select

from ..campaigns import campaign_criteria, campaign_progress
from ..dashboard import response_dashboard
from ..extensions import db_session
from ..models import Campaign
from ..users import roles_required
from . import bp

READERS = ("admin", "analyst")


def _campaign(campaign_id: int) -> Campaign:
    campaign = db_session().get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


@bp.get("/")
@roles_required(*READERS)
def index():
    session = db_session()
    campaigns = session.scalars(select(Campaign).order_by(Campaign.year.desc(), Campaign.id.desc())).all()
    return render_template("admin/index.html", progress=[campaign_progress(session, c) for c in campaigns])


@bp.get("/dot/<int:campaign_id>/tien-do")
@roles_required(*READERS)
def dashboard(campaign_id: int):
    campaign = _campaign(campaign_id)
    cset = campaign_criteria(campaign)
    level = request.args.get("cap") or None
    group = request.args.get("doi_tuong") or None
    if level not in (None, *cset.level_by_code) or group not in (None, *cset.group_by_code):
        abort(404)
    board = response_dashboard(db_session(), campaign, level=level, group=group)
    return render_template("admin/dashboard.html", campaign=campaign, board=board, cset=cset,
                           level=level, group=group)
