"""The SIPAS tables a province publishes (issue 29 item 4), for the page and every export.

:func:`sipas_table` is the results table: one row per unit (by level) with its ballots, the index of each
element (yếu tố) and its SIPAS, in percent (0-100, one decimal on pages and in the Vietnamese CSV), and the
province's figure last; a unit under the set's ``min_ballots`` reads "chưa đủ phiếu (n phiếu)" instead of
figures. Beside each covered unit's SIPAS: its 95 % interval (a cluster bootstrap by ballot,
:mod:`aggregation.sipas_bootstrap`), its rank within its level (units printed alike share a rank) and the
neighbours in the ranking whose intervals meet its own; the province's interval on its row.
:func:`perception_rows` gives the perception shares (tỷ lệ "Có") per level. No points, no classes: a SIPAS
figure is a share of people. :func:`sipas_stat_frame` gives the table to SPSS and Stata.
"""
from __future__ import annotations

import pandas as pd

from questionnaires.model import round_points

from ..services.sipas_results import SipasResults
from .exports import Column
from .report_tables import ReportTable

SLUG = "sipas"


def percent_text(share: float | None) -> str:
    """A share (0..1) as the pages print it: percent, one decimal (half up), decimal comma, then " %".

    Examples
    --------
    >>> percent_text(0.9025), percent_text(37 / 45), percent_text(1.0), percent_text(float("nan"))
    ('90,3 %', '82,2 %', '100,0 %', '')
    """
    if share is None or pd.isna(share):
        return ""
    return f"{round_points(100.0 * float(share), 1):.1f}".replace(".", ",") + " %"


def short_of_ballots(ballots: int) -> str:
    """What an uncovered unit reads instead of its figures.

    >>> short_of_ballots(2)
    'chưa đủ phiếu (2 phiếu)'
    """
    return f"chưa đủ phiếu ({int(ballots)} phiếu)"


def weighting_words(results: SipasResults) -> str:
    """How the province's figure is stated, in words (with the units it is over)."""
    p = results.province
    over = f"{len(p.units)} đơn vị có chỉ số"
    if p.weighting == "dossiers":
        words = f"bình quân SIPAS của {over}, gia quyền theo số hồ sơ đã giải quyết"
        if p.without_dossiers:
            words += f" (không tính {len(p.without_dossiers)} đơn vị chưa có số hồ sơ: {', '.join(p.without_dossiers)})"
        return words
    return f"bình quân SIPAS của {over}"


def target_words(results: SipasResults) -> str:
    """Whether the province reaches the set's target, in a sentence (empty without a target)."""
    if results.target is None:
        return ""
    target = percent_text(results.target)
    if results.meets_target is None:
        return f"Mục tiêu: {target}; chưa có chỉ số của tỉnh để so sánh."
    return f"{'Đạt' if results.meets_target else 'Chưa đạt'} mục tiêu {target}."


def _pct(share) -> float | None:
    return None if share is None or pd.isna(share) else 100.0 * float(share)


INTERVAL_HEADER = "Khoảng tin cậy 95 %"


def interval_text(low: float | None, high: float | None) -> str:
    """An interval as the pages print it: "88,9–95,2 %" (empty without one).

    >>> interval_text(0.889, 0.9517), interval_text(1.0, 1.0), interval_text(float("nan"), 0.5)
    ('88,9–95,2 %', '100,0–100,0 %', '')
    """
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return ""
    return f"{percent_text(low).removesuffix(' %')}–{percent_text(high)}"


def method_words(results: SipasResults) -> str:
    """How the intervals and ranks were made, in a sentence or two (the seed shown: same data, same figures)."""
    n = f"{results.replicates:,}".replace(",", ".")
    return (f"{INTERVAL_HEADER}: lấy mẫu lặp (bootstrap) theo phiếu, {n} lần, số khởi tạo ngẫu nhiên "
            f"{results.seed}; mỗi lần chọn lại ngẫu nhiên, có hoàn lại, các phiếu của từng đơn vị (mỗi phiếu mang "
            "theo mọi câu trả lời của nó) rồi tính lại SIPAS của đơn vị và của tỉnh; khoảng là phân vị 2,5 % và "
            "97,5 % của các lần lặp. Cùng dữ liệu và cùng số khởi tạo cho cùng kết quả. Đơn vị chưa đủ phiếu "
            "không có khoảng tin cậy và không được xếp hạng.")


def rank_words(results: SipasResults) -> str:
    """How units are ranked, and what an overlap of intervals means."""
    within = [lv.units_word for lv in results.cset.levels if lv.rank_within == "parent" and lv.parent]
    where = "trong cấp của đơn vị" + (f" ({', '.join(within)}: trong đơn vị cấp trên)" if within else "")
    return (f"Xếp hạng theo SIPAS {where}, cao nhất là 1; đơn vị có SIPAS bằng nhau (theo số in, một chữ số thập "
            "phân) cùng hạng. Cột “Khoảng tin cậy giao với” ghi đơn vị đứng liền trên hoặc liền dưới có khoảng tin "
            "cậy 95 % giao với khoảng của đơn vị: chênh lệch giữa hai đơn vị có thể chỉ do chọn mẫu, thứ tự của "
            "chúng chưa chắc chắn.")


def sure_rows(results: SipasResults) -> dict[str, dict]:
    """Per unit code: ``low, high`` (percent), ``interval`` (text), ``rank``, ``rank_of``, ``overlaps``
    (the neighbours' names); empty values for a unit without a SIPAS."""
    names = dict(zip(results.units["unit"], results.units["name"]))
    out = {}
    for r in results.sure.to_dict("records"):
        rank = None if pd.isna(r["rank"]) else int(r["rank"])
        out[r["unit"]] = {"low": _pct(r["low"]), "high": _pct(r["high"]),
                          "interval": interval_text(r["low"], r["high"]), "rank": rank,
                          "rank_of": None if pd.isna(r["rank_of"]) else int(r["rank_of"]),
                          "overlaps": ", ".join(names.get(u, u) for u in r["overlaps"].split(", ") if u)}
    return out


def sipas_table(results: SipasResults) -> ReportTable:
    """The results table: per unit its ballots, element indices and SIPAS (percent), the province last."""
    cset = results.cset
    elements = [(code, cset.field_by_code[code].short_name or name) for code, name in results.elements]
    columns = [Column("stt", "STT", "integer", width=6), Column("level_name", "Cấp"), Column("unit", "Mã đơn vị"),
               Column("name", "Đơn vị", width=36), Column("ballots", "Số phiếu hợp lệ", "integer")]
    columns += [Column(f"e{code}", f"Yếu tố {code}. {short} (%)", "percent") for code, short in elements]
    columns += [Column("sipas", "SIPAS (%)", "percent"),
                Column("low", f"{INTERVAL_HEADER}: từ (%)", "percent"),
                Column("high", f"{INTERVAL_HEADER}: đến (%)", "percent"),
                Column("rank", "Xếp hạng", "integer"), Column("rank_of", "Trên tổng số", "integer"),
                Column("overlaps", "Khoảng tin cậy giao với", width=36), Column("note", "Ghi chú", width=40)]
    sure = sure_rows(results)
    blank = {"low": None, "high": None, "interval": "", "rank": None, "rank_of": None, "overlaps": ""}
    names = {lv.code: lv.name for lv in cset.levels}
    rows: list[dict] = []
    numbers: dict[str, int] = {}
    for r in results.units.to_dict("records"):
        numbers[r["level"]] = numbers.get(r["level"], 0) + 1
        row = {"stt": numbers[r["level"]], "level": r["level"], "level_name": names.get(r["level"], r["level"]),
               "unit": r["unit"], "name": r["name"], "ballots": int(r["ballots"])} | sure.get(r["unit"], blank)
        if not r["covered"]:
            row |= {f"e{code}": None for code, _ in elements}
            row |= {"sipas": short_of_ballots(r["ballots"]), "note": short_of_ballots(r["ballots"])}
        else:
            row |= {f"e{code}": _pct(r[code]) for code, _ in elements}
            row["sipas"] = _pct(r["sipas"])
            row["note"] = f"không tính yếu tố {r['left_out']}: không có người trả lời" if r["left_out"] else ""
        rows.append(row)
    p = results.province
    low, high = results.province_interval
    rows.append({"level": "", "level_name": "", "unit": "", "name": "Toàn tỉnh", "ballots": results.ballots,
                 **{f"e{code}": None for code, _ in elements}, "sipas": _pct(p.value), **blank,
                 "low": _pct(low), "high": _pct(high), "interval": interval_text(low, high),
                 "note": "; ".join(x for x in (weighting_words(results), target_words(results)) if x)})
    return ReportTable(SLUG, "Chỉ số hài lòng (SIPAS) theo đơn vị và yếu tố", columns, rows,
                       note="Tỷ lệ hài lòng: số người chọn Hài lòng hoặc Rất hài lòng trên số người trả lời "
                            "(không tính Không biết)", summary={len(rows) - 1}, sheet="SIPAS",
                       footnote=f"{method_words(results)} {rank_words(results)}")


def perception_rows(results: SipasResults) -> list[dict]:
    """Per level: ``{"level", "name", "questions": [(code, text)], "rows": [(unit name, [share text...])]}``
    of the perception shares (tỷ lệ "Có" among those who answered), covered units only."""
    p = results.perception
    out = []
    for lv in results.cset.levels:
        mine = p[p["level"] == lv.code]
        if mine.empty:
            continue
        questions = list(dict.fromkeys(zip(mine["question"], mine["text"])))
        wide = mine.pivot(index="unit", columns="question", values="share")
        unit_names = dict(zip(mine["unit"], mine["name"]))
        rows = [(unit_names[u], [percent_text(wide.loc[u, q]) for q, _ in questions]) for u in wide.index]
        out.append({"level": lv.code, "name": lv.name, "questions": questions, "rows": rows})
    return out


# --- SPSS and Stata -----------------------------------------------------------------------

PROVINCE_CODE = 0  # the province's row in a stat file: level 0, "Toàn tỉnh"


def sipas_stat_frame(results: SipasResults) -> tuple[pd.DataFrame, dict[str, str], dict[str, dict[int, str]]]:
    """The SIPAS table for SPSS and Stata: the frame, its variable labels and its value labels.

    One row per unit, the province last (``level`` 0, "Toàn tỉnh"). Variables: ``level`` (1.. in the set's
    level order, labelled), ``unit``, ``unit_name`` (text), ``ballots``, ``covered`` (1 "Đủ phiếu", 0
    "Chưa đủ phiếu"), one per element (its index, percent), ``sipas``, ``sipas_low``, ``sipas_high`` (the 95 %
    interval, percent), ``rank`` and ``rank_of``. A unit short of ballots has its figures system-missing.
    Labels are the table's headers; names go through :func:`survey_app.outputs.statfiles.variable_name`.
    """
    from .statfiles import variable_name

    table = sipas_table(results)
    header = {c.key: c.header for c in table.columns}
    levels = {lv.code: i for i, lv in enumerate(results.cset.levels, 1)}
    taken: set[str] = set()
    keys = [("level", "Cấp"), ("unit", header["unit"]), ("unit_name", header["name"]),
            ("ballots", header["ballots"]), ("covered", "Đủ phiếu để tính chỉ số")]
    keys += [(c.key, c.header) for c in table.columns if c.key.startswith("e") and c.kind == "percent"]
    keys += [("sipas", header["sipas"]), ("low", header["low"]), ("high", header["high"]),
             ("rank", header["rank"]), ("rank_of", header["rank_of"])]
    names = {key: variable_name({"low": "sipas_low", "high": "sipas_high"}.get(key, key), taken) for key, _ in keys}
    data = {names[k]: [] for k, _ in keys}
    for i, row in enumerate(table.rows):
        province = i in table.summary
        covered = not isinstance(row["sipas"], str)
        for key, _ in keys:
            if key == "level":
                value = PROVINCE_CODE if province else levels.get(row["level"])
            elif key == "unit_name":
                value = row["name"]
            elif key == "covered":
                value = None if province else int(covered)
            else:
                value = row.get(key)
                value = None if isinstance(value, str) and key not in ("unit",) else value
            data[names[key]].append(value)
    frame = pd.DataFrame(data)
    for key in [k for k, _ in keys if k not in ("unit", "unit_name")]:
        frame[names[key]] = pd.to_numeric(frame[names[key]], errors="coerce").astype(float)
    frame[names["unit"]] = frame[names["unit"]].fillna("").astype(str)
    frame[names["unit_name"]] = frame[names["unit_name"]].fillna("").astype(str)
    variable_labels = {names[k]: label for k, label in keys}
    value_labels = {names["level"]: {PROVINCE_CODE: "Toàn tỉnh", **{i: lv.name for lv, i in
                                                                    zip(results.cset.levels, levels.values())}},
                    names["covered"]: {1: "Đủ phiếu", 0: "Chưa đủ phiếu"}}
    return frame, variable_labels, value_labels


def note_lines(text: str, max_bytes: int = 80) -> list[str]:
    """``text`` in lines of at most ``max_bytes`` UTF-8 bytes, broken between words (SPSS keeps a document as
    lines of 80 bytes).

    >>> note_lines("Khoảng tin cậy 95 %: lấy mẫu lặp", 24)
    ['Khoảng tin cậy 95 %:', 'lấy mẫu lặp']
    """
    lines: list[str] = []
    for word in text.split():
        if lines and len(f"{lines[-1]} {word}".encode()) <= max_bytes:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def sipas_stat_file(fmt: str, results: SipasResults, campaign_name: str):
    """The SIPAS table in a new temporary ``.sav`` or ``.dta`` file (labels cut to what each format keeps, as
    :mod:`survey_app.outputs.statfiles` does); returns its path, which the caller sends and deletes."""
    import tempfile
    from pathlib import Path

    import pyreadstat

    from .statfiles import (
        SPSS_FILE_LABEL_BYTES,
        SPSS_LABEL_BYTES,
        SPSS_VALUE_LABEL_BYTES,
        STATA_LABEL_CHARS,
        STATA_VERSION,
        clip_label,
    )

    if fmt not in ("sav", "dta"):
        raise ValueError(f"unknown format {fmt!r} (use: sav, dta)")
    frame, variable_labels, value_labels = sipas_stat_frame(results)
    label = f"SIPAS — {campaign_name}"
    with tempfile.NamedTemporaryFile(delete=False, suffix=f".{fmt}") as handle:
        path = Path(handle.name)
    try:
        if fmt == "sav":
            pyreadstat.write_sav(
                frame, str(path), file_label=clip_label(label, max_bytes=SPSS_FILE_LABEL_BYTES),
                column_labels={k: clip_label(v, max_bytes=SPSS_LABEL_BYTES) for k, v in variable_labels.items()},
                variable_value_labels={k: {c: clip_label(v, max_bytes=SPSS_VALUE_LABEL_BYTES)
                                           for c, v in labels.items()} for k, labels in value_labels.items()},
                variable_measure={name: ("nominal" if name in value_labels or frame[name].dtype == object else "scale")
                                  for name in frame.columns},
                note=note_lines(method_words(results)), row_compress=True)
        else:
            pyreadstat.write_dta(
                frame, str(path), file_label=clip_label(label, max_chars=STATA_LABEL_CHARS),
                column_labels={k: clip_label(v, max_chars=STATA_LABEL_CHARS) for k, v in variable_labels.items()},
                version=STATA_VERSION, variable_value_labels=value_labels)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
