from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from ..campaigns import campaign_progress
from ..extensions import db_session
from ..invitations import find_invitation
from ..models import Campaign
from ..respondents import assignments, link_status
from . import bp


@bp.get("/")
def index():
    session = db_session()
    campaigns = session.scalars(select(Campaign).order_by(Campaign.year.desc(), Campaign.id.desc())).all()
    progress = [campaign_progress(session, c) for c in campaigns]
    return render_template("respond/index.html", progress=progress)


@bp.get("/s/<token>")
def welcome(token: str):
    session = db_session()
    invitation = find_invitation(session, token)
    if invitation is None:
        return render_template("respond/link_problem.html", problem="unknown"), 404
    status = link_status(session, invitation)
    if status != "open":
        return render_template("respond/link_problem.html", problem=status, invitation=invitation), 410
    return render_template("respond/welcome.html", invitation=invitation, assignments=assignments(session, invitation))


@bp.get("/healthz")
def healthz():
    db_session().execute(select(1))
    return {"status": "ok"}
