"""Keying paper ballots: find the serial, key the digits, save (single or blind double entry)."""
from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, session, url_for

from ...extensions import db_session
from ...models import Campaign
from ...services import paper, serials
from ...services.campaigns import campaign_criteria
from ..common import current_user, roles_required
from . import bp
from .forms import COMMENT_LIMIT, SerialForm, keying_form, typed_keys

ENTRY_ROLES = ("staff", "admin")
OUTCOME_TEXT = {
    "waiting": "Đã lưu lần nhập thứ nhất của phiếu {serial}; cần một người khác nhập lần hai.",
    "verified": "Phiếu {serial}: hai lần nhập khớp nhau, phiếu đã được xác minh.",
    "conflict": "Phiếu {serial}: hai lần nhập khác nhau, đã chuyển sang đối chiếu.",
    "received": "Đã lưu phiếu {serial}.",
}
FIELD_ERRORS = {"scored": "Gõ một chữ số.", "profile": f"Gõ một chữ số, hoặc “{paper.SKIP_KEY}” nếu để trống.",
                "expectation": "Gõ số của các ô được đánh dấu.",
                "comment": f"Ý kiến dài quá {COMMENT_LIMIT} ký tự."}


def _entry_session() -> str:
    """A key for this sitting (sign-in), for the duplicate-vector quality flag."""
    if "entry_session" not in session:
        session["entry_session"] = secrets.token_hex(8)
    return session["entry_session"]


@bp.get("/")
@roles_required(*ENTRY_ROLES)
def start():
    user = current_user()
    progress = paper.keying_progress(db_session(), user)
    campaigns = {row.campaign.id: row.campaign for row in progress}
    return render_template("entry/start.html", campaigns=list(campaigns.values()),
                           progress={c: [r for r in progress if r.campaign.id == c] for c in campaigns},
                           own=sorted({u.name for u in user.units if u.parent_id is None}))


@bp.route("/phieu", methods=["GET", "POST"])
@roles_required(*ENTRY_ROLES)
def ballot():
    s = db_session()
    lookup = SerialForm()
    typed = (lookup.serial.data or "") if lookup.validate() else ""
    serial, message = serials.find_serial(s, typed)
    if serial is None:
        flash(message, "error")
        return redirect(url_for("entry.start"))
    user = current_user()
    if not paper.may_open(s, user, serial):
        abort(403, description=paper.refusal(user, serial))
    cset = campaign_criteria(s.get(Campaign, serial.campaign_id))
    items = paper.ballot_items(cset, paper.questionnaire_of(cset, serial))
    question_ids = [item.question for item in items]
    form = keying_form(question_ids, {item.question: item.kind for item in items})()
    errors: dict[str, str] = {}
    keys: dict[str, str] = {}
    if form.validate_on_submit():
        keys = typed_keys(form, question_ids)
        answers, errors = paper.parse_keys(cset, serial, keys)
        if not errors:
            try:
                outcome = paper.save_entry(s, serial, user, answers, _entry_session())
            except paper.EntryRefused as exc:
                flash(str(exc), "error")
                return redirect(url_for("entry.start"))
            flash(OUTCOME_TEXT[outcome.status].format(serial=serial.serial), "ok")
            return redirect(url_for("entry.start"))
    elif request.method == "POST":
        keys = typed_keys(form, question_ids)
        errors = {item.question: FIELD_ERRORS.get(item.kind, FIELD_ERRORS["scored"]) for item in items
                  if form[f"q_{item.question}"].errors}
    else:
        try:
            paper.check_can_enter(s, serial, user)  # say so before anything is typed
        except paper.EntryRefused as exc:
            flash(str(exc), "error")
            return redirect(url_for("entry.start"))
    focus_question = next((q for q in question_ids if q in errors), question_ids[0] if question_ids else None)
    return render_template("entry/ballot.html", serial=serial, items=items, errors=errors, typed=keys,
                           focus_question=focus_question, required=sum(not i.optional for i in items),
                           skip_key=paper.SKIP_KEY)
