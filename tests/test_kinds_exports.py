"""Question kinds beyond scored ones (issue 29 item 2) in the files out and in: XLSForm, the raw ballots
(wide CSV, SPSS, Stata), the API and the criteria-set diff.

The small SIPAS campaign of the stat-file tests: one commune (xa_1), five citizens, every scored question
"Hài lòng" / "Có". Their expectation XE1 (up to 3 of 10), profile XP1 (giới tính) and comment XC1:

====== ============================== ========== =====================
ballot XE1 chosen                      XP1        XC1
====== ============================== ========== =====================
b0     thoi_gian, phi                 nam        "Gọi 0912 345 678"
b1     thoi_gian                      nu         "Tốt lắm"
b2     thong_tin, thoi_gian, thai_do  nam        (none)
b3     (left out)                     (left out) (none)
b4     phi                            khong_tl   (none)
====== ============================== ========== =====================

So the dummies, by hand (b0..b4; empty when left out): XE1_thoi_gian 1 1 1 . 0, XE1_phi 1 0 0 . 1,
XE1_thong_tin 0 0 1 . 0, XE1_thai_do 0 0 1 . 0, XE1_dvc_tt 0 0 0 . 0; XP1 coded in its list's order
(nam 1, nu 2, khong_tl 3): 1 2 1 . 3.
"""
from __future__ import annotations

import math

import pyreadstat
import pytest
from pyxform.xls2xform import convert
from sqlalchemy import select

from questionnaires import DEFAULT_SET_DIR, load_criteria_set, read_set_texts, xlsform
from questionnaires.diff import set_changes
from questionnaires.loader import load_criteria_set_from_texts
from survey_app.extensions import DB_KEY
from survey_app.models import Answer, Ballot, Campaign, Comment, Unit
from survey_app.outputs.raw_ballots import COMMENTS_NOTE, comments_note, wide_columns, wide_rows
from survey_app.outputs.statfiles import ballot_frame_wide, stat_file
from survey_app.services import ballots
from survey_app.services.campaigns import campaign_criteria, create_campaign
from survey_app.services.users import create_api_token, create_user

from .test_auth import PASSWORD

SIPAS_DIR = DEFAULT_SET_DIR.parent / "sipas"
PLAN = [  # (XE1 chosen, XP1, XC1) of b0..b4
    (["thoi_gian", "phi"], "nam", "Gọi 0912 345 678"),
    (["thoi_gian"], "nu", "Tốt lắm"),
    (["thong_tin", "thoi_gian", "thai_do"], "nam", None),
    (None, None, None),
    (["phi"], "khong_tl", None),
]
NAN = math.nan


# --- XLSForm --------------------------------------------------------------------------


@pytest.mark.parametrize("level, group", [("xa", "nguoi_dan"), ("so", "to_chuc")])
def test_an_xlsform_round_trip_of_the_sipas_set_keeps_kinds(tmp_path, level, group):
    cset = load_criteria_set(SIPAS_DIR)
    path = xlsform.write_workbook(xlsform.export_sheets(cset, level, group), tmp_path / "form.xlsx")
    survey = {row[1]: row for row in xlsform.export_sheets(cset, level, group)["survey"][1]}
    e, c = f"{level[0].upper()}E1", f"{level[0].upper()}C1"
    assert survey[e][0] == "select_multiple mong_doi" and survey[e][9] == "count-selected(.) <= 3"
    assert survey[e][8] == "Chọn tối đa 3 phương án" and survey[e][3] == ""  # optional
    assert survey[c][0] == "text" and survey[c][9] == "string-length(.) <= 500"
    assert survey[f"{level[0].upper()}P4"][:4] == ("select_one kenh_nop", f"{level[0].upper()}P4",
                                                   "Ông/Bà nộp hồ sơ bằng cách nào?", "")
    warnings: list[str] = []
    xml = convert(str(path), warnings=warnings).xform
    assert "count-selected(.) &lt;= 3" in xml and "string-length(.) &lt;= 500" in xml

    form = xlsform.read_xlsform(path)
    qn = cset.questionnaire(level, group)
    expected = [(q.id, q.kind, q.scale if q.kind != "comment" else "", q.choose_up_to if q.kind == "expectation"
                 else 1, q.max_length) for q in (cset.question_by_key[(level, i)] for i in qn.question_ids)]
    assert [(q.id, q.kind, q.list_name, q.choose_up_to, q.max_length) for q in form.questions] == expected
    assert form.skipped == []
    unscored = {cset.question_by_key[(level, i)].scale for i in qn.question_ids} - {"hai_long", "co_khong", ""}
    assert form.unscored == unscored and form.missing_fractions() == []
    assert {c.code: c.label for c in form.lists["mong_doi"]}["thoi_gian"] == "Rút ngắn thời gian giải quyết"


def test_a_form_read_into_a_par_set_gives_profile_expectation_and_comment_questions(tmp_path):
    """The committed citizens' form: gioi_tinh sits in group 'thong_tin' (background questions) -> profile;
    select_multiple kenh -> expectation, up to 3 (no constraint; its list has 3 options); the two text
    questions -> comments of 500 characters; a count-selected constraint of 2 is read as 2."""
    from .test_xlsform import FORM, make_form

    form = xlsform.read_xlsform(FORM)
    kinds = {q.id: (q.kind, q.list_name, q.choose_up_to, q.max_length) for q in form.questions}
    assert kinds["gioi_tinh"] == ("profile", "gioi_tinh", 1, 0)
    assert kinds["kenh"] == ("expectation", "kenh", 3, 0)
    assert kinds["thu_tuc"] == kinds["gop_y"] == ("comment", "", 1, 500)
    texts = xlsform.build_set_texts(form, load_criteria_set(DEFAULT_SET_DIR), "huyen", "nguoi_dan")
    back = load_criteria_set_from_texts(texts)
    assert [q.id for q in back.questions] == ["tuyen_truyen", "mot_cua", "thai_do", "dung_hen", "dvc_truc_tuyen"]
    assert {q.id: q.kind for q in back.other_questions} == {"gioi_tinh": "profile", "kenh": "expectation",
                                                            "thu_tuc": "comment", "gop_y": "comment"}
    assert not back.scale_by_code["kenh"].scored and back.scale_by_code["muc_do"].scored

    survey = [row if row[1] != "kenh" else row[:7] + ("",) + row[8:] for row in make_form.SURVEY]
    header = make_form.SURVEY_HEADER + ("constraint",)
    survey = [header] + [row + ("count-selected(.) <= 2" if row[1] == "kenh" else "",) for row in survey[1:]]
    path = tmp_path / "two.xlsx"
    make_form.build_workbook(survey=survey).save(path)
    assert {q.id: q.choose_up_to for q in xlsform.read_xlsform(path).questions}["kenh"] == 2


# --- raw ballots, SPSS and Stata -----------------------------------------------------


def sipas_campaign(app, status: str = "closed") -> tuple[int, dict[int, str]]:
    """The campaign of the module's doc; returns its id and ballot id -> b0..b4."""
    with app.extensions[DB_KEY].transaction() as s:
        c = create_campaign(s, year=2026, name="SIPAS nhỏ", criteria_texts=read_set_texts(SIPAS_DIR), actor="t",
                            status="open")
        s.add(Unit(campaign_id=c.id, code="xa_1", name="Xã Một", level="xa"))
        s.flush()
        cset = campaign_criteria(c)
        unit = s.scalar(select(Unit.id).where(Unit.campaign_id == c.id))
        group = next(g.id for g in c.groups if g.code == "nguoi_dan")
        new = []
        for i, (chosen, sex, comment) in enumerate(PLAN):
            answers = [(unit, q, "co" if cset.question_by_key[("xa", q)].scale == "co_khong" else "hai_long")
                       for q in cset.scored_ids(cset.questionnaire("xa", "nguoi_dan"))]
            answers += [(unit, "XE1", " ".join(chosen))] if chosen else []
            answers += [(unit, "XP1", sex)] if sex else []
            answers += [(unit, "XC1", comment)] if comment else []
            new.append(ballots.NewBallot(campaign_id=c.id, group_id=group, channel="web", client_id=f"b{i}",
                                         answers=answers))
        ballots.store_ballots(s, cset, new)
        c.status = status
        names = dict(s.execute(select(Ballot.id, Ballot.client_id).where(Ballot.campaign_id == c.id)).all())
        return c.id, {str(k): v for k, v in names.items()}


DUMMIES = {  # by hand, b0..b4 (see the module's doc)
    "XE1_thoi_gian": [1, 1, 1, NAN, 0],
    "XE1_phi": [1, 0, 0, NAN, 1],
    "XE1_thong_tin": [0, 0, 1, NAN, 0],
    "XE1_thai_do": [0, 0, 1, NAN, 0],
    "XE1_dvc_tt": [0, 0, 0, NAN, 0],
}


def by_ballot(ids, values, names) -> list:
    got = dict(zip((names[i] for i in ids), values))
    return [got[f"b{i}"] for i in range(len(PLAN))]


def same(a: list, b: list) -> bool:
    return all((math.isnan(x) and math.isnan(y)) if isinstance(x, float) and math.isnan(x) else x == y
               for x, y in zip(a, b, strict=True))


def test_the_wide_raw_ballots_have_one_dummy_per_option_and_no_comment(app):
    campaign_id, names = sipas_campaign(app)
    with app.extensions[DB_KEY].session() as s:
        c = s.get(Campaign, campaign_id)
        cset = campaign_criteria(c)
        columns = [col.key for col in wide_columns(s, c, cset)]
        rows = list(wide_rows(s, c, cset))
        assert s.scalar(select(Comment.text).where(Comment.question == "XC1").limit(1)) is not None
    assert [k for k in columns if k.startswith("XE1_")] == [f"XE1_{o}" for o in (
        "thong_tin", "don_gian", "giay_to", "thoi_gian", "phi", "thai_do", "nang_luc", "gop_y", "dvc_tt", "co_so")]
    assert "XC1" not in columns and "SC1" not in columns and "XE1" not in columns
    ids = [r[0] for r in rows]
    for key, expected in DUMMIES.items():
        got = [NAN if v is None else v for v in by_ballot(ids, [r[columns.index(key)] for r in rows], names)]
        assert same(got, expected), key
    assert by_ballot(ids, [r[columns.index("XP1")] for r in rows], names) == ["nam", "nu", "nam", None, "khong_tl"]
    assert not any("Tốt lắm" in str(v) or "0912" in str(v) or "[số điện thoại" in str(v) for r in rows for v in r)
    assert comments_note(cset) == COMMENTS_NOTE


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_spss_and_stata_files_hold_the_dummies_worked_out_by_hand_and_no_comment(app, fmt):
    campaign_id, names = sipas_campaign(app)
    with app.extensions[DB_KEY].session() as s:
        c = s.get(Campaign, campaign_id)
        cset = campaign_criteria(c)
        path = stat_file(fmt, s, c, cset)
        frame, _labels, _values = ballot_frame_wide(s, c, cset)
    try:
        read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
        data, meta = read(str(path))
    finally:
        path.unlink()
    assert list(data.columns) == list(frame.columns)
    ids = list(data["ballot_id"])
    for key, expected in DUMMIES.items():
        assert same(by_ballot(ids, [float(v) for v in data[key]], names), [float(v) for v in expected]), key
        assert meta.variable_value_labels[key] == {0: "Không chọn", 1: "Có chọn"}
    labels = meta.column_names_to_labels
    assert labels["XE1_thoi_gian"] == "Rút ngắn thời gian giải quyết"
    assert labels["XE1_phi"] == "Giảm phí, lệ phí"
    assert same(by_ballot(ids, [float(v) for v in data["XP1"]], names), [1.0, 2.0, 1.0, NAN, 3.0])
    assert meta.variable_value_labels["XP1"] == {1: "Nam", 2: "Nữ", 3: "Không muốn trả lời"}
    assert not any(name.startswith(("XC1", "SC1")) for name in data.columns)
    # (the random 63-bit ballot ids may hold any digits, "0912" among them)
    text = " ".join(str(v) for col in data.columns if col != "ballot_id" for v in data[col])
    assert "Tốt lắm" not in text and "0912" not in text and "điện thoại" not in text
    if fmt == "sav":
        assert any("Ý kiến ghi chữ không có trong tệp này" in line for line in meta.notes)
        assert meta.variable_measure["XE1_phi"] == "nominal" and meta.variable_measure["X11"] == "ordinal"


# --- API ---------------------------------------------------------------------------


@pytest.fixture
def api_campaign(app):
    campaign_id, _names = sipas_campaign(app, status="open")
    with app.extensions[DB_KEY].transaction() as s:
        user = create_user(s, "qt", PASSWORD, "admin", actor="test")
        s.flush()
        token = create_api_token(s, user, "test", actor="test")
    return campaign_id, token


def post(app, campaign_id: int, token: str, body: dict):
    return app.test_client().post(f"/api/v1/campaigns/{campaign_id}/ballots", json=body,
                                  headers={"Authorization": f"Bearer {token}"})


def api_ballot(app, campaign_id: int, ballot_id: str, **extra) -> dict:
    with app.extensions[DB_KEY].session() as s:
        cset = campaign_criteria(s.get(Campaign, campaign_id))
    answers = {q: "co" if cset.question_by_key[("xa", q)].scale == "co_khong" else "hai_long"
               for q in cset.scored_ids(cset.questionnaire("xa", "nguoi_dan"))}
    return {"ballot_id": ballot_id, "group": "nguoi_dan", "units": [{"unit": "xa_1", "answers": {**answers, **extra}}]}


def test_the_api_stores_an_expectation_sent_as_a_list_and_refuses_four_choices(app, api_campaign):
    campaign_id, token = api_campaign
    sent = post(app, campaign_id, token, api_ballot(app, campaign_id, "k-1", XE1=["phi", "thong_tin"],
                                                    XC1="Liên hệ tôi qua an@gmail.com", XP1="nu"))
    assert sent.status_code == 201, sent.json
    ballot = int(sent.json["ballot"])
    with app.extensions[DB_KEY].session() as s:
        stored = dict(s.execute(select(Answer.question, Answer.option).where(Answer.ballot_id == ballot)).all())
        comment = s.scalar(select(Comment.text).where(Comment.ballot_id == ballot))
    assert stored["XE1"] == "thong_tin phi"  # the scale's order
    assert stored["XP1"] == "nu" and "XC1" not in stored
    assert comment == "Liên hệ tôi qua [thư điện tử đã che]"
    again = post(app, campaign_id, token, api_ballot(app, campaign_id, "k-2", XE1="phi thong_tin"))
    assert again.status_code == 201

    four = post(app, campaign_id, token, api_ballot(app, campaign_id, "k-3",
                                                   XE1=["phi", "thong_tin", "giay_to", "thai_do"]))
    assert four.status_code == 422
    assert four.json["details"] == [{"field": "units[0].answers.XE1", "message": "chọn tối đa 3 phương án (đã chọn 4)"}]
    twice = post(app, campaign_id, token, api_ballot(app, campaign_id, "k-4", XE1=["phi", "phi"]))
    assert twice.status_code == 422
    assert twice.json["details"] == [{"field": "units[0].answers.XE1",
                                      "message": "câu XE1: một phương án được chọn hai lần"}]
    listed = post(app, campaign_id, token, api_ballot(app, campaign_id, "k-5", XP1=["nam"]))
    assert listed.status_code == 422 and listed.json["details"][0]["field"] == "units[0].answers.XP1"
    with app.extensions[DB_KEY].session() as s:
        assert s.scalar(select(Ballot.id).where(Ballot.client_id.like("%k-3"))) is None


def test_the_api_gives_no_par_points_of_a_sipas_campaign(app, api_campaign):
    campaign_id, token = api_campaign
    with app.extensions[DB_KEY].transaction() as s:
        s.get(Campaign, campaign_id).status = "closed"
    for figures in ("points", "final"):
        answer = app.test_client().get(f"/api/v1/campaigns/{campaign_id}/{figures}",
                                       headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 409 and answer.json["error"] == "not_par"
        assert "không có điểm Chỉ số CCHC" in answer.json["message"]


# --- diff ---------------------------------------------------------------------------


def test_the_diff_shows_a_change_of_kind_choices_and_length():
    texts = read_set_texts(SIPAS_DIR)
    old = load_criteria_set_from_texts(texts)
    xa = texts["questions/xa.yaml"]
    xa = xa.replace("    choose_up_to: 3\n", "    choose_up_to: 2\n").replace("max_length: 500", "max_length: 300")
    xa = xa.replace("kind: profile\n    scale: gioi_tinh",
                    "kind: expectation\n    scale: gioi_tinh\n    choose_up_to: 2")
    new = load_criteria_set_from_texts({**texts, "questions/xa.yaml": xa})
    changes = [(c.kind, c.question, c.text) for c in set_changes(old, new)]
    assert changes == [  # by level and question id
        ("question_kind", "XC1", "câu XC1 (cấp xã): ý kiến tối đa 500 → 300 ký tự"),
        ("question_kind", "XE1", "câu XE1 (cấp xã): chọn tối đa 3 → 2 phương án"),
        ("question_kind", "XP1",
         "câu XP1 (cấp xã): loại câu thông tin người trả lời (chọn một) → mong đợi (chọn nhiều)"),
    ]
