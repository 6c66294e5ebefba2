"""What changed between two criteria sets (last year's and this year's), in sentences for an official."""
from __future__ import annotations

from dataclasses import dataclass

from .model import CriteriaSet, Question

KIND_WORDS = {"par": "Chỉ số CCHC (điểm)", "sipas": "Chỉ số hài lòng SIPAS (tỷ lệ)"}
WEIGHTING_WORDS = {"units": "bình quân các đơn vị", "dossiers": "gia quyền theo số hồ sơ"}
ROLE_WORDS = {"satisfaction": "hài lòng", "perception": "nhận định"}
QUESTION_KIND_WORDS = {"scored": "tính điểm, chỉ số", "profile": "thông tin người trả lời (chọn một)",
                       "expectation": "mong đợi (chọn nhiều)", "comment": "ý kiến (ghi chữ)"}


@dataclass(frozen=True)
class Change:
    """One difference: ``kind`` (added, removed, reworded, points, weights, scale, band, level, field, role,
    index: the set's kind and SIPAS keys; question_kind: a question's kind, how many options an expectation
    lets a respondent choose, a comment's length limit),
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
    before = {(q.level, q.id): q for q in old.all_questions}
    after = {(q.level, q.id): q for q in new.all_questions}
    for key in sorted(after.keys() - before.keys()):
        q = after[key]
        what = f"{q.max_points:g} điểm" if q.scored else QUESTION_KIND_WORDS[q.kind]
        changes.append(Change("added", *key, f"thêm câu {q.id} ({q.level}, {what}): {q.text}"))
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
        changes += _kind_changes(a, b)
        if a.role != b.role and a.scored and b.scored:
            changes.append(Change("role", *key, f"câu {b.id} ({b.level}): loại câu {ROLE_WORDS[a.role]} → "
                                                f"{ROLE_WORDS[b.role]}"))
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
    changes += _positive_changes(old, new) + _index_changes(old, new)
    return _in_words(changes, old, new)


def _in_words(changes: list[Change], old: CriteriaSet, new: CriteriaSet) -> list[Change]:
    """The sentences as an official reads them: a question's level by its name ("câu S20 (cấp sở)", not
    "(so)"), a scale by its name; the ``level`` field keeps the code for programs."""
    levels = {lv.code: lv.name[:1].lower() + lv.name[1:] for lv in (*old.levels, *new.levels)}
    scales = {s.code: s.name for s in (*old.scales, *new.scales)}
    out = []
    for c in changes:
        text = c.text.replace(f" ({c.level})", f" ({levels[c.level]})", 1) if c.level in levels else c.text
        text = text.replace(f" ({c.level},", f" ({levels.get(c.level, c.level)},", 1)
        if c.kind == "scale":
            a, _, b = text.rpartition(": thang đo ")[2].partition(" → ")
            text = text.replace(f"thang đo {a} → {b}", f"thang đo “{scales.get(a, a)}” → “{scales.get(b, b)}”")
        out.append(Change(c.kind, c.level, c.question, text))
    return out


def _kind_changes(a: Question, b: Question) -> list[Change]:
    """A question's kind, and what its kind says: an expectation's ``choose_up_to``, a comment's ``max_length``.

    Examples
    --------
    >>> from questionnaires.model import Question
    >>> e = Question("XE1", "xa", "Mong đợi", "", 0.0, "mong_doi", kind="expectation", choose_up_to=3)
    >>> [c.text for c in _kind_changes(e, Question("XE1", "xa", "Mong đợi", "", 0.0, "mong_doi",
    ...                                              kind="expectation", choose_up_to=2))]
    ['câu XE1 (xa): chọn tối đa 3 → 2 phương án']
    """
    where = f"câu {b.id} ({b.level})"
    if a.kind != b.kind:
        return [Change("question_kind", b.level, b.id, f"{where}: loại câu {QUESTION_KIND_WORDS[a.kind]} → "
                                                       f"{QUESTION_KIND_WORDS[b.kind]}")]
    if b.kind == "expectation" and a.choose_up_to != b.choose_up_to:
        return [Change("question_kind", b.level, b.id, f"{where}: chọn tối đa {a.choose_up_to} → "
                                                       f"{b.choose_up_to} phương án")]
    if b.kind == "comment" and a.max_length != b.max_length:
        return [Change("question_kind", b.level, b.id, f"{where}: ý kiến tối đa {a.max_length} → "
                                                       f"{b.max_length} ký tự")]
    return []


def _positive_changes(old: CriteriaSet, new: CriteriaSet) -> list[Change]:
    """An option of a scale both sets have that became, or stopped being, counted as positive (satisfied)."""
    changes = []
    for code in sorted(old.scale_by_code.keys() & new.scale_by_code.keys()):
        before = old.scale_by_code[code].by_code
        for option in new.scale_by_code[code].options:
            was = before.get(option.code)
            if was is not None and was.positive != option.positive:
                yes_no = lambda flag: "có" if flag else "không"  # noqa: E731
                changes.append(Change("scale", "", "", f"thang đo {code}, phương án “{option.label}”: tính là hài "
                                                       f"lòng, tích cực {yes_no(was.positive)} → "
                                                       f"{yes_no(option.positive)}"))
    return changes


def _index_changes(old: CriteriaSet, new: CriteriaSet) -> list[Change]:
    """The set's kind (PAR points, SIPAS shares), how the province's SIPAS is stated, its target."""
    changes = []
    if old.kind != new.kind:
        changes.append(Change("index", "", "", f"loại chỉ số: {KIND_WORDS[old.kind]} → {KIND_WORDS[new.kind]}"))
    if old.sipas_weighting != new.sipas_weighting:
        changes.append(Change("index", "", "", f"SIPAS của tỉnh: {WEIGHTING_WORDS[old.sipas_weighting]} → "
                                               f"{WEIGHTING_WORDS[new.sipas_weighting]}"))
    if old.sipas_target != new.sipas_target:
        show = lambda t: "không ghi" if t is None else f"{t * 100:g} %".replace(".", ",")  # noqa: E731
        changes.append(Change("index", "", "", f"mục tiêu SIPAS: {show(old.sipas_target)} → "
                                               f"{show(new.sipas_target)}"))
    return changes
