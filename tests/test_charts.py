"""SVG charts of the final tables: text stays text, order, determinism, edge cases."""
from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import matplotlib as mpl
import pandas as pd
import pytest

from survey_app.outputs import charts
from survey_app.outputs.charts import heatmap_chart, index_chart, rank_interval_chart

SVG = "{http://www.w3.org/2000/svg}"
NAMES = {"tp": "Sở Tư pháp", "bb": "Huyện Ba Bể", "nv": "Sở Nội vụ"}
FIELD_NAMES = {"1": "Chỉ đạo điều hành", "2": "Cải cách thể chế", "3": "Cải cách thủ tục hành chính"}
NAN = float("nan")


def texts(svg: str) -> list[tuple[str, float, float]]:
    """(text, x, y) of every text element, in document order."""
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    return [(t.text or "", float(t.get("x", 0)), float(t.get("y", 0))) for t in root.iter(f"{SVG}text")]


def words(svg: str) -> set[str]:
    return {t for t, _, _ in texts(svg)}


def y_of(svg: str, label: str) -> float:
    (y,) = [y for t, _, y in texts(svg) if t == label]
    return y


def final_frame() -> pd.DataFrame:
    return pd.DataFrame({"unit": ["bb", "tp", "nv"], "appraisal": [50.0, 55.0, 48.0],
                         "survey": [30.0, 32.4612, 30.0], "index": [80.0, 87.4612, 78.0]})


def field_index() -> pd.DataFrame:
    rows = [(u, c, total / 3) for u, total in (("bb", 80.0), ("tp", 87.4612), ("nv", 78.0)) for c in "123"]
    return pd.DataFrame(rows, columns=["unit", "code", "index"])


def field_points() -> pd.DataFrame:
    rows = [(u, c, survey / 3) for u, survey in (("bb", 30.0), ("tp", 32.4612), ("nv", 30.0)) for c in "123"]
    return pd.DataFrame(rows, columns=["unit", "code", "points"])


def heat_frame() -> pd.DataFrame:
    return pd.DataFrame({"unit": ["bb"] * 3 + ["tp"] * 3 + ["nv"] * 3, "code": list("123") * 3,
                         "percent": [70.0, 75.5, NAN, 92.44, 88.0, 90.0, 60.0, 65.0, 62.0]})


def ranks_frame() -> pd.DataFrame:
    return pd.DataFrame({"unit": ["nv", "tp", "bb"], "rank": [3, 1, 2],
                         "rank_low": [2.0, 1.0, 1.0], "rank_high": [3.0, 2.5, 3.0]})


def test_index_chart_per_field_index():
    svg = index_chart(final_frame(), field_index(), NAMES, FIELD_NAMES, "Chỉ số CCHC các sở")
    found = words(svg)
    assert {"Sở Tư pháp", "Huyện Ba Bể", "Sở Nội vụ", "Chỉ số CCHC các sở"} <= found
    assert {"87,461", "80,000", "78,000"} <= found
    assert {"1. Chỉ đạo điều hành", "2. Cải cách thể chế", "3. Cải cách thủ tục hành chính"} <= found
    assert "Thẩm định" not in found
    assert y_of(svg, "Sở Tư pháp") < y_of(svg, "Huyện Ba Bể") < y_of(svg, "Sở Nội vụ")


def test_index_chart_segments_add_up_to_the_index():
    fig = charts._index_figure(final_frame(), field_index(), NAMES, FIELD_NAMES, "t")
    ax = fig.axes[0]
    assert len(ax.containers) == 3
    ends = [max(bar.get_x() + bar.get_width() for bar in bars) for bars in zip(*ax.containers)]
    assert ends == pytest.approx([87.4612, 80.0, 78.0])  # best first, drawn top down


def test_index_chart_appraisal_total_then_survey_points():
    svg = index_chart(final_frame(), field_points(), NAMES, FIELD_NAMES, "Chỉ số CCHC")
    assert {"Thẩm định", "1. Chỉ đạo điều hành", "87,461"} <= words(svg)
    fig = charts._index_figure(final_frame(), field_points(), NAMES, FIELD_NAMES, "t")
    appraisal, *fields = fig.axes[0].containers
    assert len(fields) == 3
    assert [bar.get_width() for bar in appraisal] == [55.0, 50.0, 48.0]
    assert mpl.colors.to_hex(appraisal[0].get_facecolor()) == charts.GREY.lower()
    assert fields[0][0].get_x() == 55.0  # survey points start where the appraisal ends


def test_index_chart_keeps_the_label_of_a_unit_without_appraisal():
    final = final_frame()
    final.loc[final["unit"] == "tp", "index"] = NAN
    svg = index_chart(final, field_index(), NAMES, FIELD_NAMES, "t")
    assert "87,461" not in svg
    assert y_of(svg, "Huyện Ba Bể") < y_of(svg, "Sở Nội vụ") < y_of(svg, "Sở Tư pháp")
    fig = charts._index_figure(final, field_index(), NAMES, FIELD_NAMES, "t")
    assert all(bars[2].get_width() == 0 for bars in fig.axes[0].containers)


def test_index_is_rounded_half_up_as_published():
    final = pd.DataFrame({"unit": ["tp"], "appraisal": [50.0], "survey": [19.9995], "index": [69.9995]})
    fields = pd.DataFrame({"unit": ["tp"], "code": ["1"], "index": [69.9995]})
    assert "70,000" in words(index_chart(final, fields, NAMES, FIELD_NAMES, "t"))


def test_index_chart_needs_index_or_points():
    with pytest.raises(ValueError, match="'index' or a 'points'"):
        index_chart(final_frame(), field_index().rename(columns={"index": "value"}), NAMES, FIELD_NAMES, "t")


def test_unknown_unit_shows_its_id():
    svg = index_chart(final_frame(), field_index(), {}, {}, "t")
    assert {"tp", "bb", "nv", "1. 1"} <= words(svg)


@pytest.mark.parametrize("make", [
    lambda: index_chart(final_frame(), field_index(), NAMES, FIELD_NAMES, "Chỉ số"),
    lambda: index_chart(final_frame(), field_points(), NAMES, FIELD_NAMES, "Chỉ số"),
    lambda: heatmap_chart(heat_frame(), NAMES, FIELD_NAMES, "Tỷ lệ"),
    lambda: rank_interval_chart(ranks_frame(), NAMES, "Thứ hạng"),
], ids=["index", "points", "heatmap", "ranks"])
def test_deterministic_text_svg_without_external_references(make):
    svg = make()
    assert svg == make()
    assert "<script" not in svg and "<!DOCTYPE" not in svg and 'href="http' not in svg
    assert set(re.findall(r"https?://[^\"']*", svg)) <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert "<text" in svg and "font-family: 'DejaVu Sans'" in svg  # svg.fonttype none: no glyph paths
    assert 'width="481.889764pt"' in svg  # 17 cm


def test_height_grows_with_the_number_of_units():
    def height(n: int) -> float:
        ranks = pd.DataFrame({"unit": [f"u{i}" for i in range(n)], "rank": range(1, n + 1),
                              "rank_low": range(1, n + 1), "rank_high": range(1, n + 1)})
        return float(ET.fromstring(rank_interval_chart(ranks, {}, "t")).get("height").removesuffix("pt"))

    assert height(19) - height(8) == pytest.approx(11 * 0.28 * 72)


def test_heatmap_cells_order_and_blank_cell():
    svg = heatmap_chart(heat_frame(), NAMES, FIELD_NAMES, "Tỷ lệ điểm theo lĩnh vực")
    found = words(svg)
    assert {"92,4", "75,5", "88,0", "% điểm tối đa", "Sở Tư pháp", "1. Chỉ đạo điều hành"} <= found
    assert not any("nan" in t.lower() for t in found)
    assert y_of(svg, "Sở Tư pháp") < y_of(svg, "Huyện Ba Bể") < y_of(svg, "Sở Nội vụ")
    ax = charts._heatmap_figure(heat_frame(), NAMES, FIELD_NAMES, "t").axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]
    assert sum(p.get_hatch() == "////" for p in ax.patches) == 1
    cell = {t.get_text(): t.get_position() for t in ax.texts}
    assert cell["75,5"] == (1, 1)  # Ba Bể (mean 72.75, 2nd row), field 2


def test_heatmap_unit_without_any_percent_comes_last():
    fields = pd.concat([heat_frame(), pd.DataFrame({"unit": ["xx"] * 3, "code": list("123"), "percent": [NAN] * 3})])
    svg = heatmap_chart(fields, {**NAMES, "xx": "Huyện Pác Nặm"}, FIELD_NAMES, "t")
    assert y_of(svg, "Sở Nội vụ") < y_of(svg, "Huyện Pác Nặm")


def test_cell_text_contrasts_with_the_cell():
    assert charts._ink((0.0, 0.27, 0.16, 1.0)) == "white"  # dark green
    assert charts._ink((1.0, 1.0, 0.9, 1.0)) == "#222222"  # pale yellow


@pytest.mark.parametrize("make", [
    lambda: index_chart(final_frame().iloc[:0], field_index().iloc[:0], NAMES, FIELD_NAMES, "Chỉ số"),
    lambda: heatmap_chart(heat_frame().iloc[:0], NAMES, FIELD_NAMES, "Tỷ lệ"),
    lambda: rank_interval_chart(ranks_frame().iloc[:0], NAMES, "Thứ hạng"),
], ids=["index", "heatmap", "ranks"])
def test_no_units_says_no_data(make):
    assert "Chưa có dữ liệu" in words(make())


def test_one_unit_still_draws():
    final = final_frame().iloc[[1]]
    assert {"Sở Tư pháp", "87,461"} <= words(index_chart(final, field_index(), NAMES, FIELD_NAMES, "t"))
    ranks = pd.DataFrame({"unit": ["tp"], "rank": [1], "rank_low": [1.0], "rank_high": [1.0]})
    assert "Sở Tư pháp" in words(rank_interval_chart(ranks, NAMES, "t"))
    ax = charts._rank_interval_figure(ranks, NAMES, "t").axes[0]
    assert list(ax.get_xticks()) == [1]


def test_rank_intervals_span_low_to_high():
    svg = rank_interval_chart(ranks_frame(), NAMES, "Khoảng thứ hạng")
    assert {"Thứ hạng", "Khoảng thứ hạng"} <= words(svg)
    assert y_of(svg, "Sở Tư pháp") < y_of(svg, "Huyện Ba Bể") < y_of(svg, "Sở Nội vụ")
    ax = charts._rank_interval_figure(ranks_frame(), NAMES, "t").axes[0]
    (bars,) = ax.containers
    (lines,) = bars.lines[2]
    spans = [(seg[0][0], seg[1][0], seg[0][1]) for seg in lines.get_segments()]
    assert spans == [(1.0, 2.5, 0.0), (1.0, 3.0, 1.0), (2.0, 3.0, 2.0)]  # (low, high, row) best first
    left, right = ax.get_xlim()
    assert left < 1 < right and not ax.xaxis_inverted()
    assert all(float(t).is_integer() for t in ax.get_xticks())
    assert ax.get_xlabel() == "Thứ hạng"


def test_rank_outside_its_interval_and_missing_interval_do_not_crash():
    ranks = pd.DataFrame({"unit": ["tp", "bb", "nv"], "rank": [1, 2, NAN],
                          "rank_low": [1.5, NAN, 2.0], "rank_high": [2.0, NAN, 3.0]})
    svg = rank_interval_chart(ranks, NAMES, "t")
    assert y_of(svg, "Huyện Ba Bể") < y_of(svg, "Sở Nội vụ")
    ax = charts._rank_interval_figure(ranks, NAMES, "t").axes[0]
    assert len(ax.containers[0].lines[2][0].get_segments()) == 2
    assert not any(math.isnan(v) for v in ax.get_xlim())


def test_nullable_columns_as_scoring_writes_them():
    ranks = ranks_frame().astype({"rank": "Int64"})
    ranks.loc[0, "rank"] = pd.NA
    assert "Sở Nội vụ" in words(rank_interval_chart(ranks, NAMES, "t"))
    final = final_frame().astype({"index": "Float64", "appraisal": "Float64"})
    final.loc[0, "index"] = pd.NA
    points = field_points().astype({"points": "Float64"})
    assert {"87,461", "Huyện Ba Bể"} <= words(index_chart(final, points, NAMES, FIELD_NAMES, "t"))
    fields = heat_frame().astype({"percent": "Float64"})
    assert "92,4" in words(heatmap_chart(fields, NAMES, FIELD_NAMES, "t"))


def test_ranks_within_parents_are_drawn_per_parent_named_with_it_on_their_own_scale():
    # Communes ranked within their district (rank_within: parent): h1's x3 (3rd) and h2's x4 (1st) would sort
    # x4 above x3 across the province; per parent, h1's three come first, then h2's two, and the axis ends at 3
    # (the highest within-district rank), not 5 (the number of communes).
    ranks = pd.DataFrame({"unit": ["x3", "x4", "x1", "x5", "x2"], "rank": [3, 1, 1, 2, 2],
                          "rank_low": [2, 1, 1, 1, 2], "rank_high": [3, 2, 1, 2, 3],
                          "parent": ["h1", "h2", "h1", "h2", "h1"]})
    names = {"h1": "Huyện Một", "h2": "Huyện Hai"}
    ax = charts._rank_interval_figure(ranks, names, "t").axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["x1 (Huyện Một)", "x2 (Huyện Một)", "x3 (Huyện Một)", "x4 (Huyện Hai)", "x5 (Huyện Hai)"]
    assert ax.get_xlim() == (0.5, 3.5)
