"""The database adapter: the demo province scored through the same function as any CSV."""
from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from aggregation import check_answers, survey_points
from survey_app.demo.data import SURVEY
from survey_app.extensions import DB_KEY
from survey_app.models import Answer, Ballot, Campaign
from survey_app.services.ballot_frame import answers_frame
from survey_app.services.campaigns import campaign_criteria

from .conftest import BACKENDS, LAST


def test_the_demo_is_scored_from_the_database(demo_app):
    with demo_app.extensions[DB_KEY].session() as s:
        campaign = s.get(Campaign, LAST)
        cset = campaign_criteria(campaign)
        frame = answers_frame(s, campaign)
        counted = s.scalar(select(func.count()).select_from(Answer).join(Ballot, Answer.ballot_id == Ballot.id)
                           .where(Ballot.campaign_id == LAST, Ballot.state != "rejected"))
    assert len(frame) == counted and "rejected" not in set(frame["state"])
    assert check_answers(frame, cset) == []
    result = survey_points(frame, cset)
    totals = result.totals.set_index("unit")
    assert len(totals) == 27 and totals["complete"].all()
    # The demo answers follow the published 2023 table: each unit lands near its published total.
    published = pd.Series({code: sum(points) for code, points in SURVEY.items()})
    gaps = (totals["points"] - published.reindex(totals.index)).abs()
    assert gaps.max() < 0.6, gaps.sort_values().tail(3)
    assert totals.loc["so_tp", "max_points"] == 13.5 and totals.loc["ba_be", "max_points"] == 14.0


def test_a_campaign_without_ballots_scores_to_nothing(app):
    from questionnaires import DEFAULT_SET_DIR, read_set_texts
    from survey_app.services.campaigns import create_campaign

    with app.extensions[DB_KEY].transaction() as s:
        campaign = create_campaign(
            s, year=2025, name="Trống", criteria_texts=read_set_texts(DEFAULT_SET_DIR), actor="t"
        )
        frame = answers_frame(s, campaign)
        assert list(frame.columns) == ["ballot_id", "group", "level", "unit", "question", "option", "state"]
        assert len(frame) == 0
        result = survey_points(frame, campaign_criteria(campaign))
        assert result.totals.empty


@pytest.mark.parametrize("backend", BACKENDS)
def test_chunked_reading_gives_the_same_frame_on_both_databases(backend, request, tmp_path, monkeypatch):
    """The demo built on each database and read in chunks of 997 rows scores like one read."""
    from survey_app import migrate
    from survey_app.demo import build_demo
    from survey_app.services import ballot_frame

    from .conftest import make_app

    url = f"sqlite:///{tmp_path / 'chunks.sqlite'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    app = make_app(url, tmp_path / "instance")
    database = app.extensions[DB_KEY]
    migrate.upgrade(database)
    with database.transaction() as s:
        build_demo(s, secret="chunks", seed=7)
    with database.session() as s:
        campaign = s.get(Campaign, LAST)
        whole = answers_frame(s, campaign)
        monkeypatch.setattr(ballot_frame, "CHUNK", 997)
        chunked = answers_frame(s, campaign)
        cset = campaign_criteria(campaign)
    assert len(whole) > 997 * 10
    key = ["ballot_id", "unit", "question"]
    a = whole.astype({c: str for c in whole.columns if c != "ballot_id"}).sort_values(key).reset_index(drop=True)
    b = chunked.astype({c: str for c in chunked.columns if c != "ballot_id"}).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    totals = survey_points(chunked, cset).totals
    assert len(totals) == 27 and totals["complete"].all()
