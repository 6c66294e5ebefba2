"""``/api/v1``: thin views; reads use the app's score cache, writes go through
:mod:`survey_app.services.intake` (and so :mod:`survey_app.services.ballots`).

A ballot's answer is one string (an option code; an expectation's codes joined by one space; a comment's
text), or, for an expectation, a list of option codes: :func:`_joined_lists` makes it the one string,
in the scale's order. A SIPAS campaign has no PAR points: ``points`` and ``final`` refuse it (409)."""
from __future__ import annotations

import re
from functools import wraps

import pandas as pd
from flask import current_app, g, jsonify, request, url_for
from sqlalchemy import select

from questionnaires.answers import joined_choices, split_choices
from scoring.coverage import coverage_marks

from ...extensions import csrf, db_session
from ...models import Campaign
from ...services.campaigns import campaign_criteria, sealed
from ...services.dashboard import METRICS, response_dashboard
from ...services.intake import submit_ballot
from ...services.units import targets, units_by_code
from ..common import scores_of
from . import bp
from .auth import api_error, api_roles
from .openapi import openapi_document

csrf.exempt(bp)  # token in a header, no cookie: nothing for a forged cross-site form to ride on
READERS = ("admin", "analyst")
WRITERS = ("admin", "staff")
BALLOT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,60}")
MAX_UNITS = 100
BALLOT_FIELDS = ("ballot_id", "group", "serial", "units")
UNIT_FIELDS = ("unit", "answers")
NOT_PAR = ("Đợt khảo sát này đo Chỉ số hài lòng SIPAS (tỷ lệ người hài lòng), không có điểm Chỉ số CCHC: "
           "xem kết quả SIPAS trên trang báo cáo của đợt.")


def with_campaign(view):
    """Pass the campaign of ``campaign_id`` to the view, or answer 404 in JSON."""
    @wraps(view)
    def wrapped(campaign_id: int):
        campaign = db_session().get(Campaign, campaign_id)
        if campaign is None:
            return api_error(404, "not_found", "Không có đợt đánh giá này.")
        return view(campaign)
    return wrapped


def unsealed(view):
    """Refuse (409) to answer with figures computed from answers while the campaign collects."""
    @wraps(view)
    def wrapped(campaign: Campaign):
        if sealed(campaign):
            return api_error(409, "sealed", "Kết quả được niêm phong cho đến khi đợt đánh giá kết thúc.")
        return view(campaign)
    return wrapped


def par_only(view):
    """Refuse (409) PAR points and the PAR index of a SIPAS campaign: it measures shares satisfied."""
    @wraps(view)
    def wrapped(campaign: Campaign):
        if campaign_criteria(campaign).is_sipas:
            return api_error(409, "not_par", NOT_PAR)
        return view(campaign)
    return wrapped


def _number(value):
    return None if value is None or value != value else float(value)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(url_for("api.openapi", _external=False).rsplit("/", 1)[0]))


@bp.get("/campaigns")
@api_roles(*READERS)
def campaigns():
    rows = db_session().scalars(select(Campaign).order_by(Campaign.year.desc(), Campaign.id)).all()
    return jsonify([{"id": c.id, "year": c.year, "name": c.name, "status": c.status} for c in rows])


@bp.get("/campaigns/<int:campaign_id>")
@api_roles(*READERS)
@with_campaign
def campaign(c: Campaign):
    return jsonify({"id": c.id, "year": c.year, "name": c.name, "status": c.status, "criteria_name": c.criteria_name,
                    "groups": [{"code": g.code, "name": g.name} for g in c.groups]})


@bp.get("/campaigns/<int:campaign_id>/units")
@api_roles(*READERS)
@with_campaign
def units(c: Campaign):
    rows = c.units
    code_of = {u.id: u.code for u in rows}
    return jsonify(
        [{"code": u.code, "name": u.name, "level": u.level, "parent": code_of.get(u.parent_id)} for u in rows]
    )


@bp.get("/campaigns/<int:campaign_id>/sample-plan")
@api_roles(*READERS)
@with_campaign
def sample_plan(c: Campaign):
    units_by_id = {u.id: u.code for u in c.units}
    groups = {group.id: group.code for group in c.groups}
    return jsonify([{"unit": units_by_id[u], "group": groups[group], "target": t}
                    for (u, group), t in targets(db_session(), c).items()])


@bp.get("/campaigns/<int:campaign_id>/responses")
@api_roles(*READERS)
@with_campaign
def responses(c: Campaign):
    """A row per unit × group counted per unit, then, while the campaign collects, a row (``unit``
    null) per group counted per group only: its plan, links and ballots (see ``per_unit_visible``)."""
    board = response_dashboard(db_session(), c, current_app.config["SECRET_KEY"])
    rows = [{"unit": cell.unit.code, "group": cell.group.code, "target": cell.target, "invited": cell.invited,
             "opened": cell.opened, "submitted": cell.submitted, "verified": cell.verified}
            for cell in board.cells if cell.counted]
    rows += [{"unit": None, "group": t.code, **{m: t.values[m] for m in METRICS}} for t in board.pooled]
    return jsonify(rows)


@bp.get("/campaigns/<int:campaign_id>/points")
@api_roles(*READERS)
@with_campaign
@par_only
@unsealed
def points(c: Campaign):
    sc = scores_of(c)
    fields = [f.code for f in sc.cset.fields]
    minimum = sc.cset.min_ballots
    return jsonify([{"level": r["level"], "unit": r["unit"], "fields": {f: _number(r[f]) for f in fields},
                     "total": _number(r["total"]), "complete": bool(r["complete"]), "ballots": int(r["ballots"]),
                     "coverage": coverage_marks([r["ballots"]], [r["planned"]], minimum)[0]}
                    for r in sc.survey_table.to_dict("records")])


@bp.get("/campaigns/<int:campaign_id>/final")
@api_roles(*READERS)
@with_campaign
@par_only
@unsealed
def final(c: Campaign):
    sc = scores_of(c)
    if sc.final is None:
        return jsonify({"available": False, "message": "Chưa nhập điểm thẩm định.", "rows": []})
    rows = []
    for r in sc.final.table.to_dict("records"):
        rank = r["rank"]
        rows.append({"level": r["level"], "unit": r["unit"], "appraisal": _number(r["appraisal"]),
                     "survey": _number(r["survey"]), "index": _number(r["index"]),
                     "rank": None if rank is None or rank != rank or str(rank) == "<NA>" else int(rank),
                     "class": r["class"], "class_reason": r["class_reason"], "ballots": _count(r["ballots"]),
                     "coverage": r["coverage"],
                     **({"parent": r["parent"] or None, "rank_of": _count(r["rank_of"])} if "parent" in r else {})})
    return jsonify({"available": True, "message": "", "rows": rows})


def _count(value) -> int | None:
    """An ``Int64`` cell as an int, None when missing."""
    return None if value is None or value is pd.NA or value != value else int(value)


def _shape_problems(body) -> list[dict]:
    """What is wrong with the request's JSON shape (the schema's rules, in Vietnamese)."""
    if not isinstance(body, dict):
        return [{"field": "", "message": "thân yêu cầu phải là một đối tượng JSON"}]
    problems = _unknown_fields(body, BALLOT_FIELDS, "")
    if not isinstance(body.get("ballot_id"), str) or not BALLOT_ID.fullmatch(body["ballot_id"]):
        problems.append({"field": "ballot_id", "message": "mã phiếu: 1-60 ký tự chữ, số, _ . : -"})
    if not isinstance(body.get("group"), str) or not body["group"]:
        problems.append({"field": "group", "message": "thiếu mã đối tượng"})
    if body.get("serial") is not None and (not isinstance(body["serial"], str) or len(body["serial"]) > 40):
        problems.append({"field": "serial", "message": "số phiếu in: một chuỗi chữ số"})
    parts = body.get("units")
    if not isinstance(parts, list) or not 1 <= len(parts) <= MAX_UNITS:
        problems.append({"field": "units", "message": f"danh sách 1-{MAX_UNITS} đơn vị được đánh giá"})
        return problems
    for i, part in enumerate(parts):
        if (
            not isinstance(part, dict)
            or not isinstance(part.get("unit"), str)
            or not isinstance(part.get("answers"), dict)
            or not all(isinstance(k, str) and _answer_shape(v) for k, v in part["answers"].items())
        ):
            problems.append(
                {"field": f"units[{i}]", "message": 'cần {"unit": mã đơn vị, "answers": {câu hỏi: phương án, '
                                                    'hoặc danh sách phương án với câu chọn nhiều}}'}
            )
        elif isinstance(part, dict):
            problems += _unknown_fields(part, UNIT_FIELDS, f"units[{i}].")
    return problems


def _answer_shape(value) -> bool:
    """An answer is a string, or a list of at most 100 strings (an expectation's option codes)."""
    return isinstance(value, str) or (isinstance(value, list) and len(value) <= MAX_UNITS
                                      and all(isinstance(code, str) for code in value))


def _joined_lists(c: Campaign, body: dict) -> tuple[dict, list[dict]]:
    """The body with each expectation's answer as the one stored string (codes joined by a space, in the
    scale's order), and the problems of the answers sent as lists, each naming its question.

    A list is an expectation's only; a code chosen twice is refused, not merged. A joined string is put in
    the scale's order too. Answers to a unit the campaign does not have are left for the intake to refuse.
    """
    cset = campaign_criteria(c)
    units = units_by_code(c)
    problems: list[dict] = []
    parts = []
    for i, part in enumerate(body["units"]):
        unit = units.get(part["unit"])
        answers = {}
        for qid, value in part["answers"].items():
            question = cset.question_by_key.get((unit.level, qid)) if unit is not None else None
            where = f"units[{i}].answers.{qid}"
            if question is None or question.kind != "expectation":
                if isinstance(value, list):
                    problems.append({"field": where, "message": f"câu {qid}: chỉ câu chọn nhiều phương án nhận một "
                                                                "danh sách; câu này nhận một chuỗi"})
                answers[qid] = value if isinstance(value, str) else ""
                continue
            codes = value if isinstance(value, list) else split_choices(value)
            codes = [code.strip() for code in codes]
            if len(set(codes)) != len(codes):
                problems.append({"field": where, "message": f"câu {qid}: một phương án được chọn hai lần"})
            answers[qid] = joined_choices(cset, question, codes)
        parts.append({**part, "answers": answers})
    return {**body, "units": parts}, problems


def _unknown_fields(body: dict, known: tuple[str, ...], prefix: str) -> list[dict]:
    """A field the document does not name is refused, not ignored (the first ten, by name)."""
    extra = sorted(str(key) for key in body if key not in known)[:10]
    return [{"field": prefix + key, "message": f"trường không có trong phiếu (chỉ có: {', '.join(known)})"}
            for key in extra]


@bp.post("/campaigns/<int:campaign_id>/ballots")
@api_roles(*WRITERS)
@with_campaign
def submit(c: Campaign):
    body = request.get_json(silent=True)
    if body is None:
        return api_error(400, "bad_json", "Thân yêu cầu không phải JSON (Content-Type: application/json).")
    problems = _shape_problems(body)
    if problems:
        return api_error(422, "invalid", "Phiếu không hợp lệ.", problems)
    if c.status != "open":
        return api_error(409, "closed", "Đợt đánh giá không nhận phiếu (chưa mở hoặc đã kết thúc).")
    body, problems = _joined_lists(c, body)
    if problems:
        return api_error(422, "invalid", "Phiếu không hợp lệ.", problems)
    outcome = submit_ballot(db_session(), c, g.api_user, body)
    if outcome.status == "invalid":
        return api_error(422, "invalid", "Phiếu không hợp lệ.", outcome.problems)
    if outcome.status == "conflict":
        return api_error(409, "conflict", "Mã phiếu này đã được dùng cho một phiếu khác.")
    if outcome.status == "refused":
        return api_error(409, "refused", outcome.message)
    response = jsonify({"ballot": None if outcome.ballot_id is None else str(outcome.ballot_id),
                        "ballot_id": body["ballot_id"], "state": outcome.state, "stored": outcome.status == "stored"})
    response.status_code = {"stored": 201, "kept": 202}.get(outcome.status, 200)
    return response
