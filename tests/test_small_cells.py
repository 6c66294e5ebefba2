"""Small cells (issue 26 item 2, docs/method.md "Small cells"): no published figure comes from fewer than the
set's min_cell people of a unit × group; figures worked out by hand, at k − 1 and at k."""
from __future__ import annotations

import io
from types import SimpleNamespace

import pandas as pd
import pytest
from sqlalchemy import select

from aggregation import answer_counts
from aggregation.suppression import RATED_COLUMNS, small_cells
from questionnaires import load_default_set
from survey_app.extensions import DB_KEY
from survey_app.models import Campaign, Unit
from survey_app.outputs.findings import level_paragraphs, poor_findings
from survey_app.outputs.report_tables import findings_table, option_table, shown
from survey_app.outputs.small_cells import HIDDEN
from survey_app.services.ballot_frame import rated_frame
from survey_app.services.scores import campaign_scores

from .conftest import LAST
from .test_reports import client_for, users  # noqa: F401 - the fixture the pages need

CSET = load_default_set()  # min_cell = 5


def _rated(cells: dict[tuple[str, str], int], level: str = "huyen", counted: bool = True,
           first: int = 0) -> pd.DataFrame:
    """One ballot per person: ``{(unit, group): people}``."""
    rows, n = [], first
    for (unit, group), people in cells.items():
        for _ in range(people):
            rows.append((n, level, unit, group, counted))
            n += 1
    return pd.DataFrame(rows, columns=RATED_COLUMNS)


def _withheld(sc) -> dict[str, str]:
    return dict(zip(sc.withheld["unit"], sc.withheld["reason"]))


# --- the rule -----------------------------------------------------------------------------------------------

def test_a_cell_of_k_minus_1_is_withheld_and_a_cell_of_k_is_not():
    # Citizens: a 4 (k − 1), b 1, c 5 (k), d 9. a and b are under 5; together 5 people of 2 units, so nobody
    # can tell them apart by subtracting the raw rows from the level-wide table; c and d stay.
    sc = small_cells(_rated({("a", "dan"): 4, ("b", "dan"): 1, ("c", "dan"): 5, ("d", "dan"): 9}), 5)
    assert _withheld(sc) == {"a": "small", "b": "small"}
    assert sc.hidden_groups.empty  # 19 citizens at the level


def test_a_lone_small_cell_is_pooled_with_the_next_smallest():
    # a 2 alone: the level-wide table minus the raw rows would be a's 2 citizens. The next smallest, b (5),
    # is withheld with it: 7 people of 2 units. c (9) stays.
    sc = small_cells(_rated({("a", "dan"): 2, ("b", "dan"): 5, ("c", "dan"): 9}), 5)
    assert _withheld(sc) == {"a": "small", "b": "pooled"}


def test_a_unit_with_one_small_group_is_withheld_whole():
    # a: 1 firm and 20 citizens. With a's citizens in the raw rows, a's published points minus them would be
    # the firm's answers: every row of a goes. The citizens' pool (a alone, 20 people) is one unit: b (the
    # next smallest citizen cell) is pooled with it; the firms' pool is then a's 1 and b's 6: 7 people, 2 units.
    sc = small_cells(_rated({("a", "dan"): 20, ("a", "dn"): 1, ("b", "dan"): 30, ("b", "dn"): 6,
                             ("c", "dan"): 40, ("c", "dn"): 7}), 5)
    assert _withheld(sc) == {"a": "small", "b": "pooled"}  # b's 6 firms + a's 1 = 7 people, 2 units


def test_rejected_ballots_count_as_people_in_the_raw_rows_and_counted_ones_alone_too():
    # a: 6 ballots of which 2 rejected (4 counted < 5): small. b: 2 rejected only (2 people < 5): small.
    # Their pool is 8 people of 2 units, but its counted ballots are a's 4 of one unit (the level-wide table
    # minus the raw counted rows): c (5, the next smallest) is pooled. d (9) stays.
    rated = pd.concat([_rated({("a", "dan"): 4, ("c", "dan"): 5, ("d", "dan"): 9}),
                       _rated({("a", "dan"): 2, ("b", "dan"): 2}, counted=False, first=100)], ignore_index=True)
    sc = small_cells(rated, 5)
    assert _withheld(sc) == {"a": "small", "b": "small", "c": "pooled"}
    cells = sc.cells.set_index("unit")
    assert (cells.at["a", "people"], cells.at["a", "counted"]) == (6, 4)


def test_the_same_ballots_in_any_row_order_withhold_the_same_units():
    rated = _rated({("a", "dan"): 2, ("b", "dan"): 5, ("c", "dan"): 5, ("d", "dan"): 9})
    a = small_cells(rated, 5).withheld
    b = small_cells(rated.sample(frac=1, random_state=3).reset_index(drop=True), 5).withheld
    assert a.equals(b) and list(a["unit"]) == ["a", "b"]  # b before c: equal sizes, by code


def test_a_group_rating_each_unit_counts_people_not_ratings():
    # 3 delegates each rate x and y (cells of 3): both units withheld; the pool is 3 people (6 ratings),
    # under 5, with no unit left to add; the level-wide figures of the 3 delegates are hidden.
    rated = pd.concat([_rated({("x", "dai_bieu"): 3}), _rated({("y", "dai_bieu"): 3}),
                       _rated({("x", "dan"): 6, ("y", "dan"): 7}, first=10)], ignore_index=True)
    sc = small_cells(rated, 5)
    assert _withheld(sc) == {"x": "small", "y": "small"}
    assert list(sc.hidden_groups.itertuples(index=False, name=None)) == [("huyen", "dai_bieu", 3)]
    assert sc.hides("huyen", "dai_bieu") and not sc.hides("huyen", "dan")


def test_a_level_wide_figure_that_is_one_withheld_units_cell_is_hidden():
    # Level "so" has one unit answered by the firms: its 6 firms' level-wide shares would be u's firm cell,
    # and u's points minus them the 2 citizens' answers.
    sc = small_cells(_rated({("u", "dn"): 6, ("u", "dan"): 2}, level="so"), 5)
    assert _withheld(sc) == {"u": "small"}
    assert set(sc.hidden_groups["group"]) == {"dn", "dan"}


# --- the level-wide tables ----------------------------------------------------------------------------------

def _scores(answers: pd.DataFrame, k: int = 5) -> SimpleNamespace:
    rated = answers.drop_duplicates(["ballot_id", "unit"]).assign(counted=True)[RATED_COLUMNS]
    return SimpleNamespace(cset=CSET, counts=answer_counts(answers), small=small_cells(rated, k))


def _h10(group: str, options: list[str], first: int, unit: str = "ba_be") -> pd.DataFrame:
    return pd.DataFrame({"ballot_id": range(first, first + len(options)), "group": group, "level": "huyen",
                         "unit": unit, "question": "H10", "option": options})


def test_poor_shares_of_4_people_are_not_published_and_of_5_are():
    # H10 ("Kém" is poor): 4 citizens of Ba Bể, 2 of them "Kém" (50%): hidden. 5 firms of Chợ Đồn, 1 "Kém":
    # 1/5 = 20.0%.
    answers = pd.concat([_h10("nguoi_dan", ["kem", "kem", "tot", "kha"], 0),
                         _h10("doanh_nghiep", ["kem", "tot", "tot", "kha", "kha"], 10, "cho_don")], ignore_index=True)
    sc = _scores(answers)
    rows = poor_findings(sc)
    assert [(r["group"], r["poor"], r["answers"], round(r["share"], 1)) for r in rows] == [
        ("doanh_nghiep", 1, 5, 20.0)]
    paragraph = dict(level_paragraphs(sc, rows))["Cấp huyện"]
    assert "20,0% ý kiến doanh nghiệp" in paragraph and "50,0%" not in paragraph
    assert paragraph.endswith("Không nêu ý kiến của người dân (dưới 5 người trả lời).")
    assert "Cấp huyện · Người dân: 4 người" in findings_table(sc).footnote


def test_the_option_table_shows_a_dash_for_every_figure_of_a_small_group():
    answers = pd.concat([_h10("nguoi_dan", ["kem", "kem", "tot", "kha"], 0),
                         _h10("doanh_nghiep", ["kem", "tot", "tot", "kha", "kha"], 10, "cho_don")], ignore_index=True)
    table = option_table(_scores(answers))
    citizens = [r for r in table.rows if r["group_name"] == "Người dân"]
    assert citizens == [{"level": "huyen", "level_name": "Cấp huyện", "question": "H10", "group_name": "Người dân",
                         "option": HIDDEN, "n": HIDDEN, "share": HIDDEN}]
    firms = {r["option"]: (r["n"], round(r["share"], 1)) for r in table.rows if r["group_name"] == "Doanh nghiệp"}
    assert firms == {"Kém": (1, 20.0), "Tốt": (2, 40.0), "Khá": (2, 40.0)}
    assert shown(HIDDEN, "percent") == "—" and table.footnote.startswith("“—”: không công bố số liệu riêng")


def test_a_fifth_citizen_brings_their_shares_back():
    answers = pd.concat([_h10("nguoi_dan", ["kem", "kem", "tot", "kha", "tot"], 0)], ignore_index=True)
    rows = poor_findings(_scores(answers))
    assert [(r["group"], r["poor"], r["answers"]) for r in rows] == [("nguoi_dan", 2, 5)]


# --- the demo province after close: pages and every raw export ------------------------------------------

@pytest.fixture
def withheld_demo(demo_app):
    """The demo's closed campaign: Ngân Sơn and Pác Nặm have 3 district delegates each (under 5)."""
    with demo_app.extensions[DB_KEY].session() as s:
        campaign = s.get(Campaign, LAST)
        small = campaign_scores(s, campaign).small
        names = dict(s.execute(select(Unit.code, Unit.name).where(Unit.campaign_id == LAST)).all())
        cells = rated_frame(s, campaign)
    return small, names, cells


def test_the_demo_withholds_the_two_districts_whose_delegates_are_under_5(withheld_demo):
    small, _names, cells = withheld_demo
    assert _withheld(small) == {"ngan_son": "small", "pac_nam": "small"}
    delegates = small.cells[small.cells["group"] == "hdnd_huyen"].set_index("unit")["people"]
    assert delegates[["ngan_son", "pac_nam"]].tolist() == [3, 3]
    assert (delegates.drop(["ngan_son", "pac_nam"]) >= 5).all()
    assert len(cells) > 2000  # ballot × unit rated, every state


@pytest.mark.parametrize("path", ["phieu-dai.csv", "phieu-dai.json", "phieu-rong.csv", "phieu-rong.xlsx",
                                  "phieu-rong.sav", "phieu-rong.dta"])
def test_no_raw_export_holds_a_row_about_a_withheld_unit(demo_app, users, withheld_demo, path):  # noqa: F811
    # The attack it stops: Ngân Sơn's published points by field, minus its citizens', firms' and commune
    # leaders' raw rows, leave its 3 delegates' answers. Every one of its rows goes; its points stay.
    client = client_for(demo_app, "pt")
    data = client.get(f"/bao-cao/{LAST}/xuat/{path}").data
    fmt = path.rsplit(".", 1)[1]
    if fmt == "csv":
        frame = pd.read_csv(io.BytesIO(data), sep=";", encoding="utf-8-sig", dtype=str)
    elif fmt == "json":
        frame = pd.read_json(io.BytesIO(data), dtype=str)
    elif fmt == "xlsx":
        frame = pd.read_excel(io.BytesIO(data), header=1, dtype=str)
    else:
        frame = _stat_frame(data, fmt)
    unit = next(c for c in frame.columns if c in ("Mã đơn vị", "unit"))
    assert len(frame) > 1000
    assert not frame[unit].isin(["ngan_son", "pac_nam"]).any()
    assert frame[unit].isin(["ba_be", "cho_don"]).any()
    points = client.get(f"/bao-cao/{LAST}/diem-dieu-tra").get_data(as_text=True)
    assert "Huyện Ngân Sơn" in points or "Ngân Sơn" in points


def _stat_frame(data: bytes, fmt: str) -> pd.DataFrame:
    import tempfile

    import pyreadstat
    with tempfile.NamedTemporaryFile(suffix=f".{fmt}") as f:
        f.write(data)
        f.flush()
        frame, _meta = (pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta)(f.name)
    return frame


def test_the_overview_says_what_the_raw_ballots_leave_out(demo_app, users):  # noqa: F811
    page = client_for(demo_app, "pt").get(f"/bao-cao/{LAST}/").get_data(as_text=True)
    assert "Phiếu thô không gồm các dòng về 2 đơn vị" in page
    assert "dưới 5 người trả lời" in page and "vẫn có trong các bảng kết quả" in page
