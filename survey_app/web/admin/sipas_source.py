"""The setting "Chỉ số SIPAS dùng cho tiêu chí" on the results import page (issue 29 item 5): an admin chooses
the closed SIPAS campaign whose index gives the points of the set's ``from_sipas`` sub-criteria (audited)."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField

from ...extensions import db_session
from ...models import Campaign
from ...services.sipas_into_par import SETTING, set_sipas_source, sipas_choices, wants_sipas
from ..common import actor, campaign_or_404, roles_required
from . import bp


class SipasSourceForm(FlaskForm):
    source = SelectField(SETTING, choices=[])


def sipas_source_form(campaign: Campaign) -> SipasSourceForm | None:
    """The form with the campaign's choices (none: "" ), or None when the set takes nothing from SIPAS."""
    if not wants_sipas(campaign):
        return None
    form = SipasSourceForm()
    form.source.choices = [("", "— chưa chọn —")] + [
        (str(c.id), f"{c.name} ({c.year})") for c in sipas_choices(db_session(), campaign)]
    if not form.is_submitted():
        form.source.data = str(campaign.sipas_source_id or "")
    return form


@bp.post("/dot/<int:campaign_id>/ket-qua-nhap/sipas")
@roles_required("admin")
def sipas_source(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    back = redirect(url_for("admin.results", campaign_id=campaign_id))
    form = sipas_source_form(campaign)
    if form is None or not form.validate_on_submit():
        flash("Không lưu: chọn một đợt khảo sát SIPAS đã kết thúc trong danh sách.", "error")
        return back
    try:
        source = set_sipas_source(db_session(), campaign, int(form.source.data) if form.source.data else None,
                                  actor())
    except ValueError as error:
        flash(f"Không lưu: {error}.", "error")
        return back
    flash(f"{SETTING}: {source.name}." if source else f"{SETTING}: chưa chọn (các đơn vị thiếu điểm phần này).",
          "ok")
    return back
