"""A campaign's ballot box (admin): how its key is kept, its fingerprint, how many sealed ballots it
holds, and the Department's passphrase setting with its printable key sheet. Thin views over
:mod:`survey_app.services.box_keeper`."""
from __future__ import annotations

from flask import current_app, render_template

from ...extensions import db_session
from ...models import utcnow, vietnam_time
from ...services.box import normalise_passphrase
from ...services.box_keeper import BoxKeyError, box_state, keep_under_passphrase
from ..common import actor, campaign_or_404, current_user, roles_required
from . import bp
from .forms import BoxPassphraseForm


@bp.route("/dot/<int:campaign_id>/hom-phieu", methods=["GET", "POST"], endpoint="ballot_box")
@roles_required("admin")
def ballot_box_page(campaign_id: int):
    """The box's page; a valid POST keeps the key under the Department's passphrase and answers with the
    key sheet, rendered once from the POST and never stored (``Cache-Control: no-store``)."""
    form = BoxPassphraseForm()
    valid = form.validate_on_submit()  # the passphrase's strength is checked before the write lock is taken
    campaign = campaign_or_404(campaign_id)
    session = db_session()
    errors = [message for field in form for message in field.errors] if form.is_submitted() else []
    if valid:
        try:
            fingerprint = keep_under_passphrase(session, campaign, form.passphrase.data, actor(), current_user().id,
                                                secret=current_app.config["SECRET_KEY"])
        except BoxKeyError as exc:
            session.rollback()
            errors = [str(exc)]
        else:
            session.commit()  # the sheet is shown only once the box it opens is stored
            sheet = render_template("admin/box_key_sheet.html", campaign=campaign, fingerprint=fingerprint,
                                    passphrase=normalise_passphrase(form.passphrase.data),
                                    made_at=vietnam_time(utcnow()), made_by=actor())
            return sheet, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"}
    return render_template("admin/box.html", campaign=campaign, box=box_state(session, campaign), form=form,
                           errors=errors), 400 if errors else 200
