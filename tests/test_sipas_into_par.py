"""SIPAS into PAR (issue 29 item 5): a PAR sub-criterion that takes its points from a closed SIPAS campaign's
index of the same unit. Worked by hand:

- maximum 0.5, SIPAS 91,4 % (Sở A of tests/test_sipas_results.py: 164.5/180 = 0.913889): 0.5 × 0.913889
  = 0.456944, shown 0,457; with bands [[0.95, 1.0], [0.9, 0.75], [0.8, 0.5], [0, 0]], 91,4 % reaches 90 %
  but not 95 %: 0.5 × 0.75 = 0.375.
- Sở C has 2 ballots in the SIPAS campaign (under min_ballots 5): no SIPAS, so no points for the part, said.
"""
from __future__ import annotations

import io
import math
import re

import pandas as pd
import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from aggregation.points import survey_points
from aggregation.sipas_points import band_share, sipas_points, with_sipas_points
from questionnaires import DEFAULT_SET_DIR, load_criteria_set_from_texts, read_set_texts
from questionnaires.loader import CriteriaSetError
from questionnaires.model import SubCriterion
from questionnaires.workbook import export_workbook, import_workbook
from survey_app import migrate
from survey_app.db import Database
from survey_app.extensions import DB_KEY
from survey_app.models import AuditEntry, Campaign, Unit
from survey_app.outputs.report_method import method_blocks
from survey_app.outputs.report_tables import final_report_table, survey_points_table
from survey_app.services import ballots
from survey_app.services.campaigns import campaign_criteria, create_campaign
from survey_app.services.results import import_results
from survey_app.services.scores import campaign_scores
from survey_app.services.sipas_into_par import set_sipas_source

from .conftest import BACKENDS, _signed_in
from .test_admin import flashes
from .test_auth import csrf
from .test_sipas_results import make_campaign

HAI_CAP = DEFAULT_SET_DIR.parent / "hai_cap"
BANDS = "[[0.95, 1.0], [0.9, 0.75], [0.8, 0.5], [0, 0]]"
SIPAS_A = 164.5 / 180  # Sở A's SIPAS in tests/test_sipas_results.py


def par_texts(extra: str = "from_sipas: true", drop_question: bool = True) -> dict[str, str]:
    """hai_cap with sub-criterion 4.1.3 of Cấp sở (0.5, asked by S12 of the cc_so questionnaire only) turned into
    one that takes its points from SIPAS: ``extra`` written on it, S12 taken out."""
    texts = dict(read_set_texts(HAI_CAP))
    line = '{code: "4.1.3", name: "Mức độ hợp lý trong sắp xếp, tổ chức các phòng, đơn vị thuộc sở sau hợp nhất", ' \
           'survey_max: 0.5}'
    assert line in texts["set.yaml"]
    texts["set.yaml"] = texts["set.yaml"].replace(line, line[:-1] + (f", {extra}}}" if extra else "}"))
    if drop_question:
        texts["questions/so.yaml"] = re.sub(r"  - id: S12\n(    .*\n)+", "", texts["questions/so.yaml"])
        texts["questionnaires/so-cc_so.yaml"] = texts["questionnaires/so-cc_so.yaml"].replace("  - S12\n", "")
    return texts


def load(texts):
    return load_criteria_set_from_texts(texts)


def problems(texts) -> list[str]:
    with pytest.raises(CriteriaSetError) as caught:
        load(texts)
    return [f"{p.file}:{p.code}" for p in caught.value.problems]


# --- the set ------------------------------------------------------------------------------------------


def test_the_set_accepts_a_sub_criterion_from_sipas_without_questions_and_its_bands():
    sub = load(par_texts()).sub_criterion_by_key[("so", "4.1.3")]
    assert (sub.from_sipas, sub.sipas_bands, sub.max_points) == (True, (), 0.5)
    banded = load(par_texts(f"from_sipas: true, sipas_bands: {BANDS}")).sub_criterion_by_key[("so", "4.1.3")]
    assert banded.sipas_bands == ((0.95, 1.0), (0.9, 0.75), (0.8, 0.5), (0.0, 0.0))
    plain = load(read_set_texts(HAI_CAP)).sub_criterion_by_key[("so", "4.1.3")]
    assert (plain.from_sipas, plain.sipas_bands) == (False, ())


def test_the_workbook_carries_from_sipas_and_the_bands_there_and_back():
    cset = load(par_texts(f"from_sipas: true, sipas_bands: {BANDS}"))
    _texts, back = import_workbook(export_workbook(cset))
    sub = back.sub_criterion_by_key[("so", "4.1.3")]
    assert (sub.from_sipas, sub.sipas_bands) == (True, ((0.95, 1.0), (0.9, 0.75), (0.8, 0.5), (0.0, 0.0)))
    assert sum(s.from_sipas for s in back.sub_criterion_by_key.values()) == 1


@pytest.mark.parametrize("extra, code", [
    ("from_sipas: true, sipas_bands: [[0.9, 0.75], [0.95, 1.0], [0, 0]]", "bad_bands"),  # not descending
    ("from_sipas: true, sipas_bands: [[0.95, 1.0], [0.9, 0.75]]", "bad_bands"),  # no last band at 0
    ("from_sipas: true, sipas_bands: [[0.95, 1.5], [0, 0]]", "bad_bands"),  # a share above 1
    ("from_sipas: true, sipas_bands: [[95, 1.0], [0, 0]]", "bad_bands"),  # a threshold written as a percent
    ("from_sipas: true, sipas_bands: [0.95, 1.0]", "bad_bands"),  # not pairs
    (f"sipas_bands: {BANDS}", "bands_without_sipas"),
    ("from_sipas: yes please", "wrong_type"),
])
def test_bad_bands_are_refused_at_their_line_in_set_yaml(extra, code):
    assert problems(par_texts(extra)) == [f"set.yaml:{code}"]


def test_a_sub_criterion_from_sipas_that_keeps_its_question_is_refused_and_one_without_questions_needs_the_flag():
    assert problems(par_texts(drop_question=False)) == ["set.yaml:sipas_with_questions"]
    assert problems(par_texts(extra="")) == ["set.yaml:no_question"]


# --- the pure function -------------------------------------------------------------------------------

SUB = SubCriterion("4.1.3", "x", "so", "4", "4.1", 0.5, True)
BANDED = SubCriterion("4.1.4", "y", "so", "4", "4.1", 0.5, True, ((0.95, 1.0), (0.9, 0.75), (0.8, 0.5), (0.0, 0.0)))


def test_points_are_the_maximum_times_the_index_or_the_band_share_and_nan_without_a_sipas():
    p = sipas_points(pd.Series({"so_a": SIPAS_A, "so_c": math.nan, "xa_1": 1.0}), [SUB, BANDED],
                     {"so_a": "so", "so_c": "so", "xa_1": "xa"})
    got = p.set_index(["unit", "code"])["points"]
    assert list(got.index) == [("so_a", "4.1.3"), ("so_a", "4.1.4"), ("so_c", "4.1.3"), ("so_c", "4.1.4")]
    assert got[("so_a", "4.1.3")] == pytest.approx(0.456944, abs=1e-6)
    assert got[("so_a", "4.1.4")] == 0.375
    assert got[[("so_c", "4.1.3"), ("so_c", "4.1.4")]].isna().all(), "no SIPAS: no points, not 0"
    # bands compared as printed: 94,95 % shows 95,0 % and earns the top band; 79,9 % the bottom one
    assert [band_share(x, BANDED.sipas_bands) for x in (0.9495, 0.9494, 0.8, 0.799)] == [1.0, 0.75, 0.5, 0.0]


def test_the_points_join_the_criterion_field_and_total_and_a_missing_sipas_makes_the_unit_incomplete():
    cset = load(par_texts())
    answers = pd.DataFrame({"ballot_id": [1], "group": ["cc_so"], "level": "so", "unit": "so_a",
                            "question": ["S01"], "option": ["rat_hai_long"]})
    points = survey_points(answers, cset, pd.DataFrame({"level": ["so", "so"], "unit": ["so_a", "so_c"]}))
    s01 = cset.question_by_key[("so", "S01")].max_points
    extra = sipas_points(pd.Series({"so_a": SIPAS_A, "so_c": math.nan}), [cset.sub_criterion_by_key[("so", "4.1.3")]])
    joined = with_sipas_points(points, extra)
    total = joined.totals.set_index("unit")
    assert total.loc["so_a", "points"] == pytest.approx(s01 + 0.5 * SIPAS_A)
    assert total.loc["so_a", "max_points"] == pytest.approx(cset.level_by_code["so"].survey_max)
    assert total.loc["so_c", "points"] == 0 and "không có Chỉ số SIPAS: 4.1.3" in total.loc["so_c", "reason"]
    assert not total.loc["so_c", "complete"]
    field4 = joined.fields.set_index(["unit", "code"])
    assert field4.loc[("so_a", "4"), "points"] == pytest.approx(0.456944, abs=1e-6)
    assert field4.loc[("so_a", "4"), "max_points"] == pytest.approx(cset.level_by_code["so"].field_max["4"])
    sub = joined.sub_criteria.set_index(["unit", "code"])
    assert sub.loc[("so_a", "4.1.3"), "points"] == pytest.approx(0.456944, abs=1e-6)
    assert math.isnan(sub.loc[("so_c", "4.1.3"), "points"])
    crit = joined.criteria.set_index(["unit", "code"])
    assert crit.loc[("so_a", "4.1"), "points"] == pytest.approx(0.5 * SIPAS_A)


# --- the campaign ------------------------------------------------------------------------------------


def make_par(app, texts=None) -> int:
    """A closed PAR campaign on the edited hai_cap: Sở A, Sở C and Sở Z (not in the SIPAS campaign); five cc_so
    ballots of Sở A (the set's min_ballots) answering every question of its questionnaire with the top option."""
    with app.extensions[DB_KEY].transaction() as s:
        c = create_campaign(s, year=2026, name="CCHC 2026", criteria_texts=texts or par_texts(), actor="t",
                            status="open")
        for code, name in (("so_a", "Sở A"), ("so_c", "Sở C"), ("so_z", "Sở Z")):
            s.add(Unit(campaign_id=c.id, code=code, name=name, level="so"))
        s.flush()
        cset = campaign_criteria(c)
        unit = s.scalar(select(Unit).where(Unit.campaign_id == c.id, Unit.code == "so_a"))
        group = next(g.id for g in c.groups if g.code == "cc_so")
        answers = []
        for q in cset.questionnaire("so", "cc_so").question_ids:
            scale = cset.scale_by_code[cset.question_by_key[("so", q)].scale]
            answers.append((unit.id, q, max(scale.counted_options, key=lambda o: o.fraction).code))
        ballots.store_ballots(s, cset, [ballots.NewBallot(campaign_id=c.id, group_id=group, channel="web",
                                                          client_id=f"a-{i}", answers=answers) for i in range(5)])
        c.status = "closed"
        return c.id


@pytest.fixture
def both(app):
    sipas_id = make_campaign(app)
    return app, sipas_id, make_par(app)


def _scores(app, par_id):
    with app.extensions[DB_KEY].session() as s:
        return campaign_scores(s, s.get(Campaign, par_id))


def test_end_to_end_the_units_survey_points_and_total_include_the_maximum_times_its_sipas(both):
    app, sipas_id, par_id = both
    before = _scores(app, par_id)
    assert before.sipas.source is None and before.sipas.notes()["so_a"].startswith("chưa chọn đợt khảo sát SIPAS")
    with app.extensions[DB_KEY].transaction() as s:
        assert set_sipas_source(s, s.get(Campaign, par_id), sipas_id, "qt").name == "SIPAS 2026"
    sc = _scores(app, par_id)
    cset = sc.cset
    asked = sum(cset.question_by_key[("so", q)].max_points for q in cset.questionnaire("so", "cc_so").question_ids)
    table = sc.survey_table.set_index("unit")
    old = before.survey_table.set_index("unit")
    assert old.loc["so_a", "total"] == pytest.approx(asked), "no source chosen: nothing from SIPAS"
    assert table.loc["so_a", "total"] == pytest.approx(asked + 0.5 * SIPAS_A)
    assert table.loc["so_a", "4"] - old.loc["so_a", "4"] == pytest.approx(0.456944, abs=1e-6)
    totals = sc.points.totals.set_index("unit")  # Sở C and Sở Z: no ballot (no survey points shown) and no SIPAS
    assert totals.loc["so_c", "points"] == 0 and not totals.loc["so_c", "complete"]
    assert totals.loc["so_z", "reason"].endswith("không có Chỉ số SIPAS: 4.1.3")
    assert totals.loc["so_a", "max_points"] == cset.level_by_code["so"].survey_max
    notes = sc.sipas.notes()
    assert notes["so_a"] == "trong đó từ Chỉ số SIPAS: 0,457 điểm (SIPAS 91,4 %)"
    assert notes["so_c"] == "không có Chỉ số SIPAS (SIPAS 2026): thiếu điểm TCTP 4.1.3"
    assert notes["so_z"] == notes["so_c"]
    rows = {r["unit"]: r for r in survey_points_table(sc).rows if r["unit"]}
    assert "trong đó từ Chỉ số SIPAS: 0,457 điểm (SIPAS 91,4 %)" in rows["so_a"]["note"]
    lines = dict(method_blocks(cset, sc.sipas.source))["1.1. Đối với các sở, ban, ngành (cấp sở)"]
    assert lines[-1].startswith("TCTP 4.1.3 (") and "đợt khảo sát “SIPAS 2026”" in lines[-1]
    assert lines[-1].endswith("điểm = điểm tối đa × Chỉ số SIPAS.")
    # the final table: appraisal 80 for every unit, the index = 80 + survey points with the SIPAS part
    with app.extensions[DB_KEY].transaction() as s:
        import_results(s, s.get(Campaign, par_id), "appraisal", "a.csv",
                       b"unit,total\nso_a,80\nso_c,80\nso_z,80\n", "qt")
    sc = _scores(app, par_id)
    final = sc.final.table.set_index("unit")
    assert final.loc["so_a", "index"] == pytest.approx(80 + asked + 0.5 * SIPAS_A)
    report = final_report_table(sc)
    assert "sipas_note" in [c.key for c in report.columns]
    assert {r["unit"]: r["sipas_note"] for r in report.rows}["so_a"] == notes["so_a"]


def test_a_unit_without_its_sipas_is_told_so_in_its_class_reason_not_that_a_group_is_missing():
    from scoring.final import final_table

    cset = load(par_texts())
    survey = pd.DataFrame({"level": "so", "unit": ["so_a", "so_b", "so_c"], "total": [10.0, 9.0, 8.0],
                           "complete": [True, False, False], "ballots": 30,
                           "reason": ["", "không có Chỉ số SIPAS: 4.1.3",
                                      "S01: thiếu cc_so; không có Chỉ số SIPAS: 4.1.3"]})
    appraisal = pd.DataFrame({"level": "so", "unit": ["so_a", "so_b", "so_c"], "total": 80.0})
    reasons = final_table(survey, appraisal, cset).table.set_index("unit")["class_reason"]
    assert reasons["so_a"] == ""
    assert reasons["so_b"] == "không có Chỉ số SIPAS của đơn vị cho TCTP 4.1.3"
    assert reasons["so_c"] == ("điểm điều tra XHH chưa đủ ý kiến mọi đối tượng; không có Chỉ số SIPAS của đơn vị cho "
                               "TCTP 4.1.3")


def test_with_bands_the_unit_earns_the_bands_share(app):
    sipas_id = make_campaign(app)
    par_id = make_par(app, par_texts(f"from_sipas: true, sipas_bands: {BANDS}"))
    with app.extensions[DB_KEY].transaction() as s:
        set_sipas_source(s, s.get(Campaign, par_id), sipas_id, "qt")
    sc = _scores(app, par_id)
    sub = sc.points.sub_criteria.set_index(["unit", "code"])
    assert sub.loc[("so_a", "4.1.3"), "points"] == 0.375
    assert sc.sipas.notes()["so_a"] == "trong đó từ Chỉ số SIPAS: 0,375 điểm (SIPAS 91,4 %)"
    line = dict(method_blocks(sc.cset, "SIPAS 2026"))["1.1. Đối với các sở, ban, ngành (cấp sở)"][-1]
    assert "từ 95% trở lên: 100% số điểm; từ 90% trở lên: 75% số điểm" in line


def test_only_a_closed_sipas_campaign_is_accepted_and_a_set_without_from_sipas_takes_none(app):
    open_sipas = make_campaign(app, status="open")
    par_id = make_par(app)
    plain_par = make_par_plain(app)
    with app.extensions[DB_KEY].transaction() as s:
        par = s.get(Campaign, par_id)
        for bad in (open_sipas, plain_par, par_id):
            with pytest.raises(ValueError):
                set_sipas_source(s, par, bad, "qt")
        with pytest.raises(ValueError):
            set_sipas_source(s, s.get(Campaign, plain_par), None, "qt")
        assert par.sipas_source_id is None
    assert _scores(app, plain_par).sipas is None


def make_par_plain(app) -> int:
    with app.extensions[DB_KEY].transaction() as s:
        return create_campaign(s, year=2025, name="CCHC 2025", criteria_texts=read_set_texts(HAI_CAP), actor="t").id


def test_the_admin_chooses_the_source_on_the_results_page_audited_and_an_analyst_cannot(both):
    app, sipas_id, par_id = both
    admin = _signed_in(app, "admin")
    page = admin.get(f"/quan-tri/dot/{par_id}/ket-qua-nhap").get_data(as_text=True)
    assert "Chỉ số SIPAS dùng cho tiêu chí" in page and f'<option value="{sipas_id}">SIPAS 2026 (2026)' in page
    post = admin.post(f"/quan-tri/dot/{par_id}/ket-qua-nhap/sipas", data={"csrf_token": csrf(page),
                                                                           "source": str(sipas_id)})
    assert post.status_code == 302
    assert "Chỉ số SIPAS dùng cho tiêu chí: SIPAS 2026." in flashes(admin, f"/quan-tri/dot/{par_id}/ket-qua-nhap")
    with app.extensions[DB_KEY].session() as s:
        assert s.get(Campaign, par_id).sipas_source_id == sipas_id
        entry = s.scalars(select(AuditEntry).where(AuditEntry.attribute == "sipas_source_id")).one()
        assert (entry.entity_id, entry.old_value, entry.new_value, entry.actor) == (str(par_id), None, "SIPAS 2026",
                                                                                    "qt")
    bad = admin.post(f"/quan-tri/dot/{par_id}/ket-qua-nhap/sipas", data={"csrf_token": csrf(page), "source": "999"})
    assert bad.status_code == 302
    with app.extensions[DB_KEY].session() as s:
        assert s.get(Campaign, par_id).sipas_source_id == sipas_id, "a campaign not in the list changes nothing"
    # a SIPAS campaign has no appraisal points, communes' results or last year's PAR table to import: the page
    # is not there (no link leads to it), and a file posted to it is not read
    assert admin.get(f"/quan-tri/dot/{sipas_id}/ket-qua-nhap").status_code == 404
    sent = admin.post(f"/quan-tri/dot/{sipas_id}/ket-qua-nhap/appraisal", content_type="multipart/form-data",
                      data={"csrf_token": csrf(page), "file": (io.BytesIO(b"unit,total\nso_a,80\n"), "a.csv")})
    assert sent.status_code == 404
    analyst = app.test_client()
    from survey_app.services.users import create_user

    from .test_auth import PASSWORD, login
    with app.extensions[DB_KEY].transaction() as s:
        create_user(s, "pt", PASSWORD, "analyst", actor="test")
    login(analyst, "pt")
    token = csrf(analyst.get("/dang-nhap").get_data(as_text=True))
    assert analyst.post(f"/quan-tri/dot/{par_id}/ket-qua-nhap/sipas",
                        data={"csrf_token": token, "source": ""}).status_code == 403
    with app.extensions[DB_KEY].session() as s:
        assert s.get(Campaign, par_id).sipas_source_id == sipas_id


# --- migration 0013 ----------------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def database(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    db = Database(url)
    yield db
    db.dispose()


CAMPAIGN = ("INSERT INTO campaigns (id, year, name, status, criteria_name, criteria_digest, criteria_files, "
            "created_at{}) VALUES ({}, 2026, '{}', 'closed', 'x', 'd', '{{}}', '2026-01-01'{})")


def test_migration_0013_adds_the_source_with_its_foreign_key_and_goes_back(database):
    migrate.upgrade(database, "0012")
    assert "sipas_source_id" not in {c["name"] for c in inspect(database.engine).get_columns("campaigns")}
    migrate.upgrade(database, "0013")
    assert migrate.current_revision(database) == "0013"
    keys = inspect(database.engine).get_foreign_keys("campaigns")
    assert [(k["name"], k["constrained_columns"], k["referred_table"]) for k in keys] == [
        ("fk_campaigns_sipas_source_id_campaigns", ["sipas_source_id"], "campaigns")]
    with database.transaction() as s:
        s.execute(text(CAMPAIGN.format("", 1, "SIPAS", "")))
        s.execute(text(CAMPAIGN.format(", sipas_source_id", 2, "PAR", ", 1")))
    with pytest.raises(IntegrityError):
        with database.transaction() as s:
            s.execute(text(CAMPAIGN.format(", sipas_source_id", 3, "PAR 2", ", 99")))
    assert [(loss.table, loss.column) for loss in migrate.data_lost_by_downgrade(database, "0012")] == [
        ("campaigns", "sipas_source_id")]
    with database.transaction() as s:
        s.execute(text("UPDATE campaigns SET sipas_source_id = NULL"))
    assert migrate.data_lost_by_downgrade(database, "0012") == []
    migrate.downgrade(database, "0012")
    assert "sipas_source_id" not in {c["name"] for c in inspect(database.engine).get_columns("campaigns")}
    with database.session() as s:
        assert s.execute(text("SELECT count(*) FROM campaigns")).scalar() == 2
    migrate.upgrade(database, "0013")
    assert migrate.current_revision(database) == "0013"
