"""Parse ``questions/*.yaml`` (questions per level) and ``questionnaires/*.yaml``."""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from .model import CHOICE_SEPARATOR, COMMENT_MAX, QUESTION_KINDS, QUESTION_ROLES, Level, Question
from .parse_set import SetBase
from .reader import Reader
from .yamlnodes import LineDict, Problem


@dataclass
class QuestionnaireDraft:
    """A questionnaire as written, before its question ids are resolved."""

    file: str
    line: int
    level: str
    group: str
    title: str
    intro: str
    items: list[tuple[int, str, str | None]]  # (line, question id, own wording)


def _level_of(r: Reader, top: LineDict, base: SetBase) -> Level | None:
    code = r.code(top, "level")
    if code is None:
        return None
    level = base.level(code)
    if level is None:
        r.problem(top.line_of("level"), "unknown_level", f"cấp '{code}' không có trong set.yaml")
    elif not level.surveyed:
        r.problem(top.line_of("level"), "unsurveyed_level", f"cấp '{code}' không có tiêu chí điều tra")
        return None
    return level


def parse_questions_file(tree, file: str, base: SetBase, problems: list[Problem]) -> list[Question]:
    """The questions of one level's file; bad items are reported and left out."""
    if tree is None:
        return []
    r = Reader(file, problems)
    top = r.mapping(tree, 1, f"tệp {file}")
    if top is None:
        return []
    r.keys(top, ("level", "questions"), (), "tệp câu hỏi")
    level = _level_of(r, top, base)
    if level is None:
        return []
    subs = {s.code for s in level.sub_criteria}
    questions: list[Question] = []
    required = ("id", "text", "sub_criterion", "scale") + (() if base.is_sipas else ("max_points",))
    optional = ("weights", "role", "kind") + (("max_points",) if base.is_sipas else ())
    other_keys = {"profile": ("scale",), "expectation": ("scale", "choose_up_to"), "comment": ("max_length",)}

    def keys(d: LineDict) -> tuple[tuple[str, ...], tuple[str, ...]]:
        kind = str(d.get("kind") or "scored").strip()
        if kind in other_keys:  # never scored: no sub-criterion, points, weights or role
            return ("id", "text", "kind") + other_keys[kind][:1], other_keys[kind][1:]
        return required, optional

    for d in r.entries(top, "questions", "câu hỏi", keys):
        kind = _kind(r, d)
        if kind is not None and kind != "scored":
            other = _other_question(r, d, kind, level, base, file)
            if other is not None:
                questions.append(other)
            continue
        qid, text = r.code(d, "id"), r.text(d, "text")
        sub, scale = r.code(d, "sub_criterion"), r.code(d, "scale")
        if base.is_sipas:  # points unused: may be left out (0), and 0 is allowed
            max_points = r.number(d, "max_points") if d.get("max_points") is not None else 0.0
        else:
            max_points = r.number(d, "max_points", positive=True)
        role = _role(r, d)
        if not _first_definition(r, d, qid, level, base, file):
            continue
        ok = None not in (qid, text, sub, scale, max_points, role, kind)
        if sub is not None and sub not in subs and ("sub", level.code, sub) not in base.broken:
            r.problem(
                d.line_of("sub_criterion"),
                "unknown_sub_criterion",
                f"tiêu chí thành phần '{sub}' không có trong cấp '{level.code}' của set.yaml",
            )
            ok = False
        if scale is not None and base.scale(scale) is None:
            r.problem(d.line_of("scale"), "unknown_scale", f"thang đo '{scale}' không có trong set.yaml")
            ok = False
        weights = _weights(r, d, base)
        if ok and weights is not None and ("sub", level.code, sub) not in base.broken:
            questions.append(Question(qid, level.code, text, sub, max_points, scale, MappingProxyType(weights), role))
        else:
            base.broken.add(("question_level", level.code))
    return questions


def _first_definition(r: Reader, d: LineDict, qid: str | None, level: Level, base: SetBase, file: str) -> bool:
    """False (reported) when the level already defines ``qid``; else records where it is defined."""
    key = ("question", level.code, qid)
    if qid is not None and key in base.where:
        f, ln = base.where[key]
        r.problem(d.line_of("id"), "duplicate_id", f"câu hỏi '{qid}' của cấp '{level.code}' lặp lại (đã có ở {f}:{ln})")
        return False
    if qid is not None:
        base.where[key] = (file, d.line)
    return True


def _one_of(r: Reader, d: LineDict, key: str, allowed: tuple[str, ...], meanings: str) -> str | None:
    """``d[key]`` (default ``allowed[0]``) when it is one of ``allowed``; else None, reported at its line with
    what each value means."""
    value = r.text(d, key, allowed[0]) or allowed[0]
    if value not in allowed:
        r.problem(d.line_of(key), "bad_value",
                  f"'{key}' phải là một trong: {', '.join(allowed)} ({meanings}), không phải '{value}'")
        return None
    return value


def _kind(r: Reader, d: LineDict) -> str | None:
    """A question's ``kind`` (default ``scored``); None, reported at its line, when it is not one."""
    return _one_of(r, d, "kind", QUESTION_KINDS, "scored: câu hỏi tính điểm/chỉ số; profile: thông tin người trả "
                   "lời, chọn một; expectation: mong đợi, chọn tối đa N; comment: ý kiến tự do")


def _other_question(r: Reader, d: LineDict, kind: str, level: Level, base: SetBase, file: str) -> Question | None:
    """A profile, expectation or comment question: never scored, so no sub-criterion, points, weights or role;
    a scale for the two that choose, ``choose_up_to`` for an expectation, ``max_length`` for a comment."""
    qid, text = r.code(d, "id"), r.text(d, "text")
    scale = r.code(d, "scale") if kind != "comment" else ""
    ok = _first_definition(r, d, qid, level, base, file) and None not in (qid, text, scale)
    options = base.scale(scale) if scale else None
    if scale and options is None:
        r.problem(d.line_of("scale"), "unknown_scale", f"thang đo '{scale}' không có trong set.yaml")
        ok = False
    choose, length = 1, 0
    if kind == "expectation" and ok:
        choose = _whole(r, d, "choose_up_to", 3)
        longest = max(len(o.code) for o in options.options) if options.options else 0
        if choose is None or choose > len(options.options):
            if choose is not None:
                r.problem(d.line_of("choose_up_to"), "bad_value",
                          f"'choose_up_to' ({choose}) lớn hơn số phương án của thang '{scale}' "
                          f"({len(options.options)})")
            ok = False
        elif choose * (longest + len(CHOICE_SEPARATOR)) - 1 > 32:
            r.problem(d.line_of("scale"), "bad_value",
                      f"mã phương án của thang '{scale}' quá dài để lưu {choose} lựa chọn (tổng tối đa 32 ký tự): "
                      "dùng mã ngắn hơn hoặc giảm 'choose_up_to'")
            ok = False
    if kind == "comment":
        length = _whole(r, d, "max_length", COMMENT_MAX)
        if length is not None and length > 2000:
            r.problem(d.line_of("max_length"), "bad_value", f"'max_length' tối đa 2000 ký tự (đang là {length})")
            length = None
        ok = ok and length is not None
    if not ok:
        return None
    return Question(qid, level.code, text, "", 0.0, scale or "", MappingProxyType({}), "satisfaction", kind,
                    choose, length)


def _whole(r: Reader, d: LineDict, key: str, default: int) -> int | None:
    """A whole number ≥ 1 (``default`` when absent); None, reported, when it is not one."""
    if key not in d or d[key] is None:
        return default
    value = d[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        r.problem(d.line_of(key), "bad_value", f"'{key}' phải là một số nguyên từ 1 trở lên (đang là {value!r})")
        return None
    return value


def _role(r: Reader, d: LineDict) -> str | None:
    """A question's ``role`` (default ``satisfaction``); None, reported at its line, when it is not one."""
    return _one_of(r, d, "role", QUESTION_ROLES, "satisfaction: câu hỏi mức độ hài lòng, tính vào chỉ số; "
                   "perception: câu hỏi nhận định, báo cáo riêng tỷ lệ")


def _weights(r: Reader, d: LineDict, base: SetBase) -> dict[str, float] | None:
    if "weights" not in d or d["weights"] is None:
        return {}
    wd = r.mapping(d["weights"], d.line_of("weights"), "'weights'")
    if wd is None:
        return None
    weights: dict[str, float] = {}
    for group in wd:
        if base.group(str(group)) is None:
            r.problem(
                wd.line_of(group), "unknown_group", f"đối tượng '{group}' trong 'weights' không có trong set.yaml"
            )
            return None
        value = r.number(wd, group, positive=True)
        if value is None:
            return None
        weights[str(group)] = value
    return weights


def parse_questionnaire_file(tree, file: str, base: SetBase, problems: list[Problem]) -> QuestionnaireDraft | None:
    """One questionnaire file as a draft; ``None`` if unusable."""
    if tree is None:
        return None
    r = Reader(file, problems)
    top = r.mapping(tree, 1, f"tệp {file}")
    if top is None:
        return None
    r.keys(top, ("level", "group", "questions"), ("title", "intro"), "phiếu khảo sát")
    level = _level_of(r, top, base)
    group_code = r.code(top, "group")
    group = base.group(group_code) if group_code else None
    if group_code is not None and group is None:
        r.problem(top.line_of("group"), "unknown_group", f"đối tượng '{group_code}' không có trong set.yaml")
    if level is None or group is None:
        base.broken.add(("qn", level.code if level else None, group.code if group else group_code))
        return None
    if group.rule_for(level.code) is None:
        base.broken.add(("qn", level.code, group.code))
        if ("rates", group.code) in base.broken:
            return None
        r.problem(
            top.line_of("group"),
            "questionnaire_not_rated",
            f"đối tượng '{group.code}' không đánh giá cấp '{level.code}' (xem 'rates' trong set.yaml)",
        )
        return None
    key = ("questionnaire", level.code, group.code)
    if key in base.where:
        f, ln = base.where[key]
        r.problem(
            top.line, "duplicate_questionnaire", f"phiếu của '{group.code}' cho cấp '{level.code}' đã có ở {f}:{ln}"
        )
        base.broken.add(("qn", level.code, group.code))
        return None
    base.where[key] = (file, top.line)
    items: list[tuple[int, str, str | None]] = []
    for line, item in r.items(top, "questions"):
        if isinstance(item, LineDict):
            r.keys(item, ("id",), ("text",), "câu hỏi của phiếu")
            qid, own_text = r.code(item, "id"), r.text(item, "text")
        elif isinstance(item, (str, int)) and not isinstance(item, bool):
            qid, own_text = str(item), None
        else:
            r.problem(line, "wrong_type", "mỗi mục của 'questions' là một mã câu hỏi hoặc {id: ..., text: ...}")
            continue
        if qid is not None:
            items.append((line, qid, own_text))
    default_title = f"Phiếu khảo sát: {group.name} đánh giá {level.name.lower()}"
    return QuestionnaireDraft(
        file, top.line, level.code, group.code, r.text(top, "title", default_title) or default_title,
        r.text(top, "intro", "") or "", items,
    )
