from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from ..campaigns import campaign_progress
from ..extensions import db_session
from ..models import Campaign
from . import bp


@bp.get("/")
def index():
    session = db_session()
    campaigns = session.scalars(select(Campaign).order_by(Campaign.year.desc(), Campaign.id.desc())).all()
    progress = [campaign_progress(session, c) for c in campaigns]
    return render_template("respond/index.html", progress=progress)


@bp.get("/healthz")
def healthz():
    db_session().execute(select(1))
    return {"status": "ok"}
