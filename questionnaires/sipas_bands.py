"""A PAR sub-criterion that takes its points from a SIPAS index (issue 29 item 5): ``from_sipas`` and its
optional ``sipas_bands`` in ``set.yaml``, read and checked with file and line."""
from __future__ import annotations

from .reader import Reader
from .yamlnodes import LineDict, LineList

EXAMPLE = "ví dụ [[0.95, 1.0], [0.9, 0.75], [0.8, 0.5], [0, 0]]"


def _share(value) -> float | None:
    """A number in 0..1, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        return None
    return float(value)


def parse_sipas(r: Reader, sd: LineDict, code: str) -> tuple[bool, tuple[tuple[float, float], ...]] | None:
    """``(from_sipas, bands)`` of a sub-criterion's mapping; None when something is wrong (reported).

    Bands are ``[threshold, share]`` pairs: an index at or above the threshold earns ``share`` of the maximum.
    Thresholds descend strictly within 0..1, shares lie in 0..1, and the last threshold is 0 so that every
    index falls in a band. ``sipas_bands`` without ``from_sipas: true`` is refused (it would be ignored).
    """
    from_sipas = r.boolean(sd, "from_sipas")
    if sd.get("from_sipas") is not None and not isinstance(sd["from_sipas"], bool):
        return None  # reported by the reader
    raw = sd.get("sipas_bands")
    if raw is None:
        return from_sipas, ()
    line = sd.line_of("sipas_bands")
    if not from_sipas:
        r.problem(line, "bands_without_sipas",
                  f"tiêu chí thành phần '{code}' có 'sipas_bands' nhưng không lấy điểm từ SIPAS: thêm "
                  "'from_sipas: true' hoặc bỏ 'sipas_bands'")
        return None
    if not isinstance(raw, LineList) or not raw:
        r.problem(line, "bad_bands", f"'sipas_bands' phải là danh sách các mức [ngưỡng, tỷ lệ điểm], {EXAMPLE}")
        return None
    bands: list[tuple[float, float]] = []
    for i, item in enumerate(raw):
        at = raw.line_of(i)
        pair = list(item) if isinstance(item, list) and len(item) == 2 else None
        low, share = (_share(pair[0]), _share(pair[1])) if pair else (None, None)
        if low is None or share is None:
            r.problem(at, "bad_bands", f"mức thứ {i + 1} của 'sipas_bands' phải là [ngưỡng, tỷ lệ điểm], cả hai từ 0 "
                                       f"đến 1 (đang là {item}), {EXAMPLE}")
            return None
        if bands and low >= bands[-1][0]:
            r.problem(at, "bad_bands", f"các mức của 'sipas_bands' phải xếp ngưỡng từ cao xuống thấp: {low:g} "
                                       f"không nhỏ hơn {bands[-1][0]:g}")
            return None
        bands.append((low, share))
    if bands[-1][0] != 0:
        r.problem(raw.line_of(len(raw) - 1), "bad_bands",
                  f"mức cuối của 'sipas_bands' phải có ngưỡng 0 để mọi chỉ số SIPAS đều rơi vào một mức "
                  f"(đang là {bands[-1][0]:g}), {EXAMPLE}")
        return None
    return True, tuple(bands)
