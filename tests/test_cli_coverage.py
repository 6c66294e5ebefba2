"""The coverage guard on the command line (docs/method.md, "Coverage"): ``parsurvey aggregate`` writes each unit's
counted ballots in points.csv, and ``parsurvey rank`` gives a unit under the set's min_ballots (5) no survey
score, rank or class, as the web app does; an older points.csv without the counts is ranked unguarded, and said so.

Ballots on the minimal set's district level (H1, max 0.5 points; tot 1.0, kha 0.6, kem 0), the delegates rating
each district:

    d1 verified   X tot, Y tot, Z kha, W tot
    d2 received          Y tot, Z kha, W tot
    d3 flagged           Y tot, Z kha, W tot
    d4 verified          Y tot, Z kha, W kem
    d5 verified          Y tot, Z kha, W kem
    d6 verified                 Z kha
    d7 rejected   X tot,               W tot     (left out everywhere)

Counted ballots: X 1, Y 5, Z 6, W 5. Survey points: X 0.5, Y 0.5, Z 0.3, W 3/5 of 0.5 = 0.3.
Appraisal X 99, Y 79.5, Z 90, W 70 -> index X 99.5, Z 90.3, Y 80.0, W 70.3.
Unguarded, X ranks 1st; guarded, X is "Chưa đủ phiếu (1 phiếu)" and Z, Y, W rank 1, 2, 3 (Tốt, Tốt, Yếu: each
district's one commune is Tốt, so the 2/3 rule keeps its class).
"""
from __future__ import annotations

import csv
import math

import pandas as pd
import pytest

COLUMNS = ["ballot_id", "group", "level", "unit", "question", "option", "state"]
RATINGS = [("d1", "verified", {"X": "tot", "Y": "tot", "Z": "kha", "W": "tot"}),
           ("d2", "received", {"Y": "tot", "Z": "kha", "W": "tot"}),
           ("d3", "flagged", {"Y": "tot", "Z": "kha", "W": "tot"}),
           ("d4", "verified", {"Y": "tot", "Z": "kha", "W": "kem"}),
           ("d5", "verified", {"Y": "tot", "Z": "kha", "W": "kem"}),
           ("d6", "verified", {"Z": "kha"}),
           ("d7", "rejected", {"X": "tot", "W": "tot"})]


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    ballots = tmp_path / "ballots.csv"
    with open(ballots, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for ballot, state, rated in RATINGS:
            writer.writerows((ballot, "dai_bieu", "huyen", unit, "H1", option, state) for unit, option in rated.items())
    appraisal = write(tmp_path / "appraisal.csv", "unit,total\nX,99\nY,79.5\nZ,90\nW,70\n")
    communes = write(tmp_path / "communes.csv", "commune,district,index,class\nx1,X,,Tốt\ny1,Y,,Tốt\nz1,Z,,Tốt\n"
                                                "w1,W,,Tốt\n")
    return tmp_path, ballots, appraisal, communes


def _aggregate(runner, folder, ballots, set_dir):
    points = folder / "points.csv"
    result = runner.invoke(args=["aggregate", "--ballots", str(ballots), "--criteria", str(set_dir),
                                 "--out", str(points)])
    assert result.exit_code == 0, result.output
    return points, result


def _rank(runner, folder, points, appraisal, communes, set_dir):
    out = folder / "final.csv"
    result = runner.invoke(args=["rank", "--survey", str(points), "--appraisal", str(appraisal), "--communes",
                                 str(communes), "--criteria", str(set_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False).set_index("unit"), result


def test_aggregate_writes_each_units_counted_ballots(runner, files, set_dir):
    folder, ballots, _appraisal, _communes = files
    points, result = _aggregate(runner, folder, ballots, set_dir)
    table = pd.read_csv(points).set_index("unit")
    assert list(table.columns) == ["level", "1", "2", "total", "complete", "ballots"]
    assert table["ballots"].to_dict() == {"W": 5, "X": 1, "Y": 5, "Z": 6}, "d7 is rejected and not counted"
    assert table["total"].to_dict() == pytest.approx({"W": 0.3, "X": 0.5, "Y": 0.5, "Z": 0.3})
    assert ("Đã ghi 4 đơn vị" in result.stdout
            and "1 đơn vị chưa đủ 5 phiếu: parsurvey rank không xếp hạng, không xếp loại." in result.stdout)


def test_rank_gives_a_unit_under_min_ballots_no_score_rank_or_class_and_closes_up_the_others(runner, files,
                                                                                              set_dir):
    folder, ballots, appraisal, communes = files
    points, _ = _aggregate(runner, folder, ballots, set_dir)
    final, result = _rank(runner, folder, points, appraisal, communes, set_dir)
    assert "Lưu ý: points.csv không có cột ballots" not in result.output
    x = final.loc["X"]
    assert (x["rank"], x["survey"], x["index"]) == ("", "", ""), "no score, no rank"
    assert x["class"] == "Chưa đủ phiếu (1 phiếu)" and x["coverage"] == "chưa đủ phiếu (1 phiếu)"
    assert x["class_reason"].startswith("dưới 5 phiếu tối thiểu") and x["ballots"] == 1
    ranked = final.loc[["Z", "Y", "W"]]
    assert ranked["rank"].astype(int).tolist() == [1, 2, 3], "no gap where X would have been first"
    assert ranked["index"].astype(float).tolist() == pytest.approx([90.3, 80.0, 70.3])
    assert ranked["class"].tolist() == ["Tốt", "Tốt", "Yếu"]
    assert ranked["ballots"].astype(int).tolist() == [6, 5, 5] and set(ranked["coverage"]) == {""}
    assert list(final.index) == ["Z", "Y", "W", "X"], "the unranked unit comes last"
    assert "Chưa đủ phiếu (1 phiếu) 1" in result.stdout


def test_an_older_points_file_without_ballots_is_ranked_unguarded_and_stderr_says_so(runner, files, set_dir):
    folder, ballots, appraisal, communes = files
    points, _ = _aggregate(runner, folder, ballots, set_dir)
    old = folder / "old-points.csv"
    pd.read_csv(points).drop(columns="ballots").to_csv(old, index=False)
    final, result = _rank(runner, folder, old, appraisal, communes, set_dir)
    assert ("Lưu ý: old-points.csv không có cột ballots (số phiếu của từng đơn vị; tệp do parsurvey aggregate bản cũ "
            "ghi): KHÔNG áp dụng ngưỡng 5 phiếu tối thiểu") in result.stderr
    assert final["rank"].astype(int).to_dict() == {"X": 1, "Z": 2, "Y": 3, "W": 4}
    assert final.loc["X", "index"] == pytest.approx(99.5) and final.loc["X", "class"] == "Tốt"
    assert set(final["ballots"]) == {""} and set(final["coverage"]) == {""}, "counts unknown, not zero"


def test_a_ballots_cell_that_is_not_a_count_is_refused(runner, files, set_dir):
    folder, _ballots, appraisal, communes = files
    points = write(folder / "points.csv", "level,unit,1,2,total,complete,ballots\nhuyen,X,0.5,0,0.5,1,1\n"
                                          "huyen,Y,0.5,0,0.5,1,2.5\nhuyen,Z,0.3,0,0.3,1,-1\nhuyen,W,0.3,0,0.3,1,\n")
    result = runner.invoke(args=["rank", "--survey", str(points), "--appraisal", str(appraisal), "--criteria",
                                 str(set_dir), "--out", str(folder / "final.csv")])
    assert result.exit_code == 2
    for row, text in ((3, "2.5"), (4, "-1"), (5, "")):
        assert f"points.csv: dòng {row}, cột 'ballots': '{text}' không phải là số phiếu" in result.stderr
    assert "dòng 2" not in result.stderr and not (folder / "final.csv").exists()


def test_the_command_line_gives_the_web_apps_final_table_for_the_same_ballots(demo_app, tmp_path):
    """The demo's closed campaign with one department left with a single counted ballot (the others that rated it
    rejected): aggregate + rank on its ballots and appraisal give the web's final table, unit for unit."""
    from survey_app.extensions import DB_KEY
    from survey_app.models import Campaign
    from survey_app.services.ballot_frame import answers_frame
    from survey_app.services.results import appraisal_table
    from survey_app.services.review import change_state
    from survey_app.services.scores import campaign_scores

    from .conftest import LAST

    with demo_app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, LAST)
        answers = answers_frame(s, campaign)
        unit = sorted(answers.loc[answers["level"] == "so", "unit"].unique())[0]
        rating = sorted(answers.loc[answers["unit"] == unit, "ballot_id"].unique())
        assert len(rating) >= 5
        ids = [int(b) for b in rating[1:]]  # plain ints: numpy's would match no ballot
        assert change_state(s, campaign, ids, "rejected", "thử: một phiếu còn lại", "test") == len(ids)
    with demo_app.extensions[DB_KEY].session() as s:
        campaign = s.get(Campaign, LAST)
        web = campaign_scores(s, campaign)
        answers = answers_frame(s, campaign)
        appraisal = appraisal_table(s, campaign, web.cset)
    answers.to_csv(tmp_path / "ballots.csv", index=False)
    surveyed = [lv.code for lv in web.cset.levels if lv.surveyed]
    appraisal[appraisal["level"].isin(surveyed)][["level", "unit", "total"]].to_csv(tmp_path / "appraisal.csv",
                                                                                  index=False)
    runner = demo_app.test_cli_runner()
    assert runner.invoke(args=["aggregate", "--ballots", str(tmp_path / "ballots.csv"),
                               "--out", str(tmp_path / "points.csv")]).exit_code == 0
    result = runner.invoke(args=["rank", "--survey", str(tmp_path / "points.csv"), "--appraisal",
                                 str(tmp_path / "appraisal.csv"), "--out", str(tmp_path / "final.csv")])
    assert result.exit_code == 0, result.output
    cli = pd.read_csv(tmp_path / "final.csv", encoding="utf-8-sig", dtype={"unit": str}).set_index("unit")
    page = web.final.table.set_index("unit")
    page = page[page["level"].isin(surveyed)]
    assert page.at[unit, "class"] == cli.at[unit, "class"] == "Chưa đủ phiếu (1 phiếu)"
    assert pd.isna(page.at[unit, "rank"]) and math.isnan(cli.at[unit, "rank"]) and math.isnan(cli.at[unit, "index"])
    assert sorted(cli.index) == sorted(page.index)
    cli = cli.loc[page.index]
    assert cli["ballots"].astype(int).tolist() == page["ballots"].astype(int).tolist()
    assert cli["rank"].tolist() == pytest.approx(page["rank"].astype(float).tolist(), nan_ok=True)
    assert cli["index"].tolist() == pytest.approx(page["index"].astype(float).tolist(), abs=1e-6, nan_ok=True)
    short = page["coverage"].where(page["coverage"].str.startswith("chưa đủ phiếu"), "")  # no plan on the command line
    assert cli["coverage"].fillna("").tolist() == short.tolist()
    so = page.index[page["level"] == "so"]  # districts' classes also need the communes' results: compared as ranks
    assert cli.loc[so, "class"].tolist() == page.loc[so, "class"].tolist()
    ranks = page.loc[so, "rank"].dropna().astype(int).sort_values().tolist()
    assert ranks == list(range(1, len(ranks) + 1)), "no gap for the unranked department"
