"""Last year's results through a reform: which of this year's units compare with which of last year's.

A succession row says what became of one of last year's units: ``kept`` (same unit), ``renamed`` (same
unit, new name), ``merged`` (with others into one new unit), ``split`` (into several new units) or
``abolished``. Only a unit that is the same unit (kept or renamed) is compared with last year: its
index, rank and class carry over. A unit made by a merger or a split is a new unit: it gets no change
of index, rank or class (nothing is made up), and a note names where it comes from, with their figures:
"đơn vị mới (hợp nhất từ Xã A: 80,12, hạng 17, Tốt; Xã B: …)".
"""
from __future__ import annotations

import pandas as pd

SAME = ("kept", "renamed")
NEW = {"merged": "hợp nhất từ", "split": "tách từ"}
NEW_UNIT = "đơn vị mới"
PREVIOUS_COLUMNS = ["level", "unit", "previous_index", "previous_rank", "previous_class", "previous_note"]


def _figures(name: str, row) -> str:
    parts = []
    if pd.notna(row.previous_index):
        parts.append(f"{float(row.previous_index):.3f}".rstrip("0").rstrip(".").replace(".", ","))
    if pd.notna(row.previous_rank):
        parts.append(f"hạng {int(row.previous_rank)}")
    if isinstance(row.previous_class, str) and row.previous_class:
        parts.append(row.previous_class)
    return f"{name}: {', '.join(parts)}" if parts else name


def carry_previous(previous: pd.DataFrame, succession: pd.DataFrame, units: pd.DataFrame,
                   old_names: dict[str, str] | None = None) -> pd.DataFrame:
    """Last year's table keyed by this year's units.

    Parameters
    ----------
    previous : DataFrame
        Last year's results by last year's unit: ``unit, previous_index, previous_rank, previous_class``.
    succession : DataFrame
        ``old, new, kind``: one row per (last year's unit, this year's unit); ``new`` empty for ``abolished``.
    units : DataFrame
        This year's ``level, code``.
    old_names : dict, optional
        Last year's unit code -> name, for the notes (the code otherwise).

    Returns
    -------
    DataFrame
        :data:`PREVIOUS_COLUMNS`, one row per unit of this year that has a predecessor: a kept or renamed
        unit with last year's figures and an empty note; a merged or split one with no figures and the note.

    Examples
    --------
    >>> prev = pd.DataFrame({"unit": ["a", "b", "c"], "previous_index": [80.12, 75.0, 90.0],
    ...                      "previous_rank": [2, 3, 1], "previous_class": ["Tốt", "Khá", "Xuất sắc"]})
    >>> succ = pd.DataFrame({"old": ["a", "b", "c"], "new": ["ab", "ab", "c2"],
    ...                      "kind": ["merged", "merged", "renamed"]})
    >>> units = pd.DataFrame({"level": "xa", "code": ["ab", "c2"]})
    >>> out = carry_previous(prev, succ, units, {"a": "Xã A", "b": "Xã B"}).set_index("unit")
    >>> out.at["ab", "previous_note"]
    'đơn vị mới (hợp nhất từ Xã A: 80,12, hạng 2, Tốt; Xã B: 75, hạng 3, Khá)'
    >>> float(out.at["c2", "previous_index"]), out.at["c2", "previous_note"]
    (90.0, '')
    """
    names = old_names or {}
    level_of = dict(zip(units["code"], units["level"]))
    by_old = previous.set_index("unit")
    rows = []
    for new, part in succession[succession["new"].fillna("") != ""].groupby("new", sort=True):
        if new not in level_of:
            continue
        kinds = set(part["kind"])
        if kinds <= set(SAME) and len(part) == 1:
            old = part["old"].iloc[0]
            if old in by_old.index:
                r = by_old.loc[old]
                rows.append((level_of[new], new, r["previous_index"], r["previous_rank"], r["previous_class"], ""))
            continue
        said = NEW.get("merged" if "merged" in kinds or len(part) > 1 else "split", NEW["split"])
        sources = [_figures(names.get(old, old), by_old.loc[old]) if old in by_old.index else names.get(old, old)
                   for old in part["old"]]
        rows.append((level_of[new], new, float("nan"), pd.NA, None, f"{NEW_UNIT} ({said} {'; '.join(sources)})"))
    out = pd.DataFrame(rows, columns=PREVIOUS_COLUMNS)
    out["previous_rank"] = out["previous_rank"].astype("Int64")
    return out
