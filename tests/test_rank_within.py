"""A level ranked within its parent (issue 26, ``rank_within: parent``): communes ranked among the communes of
their own district, with M of "xếp thứ N/M" counted there; the default ("province") keeps one ranking.

Numbers by hand (communes have appraisal points only, the small set does not survey them):

======  ========  =====  ===========================  ================
commune district  index  rank within its district     rank in province
======  ========  =====  ===========================  ================
x2      h1        85.0   1 of 4                       2
x3      h1        85.0004  1 of 4 (85.000 at 3 dec.)  2
x1      h1        70.0   3 of 4                       4
x4      h1        60.0   4 of 4                       5
x5      h2        90.0   1 of 2                       1
x6      h2        50.0   2 of 2                       6
======  ========  =====  ===========================  ================
"""
from __future__ import annotations

import pandas as pd
import pytest

from questionnaires import load_criteria_set_from_texts
from scoring import final_table
from survey_app.outputs.report_tables import final_report_table
from survey_app.services.scores import CampaignScores

from .minimal_set import texts

COMMUNES = {"x1": ("h1", 70.0), "x2": ("h1", 85.0), "x3": ("h1", 85.0004), "x4": ("h1", 60.0),
            "x5": ("h2", 90.0), "x6": ("h2", 50.0)}
NAMES = {"h1": "Huyện Một", "h2": "Huyện Hai", "a": "Sở A", "b": "Sở B"}


def set_files(within: bool) -> dict[str, str]:
    files = texts()
    if within:
        files["set.yaml"] = files["set.yaml"].replace("    parent: huyen\n",
                                                      "    parent: huyen\n    rank_within: parent\n")
    return files


def tables():
    survey = pd.DataFrame({"level": "so", "unit": ["a", "b"], "1": [0.25, 0.4], "2": [0.25, 0.4], "total": [0.5, 0.8]})
    appraisal = pd.concat([pd.DataFrame({"level": "so", "unit": ["a", "b"], "total": [80.0, 70.0]}),
                           pd.DataFrame({"level": "xa", "unit": list(COMMUNES),
                                         "total": [index for _, index in COMMUNES.values()]})], ignore_index=True)
    appraisal["1"] = appraisal["2"] = appraisal["total"] / 2  # per field, as the pages' field sentences read it
    units = pd.DataFrame(
        [("so", "a", "Sở A", None), ("so", "b", "Sở B", None), ("huyen", "h1", "Huyện Một", None),
         ("huyen", "h2", "Huyện Hai", None)]
        + [("xa", code, f"Xã {code[1:]}", parent) for code, (parent, _) in COMMUNES.items()],
        columns=["level", "code", "name", "parent"])
    return survey, appraisal, units


def final(within: bool, with_units: bool = True):
    cset = load_criteria_set_from_texts(set_files(within))
    survey, appraisal, units = tables()
    return cset, units, final_table(survey, appraisal, cset, units=units if with_units else None)


def test_communes_ranked_within_their_district():
    _, _, result = final(within=True)
    t = result.table
    xa = t[t["level"] == "xa"]
    assert xa["unit"].tolist() == ["x2", "x3", "x1", "x4", "x5", "x6"], "grouped by district, then by rank"
    assert xa["parent"].tolist() == ["h1"] * 4 + ["h2"] * 2
    assert xa["rank"].tolist() == [1, 1, 3, 4, 1, 2], "ties at 3 decimals share the rank, as across the province"
    assert xa["rank_of"].tolist() == [4, 4, 4, 4, 2, 2]
    so = t[t["level"] == "so"].set_index("unit")
    assert so["rank"].to_dict() == {"a": 1, "b": 2} and so["parent"].tolist() == ["", ""]
    assert so["rank_of"].tolist() == [2, 2]
    assert list(t.columns[-2:]) == ["parent", "rank_of"]


def test_province_keeps_one_ranking_of_the_level():
    _, _, result = final(within=False)
    xa = result.table[result.table["level"] == "xa"].set_index("unit")
    assert xa["rank"].to_dict() == {"x5": 1, "x2": 2, "x3": 2, "x1": 4, "x4": 5, "x6": 6}
    assert "parent" not in result.table.columns and "rank_of" not in result.table.columns


def test_a_commune_whose_district_is_unknown_gets_no_rank_and_a_warning():
    _, _, result = final(within=True, with_units=False)
    xa = result.table[result.table["level"] == "xa"]
    assert xa["rank"].isna().all() and xa["rank_of"].isna().all()
    assert any("cấp xã xếp hạng trong từng huyện nhưng không biết huyện của 6 đơn vị" in w for w in result.warnings)


def scores(within: bool) -> CampaignScores:
    cset, units, result = final(within=within)
    survey = tables()[0].assign(complete=True)
    return CampaignScores(cset, units, pd.DataFrame(), pd.DataFrame(), None, survey, result,
                          {"appraisal": True, "communes": False, "previous": False}, 2024)


def test_the_published_table_names_the_district_and_counts_within_it():
    table = final_report_table(scores(within=True))
    keys = [c.key for c in table.columns]
    assert keys.index("parent_name") == keys.index("name") + 1 and keys.index("rank_of") == keys.index("rank") + 1
    assert table.header(next(c for c in table.columns if c.key == "rank"), "xa") == "Xếp hạng trong huyện"
    assert table.header(next(c for c in table.columns if c.key == "rank"), "so") == "Xếp hạng"
    xa = [(r["name"], r["parent_name"], r["rank"], r["rank_of"]) for r in table.rows if r["level"] == "xa"]
    assert xa == [("Xã 2", "Huyện Một", 1, 4), ("Xã 3", "Huyện Một", 1, 4), ("Xã 1", "Huyện Một", 3, 4),
                  ("Xã 4", "Huyện Một", 4, 4), ("Xã 5", "Huyện Hai", 1, 2), ("Xã 6", "Huyện Hai", 2, 2)]
    assert "các xã xếp hạng trong từng huyện" in table.note


def test_the_published_table_is_unchanged_for_a_province_ranking():
    table = final_report_table(scores(within=False))
    assert "parent_name" not in [c.key for c in table.columns] and table.level_headers == {}
    assert [r["rank"] for r in table.rows if r["level"] == "xa"] == [1, 2, 2, 4, 5, 6]


def test_word_report_prints_the_district_and_the_count():
    from survey_app.outputs.report_docx import FINAL_KEYS

    assert FINAL_KEYS.index("parent_name") == FINAL_KEYS.index("name") + 1
    assert FINAL_KEYS.index("rank_of") == FINAL_KEYS.index("rank") + 1


@pytest.fixture
def rank_files(tmp_path):
    folder = tmp_path / "set"
    for path, text in set_files(within=True).items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    survey, appraisal, units = tables()
    # parsurvey rank takes the appraisal of the units of points.csv: the communes are there with 0 survey points.
    communes = "".join(f"xa,{code},0,0,0,1\n" for code in COMMUNES)
    (tmp_path / "points.csv").write_text("level,unit,1,2,total,complete\nso,a,0.25,0.25,0.5,1\nso,b,0.4,0.4,0.8,1\n"
                                         + communes, encoding="utf-8")
    appraisal[["unit", "total"]].to_csv(tmp_path / "appraisal.csv", index=False)
    units.fillna("").to_csv(tmp_path / "units.csv", index=False)
    return tmp_path, folder


def test_rank_command_writes_ranks_within_each_district(runner, rank_files):
    folder, criteria = rank_files
    out = folder / "final.csv"
    result = runner.invoke(args=["rank", "--survey", str(folder / "points.csv"), "--appraisal",
                                 str(folder / "appraisal.csv"), "--units", str(folder / "units.csv"),
                                 "--criteria", str(criteria), "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
    xa = written[written["level"] == "xa"]
    assert list(zip(xa["unit"], xa["parent"], xa["rank"], xa["rank_of"])) == [
        ("x2", "h1", 1, 4), ("x3", "h1", 1, 4), ("x1", "h1", 3, 4), ("x4", "h1", 4, 4), ("x5", "h2", 1, 2),
        ("x6", "h2", 2, 2)]


def test_api_final_and_page_rank_communes_within_their_district(demo_admin, demo_app, monkeypatch):
    """The API's final and the final page show the hand-built table (the demo's set ranks across the province)."""
    from survey_app.extensions import DB_KEY
    from survey_app.services.users import create_api_token, create_user

    from .test_auth import PASSWORD

    within = scores(within=True)
    monkeypatch.setattr("survey_app.web.api.routes.scores_of", lambda campaign: within)
    monkeypatch.setattr("survey_app.web.reports.routes.scores_of", lambda campaign: within)
    with demo_app.extensions[DB_KEY].transaction() as s:
        user = create_user(s, "pt", PASSWORD, "analyst", actor="test")
        s.flush()
        token = create_api_token(s, user, "test", actor="test")
    rows = demo_app.test_client().get("/api/v1/campaigns/1/final", headers={"Authorization": f"Bearer {token}"}).json
    xa = [(r["unit"], r["parent"], r["rank"], r["rank_of"]) for r in rows["rows"] if r["level"] == "xa"]
    assert xa == [("x2", "h1", 1, 4), ("x3", "h1", 1, 4), ("x1", "h1", 3, 4), ("x4", "h1", 4, 4),
                  ("x5", "h2", 1, 2), ("x6", "h2", 2, 2)]
    assert [(r["parent"], r["rank_of"]) for r in rows["rows"] if r["level"] == "so"] == [(None, 2), (None, 2)]
    page = demo_admin.get("/bao-cao/1/ket-qua")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Xếp hạng trong huyện" in html and "Huyện Hai" in html and "Trên tổng số" in html
