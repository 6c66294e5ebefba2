"""Issue 28 item 3: last year through a reform. A unit that only changed name compares with its predecessor; a
unit made by a merger or a split is marked "đơn vị mới (hợp nhất từ A, B)" with their figures, and no change of
index, rank or class is made up (figures by hand)."""
from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd

from questionnaires import load_criteria_set_from_texts
from scoring import final_table
from scoring.succession import carry_previous
from survey_app.extensions import DB_KEY
from survey_app.models import Campaign
from survey_app.outputs.report_tables import comparison_table, final_report_table

from .minimal_set import texts
from .test_succession import years  # noqa: F401 - the two campaigns of the reform

CSET = load_criteria_set_from_texts(texts())  # levels so, huyen (surveyed), xa; bands from the minimal set

# Last year: communes a, b, c, d of the old province; a and b merged into ab, c renamed c2, d abolished, e kept.
PREVIOUS = pd.DataFrame({"unit": ["a", "b", "c", "d", "e"], "previous_index": [80.12, 75.0, 90.0, 60.0, 70.5],
                         "previous_rank": [2, 3, 1, 5, 4],
                         "previous_class": ["Tốt", "Khá", "Tốt", "Trung bình", "Khá"]})
SUCCESSION = pd.DataFrame({"old": ["a", "b", "c", "d", "e"], "new": ["ab", "ab", "c2", None, "e"],
                           "kind": ["merged", "merged", "renamed", "abolished", "kept"]})
OLD_NAMES = {"a": "Xã A", "b": "Xã B", "c": "Xã C", "d": "Xã D", "e": "Xã E"}
UNITS = pd.DataFrame({"level": "so", "code": ["ab", "c2", "e", "f"]})  # f: no predecessor at all


def test_the_same_unit_carries_last_years_figures_and_a_new_one_names_its_predecessors():
    out = carry_previous(PREVIOUS, SUCCESSION, UNITS, OLD_NAMES).set_index("unit")
    assert sorted(out.index) == ["ab", "c2", "e"]  # d abolished, f new without predecessor: no row
    assert (out.at["c2", "previous_index"], out.at["c2", "previous_rank"], out.at["c2", "previous_class"]) == \
        (90.0, 1, "Tốt")
    assert out.at["e", "previous_note"] == "" and out.at["e", "previous_index"] == 70.5
    assert out.at["ab", "previous_note"] == ("đơn vị mới (hợp nhất từ Xã A: 80,12, hạng 2, Tốt; "
                                             "Xã B: 75, hạng 3, Khá)")
    assert math.isnan(out.at["ab", "previous_index"]) and out.at["ab", "previous_rank"] is pd.NA


def test_a_split_unit_is_new_too():
    succession = pd.DataFrame({"old": ["a", "a"], "new": ["a1", "a2"], "kind": ["split", "split"]})
    units = pd.DataFrame({"level": "so", "code": ["a1", "a2"]})
    out = carry_previous(PREVIOUS, succession, units, OLD_NAMES).set_index("unit")
    said = "đơn vị mới (tách từ Xã A: 80,12, hạng 2, Tốt)"
    assert out.at["a1", "previous_note"] == out.at["a2", "previous_note"] == said


def _final():
    # This year: ab 70 + 12 = 82 (Tốt), c2 68 + 12 = 80 (Tốt), e 60 + 11 = 71 (Khá); ranks 1, 2, 3.
    survey = pd.DataFrame({"level": "so", "unit": ["ab", "c2", "e"], "1": 0.0, "2": 0.0, "total": [12.0, 12.0, 11.0],
                           "complete": 1})
    appraisal = pd.DataFrame({"level": "so", "unit": ["ab", "c2", "e"], "1": float("nan"), "2": float("nan"),
                              "total": [70.0, 68.0, 60.0]})
    previous = carry_previous(PREVIOUS, SUCCESSION, UNITS, OLD_NAMES)
    return final_table(survey, appraisal, CSET, previous=previous)


def test_the_final_table_compares_the_renamed_unit_and_makes_up_nothing_for_the_merged_one():
    t = _final().table.set_index("unit")
    # c2 (was c): index 80 against 90 -> -10; rank 2 against 1 -> down 1; Tốt against Tốt -> Giữ nguyên.
    assert t.at["c2", "index_change"] == -10.0 and int(t.at["c2", "rank_change"]) == -1
    assert t.at["c2", "class_change"] == "Giữ nguyên" and t.at["c2", "previous_note"] == ""
    # ab: new, no change computed, its class change says so, its note names a and b with their figures.
    assert math.isnan(t.at["ab", "index_change"]) and t.at["ab", "rank_change"] is pd.NA
    assert t.at["ab", "class_change"] == "đơn vị mới"
    assert t.at["ab", "previous_note"].startswith("đơn vị mới (hợp nhất từ Xã A: 80,12")
    # e (kept): 71 against 70.5 -> +0.5; rank 3 against 4 -> up 1.
    assert t.at["e", "index_change"] == 0.5 and int(t.at["e", "rank_change"]) == 1


def test_the_report_tables_carry_the_note_column():
    final = _final()
    sc = SimpleNamespace(cset=CSET, final=final, year=2026, imported={"previous": True},
                         names={"ab": "Xã AB", "c2": "Xã C mới", "e": "Xã E"}, units=pd.DataFrame(columns=["code"]))
    for table in (final_report_table(sc), comparison_table(sc)):
        assert table.columns[-1].header == "Đơn vị mới (hợp nhất, chia tách) từ"
        row = next(r for r in table.rows if r["unit"] == "ab")
        assert row["previous_note"].startswith("đơn vị mới (hợp nhất từ Xã A")
        assert row["previous_index"] is None


# --- in the web app: last year's table imported by last year's units, carried through the stored succession -----

def test_last_years_table_is_read_by_last_years_units_and_carried_through_the_reform(years):  # noqa: F811
    # tests/test_succession.py's two years: a and b merged into c, d renamed e, f abolished, g kept.
    from survey_app.services.results import import_results, previous_table

    from .test_succession import GOOD, _import

    _import(years, GOOD)
    table = ("unit,index,rank,class\nSở A,80.12,2,Tốt\nSở B,75,3,Khá\nSở D,90,1,Xuất sắc\nSở F,60,5,Trung bình\n"
             "Sở G,70.5,4,Khá\n")
    with years.extensions[DB_KEY].transaction() as s:
        this = s.get(Campaign, 2)
        assert import_results(s, this, "previous", "nam-truoc.csv", table.encode(), actor="t") == 5
    with years.extensions[DB_KEY].session() as s:
        previous = previous_table(s, s.get(Campaign, 2)).set_index("unit")
    assert sorted(previous.index) == ["c", "e", "g"]
    assert previous.at["e", "previous_index"] == 90.0 and previous.at["e", "previous_note"] == ""
    assert previous.at["g", "previous_index"] == 70.5
    assert previous.at["c", "previous_note"] == ("đơn vị mới (hợp nhất từ Sở A: 80,12, hạng 2, Tốt; "
                                                 "Sở B: 75, hạng 3, Khá)")
    assert math.isnan(previous.at["c", "previous_index"])
