"""What changed between two criteria sets (last year's and this year's), in sentences for an official."""
from __future__ import annotations

from dataclasses import dataclass

from .model import CriteriaSet


@dataclass(frozen=True)
class Change:
    """One difference: ``kind`` (added, removed, reworded, points, weights, scale, band, level, field),
    where it is (``level``, ``question``) and the Vietnamese sentence."""

    kind: str
    level: str
    question: str
    text: str


def _weights(cset: CriteriaSet, level: str, question: str) -> dict[str, float]:
    return {g: round(w, 4) for g, w in cset.group_weights(level, question).items()}


def set_changes(old: CriteriaSet, new: CriteriaSet) -> list[Change]:
    """Every difference that changes what is asked or how it scores, from ``old`` to ``new``.

    Examples
    --------
    >>> from questionnaires import load_default_set
    >>> set_changes(load_default_set(), load_default_set())
    []
    """
    changes: list[Change] = []
    before = {(q.level, q.id): q for q in old.questions}
    after = {(q.level, q.id): q for q in new.questions}
    for key in sorted(after.keys() - before.keys()):
        q = after[key]
        changes.append(Change("added", *key, f"thêm câu {q.id} ({q.level}, {q.max_points:g} điểm): {q.text}"))
    for key in sorted(before.keys() - after.keys()):
        q = before[key]
        changes.append(Change("removed", *key, f"bỏ câu {q.id} ({q.level}): {q.text}"))
    for key in sorted(before.keys() & after.keys()):
        a, b = before[key], after[key]
        if a.text != b.text:
            changes.append(Change("reworded", *key, f"câu {b.id} ({b.level}) đổi nội dung: “{a.text}” → “{b.text}”"))
        if a.max_points != b.max_points:
            changes.append(Change("points", *key, f"câu {b.id} ({b.level}): điểm tối đa {a.max_points:g} → "
                                                  f"{b.max_points:g}"))
        if a.scale != b.scale:
            changes.append(Change("scale", *key, f"câu {b.id} ({b.level}): thang đo {a.scale} → {b.scale}"))
        if a.sub_criterion != b.sub_criterion:
            changes.append(Change("points", *key, f"câu {b.id} ({b.level}): tiêu chí thành phần "
                                                  f"{a.sub_criterion} → {b.sub_criterion}"))
        wa, wb = _weights(old, *key), _weights(new, *key)
        if wa != wb:
            show = lambda w: ", ".join(f"{g} {v:g}" for g, v in sorted(w.items())) or "không đối tượng nào"  # noqa: E731
            changes.append(Change("weights", *key, f"câu {b.id} ({b.level}): trọng số {show(wa)} → {show(wb)}"))
    levels_a, levels_b = old.level_by_code, new.level_by_code
    for code in sorted(levels_b.keys() - levels_a.keys()):
        changes.append(Change("level", code, "", f"thêm cấp {levels_b[code].name} ({code})"))
    for code in sorted(levels_a.keys() - levels_b.keys()):
        changes.append(Change("level", code, "", f"bỏ cấp {levels_a[code].name} ({code})"))
    for code in sorted(levels_a.keys() & levels_b.keys()):
        a, b = levels_a[code], levels_b[code]
        if (a.survey_max, a.appraisal_max) != (b.survey_max, b.appraisal_max):
            changes.append(Change("level", code, "", f"{b.name}: điểm điều tra {a.survey_max:g} → {b.survey_max:g}, "
                                                     f"thẩm định {a.appraisal_max:g} → {b.appraisal_max:g}"))
        if dict(a.field_appraisal_max) != dict(b.field_appraisal_max):
            show = lambda m: "; ".join(f"{f}: {v:g}" for f, v in m.items()) or "không ghi"  # noqa: E731
            changes.append(Change("level", code, "", f"{b.name}: điểm thẩm định tối đa theo lĩnh vực "
                                                     f"{show(a.field_appraisal_max)} → {show(b.field_appraisal_max)}"))
    fields_a, fields_b = [f.code for f in old.fields], [f.code for f in new.fields]
    if fields_a != fields_b:
        changes.append(Change("field", "", "", f"lĩnh vực: {', '.join(fields_a)} → {', '.join(fields_b)}"))
    bands_a = [(b.name, b.min_points) for b in old.classes]
    bands_b = [(b.name, b.min_points) for b in new.classes]
    if bands_a != bands_b:
        show = lambda bands: "; ".join(f"{n} từ {m:g}" for n, m in bands)  # noqa: E731
        changes.append(Change("band", "", "", f"xếp loại: {show(bands_a)} → {show(bands_b)}"))
    if old.district_rule != new.district_rule:
        changes.append(Change("band", "", "", "quy tắc xếp loại cấp huyện theo cấp xã thay đổi"))
    return changes
