"""The rank intervals of the final index live in scoring/: ``parsurvey rank --intervals`` on files
gives what the confidence page shows; the score cache belongs to one app and one database."""
from __future__ import annotations

import pandas as pd
import pytest

from aggregation import bootstrap_points
from questionnaires import load_default_set
from scoring import index_intervals
from survey_app.extensions import DB_KEY, SCORES_KEY
from survey_app.models import Campaign
from survey_app.services.ballot_frame import answers_frame
from survey_app.services.review import change_state
from survey_app.services.scores import ScoreCache, campaign_scores
from survey_app.services.users import create_user

from .conftest import LAST
from .test_auth import PASSWORD, login

COLUMNS = ["points", "low", "high", "rank", "rank_low", "rank_high"]


def test_the_appraisal_shifts_every_replicate_alike():
    """Worked example on one question of m points: x's four citizens answer Tốt (m points), y's answer
    Kém, Trung bình, Kém, Tốt (0.3 m); y's appraisal is 3 points higher, more than the survey can move
    (m is 0.5): y ranks first in every replicate."""
    answers = pd.DataFrame({"ballot_id": range(8), "group": "nguoi_dan", "level": "huyen",
                            "unit": ["x"] * 4 + ["y"] * 4, "question": "H10",
                            "option": ["tot", "tot", "tot", "tot", "kem", "trung_binh", "kem", "tot"]})
    cset = load_default_set()
    m = cset.question_by_key[("huyen", "H10")].max_points
    boot = bootstrap_points(answers, cset, replicates=300, seed=5)
    survey_only, _ = index_intervals(boot)
    assert survey_only.set_index("unit")["rank"].to_dict() == {"x": 1, "y": 2}
    appraisal = pd.DataFrame({"level": "huyen", "unit": ["x", "y"], "appraisal": [60.0, 63.0]})
    table, unsettled = index_intervals(boot, appraisal)
    by_unit = table.set_index("unit")
    assert by_unit.loc["y", ["rank", "rank_low", "rank_high"]].tolist() == [1, 1, 1]
    assert by_unit.loc["x", ["rank", "rank_low", "rank_high"]].tolist() == [2, 2, 2]
    expected = [m * 1.0, m * (0 + 0.2 + 0 + 1) / 4]  # Tốt 1, Trung bình 0.2, Kém 0
    assert by_unit["points"].tolist() == pytest.approx(expected), "survey points, not the index"
    assert by_unit.loc["x", ["low", "high"]].tolist() == pytest.approx([m, m]), "four Tốt: no spread"
    assert unsettled.empty
    missing = pd.DataFrame({"level": "huyen", "unit": ["x"], "appraisal": [60.0]})
    left_out, _ = index_intervals(boot, missing)
    assert left_out.set_index("unit")["rank"].isna().tolist() == [False, True], "no appraisal, no rank of the index"


@pytest.fixture
def analyst(demo_app):
    with demo_app.extensions[DB_KEY].transaction() as s:
        create_user(s, "pt", PASSWORD, "analyst", actor="t")
    client = demo_app.test_client()
    assert login(client, "pt").status_code == 302
    return client


def test_rank_intervals_from_files_equal_the_confidence_page(demo_app, analyst, tmp_path):
    with demo_app.extensions[DB_KEY].session() as s:
        campaign = s.get(Campaign, LAST)
        answers_frame(s, campaign).to_csv(tmp_path / "answers.csv", index=False)
        final = campaign_scores(s, campaign).final.table
    final[["unit"]].assign(total=final["appraisal"]).to_csv(tmp_path / "appraisal.csv", index=False)
    runner = demo_app.test_cli_runner()
    names = ("answers.csv", "points.csv", "appraisal.csv", "final.csv", "ci.csv")
    files = {name: str(tmp_path / name) for name in names}
    result = runner.invoke(args=["aggregate", "--ballots", files["answers.csv"], "--out", files["points.csv"]])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["rank", "--survey", files["points.csv"], "--appraisal", files["appraisal.csv"],
                                 "--out", files["final.csv"], "--intervals", files["ci.csv"],
                                 "--ballots", files["answers.csv"]])
    assert result.exit_code == 0, result.output
    assert "bootstrap 1000 lần, số khởi tạo ngẫu nhiên 2023" in result.output
    assert "hạt giống" not in result.output
    from_files = pd.read_csv(files["ci.csv"]).set_index("unit")[COLUMNS]
    page = pd.DataFrame(analyst.get("/bao-cao/1/xuat/do-tin-cay.json").get_json()).set_index("unit")[COLUMNS]
    assert len(page) == len(from_files) == 27
    pd.testing.assert_frame_equal(from_files.loc[page.index].astype(float), page.astype(float), atol=1e-6,
                                  check_dtype=False)


def test_intervals_need_the_ballots(demo_app, tmp_path):
    result = demo_app.test_cli_runner().invoke(args=[
        "rank", "--survey", __file__, "--appraisal", __file__, "--out", str(tmp_path / "f.csv"),
        "--intervals", str(tmp_path / "ci.csv")])
    assert result.exit_code == 2 and "--intervals cần --ballots" in result.output
    assert not (tmp_path / "f.csv").exists()


def test_the_score_cache_knows_its_database(demo_app, demo_db, tmp_path):
    """Two databases with a campaign of the same id: each gets its own scores, and a change in one
    (a ballot rejected, which is audited) is seen there at once."""
    import shutil

    from .conftest import make_app

    shutil.copy(demo_db, tmp_path / "other.sqlite")
    other = make_app(f"sqlite:///{tmp_path / 'other.sqlite'}", tmp_path / "other-instance")
    assert other.extensions[SCORES_KEY] is not demo_app.extensions[SCORES_KEY], "a cache per app"
    with other.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, LAST)
        ballots = answers_frame(s, campaign)
        unit_ballots = ballots[ballots["unit"] == "ba_be"]["ballot_id"].unique().tolist()
        change_state(s, campaign, unit_ballots, "rejected", "thử", "t")
    cache = ScoreCache()
    totals = {}
    for name, app in (("demo", demo_app), ("other", other)):
        database = app.extensions[DB_KEY]
        with database.session() as s:
            campaign = s.get(Campaign, LAST)
            first = cache.scores(s, database.url, campaign)
            assert cache.scores(s, database.url, campaign) is first, "computed once per state of the data"
            totals[name] = first.survey_table.set_index("unit").loc["ba_be", "total"]
    assert totals["demo"] > 0 and (pd.isna(totals["other"]) or totals["other"] == 0), totals
    other.extensions[DB_KEY].dispose()
