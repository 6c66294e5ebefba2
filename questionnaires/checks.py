"""Rules that span files: questionnaires against questions, questions against sub-criteria."""
from __future__ import annotations

from collections import defaultdict

from .model import Question, Questionnaire, QuestionnaireItem
from .parse_questions import QuestionnaireDraft
from .parse_set import TOLERANCE, SetBase
from .yamlnodes import Problem

SET_FILE = "set.yaml"


def check_cross_references(
    base: SetBase,
    questions: list[Question],
    drafts: list[QuestionnaireDraft],
    unreadable_levels: set[str],
    problems: list[Problem],
) -> dict:
    """Resolve questionnaires and check the rules that span files.

    Returns the keyword arguments of :class:`~questionnaires.model.CriteriaSet`
    (without ``digest``); problems are appended to ``problems``.
    """
    by_key = {(q.level, q.id): q for q in questions}

    def unreadable(level: str) -> bool:
        return level in unreadable_levels or "*" in unreadable_levels

    questionnaires: list[Questionnaire] = []
    for draft in drafts:
        items: list[QuestionnaireItem] = []
        seen: dict[str, int] = {}
        for line, qid, own_text in draft.items:
            question = by_key.get((draft.level, qid))
            if qid in seen:
                problems.append(Problem(draft.file, line, "duplicate_in_questionnaire",
                                        f"câu hỏi '{qid}' đã có trong phiếu này ở dòng {seen[qid]}"))
                continue
            seen[qid] = line
            if question is None:
                # A question written but broken was reported where it is written.
                if not unreadable(draft.level) and ("question", draft.level, qid) not in base.where:
                    problems.append(Problem(draft.file, line, "unknown_question",
                                            f"câu hỏi '{qid}' không có trong các câu hỏi của cấp '{draft.level}'"))
                continue
            items.append(QuestionnaireItem(qid, own_text or question.text))
        questionnaires.append(Questionnaire(draft.level, draft.group, draft.title, draft.intro, tuple(items)))

    asked: dict[tuple[str, str], set[str]] = defaultdict(set)
    for qn in questionnaires:
        for item in qn.items:
            asked[(qn.level, item.question)].add(qn.group)

    present = {(qn.level, qn.group) for qn in questionnaires}
    broken_qn = {(k[1], k[2]) for k in base.broken if k[0] == "qn"}

    def questionnaire_broken(level: str | None, group: str | None) -> bool:
        """A questionnaire file that might be this one failed (its error is reported).

        ``None`` on either side means "any": a file whose level could not be read
        might have been any level's questionnaire.
        """
        return any(
            (lv is None or level is None or lv == level) and (g is None or group is None or g == group)
            for lv, g in broken_qn
        )

    for group in base.groups:
        if ("rates", group.code) in base.broken:
            continue
        for rule in group.rates:
            if (rule.level, group.code) not in present and not questionnaire_broken(rule.level, group.code):
                problems.append(
                    Problem(
                        SET_FILE,
                        base.lines[("rates", group.code, rule.level)],
                        "group_without_questionnaire",
                        f"đối tượng '{group.code}' đánh giá cấp '{rule.level}' nhưng chưa có phiếu "
                        f"(thêm một tệp trong questionnaires/ với level: {rule.level}, group: {group.code})",
                    )
                )

    for q in questions:
        file, line = base.where[("question", q.level, q.id)]
        groups = asked.get((q.level, q.id), set())
        if not groups and not questionnaire_broken(q.level, None):
            problems.append(Problem(file, line, "question_not_asked",
                                    f"câu hỏi '{q.id}' không có trong phiếu của đối tượng nào nên không thể chấm điểm"
                                    if q.scored else f"câu hỏi '{q.id}' không có trong phiếu của đối tượng nào"))
        for g in sorted(set(q.weights) - groups):
            if groups:
                problems.append(
                    Problem(
                        file,
                        line,
                        "weight_not_asking",
                        f"'weights' của câu hỏi '{q.id}' có đối tượng '{g}' nhưng phiếu của '{g}' không hỏi câu này",
                    )
                )

    for q in questions:
        scale = base.scale(q.scale) if q.scale else None
        if scale is not None and q.scored and not scale.scored:
            file, line = base.where[("question", q.level, q.id)]
            problems.append(Problem(file, line, "unscored_scale",
                                    f"câu hỏi '{q.id}' tính điểm nhưng thang đo '{q.scale}' không tính điểm "
                                    "('scored: false'): dùng thang đo khác, hoặc ghi 'kind: profile' cho câu hỏi"))
    comment_ids = {q.id for q in questions if q.kind == "comment"}
    for q in questions:
        if q.kind != "comment" and q.id in comment_ids:
            file, line = base.where[("question", q.level, q.id)]
            problems.append(Problem(file, line, "comment_id_reused",
                                    f"mã '{q.id}' là câu ý kiến (kind: comment) ở cấp khác: đặt mã khác cho câu này"))
    others = [q for q in questions if not q.scored]
    questions = [q for q in questions if q.scored]
    _check_question_sums(base, questions, unreadable, problems)
    if base.is_sipas:
        _check_positive_options(base, questions, problems)
    return dict(
        name=base.name,
        year=base.year,
        fields=tuple(base.fields),
        levels=tuple(base.levels),
        scales=tuple(base.scales),
        groups=tuple(base.groups),
        questions=tuple(questions),
        other_questions=tuple(others),
        questionnaires=tuple(sorted(questionnaires, key=lambda q: (q.level, q.group))),
        classes=tuple(base.classes),
        district_rule=base.district_rule,
        min_ballots=base.min_ballots,
        min_cell=base.min_cell,
        report_bands=base.report_bands,
        kind=base.kind,
        sipas_weighting=base.sipas_weighting,
        sipas_target=base.sipas_target,
    )


def _check_positive_options(base: SetBase, questions: list[Question], problems: list[Problem]) -> None:
    """In a SIPAS set every scale a question uses names at least one positive option (the index counts them)."""
    users: dict[str, list[str]] = defaultdict(list)
    for q in questions:
        users[q.scale].append(q.id)
    for scale in base.scales:
        if scale.code in users and not scale.positive_options:
            asked = ", ".join(users[scale.code][:3]) + (", …" if len(users[scale.code]) > 3 else "")
            problems.append(Problem(SET_FILE, base.lines[("scale", scale.code)], "no_positive_option",
                                    f"thang đo '{scale.code}' (dùng cho câu {asked}) chưa có phương án nào được "
                                    "tính là hài lòng: ghi 'positive: true' ở các phương án như “Hài lòng”, "
                                    "“Rất hài lòng” (hoặc “Có” ở câu nhận định)"))


def _check_question_sums(base, questions, unreadable, problems) -> None:
    """A sub-criterion's max points must be the sum of its questions' max points (one that takes its points
    from SIPAS has no question)."""
    per_sub: dict[tuple[str, str], list[Question]] = defaultdict(list)
    for q in questions:
        per_sub[(q.level, q.sub_criterion)].append(q)
    for level in base.levels:
        if unreadable(level.code) or ("question_level", level.code) in base.broken:
            continue  # sums are checked once every question of the level reads well
        for sub in level.sub_criteria:
            line = base.lines[("sub", level.code, sub.code)]
            qs = per_sub.get((level.code, sub.code), [])
            total = sum(q.max_points for q in qs)
            if sub.from_sipas:  # its points come from a SIPAS campaign's index: no question may score it too
                if qs:
                    problems.append(Problem(SET_FILE, line, "sipas_with_questions",
                                            f"tiêu chí thành phần '{sub.code}' cấp '{level.code}' lấy điểm từ Chỉ số "
                                            f"SIPAS ('from_sipas: true') nhưng có câu hỏi "
                                            f"{', '.join(q.id for q in qs)}: bỏ các câu hỏi này hoặc bỏ 'from_sipas'"))
                continue
            if not qs:
                problems.append(Problem(SET_FILE, line, "no_question",
                                        f"tiêu chí thành phần '{sub.code}' cấp '{level.code}' chưa có câu hỏi nào "
                                        f"(thêm câu hỏi có sub_criterion: \"{sub.code}\" trong questions/)"))
            elif not base.is_sipas and abs(total - sub.max_points) > TOLERANCE:
                listed = " + ".join(f"{q.id} {q.max_points:g}" for q in qs)
                problems.append(
                    Problem(
                        SET_FILE,
                        line,
                        "sum_questions",
                        f"điểm tối đa các câu hỏi của tiêu chí thành phần '{sub.code}' cấp '{level.code}' "
                        f"({listed}) cộng lại {total:g}, không bằng {sub.max_points:g}",
                    )
                )
