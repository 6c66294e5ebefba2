"""Charts of the final tables as SVG text: index make-up, field heat map, rank intervals.

Pure functions over DataFrames, drawn with matplotlib's object API (never ``pyplot``);
the SVG keeps text as text and is deterministic (same input, same bytes). rcParams are
global, so each chart is built and saved under a module lock inside ``rc_context``.
"""
from __future__ import annotations

import io
import math
import re
import textwrap
import threading
from collections.abc import Mapping

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter

from questionnaires.model import round_points

from .exports import NOT_XML

WIDTH = 17 / 2.54  # inches: the text width of an A4 page
PER_UNIT = 0.28  # inches of height per unit row
EMPTY = "Chưa có dữ liệu"
APPRAISAL = "Thẩm định"
# Okabe-Ito without black, ordered so that neighbouring segments differ strongly.
PALETTE = ["#0072B2", "#E69F00", "#56B4E9", "#D55E00", "#009E73", "#F0E442", "#CC79A7"]
GREY = "#9A9A9A"
_RC = {"svg.fonttype": "none", "svg.hashsalt": "parsurvey", "font.family": "DejaVu Sans",
       "font.size": 8, "legend.fontsize": 7, "axes.edgecolor": "#555555", "axes.linewidth": 0.6,
       "xtick.color": "#333333", "ytick.color": "#333333", "grid.color": "#DDDDDD", "grid.linewidth": 0.5}
_LOCK = threading.Lock()
_DOCTYPE = re.compile(r"<!DOCTYPE[^>]*>\s*")


def _floats(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype=float, na_value=np.nan)  # also nullable Int64/Float64


def _vn(value: float, places: int = 3) -> str:
    """``87.4612`` -> ``'87,461'``: rounded half up as published, with a decimal comma."""
    return f"{round_points(value, places):.{places}f}".replace(".", ",")


def _wrap(text: str, width: int) -> str:
    """Break ``text`` into as few lines of at most ``width`` characters, of even length (control
    characters pasted from Excel dropped: the font has no glyph for them)."""
    text = NOT_XML.sub("", str(text))
    lines = max(1, len(textwrap.wrap(text, width)))
    for even in range(math.ceil(len(text) / lines), width + 1):
        if len(textwrap.wrap(text, even)) <= lines:
            return "\n".join(textwrap.wrap(text, even))
    return "\n".join(textwrap.wrap(text, width)) or text


def _label(names: Mapping[str, str], unit) -> str:
    return _wrap(names.get(unit, unit), 40)


def _figure(n_rows: int, extra: float) -> Figure:
    fig = Figure(figsize=(WIDTH, max(n_rows, 3) * PER_UNIT + extra), layout="constrained")
    fig.get_layout_engine().set(h_pad=0.06, w_pad=0.06)
    return fig


def _render(build, *args, fmt: str = "svg") -> str | bytes:
    """The figure as SVG text, or (``fmt="png"``, for the Word report) PNG bytes at 200 dpi; both
    deterministic: no date, no software version."""
    if fmt == "png":
        raw = io.BytesIO()
        with _LOCK, mpl.rc_context(_RC):
            build(*args).savefig(raw, format="png", dpi=200, metadata={"Software": None})
        return raw.getvalue()
    buf = io.StringIO()
    with _LOCK, mpl.rc_context(_RC):
        build(*args).savefig(buf, format="svg", metadata=dict.fromkeys(("Date", "Creator", "Format", "Type")))
    return _DOCTYPE.sub("", buf.getvalue())  # the DTD's address is the only external reference


def _empty_figure(title: str) -> Figure:
    fig = Figure(figsize=(WIDTH, 1.0))
    fig.text(0.5, 0.72, _wrap(title, 90), ha="center", va="center", fontsize=10)
    fig.text(0.5, 0.3, EMPTY, ha="center", va="center", color="#555555")
    return fig


def _ink(rgba) -> str:
    """White or near-black, whichever contrasts more with a cell colour (WCAG luminance)."""
    lum = sum(w * (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
              for w, c in zip((0.2126, 0.7152, 0.0722), rgba[:3]))
    return "white" if 1.05 / (lum + 0.05) > (lum + 0.05) / 0.066 else "#222222"


def _legend(fig: Figure, handles: list, labels: list[str]) -> None:
    fig.legend(handles, [_wrap(x, 46) for x in labels], loc="outside lower center", ncols=2,
               frameon=False, handlelength=1.2, columnspacing=1.5, labelspacing=0.4)


def _legend_height(labels: list[str]) -> float:
    lines = [_wrap(x, 46).count("\n") + 1 for x in labels]
    half = math.ceil(len(lines) / 2)  # the legend fills its columns one after the other
    rows = [max(lines[i::half]) for i in range(half)]
    return sum(rows) * 0.13 + len(rows) * 0.06


def _unit_rows(ax, labels: list[str]) -> None:
    """One row per unit top down, centred in at least 3 rows so one bar stays a bar; light x grid."""
    pad = max(3 - len(labels), 0) / 2
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5 + pad, -0.5 - pad)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, axis="x")
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)


def _index_figure(final: pd.DataFrame, field_points: pd.DataFrame, names: Mapping[str, str],
                  field_names: Mapping[str, str], title: str) -> Figure:
    if final.empty:
        return _empty_figure(title)
    value = next((c for c in ("index", "points") if c in field_points.columns), None)
    if value is None:
        raise ValueError("field_points needs an 'index' or a 'points' column")
    with_appraisal = value == "points"
    order = final.sort_values(["index", "unit"], ascending=[False, True], na_position="last", kind="mergesort")
    units = order["unit"].tolist()
    codes = list(pd.unique(field_points["code"]))
    table = field_points.pivot_table(index="unit", columns="code", values=value, aggfunc="sum")
    table = table.reindex(index=units, columns=codes).fillna(0.0)
    labels = [APPRAISAL] if with_appraisal else []
    labels += [f"{c}. {field_names.get(c, c)}" for c in codes]
    fig = _figure(len(units), 0.95 + _legend_height(labels))
    ax = fig.add_subplot()
    y = np.arange(len(units))
    index = _floats(order["index"])
    drawn = ~np.isnan(index)
    segments = [(np.nan_to_num(_floats(order["appraisal"])), GREY)] if with_appraisal else []
    segments += [(_floats(table[c]), PALETTE[i % len(PALETTE)]) for i, c in enumerate(codes)]
    left = np.zeros(len(units))
    handles = []
    for widths, colour in segments:
        widths = np.where(drawn, widths, 0.0)
        handles.append(ax.barh(y, widths, left=left, height=0.7, color=colour, edgecolor="white", linewidth=0.4))
        left += widths
    top = max(float(np.nanmax(index, initial=0.0)), float(left.max(initial=0.0)), 1.0)
    for yi, v, end in zip(y, index, left):
        if drawn[yi]:  # after the bar end or the index, whichever is further right
            ax.text(max(v, end, 0.0) + top * 0.01, yi, _vn(v), va="center", fontsize=7.5)
        else:
            ax.text(top * 0.01, yi, "chưa có điểm thẩm định", va="center", fontsize=7, color="#777777", style="italic")
    ax.set_xlim(0, top * 1.12)
    _unit_rows(ax, [_label(names, u) for u in units])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}".replace(".", ",")))
    ax.set_xlabel("Điểm chỉ số CCHC")
    fig.suptitle(_wrap(title, 90), fontsize=10)
    _legend(fig, handles, labels)
    return fig


def index_chart(final: pd.DataFrame, field_points: pd.DataFrame, names: Mapping[str, str],
                field_names: Mapping[str, str], title: str, fmt: str = "svg") -> str | bytes:
    """How each unit's index is made up: one horizontal stacked bar per unit, best on top.

    Parameters
    ----------
    final : DataFrame
        ``unit, appraisal, survey, index`` of one level; a NaN index keeps its label, no bar.
    field_points : DataFrame
        ``unit, code, index`` (a segment per field) or ``unit, code, points`` (a grey
        "Thẩm định" total, then a segment of survey points per field).
    names, field_names : Mapping
        Unit id -> name (default: the id); field code -> name, for the legend.
    title : str
        Chart title.

    Returns
    -------
    str
        SVG document; each bar ends with its index as ``87,461``.

    Examples
    --------
    >>> final = pd.DataFrame({"unit": ["a"], "appraisal": [50.0], "survey": [37.4612], "index": [87.4612]})
    >>> fields = pd.DataFrame({"unit": ["a", "a"], "code": ["1", "2"], "index": [40.0, 47.4612]})
    >>> svg = index_chart(final, fields, {"a": "Sở Tư pháp"}, {"1": "Thể chế", "2": "Tài chính"}, "Chỉ số")
    >>> "Sở Tư pháp" in svg, "87,461" in svg
    (True, True)
    """
    return _render(_index_figure, final, field_points, names, field_names, title, fmt=fmt)


def heatmap_floor(percent: pd.Series) -> float:
    """Where a heat map's colours start: 50, or the tens below the lowest cell when lower. Pass the
    floor of all the maps shown together, so that one colour means one value on every map.

    >>> heatmap_floor(pd.Series([92.0, 61.0])), heatmap_floor(pd.Series([92.0, 43.2]))
    (50.0, 40.0)
    """
    low = float(np.nanmin(percent.to_numpy(dtype=float, na_value=np.nan), initial=100.0))
    return min(50.0, 10.0 * math.floor(low / 10))


def _heatmap_figure(fields: pd.DataFrame, names: Mapping[str, str], field_names: Mapping[str, str],
                    title: str, floor: float | None = None) -> Figure:
    if fields.empty:
        return _empty_figure(title)
    codes = list(pd.unique(fields["code"]))
    table = fields.pivot_table(index="unit", columns="code", values="percent", aggfunc="mean", dropna=False)
    table = table.reindex(columns=codes)
    mean = table.mean(axis=1, skipna=True).rename("mean").reset_index()
    units = mean.sort_values(["mean", "unit"], ascending=[False, True], na_position="last", kind="mergesort")["unit"]
    table = table.reindex(index=units.tolist())
    labels = [f"{c}. {field_names.get(c, c)}" for c in codes]
    fig = _figure(len(table), 0.8 + _legend_height(labels))
    ax = fig.add_subplot()
    values = table.to_numpy(dtype=float, na_value=np.nan)
    cmap = mpl.colormaps["YlGn"].with_extremes(bad="white")
    # From 50 (lower if a cell is lower): the cells of a province usually lie between
    # 60 and 100 and would all look alike on a scale from 0.
    norm = mpl.colors.Normalize(heatmap_floor(fields["percent"]) if floor is None else floor, 100.0)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
    for (i, j), v in np.ndenumerate(values):
        if math.isnan(v):
            ax.add_patch(
                Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="////", edgecolor="#BBBBBB", linewidth=0)
            )
            continue
        ax.text(j, i, _vn(v, 1), ha="center", va="center", fontsize=7.5, color=_ink(cmap(norm(v))))
    ax.set_xticks(range(len(codes)), [str(c) for c in codes])
    ax.set_yticks(range(len(table)), [_label(names, u) for u in table.index])
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xlabel("Lĩnh vực")
    ax.set_xticks(np.arange(len(codes) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(table) + 1) - 0.5, minor=True)
    ax.grid(True, which="minor", color="white", linewidth=1.0)  # white lines between cells
    ax.tick_params(which="both", length=0)
    ax.spines[:].set_visible(False)
    fig.suptitle(_wrap(title, 90), fontsize=10)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02, aspect=max(len(table), 3) * 2.5)
    bar.set_label("% điểm tối đa")
    bar.outline.set_visible(False)
    _legend(fig, [Patch(visible=False)] * len(codes), labels)
    return fig


def heatmap_chart(fields: pd.DataFrame, names: Mapping[str, str], field_names: Mapping[str, str],
                  title: str, floor: float | None = None, fmt: str = "svg") -> str | bytes:
    """Unit × field heat map of the percentage of the maximum survey points.

    Parameters
    ----------
    fields : DataFrame
        ``unit, code, percent`` (0-100, NaN: a hatched cell); columns in first-seen code order.
    names, field_names : Mapping
        Unit id -> name; field code -> name, listed under the map as a key to the codes.
    title : str
        Chart title.
    floor : float, optional
        Where the colour scale starts (:func:`heatmap_floor` of every map shown beside this one);
        by default, of this map's cells.

    Returns
    -------
    str
        SVG document; rows by mean percent, best on top, cells annotated as ``92,4``.

    Examples
    --------
    >>> fields = pd.DataFrame({"unit": ["a", "a"], "code": ["1", "2"], "percent": [92.44, float("nan")]})
    >>> "92,4" in heatmap_chart(fields, {"a": "Huyện Ba Bể"}, {"1": "Thể chế", "2": "Tài chính"}, "Tỷ lệ")
    True
    """
    return _render(_heatmap_figure, fields, names, field_names, title, floor, fmt=fmt)


def _rank_interval_figure(ranks: pd.DataFrame, names: Mapping[str, str], title: str) -> Figure:
    if ranks.empty:
        return _empty_figure(title)
    within = "parent" in ranks.columns  # ranked within each parent: grouped by parent, named with it
    keys = ["parent", "rank", "unit"] if within else ["rank", "unit"]
    order = ranks.sort_values(keys, na_position="last", kind="mergesort")
    n = len(order)
    fig = _figure(n, 1.0)
    ax = fig.add_subplot()
    y = np.arange(n, dtype=float)
    rank, a, b = (_floats(order[c]) for c in ("rank", "rank_low", "rank_high"))
    low, high = np.fmin(a, b), np.fmax(a, b)
    ok = np.isfinite(low) & np.isfinite(high)
    # Drawn from low with a one-sided error, so a point rank outside its interval is still drawn.
    ax.errorbar(low[ok], y[ok], xerr=[np.zeros(ok.sum()), (high - low)[ok]], fmt="none",
                ecolor=PALETTE[0], elinewidth=1.6, capsize=2.5, capthick=0.8, gid="rank_interval")
    ax.plot(rank, y, "o", color="#222222", markersize=4, zorder=3)
    last = math.ceil(max(0 if within else n, float(np.nanmax(np.concatenate([high, rank, [1.0]])))))
    ax.set_xlim(0.5, last + 0.5)
    ax.set_xticks(range(1, last + 1) if last <= 20 else [1, *range(5, last + 1, 5)])
    labels = [_wrap(f"{names.get(u, u)} ({names.get(p, p)})", 40) if within and isinstance(p, str) else _label(names, u)
              for u, p in zip(order["unit"], order["parent"] if within else order["unit"])]
    _unit_rows(ax, labels)
    ax.set_xlabel("Thứ hạng")
    fig.suptitle(_wrap(title, 90), fontsize=10)
    return fig


def rank_interval_chart(ranks: pd.DataFrame, names: Mapping[str, str], title: str, fmt: str = "svg") -> str | bytes:
    """Each unit's rank as a dot with its bootstrap 2.5-97.5 % rank range as a bar.

    Parameters
    ----------
    ranks : DataFrame
        ``unit, rank, rank_low, rank_high``; rank 1 is the best, the range may be fractional. With a
        ``parent`` column (a level ranked within its parent) units are grouped by parent and named with it.
    names : Mapping
        Unit id -> name.
    title : str
        Chart title.

    Returns
    -------
    str
        SVG document: units by rank, best on top; x axis "Thứ hạng", 1 on the left.

    Examples
    --------
    >>> ranks = pd.DataFrame({"unit": ["a", "b"], "rank": [1, 2], "rank_low": [1, 1.0], "rank_high": [2, 2.0]})
    >>> "Thứ hạng" in rank_interval_chart(ranks, {"a": "Sở Tư pháp"}, "Khoảng thứ hạng")
    True
    """
    return _render(_rank_interval_figure, ranks, names, title, fmt=fmt)


def _sipas_figure(units: pd.DataFrame, title: str, target: float | None) -> Figure:
    if units.empty:
        return _empty_figure(title)
    order = units.sort_values(["sipas", "name"], ascending=[False, True], kind="mergesort")
    n = len(order)
    fig = _figure(n, 1.15)
    ax = fig.add_subplot()
    y = np.arange(n, dtype=float)
    value, low, high = (100.0 * _floats(order[c]) for c in ("sipas", "low", "high"))
    ax.barh(y, value, height=0.65, color=PALETTE[2], edgecolor="white", linewidth=0.4)
    ok = np.isfinite(low) & np.isfinite(high)
    # One-sided error bars from low, so an estimate outside its percentile interval is still drawn right.
    ax.errorbar(low[ok], y[ok], xerr=[np.zeros(ok.sum()), (high - low)[ok]], fmt="none", ecolor="#222222",
                elinewidth=1.0, capsize=2.5, capthick=0.8, gid="sipas_interval")
    for yi, v in zip(y, value):  # in a column right of 100, clear of the whiskers and the target line
        ax.text(101.5, yi, _vn(v, 1), va="center", fontsize=7.5)
    handles, labels = [], []
    if target is not None:
        line = ax.axvline(100.0 * target, color=PALETTE[3], linestyle="--", linewidth=1.1, gid="sipas_target")
        handles.append(line)
        labels.append(f"Mục tiêu {_vn(100.0 * target, 1)} %")
    handles.append(ax.errorbar([], [], xerr=[], fmt="none", ecolor="#222222", elinewidth=1.0, capsize=2.5))
    labels.append("Khoảng tin cậy 95 %")
    ax.set_xlim(0, 112)
    ax.set_xticks(range(0, 101, 10))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    _unit_rows(ax, [_wrap(x, 40) for x in order["name"]])
    ax.set_xlabel("SIPAS (%)")
    fig.suptitle(_wrap(title, 90), fontsize=10)
    _legend(fig, handles, labels)
    return fig


def sipas_chart(units: pd.DataFrame, title: str, target: float | None = None, fmt: str = "svg") -> str | bytes:
    """Each unit's SIPAS as a horizontal bar with its 95 % interval as whiskers, and the set's target as a
    dashed line; highest on top.

    Parameters
    ----------
    units : DataFrame
        ``name, sipas, low, high`` (shares 0..1) of the units with a SIPAS; a NaN interval draws no whisker.
    title : str
        Chart title.
    target : float, optional
        The set's target (a share), drawn as a dashed vertical line and named in the legend.

    Returns
    -------
    str or bytes
        SVG document (or PNG bytes); each bar is labelled with its SIPAS as ``91,4``.

    Examples
    --------
    >>> u = pd.DataFrame({"name": ["Sở A", "Sở B"], "sipas": [0.9139, 0.5], "low": [0.88, 0.3],
    ...                   "high": [0.95, 0.7]})
    >>> svg = sipas_chart(u, "SIPAS cấp sở", target=0.95)
    >>> "Sở A" in svg, "91,4" in svg, "Mục tiêu 95,0 %" in svg, "sipas_interval" in svg
    (True, True, True, True)
    """
    return _render(_sipas_figure, units, title, target, fmt=fmt)
