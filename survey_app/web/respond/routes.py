"""Respondent pages. Thin: look up, call :mod:`survey_app.services.drafts`, render.

The form is one page per rated unit (a provincial delegate rates 27 units: one
page for all would be far over 30 KB); every page saves to the draft, so the
form resumes where it was left, on any device.
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app, g, make_response, redirect, render_template, request, url_for

from ...extensions import db_session, get_database
from ...services import audit as audit_service
from ...services import drafts as sub
from ...services import visits
from ...services.campaigns import campaign_progress, open_campaigns
from ...services.health import health
from ...services.invitations import normalise_short_code
from ...services.messages import group_greeting, sender, without_greeting
from ...services.sealing import format_resume_code
from ..common import secret
from . import bp
from .forms import ChooseForm, DisputeForm, ResumeForm, SendForm, page_form, posted_answers, pressed

PROBLEM_STATUS = {"unknown": 404, "misconfigured": 503, "wrong_card": 409}
RESUME_COOKIE = "tiep_tuc"  # the draft's resume code, on the device that saved it, sent to this link only
RESUME_DAYS = 120


def _problem(problem: str, invitation=None):
    return render_template("respond/link_problem.html", problem=problem, invitation=invitation), \
        PROBLEM_STATUS.get(problem, 410)


def _load(conn, token: str, allow_used: bool = False):
    """(link, criteria set, assignments, draft key), or a problem page to return. The link comes with
    its draft (one statement): see :mod:`survey_app.services.visits`."""
    link = visits.find_link(conn, token, secret())
    if link is None:
        return None, _problem("unknown")
    g.respondent_sender = sender(link.campaign.province)  # the page header names the province
    status = sub.link_status(link)
    if status != "open" and not (allow_used and status == "used"):
        return None, _problem(status, link)
    cset = visits.criteria_of(conn, link.campaign)
    g.greeting = group_greeting(cset, link.group.code)  # "Ông/Bà", "đồng chí", "Quý cơ quan, doanh nghiệp"
    assigns = visits.assignments(conn, link, cset)
    if not assigns:  # a QR card printed for a unit its group does not rate (refused since)
        return None, _problem("wrong_card", link)
    resume = request.cookies.get(RESUME_COOKIE) if sub.draft_state(link) == "resumable" else None
    return (link, cset, assigns, sub.key_for(secret(), link, token, resume)), None


def _load_draft(conn, token: str):
    """(link, criteria set, assignments, draft key, draft), or a response to return instead:
    a problem page, or the welcome page when the form was never opened."""
    loaded, problem = _load(conn, token)
    if problem:
        return None, problem
    link, cset, assigns, key = loaded
    draft = sub.read_stored(link, key)
    if draft is None:
        return None, redirect(url_for("respond.welcome", token=token))
    return (link, cset, assigns, key, draft), None


@bp.get("/")
def index():
    session = db_session()
    return render_template(
        "respond/index.html", progress=[campaign_progress(session, c) for c in open_campaigns(session)]
    )


@bp.get("/ma")
def short_code():
    """A QR card's short code typed on the home page."""
    code = normalise_short_code(request.args.get("ma", "")[:64])
    if not code:
        return redirect(url_for("respond.index"))
    return redirect(url_for("respond.welcome", token=code))


@bp.get("/s/<token>")
def welcome(token: str):
    """The link's first page. A respondent without a draft (or with one saved before resume codes) gets
    a draft and its resume code, kept in a cookie for this link; a draft saved on another device opens
    only with its code (:func:`resume`): the page then shows no answer."""
    with get_database().connect() as conn:
        loaded, problem = _load(conn, token)
        if problem:
            return problem
        invitation, cset, assigns, key = loaded
        code = request.cookies.get(RESUME_COOKIE, "")
        if sub.draft_state(invitation) == "resumable":
            draft = sub.read_stored(invitation, key)
            if draft is None:
                return render_template("respond/resume.html", form=ResumeForm(), token=token, invitation=invitation)
        else:
            draft, code = sub.begin_draft(conn, invitation, secret(), token, sub.draft_size(assigns, cset))
    form_pages = sub.pages(assigns, draft.data)
    missing = sub.unanswered(cset, form_pages, draft.data)
    started = bool(draft.data)
    choose = next((a for a in assigns if a.how == "choose"), None)
    if choose is not None and not form_pages:
        start = url_for("respond.choose", token=token, level=choose.level.code)
    elif missing:
        start = url_for("respond.page", token=token, number=min(missing))
    else:
        start = url_for("respond.review", token=token)
    scales, unknown = sub.answer_scales(cset, assigns)
    response = make_response(render_template(
        "respond/welcome.html", invitation=invitation, assignments=assigns, start=start, scales=scales,
        intro=without_greeting(assigns[0].questionnaire.intro), greeting=g.greeting,
        unknown=unknown, started=started, pages=form_pages, missing=missing, resume_code=format_resume_code(code)))
    return _keep_resume_code(response, token, code)


def _keep_resume_code(response, token: str, resume: str):
    """The resume code in a cookie sent back to this link's pages only, on this device."""
    response.set_cookie(RESUME_COOKIE, resume, max_age=RESUME_DAYS * 24 * 3600,
                        path=url_for("respond.welcome", token=token), secure=request.is_secure, httponly=True,
                        samesite="Lax")
    return response


@bp.post("/s/<token>/tiep-tuc")
def resume(token: str):
    """A draft saved on another device: opened with its resume code, or thrown away to start again. A
    wrong code is a 401, counted with the link limit (unknown links and codes share one allowance)."""
    form = ResumeForm()
    with get_database().connect() as conn:
        loaded, problem = _load(conn, token)
        if problem:
            return problem
        invitation = loaded[0]
        if sub.draft_state(invitation) != "resumable" or not form.validate_on_submit():
            return redirect(url_for("respond.welcome", token=token))
        if form.restart.data:
            sub.restart_draft(conn, invitation)
            return redirect(url_for("respond.welcome", token=token))
        code = format_resume_code(form.code.data)
        if sub.read_stored(invitation, sub.key_for(secret(), invitation, token, code)) is None:
            return render_template("respond/resume.html", form=form, token=token, invitation=invitation,
                                   error="Mã tiếp tục không đúng. Xin kiểm tra lại từng chữ."), 401
    return _keep_resume_code(redirect(url_for("respond.welcome", token=token)), token, code)


@bp.route("/s/<token>/chon/<level>", methods=["GET", "POST"])
def choose(token: str, level: str):
    form = ChooseForm()
    with get_database().connect(write=request.method == "POST") as conn:
        loaded, response = _load_draft(conn, token)
        if response:
            return response
        invitation, cset, assigns, key, draft = loaded
        assignment = next((a for a in assigns if a.how == "choose" and a.level.code == level), None)
        if assignment is None:
            return redirect(url_for("respond.welcome", token=token))
        error = None
        if form.validate_on_submit():
            sub.save_choice(conn, invitation, key, assignment, form.unit.data, draft, sub.draft_size(assigns, cset))
            conn.commit()
            if form.unit.data:
                return redirect(url_for("respond.page", token=token, number=1))
            error = "Xin chọn ít nhất một đơn vị mà Ông/Bà đã làm việc cùng."
    chosen = set(draft.data.get(sub.chosen_key(level), []))
    return render_template("respond/choose.html", assignment=assignment, chosen=chosen, error=error, token=token)


@bp.route("/s/<token>/p/<int:number>", methods=["GET", "POST"])
def page(token: str, number: int):
    with get_database().connect(write=request.method == "POST") as conn:
        loaded, response = _load_draft(conn, token)
        if response:
            return response
        invitation, cset, assigns, key, draft = loaded
        form_pages = sub.pages(assigns, draft.data)
        if not 1 <= number <= len(form_pages):
            return redirect(url_for("respond.welcome", token=token))
        current = form_pages[number - 1]
        questions = sub.page_questions(cset, current)
        form = page_form(tuple((q.id, q.kind) for _item, q in questions))()
        answers = sub.page_answers(cset, current, draft.data)
        errors: dict[str, str] = {}
        refused: dict[str, str | None] = {}
        if form.is_submitted():
            form.validate()  # the CSRF token; each answer is checked against its question by save_page
            posted = posted_answers(form, cset, [q for _item, q in questions])
            errors = sub.save_page(conn, cset, invitation, key, current, posted, draft, sub.draft_size(assigns, cset))
            conn.commit()
            answers = sub.page_answers(cset, current, draft.data)
            refused = {q: posted[q] for q, message in errors.items() if message != sub.MISSING}
            answers.update(refused)  # shown again as sent, to be put right: nothing typed is lost
    if form.is_submitted() and not refused:
        action = pressed(form)
        if action == "prev":
            return redirect(url_for("respond.page", token=token, number=max(1, number - 1)))
        if action == "later":
            return render_template("respond/saved.html", token=token,
                                   resume_code=format_resume_code(request.cookies.get(RESUME_COOKIE, "")))
        if not errors:
            if number < len(form_pages):
                return redirect(url_for("respond.page", token=token, number=number + 1))
            return redirect(url_for("respond.review", token=token))
    return render_template(
        "question_page.html", token=token, page=current, total=len(form_pages),
        blocks=sub.field_blocks(cset, current), answers=answers, errors=errors,
    )


@bp.get("/s/<token>/gui")
def review(token: str):
    with get_database().connect() as conn:
        loaded, response = _load_draft(conn, token)
    if response:
        return response
    _invitation, cset, assigns, _key, draft = loaded
    form_pages = sub.pages(assigns, draft.data)
    return render_template("respond/review.html", token=token, pages=form_pages,
                           missing=sub.unanswered(cset, form_pages, draft.data), client_id=draft.client_id,
                           given=sub.given_answers(cset, form_pages, draft.data),
                           choose=next((a for a in assigns if a.how == "choose"), None))


@bp.post("/s/<token>/gui")
def send(token: str):
    form = SendForm()
    client_id = (form.client_id.data if form.validate() else "") or ""
    with get_database().connect() as conn:  # a read; submit ends it before it takes the write lock
        loaded, problem = _load(conn, token, allow_used=True)
        if problem:
            return problem
        invitation, cset, assigns, key = loaded
        outcome = sub.submit(conn, cset, invitation, client_id, assigns, key, secret())
    if outcome.status in ("stored", "replay"):
        return render_template("respond/thanks.html")
    if outcome.status == "misconfigured":
        current_app.logger.error("a ballot was refused: SECRET_KEY is not the one the campaign's ballot box was "
                                 "made under (see docs/operations.md, 'SECRET_KEY while a campaign collects')")
        return _problem("misconfigured", invitation)
    if outcome.status in ("used", "stale", "revoked"):
        return _problem(outcome.status, invitation)
    return redirect(url_for("respond.review", token=token))


@bp.get("/healthz")
def healthz():
    """The database, the rate limits' store and the disk (see services.health); 503 when failing."""
    database = get_database()
    paths = [Path(current_app.instance_path)]
    if database.url.startswith("sqlite:///"):
        paths.append(Path(database.url.removeprefix("sqlite:///")).parent)
    report, status = health(database, current_app.extensions.get("parsurvey.ratelimit"), paths)
    return report, status, {"Cache-Control": "no-store"}


@bp.post("/s/<token>/khong-phai-toi")
def dispute(token: str):
    """"Tôi không gửi phiếu này", posted from a used link's page: the link's holder says someone else sent
    its ballot. Recorded once per link as a counted audit row (:func:`.audit.report_disputed_link`); an
    unknown link is a 404 that counts against the link limit, like every route with a token."""
    form = DisputeForm()
    if not form.validate():  # the CSRF token (CSRFProtect refuses a bad one before this)
        return _problem("used")
    with get_database().connect() as conn:
        link = visits.find_link(conn, token, secret())
        if link is None:
            return _problem("unknown")
        status = sub.link_status(link)
        if status == "open":
            return redirect(url_for("respond.welcome", token=token))
        if status != "used":
            return _problem(status, link)
        group = visits.criteria_of(conn, link.campaign).group_by_code[link.group.code]
    recorded = audit_service.report_disputed_link(db_session(), link.id,
                                                  name_unit=any(rule.how == "own" for rule in group.rates))
    return render_template("respond/link_problem.html", problem="used", invitation=link,
                           reported="new" if recorded else "again")
