"""Rank ranges of a level ranked within its parent (``rank_within: parent``) are taken within each parent, from the
same replicates: scoring.index_intervals, services.scores.campaign_intervals, ``parsurvey rank --intervals`` and
the confidence page ("Độ tin cậy").

Four fixed replicates of the communes' survey totals (the Bootstrap is built by hand). With four replicates and
95%, the range of a rank is the lowest to the highest rank over the replicates (the 2.5th percentile lies between
the lowest two, floored; the 97.5th between the highest two, ceiled); a pair is not settled when reversed in one
replicate of four (25% > 2.5%).

=======  ======  ==========  ====  ===========  ==============  ===========  ==============
commune  parent  replicates  est.  within rank  within range    prov. rank   prov. range
=======  ======  ==========  ====  ===========  ==============  ===========  ==============
x1       h1      9 9 9   9   9     1            1-1 (1 1 1 1)   1            1-1
x2       h1      8 8 8   8   8     2            2-3 (2 2 3 2)   2            2-3 (2 2 3 2)
x3       h1      5 5 8.5 5   5     3            2-3 (3 3 2 3)   5            2-5 (5 5 2 5)
x4       h2      7 7 7   7   7     1            1-2 (1 1 2 1)   3            3-5 (3 3 5 3)
x5       h2      6 6 7.5 6   6     2            1-2 (2 2 1 2)   4            4-4 (4 4 4 4)
x6       (none)  4 4 4   4   4     no rank      no range        6            6-6
=======  ======  ==========  ====  ===========  ==============  ===========  ==============

Not settled within parents: x2 above x3 and x4 above x5, each reversed in replicate 3 (25%). Across the province
the neighbours are x1 x2 x4 x5 x3 x6: x4/x5 and x5/x3 (25% each) instead, a pair of two districts. Departments
(so: a 0.8, b 0.5 in every replicate) are ranked across the province either way: a 1-1, b 2-2.
"""
from __future__ import annotations

import pandas as pd
import pytest

from aggregation.stats import Bootstrap
from questionnaires import load_criteria_set_from_texts
from scoring import final_table, index_intervals
from survey_app.outputs.report_tables import intervals_table
from survey_app.services.scores import CampaignScores, campaign_intervals

from .test_rank_within import set_files

REPLICATES = {("so", "a"): [0.8] * 4, ("so", "b"): [0.5] * 4,
              ("xa", "x1"): [9.0] * 4, ("xa", "x2"): [8.0] * 4, ("xa", "x3"): [5.0, 5.0, 8.5, 5.0],
              ("xa", "x4"): [7.0] * 4, ("xa", "x5"): [6.0, 6.0, 7.5, 6.0], ("xa", "x6"): [4.0] * 4}
ESTIMATES = {("so", "a"): 0.8, ("so", "b"): 0.5, ("xa", "x1"): 9.0, ("xa", "x2"): 8.0, ("xa", "x3"): 5.0,
             ("xa", "x4"): 7.0, ("xa", "x5"): 6.0, ("xa", "x6"): 4.0}
PARENTS = {"x1": "h1", "x2": "h1", "x3": "h1", "x4": "h2", "x5": "h2"}  # x6's district is not known
NAMES = {"a": "Sở A", "b": "Sở B", "h1": "Huyện Một", "h2": "Huyện Hai"}

WITHIN = {"a": (1, 1, 1), "b": (2, 2, 2), "x1": (1, 1, 1), "x2": (2, 2, 3), "x3": (3, 2, 3), "x4": (1, 1, 2),
          "x5": (2, 1, 2)}
PROVINCE = {"a": (1, 1, 1), "b": (2, 2, 2), "x1": (1, 1, 1), "x2": (2, 2, 3), "x3": (5, 2, 5), "x4": (3, 3, 5),
            "x5": (4, 4, 4), "x6": (6, 6, 6)}


def boot() -> Bootstrap:
    intervals = pd.DataFrame([(level, unit, "total", p, min(REPLICATES[(level, unit)]), max(REPLICATES[(level, unit)]),
                               "") for (level, unit), p in ESTIMATES.items()],
                             columns=["level", "unit", "code", "points", "low", "high", "single"])
    return Bootstrap(intervals, pd.DataFrame(REPLICATES))


def cset(within: bool = True):
    return load_criteria_set_from_texts(set_files(within))


def units() -> pd.DataFrame:
    rows = [("so", "a", "Sở A", None), ("so", "b", "Sở B", None), ("huyen", "h1", "Huyện Một", None),
            ("huyen", "h2", "Huyện Hai", None)]
    rows += [("xa", code, f"Xã {code[1:]}", parent) for code, parent in PARENTS.items()]
    return pd.DataFrame(rows + [("xa", "x6", "Xã 6", None)], columns=["level", "code", "name", "parent"])


def ranks(table: pd.DataFrame) -> dict[str, tuple]:
    """``unit -> (rank, rank_low, rank_high)`` of the ranked units."""
    ranked = table.dropna(subset=["rank"])
    return {u: (int(r), int(lo), int(hi)) for u, r, lo, hi in ranked[["unit", "rank", "rank_low", "rank_high"]]
            .itertuples(index=False)}


def pairs(unsettled: pd.DataFrame) -> list[tuple]:
    return [(level, above, below, share) for level, above, below, share in unsettled.itertuples(index=False)]


def test_communes_rank_ranges_are_within_their_district():
    table, unsettled = index_intervals(boot(), cset=cset(), units=units())
    assert ranks(table) == WITHIN
    assert table.set_index("unit").loc["x6", ["rank", "rank_low", "rank_high"]].isna().all(), "district unknown"
    assert pairs(unsettled) == [("xa", "x2", "x3", 0.25), ("xa", "x4", "x5", 0.25)], "pairs of one district"
    assert table.set_index("unit")["points"].to_dict() == {u: p for (_, u), p in ESTIMATES.items()}


def test_a_set_ranking_across_the_province_keeps_one_ranking():
    table, unsettled = index_intervals(boot(), cset=cset(within=False), units=units())
    assert ranks(table) == PROVINCE
    assert pairs(unsettled) == [("xa", "x4", "x5", 0.25), ("xa", "x5", "x3", 0.25)]
    assert ranks(index_intervals(boot())[0]) == PROVINCE, "without the set, as before"


def test_without_units_no_commune_of_a_within_level_is_ranked():
    """As the final table: a commune whose district is not known gets no rank (not a province-wide one)."""
    table, unsettled = index_intervals(boot(), cset=cset(), units=None)
    assert ranks(table) == {"a": (1, 1, 1), "b": (2, 2, 2)}
    assert unsettled.empty


def test_the_appraisal_shifts_within_the_district_too():
    """Appraisal 50 for x1, x2, x4, x5 and 53.6 for x3: x3's index replicates are 58.6 58.6 62.1 58.6, above x1's
    59 only in replicate 3, below x2's 58 never: x3 is 2nd of h1 (1-2), x1 1st (1-2), x2 3rd in every replicate."""
    appraisal = pd.DataFrame({"level": ["so", "so"] + ["xa"] * 5, "unit": ["a", "b", "x1", "x2", "x3", "x4", "x5"],
                              "appraisal": [80.0, 70.0, 50.0, 50.0, 53.6, 50.0, 50.0]})
    table, unsettled = index_intervals(boot(), appraisal, cset=cset(), units=units())
    assert ranks(table) == {"a": (1, 1, 1), "b": (2, 2, 2), "x1": (1, 1, 2), "x3": (2, 1, 2), "x2": (3, 3, 3),
                            "x4": (1, 1, 2), "x5": (2, 1, 2)}
    assert pairs(unsettled) == [("xa", "x1", "x3", 0.25), ("xa", "x4", "x5", 0.25)]


def scores() -> CampaignScores:
    cs, u = cset(), units()
    survey = pd.DataFrame({"level": "so", "unit": ["a", "b"], "1": [0.4, 0.25], "2": [0.4, 0.25], "total": [0.8, 0.5]})
    appraisal = pd.DataFrame({"level": ["so", "so"] + ["xa"] * 6, "unit": ["a", "b"] + [f"x{i}" for i in range(1, 7)],
                              "total": [80.0, 70.0] + [50.0] * 6})
    appraisal["1"] = appraisal["2"] = appraisal["total"] / 2
    final = final_table(survey, appraisal, cs, units=u)
    answers = pd.DataFrame({"ballot_id": [1], "group": "dai_bieu", "level": "so", "unit": "a", "question": "Q1",
                            "option": "tot"})  # not read: bootstrap_points is replaced by the hand-built replicates
    return CampaignScores(cs, u, answers, pd.DataFrame(), None, survey.assign(complete=True), final,
                          {"appraisal": True, "communes": False, "previous": False}, 2024)


@pytest.fixture
def fixed_replicates(monkeypatch):
    monkeypatch.setattr("aggregation.bootstrap_points", lambda *args, **kwargs: boot())


def test_campaign_intervals_take_the_districts_from_the_campaigns_units(fixed_replicates):
    """Appraisal 50 for every commune: every replicate shifted alike, the ranks of the survey totals."""
    table, unsettled = campaign_intervals(scores())
    assert ranks(table) == WITHIN
    assert pairs(unsettled) == [("xa", "x2", "x3", 0.25), ("xa", "x4", "x5", 0.25)]


def test_the_confidence_table_heads_the_rank_within_the_district(fixed_replicates):
    sc = scores()
    table = intervals_table(sc, campaign_intervals(sc)[0])
    rank = next(c for c in table.columns if c.key == "rank")
    assert table.header(rank, "xa") == "Xếp hạng trong huyện" and table.header(rank, "so") == "Xếp hạng theo chỉ số"
    keys = [c.key for c in table.columns]
    assert keys.index("parent_name") == keys.index("name") + 1 and keys.index("rank_of") == keys.index("rank") + 1
    xa = [(r["unit"], r["parent_name"], r["rank"], r["rank_of"], r["rank_low"], r["rank_high"])
          for r in table.rows if r["level"] == "xa"]
    assert xa == [("x1", "Huyện Một", 1, 3, 1, 1), ("x2", "Huyện Một", 2, 3, 2, 3), ("x3", "Huyện Một", 3, 3, 2, 3),
                  ("x4", "Huyện Hai", 1, 2, 1, 2), ("x5", "Huyện Hai", 2, 2, 1, 2),
                  ("x6", None, None, None, None, None)]
    assert [(r["rank"], r["rank_of"]) for r in table.rows if r["level"] == "so"] == [(1, 2), (2, 2)]
    assert "Xếp hạng theo bộ tiêu chí: các xã xếp hạng trong từng huyện." in table.note


def test_the_confidence_page_shows_ranks_within_the_district(demo_admin, monkeypatch, fixed_replicates):
    sc = scores()
    monkeypatch.setattr("survey_app.web.reports.routes.scores_of", lambda campaign: sc)
    monkeypatch.setattr("survey_app.web.reports.routes.intervals_of", lambda campaign: campaign_intervals(sc))
    page = demo_admin.get("/bao-cao/1/do-tin-cay")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Xếp hạng trong huyện" in html and "Huyện Hai" in html and "các xã xếp hạng trong từng huyện" in html
    assert "Xã 2 xếp trên Xã 3" in html and "Xã 5 xếp trên Xã 3" not in html
    rows = demo_admin.get("/bao-cao/1/xuat/do-tin-cay.json").get_json()
    x3 = next(r for r in rows if r["unit"] == "x3")
    assert (x3["rank"], x3["rank_low"], x3["rank_high"], x3["parent_name"]) == (3, 2, 3, "Huyện Một")


def test_rank_command_writes_rank_ranges_within_each_district(runner, tmp_path, monkeypatch, fixed_replicates):
    folder = tmp_path / "set"
    for path, text in set_files(within=True).items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    communes = "".join(f"xa,{code},0,0,0,1\n" for code in PARENTS)  # x6: in the replicates only, not listed
    (tmp_path / "points.csv").write_text("level,unit,1,2,total,complete\nso,a,0.4,0.4,0.8,1\nso,b,0.25,0.25,0.5,1\n"
                                         + communes, encoding="utf-8")
    (tmp_path / "appraisal.csv").write_text("unit,total\na,80\nb,70\n" + "".join(f"{code},50\n" for code in PARENTS),
                                            encoding="utf-8")
    units().fillna("").iloc[:-1].to_csv(tmp_path / "units.csv", index=False)
    (tmp_path / "answers.csv").write_text("ballot_id,group,level,unit,question,option\n1,dai_bieu,so,a,Q1,tot\n",
                                          encoding="utf-8")
    files = {name: str(tmp_path / f"{name}.csv") for name in ("points", "appraisal", "units", "answers", "final", "ci")}
    result = runner.invoke(args=["rank", "--survey", files["points"], "--appraisal", files["appraisal"], "--units",
                                 files["units"], "--criteria", str(folder), "--out", files["final"],
                                 "--intervals", files["ci"], "--ballots", files["answers"]])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(files["ci"], encoding="utf-8-sig", keep_default_na=False)
    assert list(written.columns[:3]) == ["level", "unit", "parent"]
    assert ranks(written[written["rank"] != ""].astype({"rank": int, "rank_low": int, "rank_high": int})) == WITHIN
    assert written.set_index("unit")["parent"].to_dict() == {"a": "", "b": "", **PARENTS, "x6": ""}
