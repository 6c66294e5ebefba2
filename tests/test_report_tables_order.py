"""Issue 27 item 4: the tables as the published report prints them, right to the figure (figures by hand)."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd
from sqlalchemy import select

from questionnaires import load_criteria_set_from_texts
from survey_app.extensions import DB_KEY
from survey_app.models import Campaign, PreviousResult, Unit
from survey_app.outputs.ballot_table import ballot_headline, ballot_table
from survey_app.outputs.report_tables import comparison_table, final_report_table, shown, survey_points_table
from survey_app.services.campaigns import CHANNELS, GroupCount, ballot_counts
from survey_app.services.scores import campaign_scores

from .conftest import LAST
from .minimal_set import texts
from .test_reports import client_for, users  # noqa: F401 - the fixture the pages need

CHANNELS3 = (("web", "Đường link", "qua đường link"), ("qr", "Thẻ QR", "qua thẻ QR"),
             ("paper", "Phiếu giấy", "phát trực tiếp (phiếu giấy)"))


def test_the_ballot_table_keeps_people_and_ratings_apart_and_adds_up_to_its_total_row():
    # 40 provincial delegates each rate 27 units: 1,080 ratings against a plan of 50 a unit (1,350): 80%.
    # 78 district heads of office choose departments: 536 ratings, 523 of them within the plan of 570: 91.75%.
    # Total: 118 ballots, 1,616 ratings, plan 1,920, covered 1,603: 83.49% (not 118 people against 1,920).
    counts = [GroupCount("Đại biểu HĐND tỉnh", {"web": 40}, 40, 1080, 1350, 1080),
              GroupCount("Lãnh đạo phòng chuyên môn cấp huyện", {"web": 70, "paper": 8}, 78, 536, 570, 523)]
    table = ballot_table(counts, CHANNELS3)
    total = table.rows[-1]
    assert table.summary == {2} and total["name"] == "Tổng cộng"
    assert {k: total[k] for k in ("c_web", "c_qr", "c_paper", "ballots", "ratings", "planned", "covered")} == {
        "c_web": 110, "c_qr": 0, "c_paper": 8, "ballots": 118, "ratings": 1616, "planned": 1920, "covered": 1603}
    assert shown(total["percent"], "percent") == "83,5"
    assert [c.header for c in table.columns][4:] == ["Số phiếu", "Lượt đánh giá", "Kế hoạch (lượt)",
                                                     "Đạt kế hoạch (lượt)", "Tỷ lệ đạt (%)"]
    assert ballot_headline(counts, CHANNELS3) == (
        "Tổng số phiếu điều tra XHH được tính là 118 phiếu, với 1.616 lượt đánh giá đơn vị (đạt 83,49% kế hoạch "
        "mẫu 1.920 lượt), gồm: 110 phiếu qua đường link và 8 phiếu phát trực tiếp (phiếu giấy).")


def test_the_demos_headline_is_its_tables_total_row(demo_app):
    with demo_app.extensions[DB_KEY].session() as s:
        counts = ballot_counts(s, s.get(Campaign, LAST))
    total = ballot_table(counts, CHANNELS).rows[-1]
    numbers = [int(n.replace(".", "")) for n in re.findall(r"\d[\d.]*(?= (?:phiếu|lượt))",
                                                          ballot_headline(counts, CHANNELS))]
    assert numbers[:3] == [total["ballots"], total["ratings"], total["planned"]]
    assert sum(numbers[3:]) == total["ballots"]
    assert total["ratings"] > total["ballots"]  # delegates rate many units


def test_the_survey_table_and_the_final_table_number_units_alike_in_final_rank_order(demo_app):
    with demo_app.extensions[DB_KEY].session() as s:
        sc = campaign_scores(s, s.get(Campaign, LAST))
    survey = {r["unit"]: r["stt"] for r in survey_points_table(sc).rows if r["unit"]}
    final = {r["unit"]: r["stt"] for r in final_report_table(sc).rows}
    assert survey == final
    by_points = sc.survey_table[sc.survey_table["level"] == "so"].sort_values("total", ascending=False)["unit"]
    assert [u for u, n in sorted(survey.items(), key=lambda x: x[1]) if u in set(by_points)] != list(by_points)


def test_last_years_index_prints_as_published_and_the_comparison_table_names_both_years(demo_app, users):  # noqa: F811
    with demo_app.extensions[DB_KEY].session() as s:
        sc = campaign_scores(s, s.get(Campaign, LAST))
        gtvt = s.scalar(select(PreviousResult.index_points).join(Unit, PreviousResult.unit_id == Unit.id)
                        .where(PreviousResult.campaign_id == LAST, Unit.code == "so_gtvt"))
    assert gtvt == 80.12  # the published 2022 table: "80,12"
    table = comparison_table(sc)
    assert table.title == "So sánh kết quả năm 2023 so với năm 2022"
    assert [c.header for c in table.columns][4:] == ["Điểm (Năm 2023)", "Xếp hạng (Năm 2023)", "Xếp loại (Năm 2023)",
                                                     "Điểm (Năm 2022)", "Xếp hạng (Năm 2022)", "Xếp loại (Năm 2022)"]
    first = table.rows[0]
    assert (first["name"], first["rank"], first["previous_rank"]) == ("Sở Giao thông vận tải", 1, 17)
    assert shown(first["previous_index"], "number", table.places["previous_index"]) == "80,12"
    page = client_for(demo_app, "pt").get(f"/bao-cao/{LAST}/ket-qua").get_data(as_text=True)
    assert ">80,12<" in page and ">80,120<" not in page
    assert "So sánh kết quả năm 2023 so với năm 2022" in page
    csv = client_for(demo_app, "pt").get(f"/bao-cao/{LAST}/xuat/so-sanh.xlsx")
    assert csv.status_code == 200


def test_a_field_a_level_does_not_survey_is_left_out_of_that_levels_table():
    cset = load_criteria_set_from_texts(texts())  # tests/minimal_set.py: huyen surveys field "1" only
    survey = pd.DataFrame({"level": ["so", "huyen"], "unit": ["a", "h"], "1": [0.4, 0.3], "2": [0.5, 0.0],
                           "total": [0.9, 0.3], "complete": [1, 1], "ballots": [9, 9], "planned": [9.0, 9.0]})
    questions = pd.DataFrame({"level": ["so"], "unit": ["a"], "complete": [True], "fraction": [0.9],
                              "missing_groups": [""]})
    sc = SimpleNamespace(cset=cset, survey_table=survey, points=SimpleNamespace(questions=questions),
                         names={"a": "Sở A", "h": "Huyện H"}, final=None)
    table = survey_points_table(sc)
    assert table.hidden == {"huyen": {"f2"}}
    assert [c.key for c in table.level_columns("huyen")] == [c.key for c in table.columns if c.key != "f2"]
    huyen = next(r for r in table.rows if r["unit"] == "h")
    assert huyen["f2"] is None and huyen["f1"] == 0.3
    assert next(r for r in table.rows if r["unit"] == "a")["f2"] == 0.5
