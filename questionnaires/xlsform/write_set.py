"""Writing an imported form as a complete, standalone criteria set folder."""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..loader import QUESTIONNAIRES_DIR, QUESTIONS_DIR, SET_FILE, load_criteria_set_from_texts
from ..model import CriteriaSet, Level
from ..parse_set import TOLERANCE
from .form import PLAIN_CODE_RE, YAML_WORDS, FormProblem, FormQuestion, XLSForm, XLSFormError
from .read import missing_fractions_problem

# --- writing the set -----------------------------------------------------------------


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(str(text), ensure_ascii=False)


def _code(text: str) -> str:
    """A code, quoted unless plainly safe (``H01``; not ``1.1``, ``no`` or ``on``)."""
    text = str(text)
    return text if PLAIN_CODE_RE.match(text) and text.lower() not in YAML_WORDS else _q(text)


def _num(x: float) -> str:
    """A number written short when that reads back exactly, else in full."""
    short = f"{x:.10g}"
    return short if float(short) == x else repr(float(x))


def _comment(text: str) -> str:
    return " ".join(str(text).split())


@dataclass(frozen=True)
class _Plan:
    """Max points of each imported question and of each covered sub-criterion."""

    question_max: dict[str, float]
    question_note: dict[str, str]
    sub_max: dict[str, float]
    sub_note: dict[str, str]


def _plan_points(form: XLSForm, level: Level) -> _Plan:
    subs = {s.code: s for s in level.sub_criteria}
    problems = []
    by_sub: dict[str, list[FormQuestion]] = defaultdict(list)
    for q in (q for q in form.questions if q.kind == "scored"):
        if q.sub_criterion not in subs:
            problems.append(FormProblem("survey", q.row, "unknown_sub_criterion",
                                        f"câu '{q.id}': tiêu chí thành phần '{q.sub_criterion}' không có trong cấp "
                                        f"'{level.code}' của bộ tiêu chí gốc"))
            continue
        by_sub[q.sub_criterion].append(q)
    question_max, question_note, sub_max, sub_note = {}, {}, {}, {}
    for code, qs in by_sub.items():
        base_max = subs[code].max_points
        given = [q for q in qs if q.max_points is not None]
        rest = [q for q in qs if q.max_points is None]
        used = sum(q.max_points for q in given)
        rows = ", ".join(str(q.row) for q in qs)
        if used > base_max + TOLERANCE:
            problems.append(
                FormProblem(
                    "survey",
                    given[0].row,
                    "sum_max_points",
                    f"par_max_points các câu của tiêu chí thành phần '{code}' (dòng {rows}) cộng lại "
                    f"{used:g}, vượt điểm tối đa {base_max:g} của bộ tiêu chí",
                )
            )
            continue
        for q in given:
            question_max[q.id] = q.max_points
        if rest:
            left = base_max - used
            if left <= TOLERANCE:
                problems.append(FormProblem("survey", rest[0].row, "no_points_left",
                                            f"tiêu chí thành phần '{code}': các câu có par_max_points đã dùng hết "
                                            f"{base_max:g} điểm, câu '{rest[0].id}' không còn điểm"))
                continue
            share = left / len(rest)
            for q in rest:
                question_max[q.id] = share
                question_note[q.id] = (
                    f"{_num(left)} điểm của TCTP {code} chia đều cho {len(rest)} câu" if len(rest) > 1 or given
                    else f"điểm tối đa của TCTP {code}")
            sub_max[code] = base_max
        else:
            sub_max[code] = used
            if used < base_max - TOLERANCE:
                sub_note[code] = f"bộ gốc: {base_max:g}; phiếu chỉ hỏi {used:g} điểm (par_max_points)"
    if problems:
        raise XLSFormError(problems)
    return _Plan(question_max, question_note, sub_max, sub_note)


def resolve_target(form: XLSForm, level: str | None, group: str | None) -> tuple[str, str]:
    """The (level, group) to import into: the options win over the ``settings`` sheet."""
    for what, given, sheet in (("cấp", level, form.level), ("đối tượng", group, form.group)):
        if given and sheet and given != sheet:
            form.notes.append(f"trang settings ghi {what} '{sheet}'; dùng '{given}' theo tham số dòng lệnh")
    level, group = level or form.level, group or form.group
    missing = [w for w, v in (("--level (hoặc par_level trong trang settings)", level),
                              ("--group (hoặc par_group trong trang settings)", group)) if not v]
    if missing:
        raise XLSFormError([FormProblem("", 0, "no_target", "cần " + " và ".join(missing))])
    return level, group


def build_set_texts(form: XLSForm, base: CriteriaSet, level_code: str, group_code: str,
                    base_name: str = "bộ tiêu chí mặc định") -> dict[str, str]:
    """The YAML files of a complete set holding the form, checked by the validator.

    Parameters
    ----------
    form : XLSForm
        Every option of the used lists must have its fraction (see :func:`apply_fractions`).
    base : CriteriaSet
        Fields, levels, sub-criteria, groups and classes come from here.
    level_code, group_code : str
        The questionnaire's level and group; both must exist in ``base``.
    base_name : str
        How the comments name the base set.

    Returns
    -------
    dict of str to str
        ``{relative path: YAML text}``, ready for :func:`write_set`.

    Raises
    ------
    XLSFormError
        Missing fractions, an unknown level, group or sub-criterion, max points that do not add up.
    questionnaires.CriteriaSetError
        If the written set would not pass ``parsurvey questionnaires check`` (a bug or a form
        our validator refuses: the problems name the written files).
    """
    missing = form.missing_fractions()
    if missing:
        raise missing_fractions_problem(missing)
    level = base.level_by_code.get(level_code)
    group = base.group_by_code.get(group_code)
    problems = []
    if level is None or not level.surveyed:
        known = ", ".join(lv.code for lv in base.levels if lv.surveyed)
        problems.append(
            FormProblem(
                "",
                0,
                "unknown_level",
                f"cấp '{level_code}' không có (hoặc không điều tra) trong bộ tiêu chí gốc (có: {known})",
            )
        )
    if group is None:
        known = ", ".join(g.code for g in base.groups)
        problems.append(
            FormProblem(
                "", 0, "unknown_group", f"đối tượng '{group_code}' không có trong bộ tiêu chí gốc (có: {known})"
            )
        )
    elif level is not None and group.rule_for(level_code) is None:
        problems.append(
            FormProblem(
                "",
                0,
                "group_not_rating",
                f"đối tượng '{group_code}' không đánh giá cấp '{level_code}' trong bộ tiêu chí gốc",
            )
        )
    if problems:
        raise XLSFormError(problems)
    plan = _plan_points(form, level)
    header = [
        f"# Nhập từ XLSForm {form.source}"
        + (f" (form_id {form.form_id}, version {form.version})" if form.form_id or form.version else "")
        + " bằng parsurvey questionnaires import-xlsform.",
    ]
    texts = {
        SET_FILE: _set_yaml(form, base, level, group, plan, header, base_name),
        f"{QUESTIONS_DIR}/{level.code}.yaml": _questions_yaml(form, level, plan, header),
        f"{QUESTIONNAIRES_DIR}/{level.code}-{group.code}.yaml": _questionnaire_yaml(form, level, group, header),
    }
    load_criteria_set_from_texts(texts)  # raises CriteriaSetError: never write a set that does not check
    return texts


def _set_yaml(form, base: CriteriaSet, level: Level, group, plan: _Plan, header, base_name) -> str:
    covered = set(plan.sub_max)
    dropped = [s.code for s in level.sub_criteria if s.code not in covered]
    out = header + [
        f"# Lĩnh vực, cấp, tiêu chí thành phần, đối tượng và xếp loại lấy từ {base_name} ({base.name}).",
        f"# Chỉ giữ: cấp '{level.code}' với các tiêu chí thành phần phiếu có hỏi "
        "(điểm lĩnh vực, điểm cấp là tổng của chúng),",
        f"# đối tượng '{group.code}' và các thang đo lấy từ danh sách lựa chọn (trang choices) của phiếu.",
    ]
    if dropped:
        out.append(f"# Tiêu chí thành phần cấp '{level.code}' phiếu không hỏi (đã bỏ): {', '.join(dropped)}.")
    out += [
        f"name: {_q(f'{base.name} — phiếu nhập từ {form.source}')}",
        *( [f"year: {base.year}"] if base.year is not None else [] ),
        "",
        "fields:",
    ]
    for f in base.fields:
        out.append(f"  - {{code: {_q(f.code)}, name: {_q(f.name)}, short_name: {_q(f.short_name)}}}")
    out += ["", "levels:"]
    for lv in base.levels:
        out += [f"  - code: {_code(lv.code)}", f"    name: {_q(lv.name)}"]
        if lv.appraisal_max:
            out.append(f"    appraisal_max: {_num(lv.appraisal_max)}")
        if lv.parent:
            out.append(f"    parent: {_code(lv.parent)}")
        if lv.code != level.code:
            if lv.surveyed:
                out.append("    # không điều tra trong bộ này (phiếu nhập chỉ hỏi cấp " + level.code + ")")
            continue
        by_field: dict[str, list] = defaultdict(list)
        for c in lv.criteria:
            subs = [s for s in c.sub_criteria if s.code in covered]
            if subs:
                by_field[c.field].append((c, subs))
        field_max = {f: sum(plan.sub_max[s.code] for _, subs in cs for s in subs) for f, cs in by_field.items()}
        out.append(f"    survey_max: {_num(sum(field_max.values()))}")
        out.append("    fields:")
        for fcode in [f.code for f in base.fields if f.code in by_field]:
            out += [f"      - field: {_q(fcode)}", f"        survey_max: {_num(field_max[fcode])}", "        criteria:"]
            for c, subs in by_field[fcode]:
                out += [
                    f"          - code: {_q(c.code)}",
                    f"            name: {_q(c.name)}",
                    "            sub_criteria:",
                ]
                for s in subs:
                    note = f"  # {plan.sub_note[s.code]}" if s.code in plan.sub_note else ""
                    out.append(f"              - {{code: {_q(s.code)}, name: {_q(s.name)}, "
                               f"survey_max: {_num(plan.sub_max[s.code])}}}{note}")
    out += ["", "# Thang đo = danh sách lựa chọn của phiếu (list_name); tỉ lệ điểm từ cột par_fraction.", "scales:"]
    for name, choices in form.lists.items():
        out += [f"  - code: {_code(name)}", f"    name: {_q(form.scale_names.get(name, name))}"]
        if name in form.unscored:
            out.append("    scored: false  # danh sách để chọn (câu thông tin, câu mong đợi), không tính điểm")
        out.append("    options:")
        for c in choices:
            if name in form.unscored:
                out.append(f"      - {{code: {_code(c.code)}, label: {_q(c.label)}}}  # choices, dòng {c.row}")
                continue
            tail = "dont_know: true" if c.dont_know else f"fraction: {_num(c.fraction)}"
            out.append(f"      - {{code: {_code(c.code)}, label: {_q(c.label)}, {tail}}}  # choices, dòng {c.row}")
    rule = group.rule_for(level.code)
    out += [
        "",
        "groups:",
        f"  - code: {_code(group.code)}",
        f"    name: {_q(group.name)}",
        f"    reached_by: {group.reached_by}",
        "    rates:",
        f"      - {{level: {_code(rule.level)}, how: {rule.how}}}",
        "",
        "classes:",
    ]
    for band in base.classes:
        out.append(f"  - {{code: {_code(band.code)}, name: {_q(band.name)}, min: {_num(band.min_points)}}}")
    out += ["", "district_rule:", f"  enabled: {'true' if base.district_rule.enabled else 'false'}",
            f"  min_share: {base.district_rule.min_share}"]
    return "\n".join(out) + "\n"


def _questions_yaml(form: XLSForm, level: Level, plan: _Plan, header) -> str:
    out = header + [
        f"# Câu hỏi điều tra XHH {level.name.lower()}: mỗi câu select_one có par_subcriterion của phiếu; câu "
        "thông tin (profile),",
        "# mong đợi (select_multiple, expectation) và ý kiến (text, comment) không tính điểm.",
        "# Điểm tối đa: từ cột par_max_points; nếu không có, điểm tối đa của tiêu chí thành phần chia đều",
        "# cho các câu của nó.",
        f"level: {_code(level.code)}",
        "questions:",
    ]
    for q in form.questions:
        if q.kind != "scored":
            out += [f"  - id: {_code(q.id)}   # survey, dòng {q.row}", f"    kind: {q.kind}"]
            out += [f"    scale: {_code(q.list_name)}"] if q.list_name else []
            out += [f"    choose_up_to: {q.choose_up_to}"] if q.kind == "expectation" else []
            out += [f"    max_length: {q.max_length}"] if q.kind == "comment" else []
            out.append(f"    text: {_q(q.text)}")
            continue
        note = f"  # {plan.question_note[q.id]}" if q.id in plan.question_note else ""
        out += [
            f"  - id: {_code(q.id)}   # survey, dòng {q.row}",
            f"    sub_criterion: {_q(q.sub_criterion)}",
            f"    max_points: {_num(plan.question_max[q.id])}{note}",
            f"    scale: {_code(q.list_name)}",
            f"    text: {_q(q.text)}",
        ]
    return "\n".join(out) + "\n"


def _questionnaire_yaml(form: XLSForm, level: Level, group, header) -> str:
    title = form.title or f"Phiếu khảo sát: {group.name} đánh giá {level.name.lower()}"
    out = header + [f"level: {_code(level.code)}", f"group: {_code(group.code)}", f"title: {_q(title)}"]
    if form.intro:
        out.append(f"intro: {_q(form.intro)}")
    out.append("questions:")
    for q in form.questions:
        if q.label != q.text:
            out.append(f"  - {{id: {_code(q.id)}, text: {_q(q.label)}}}")
        else:
            out.append(f"  - {_code(q.id)}   # {_comment(q.text)}")
    return "\n".join(out) + "\n"


def write_set(texts: Mapping[str, str], directory: str | Path) -> list[Path]:
    """Write the set's files into a new (or empty) folder; return the paths written."""
    root = Path(directory)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise XLSFormError([FormProblem("", 0, "out_not_empty",
                                        f"thư mục {root} đã có và không trống: chọn một thư mục mới để khỏi ghi đè")])
    written = []
    for rel, text in texts.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
