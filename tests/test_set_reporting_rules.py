"""What a criteria set says about publishing (issue 26): the ballots a unit needs to be ranked (``min_ballots``),
the respondents a cell needs to be shown (``min_cell``), groups surveyed in full (``census``), the options a
scale counts as poor (``poor``), and whether a level is ranked across the province or within its parent
(``rank_within``); read from YAML and from the Excel workbook, and kept through its round trip."""
from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from questionnaires import CriteriaSetError, load_criteria_set, load_criteria_set_from_texts
from questionnaires.workbook import export_workbook, import_workbook

from .minimal_set import texts

SETS = Path(__file__).resolve().parents[1] / "questionnaires" / "sets"


def with_set(edit) -> dict[str, str]:
    files = texts()
    files["set.yaml"] = edit(files["set.yaml"])
    return files


def test_defaults_when_the_set_says_nothing():
    cset = load_criteria_set_from_texts(texts())
    assert (cset.min_ballots, cset.min_cell) == (5, 5)
    assert {lv.rank_within for lv in cset.levels} == {"province"}
    assert not any(g.census for g in cset.groups)
    assert [o.code for o in cset.scale_by_code["quality"].poor_options] == ["kem"], "the lowest option"


def test_the_set_says_each_rule():
    def edit(text: str) -> str:
        text = text.replace("year: 2024\n", "year: 2024\nmin_ballots: 10\nmin_cell: 3\n")
        text = text.replace("    parent: huyen\n", "    parent: huyen\n    rank_within: parent\n")
        text = text.replace("{code: kem, label: Kém, fraction: 0}", "{code: kem, label: Kém, fraction: 0, poor: true}")
        return text.replace("  - code: dai_bieu\n", "  - code: dai_bieu\n    census: true\n")

    cset = load_criteria_set_from_texts(with_set(edit))
    assert (cset.min_ballots, cset.min_cell) == (10, 3)
    assert cset.level_by_code["xa"].rank_within == "parent" and cset.level_by_code["so"].rank_within == "province"
    assert cset.group_by_code["dai_bieu"].census and not cset.group_by_code["cong_chuc"].census
    assert [o.code for o in cset.scale_by_code["quality"].poor_options] == ["kem"]


@pytest.mark.parametrize(("edit", "said"), [
    (lambda t: t.replace("year: 2024\n", "year: 2024\nmin_ballots: 0\n"), "'min_ballots' phải là một số nguyên"),
    (lambda t: t.replace("year: 2024\n", "year: 2024\nmin_cell: 2.5\n"), "'min_cell' phải là một số nguyên"),
    (lambda t: t.replace("year: 2024\n", "year: 2024\nmin_ballots: 3\n"),
     "'min_ballots' (3) phải từ 'min_cell' (5) trở lên"),
    (lambda t: t.replace("    parent: huyen\n", "    parent: huyen\n    rank_within: district\n"),
     "'rank_within' phải là một trong: province, parent"),
    (lambda t: t.replace("  - code: huyen\n", "  - code: huyen\n    rank_within: parent\n", 1),
     "xếp hạng trong đơn vị cấp trên ('rank_within: parent') nhưng không có 'parent'"),
    (lambda t: t.replace("  - code: dai_bieu\n", "  - code: dai_bieu\n    census: có\n"), "'census' phải là true"),
])
def test_a_wrong_rule_is_a_clear_message(edit, said):
    with pytest.raises(CriteriaSetError) as refused:
        load_criteria_set_from_texts(with_set(edit))
    assert said in str(refused.value)


def test_the_five_level_satisfaction_scale_counts_both_dissatisfied_options_and_delegates_are_a_census():
    national = load_criteria_set(SETS / "quoc_gia")
    assert [o.label for o in national.scale_by_code["hai_long"].poor_options] == ["Không hài lòng",
                                                                                 "Rất không hài lòng"]
    assert national.group_by_code["dai_bieu_hdnd"].census
    assert load_criteria_set(SETS / "default").group_by_code["hdnd_tinh"].census


def test_the_workbook_keeps_every_rule_and_an_older_workbook_without_their_columns_still_reads():
    cset = load_criteria_set(SETS / "quoc_gia")
    _texts, again = import_workbook(export_workbook(cset))
    assert (again.min_ballots, again.min_cell) == (cset.min_ballots, cset.min_cell)
    assert again.scales == cset.scales and again.groups == cset.groups and again.levels == cset.levels

    book = openpyxl.load_workbook(io.BytesIO(export_workbook(cset)))
    for title, heading in (("Thang đo", "Tính là kém (có/không)"), ("Đối tượng", "Khảo sát toàn bộ (có/không)"),
                           ("Cấp", "Xếp hạng (toàn tỉnh/trong cấp trên)")):
        sheet = book[title]
        column = next(c.column for c in sheet[1] if c.value == heading)
        sheet.delete_cols(column)
    out = io.BytesIO()
    book.save(out)
    _texts, old = import_workbook(out.getvalue())
    assert not old.group_by_code["dai_bieu_hdnd"].census, "a column left out: its default"
    assert [o.code for o in old.scale_by_code["hai_long"].poor_options] == ["rat_khong_hai_long"]


def test_the_poor_share_of_a_satisfaction_question_counts_both_dissatisfied_options():
    """Ten citizens on the 5-level scale: 2 "Không hài lòng", 1 "Rất không hài lòng", 1 "không biết", 6
    satisfied. Poor share = 3 / 10 = 30 % (don't know counted in the whole, as the seed reports shares);
    before the set could say so only "Rất không hài lòng" counted: 10 %."""
    import pandas as pd

    from aggregation.shares import poor_shares

    national = load_criteria_set(SETS / "quoc_gia")
    question = next(q for q in national.questions if q.scale == "hai_long")
    counts = pd.DataFrame({"level": question.level, "question": question.id, "group": "nguoi_dan",
                           "option": ["rat_hai_long", "hai_long", "khong_hai_long", "rat_khong_hai_long",
                                      "khong_biet"], "n": [2, 4, 2, 1, 1]})
    [row] = poor_shares(counts, national).itertuples()
    assert (row.n, row.share) == (3, pytest.approx(0.3))
