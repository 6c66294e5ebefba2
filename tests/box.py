"""What tests read of the sealed ballot box: a link as the respondent's path sees it (spent, draft),
and the box's envelopes opened as closing opens them (secret mode: the test app holds SECRET_KEY)."""
from __future__ import annotations

from sqlalchemy import func, select

from survey_app.extensions import DB_KEY
from survey_app.models import BallotBox, Envelope, SpentLink
from survey_app.services import visits
from survey_app.services.box import WrappedKey, open_envelope, open_private


def link(app, token: str):
    """The link of ``token`` as a respondent's request reads it (``used``, ``draft``, ...)."""
    with app.extensions[DB_KEY].connect() as conn:
        return visits.find_link(conn, token, app.config["SECRET_KEY"])


def spent(app, token: str) -> bool:
    return link(app, token).used


def envelopes(app, campaign_id: int) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(func.count()).select_from(Envelope).where(Envelope.campaign_id == campaign_id))


def markers(app, campaign_id: int) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(func.count()).select_from(SpentLink).where(SpentLink.campaign_id == campaign_id))


def sealed(app, campaign_id: int) -> list[dict]:
    """Every envelope of the campaign opened (with its group and unit), as closing would open it."""
    return open_all(app.extensions[DB_KEY], app.config["SECRET_KEY"], campaign_id)


def open_all(database, secret: str, campaign_id: int) -> list[dict]:
    """Every envelope of the campaign opened with its box key kept under ``secret``: its content, with its
    ``id``, ``group_id`` and ``unit_id``."""
    with database.session() as s:
        box = s.get(BallotBox, campaign_id)
        if box is None:
            return []
        private = open_private(WrappedKey(box.public, box.wrapped, box.how, box.salt), campaign_id, secret=secret)
        return [{**open_envelope(private, campaign_id, e.sealed), "id": e.id, "group_id": e.group_id,
                 "unit_id": e.unit_id}
                for e in s.scalars(select(Envelope).where(Envelope.campaign_id == campaign_id))]
