"""Frozen, typed objects of a criteria set (Bộ tiêu chí) and its questionnaires.

Everything here is plain data: the loader (:mod:`questionnaires.loader`) builds
it from YAML and checks it; aggregation and scoring read it. Nothing here
imports Flask or the ORM.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cached_property
from types import MappingProxyType
from typing import Literal

RATING_MODES = ("own", "each", "choose")
RatingMode = Literal["own", "each", "choose"]
SET_KINDS = ("par", "sipas")  # PAR INDEX points; SIPAS shares satisfied (docs/method.md)
SIPAS_WEIGHTINGS = ("units", "dossiers")  # the province's SIPAS: plain mean of units, or weighted by dossiers
QUESTION_ROLES = ("satisfaction", "perception")  # SIPAS: in the element's index, or reported as a share beside it
# What a question is (docs/criteria-sets.md, "Question kinds"): ``scored`` enters the points (PAR) or the index
# (SIPAS); ``profile`` (single choice about the respondent), ``expectation`` (choose up to N) and ``comment``
# (free text) are reported beside them and never scored.
QUESTION_KINDS = ("scored", "profile", "expectation", "comment")
CHOICE_SEPARATOR = " "  # an expectation's chosen option codes, stored as one answer: "rut_ngan_thoi_gian cong_khai"
COMMENT_MAX = 500  # a comment's default length limit (characters)


def round_points(value: float, places: int = 3) -> float:
    """Round as published: half up on the decimal value, 3 decimals by default.

    Python's ``round`` works on the binary value, so ``round(69.9995, 3)``
    gives 69.999; a person, and Excel's ROUND, read 70.000.

    Examples
    --------
    >>> round_points(69.9995), round(69.9995, 3)
    (70.0, 69.999)
    >>> round_points(12.7064)
    12.706
    """
    return float(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Option:
    """One answer option of a scale.

    ``fraction`` is the share of the question's max points this answer earns;
    it is ``None`` for the "don't know" option, which is not counted at all.
    ``positive`` marks an answer SIPAS counts as satisfied ("Hài lòng", "Rất hài lòng") or, on a
    perception scale, as the good fact ("Có"); never the "don't know" option.
    """

    code: str
    label: str
    fraction: float | None
    dont_know: bool = False
    poor: bool = False  # counted as "kém" in the reports' poor shares (see Scale.poor_options)
    positive: bool = False


@dataclass(frozen=True)
class Scale:
    """An answer scale: ordered options, at most one of them "don't know"."""

    code: str
    name: str
    options: tuple[Option, ...]
    scored: bool = True  # false: options to choose from (profile, expectation), no fractions

    @cached_property
    def by_code(self) -> Mapping[str, Option]:
        return _frozen({o.code: o for o in self.options})

    @property
    def counted_options(self) -> tuple[Option, ...]:
        """The options that enter the score (all but "don't know")."""
        return tuple(o for o in self.options if not o.dont_know)

    @property
    def dont_know_option(self) -> Option | None:
        return next((o for o in self.options if o.dont_know), None)

    @property
    def positive_options(self) -> tuple[Option, ...]:
        """The options a SIPAS index counts as positive (those the set marks ``positive``).

        Examples
        --------
        >>> yes_no = Scale("c", "c", (Option("co", "Có", 1.0, positive=True), Option("khong", "Không", 0.0),
        ...                          Option("kb", "Không biết", None, dont_know=True)))
        >>> [o.code for o in yes_no.positive_options]
        ['co']
        """
        return tuple(o for o in self.options if o.positive)

    @property
    def poor_options(self) -> tuple[Option, ...]:
        """The options the reports count as poor ("kém", "dưới 50%", "không hài lòng"): those the set marks
        ``poor``, else the lowest counted option(s).

        Examples
        --------
        >>> five = Scale("s", "s", (Option("a", "Rất hài lòng", 1.0), Option("b", "Không hài lòng", 0.25, poor=True),
        ...                         Option("c", "Rất không hài lòng", 0.0, poor=True)))
        >>> [o.code for o in five.poor_options]
        ['b', 'c']
        >>> [o.code for o in Scale("t", "t", (Option("x", "Tốt", 1.0), Option("y", "Kém", 0.2))).poor_options]
        ['y']
        """
        marked = tuple(o for o in self.counted_options if o.poor)
        if marked:
            return marked
        lowest = min((o.fraction for o in self.counted_options), default=None)
        return tuple(o for o in self.counted_options if o.fraction == lowest)


@dataclass(frozen=True)
class Field:
    """A field (lĩnh vực) shared by all levels, e.g. ``3`` Cải cách TTHC."""

    code: str
    name: str
    short_name: str


@dataclass(frozen=True)
class SubCriterion:
    """A survey sub-criterion (tiêu chí thành phần) of one level.

    ``from_sipas``: the sub-criterion asks no question; its points come from a closed SIPAS campaign's
    index of the same unit (issue 29 item 5): ``max_points × index``, or, when ``sipas_bands`` is given,
    ``max_points × share`` of the first band ``(threshold, share)`` whose threshold the index reaches
    (bands in descending thresholds, the last at 0).
    """

    code: str
    name: str
    level: str
    field: str
    criterion: str
    max_points: float
    from_sipas: bool = False
    sipas_bands: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Criterion:
    """A criterion (tiêu chí) of one level, holding survey sub-criteria."""

    code: str
    name: str
    level: str
    field: str
    sub_criteria: tuple[SubCriterion, ...]


@dataclass(frozen=True)
class Level:
    """A level of units (``so``, ``huyen``, ``xa``) and its point maxima.

    ``surveyed`` is false for a level the province does not rate by survey
    (communes are assessed by their district). ``field_max`` holds the survey maximum of each
    surveyed field; ``field_appraisal_max`` the appraisal maximum of each, when the set gives
    them (for every surveyed field of the level, adding up to ``appraisal_max``), else it is empty.
    """

    code: str
    name: str
    appraisal_max: float
    survey_max: float
    field_max: Mapping[str, float]
    criteria: tuple[Criterion, ...]
    parent: str | None = None
    plural: str = ""  # how a page counts its units ("sở, ban, ngành"); by default the name without "Cấp"
    rank_within: str = "province"  # "province": one ranking of the level; "parent": a ranking per parent unit
    field_appraisal_max: Mapping[str, float] = dc_field(default_factory=lambda: _frozen({}))

    @property
    def units_word(self) -> str:
        """The units of the level as a page counts them: ``plural``, else the name without "Cấp".

        Examples
        --------
        >>> Level("x", "Cấp xã", 0, 0, {}, ()).units_word
        'xã'
        >>> Level("x", "Cấp xã", 0, 0, {}, (), plural="xã, phường").units_word
        'xã, phường'
        """
        return self.plural or self.name.removeprefix("Cấp ").removeprefix("cấp ")

    @property
    def surveyed(self) -> bool:
        return bool(self.criteria)

    def field_index_max(self, field: str) -> float | None:
        """The maximum of a field's index (appraisal + survey maxima), None when the set gives no
        appraisal maximum for the field.

        Examples
        --------
        >>> lv = Level("so", "Cấp sở", 86.5, 13.5, {"1": 2.0}, (), field_appraisal_max={"1": 11.0})
        >>> lv.field_index_max("1"), Level("so", "Cấp sở", 86.5, 13.5, {"1": 2.0}, ()).field_index_max("1")
        (13.0, None)
        """
        if field not in self.field_appraisal_max:
            return None
        return self.field_appraisal_max[field] + self.field_max.get(field, 0.0)

    @property
    def sub_criteria(self) -> tuple[SubCriterion, ...]:
        return tuple(s for c in self.criteria for s in c.sub_criteria)


@dataclass(frozen=True)
class RatingRule:
    """Which units of ``level`` a group rates: its ``own``, ``each``, or ``choose``."""

    level: str
    how: RatingMode


@dataclass(frozen=True)
class Group:
    """A respondent group (đối tượng điều tra)."""

    code: str
    name: str
    rates: tuple[RatingRule, ...]
    reached_by: str = "link"
    census: bool = False  # every member is surveyed (all provincial delegates): no sampling variance
    # How the group is addressed in the welcome page, e-mails and texts ("Kính gửi <greeting>", "mời <greeting>"):
    # "Ông/Bà" (citizens), "đồng chí" (civil servants, delegates, leaders), "Quý cơ quan, doanh nghiệp".
    greeting: str = "Ông/Bà"

    def rule_for(self, level: str) -> RatingRule | None:
        return next((r for r in self.rates if r.level == level), None)


@dataclass(frozen=True)
class Question:
    """A survey question, defined once per level.

    ``weights`` holds the raw group weights given in the file; groups that ask
    the question and are not named there weigh 1. Use
    :meth:`CriteriaSet.group_weights` for the normalised weights. ``role`` says
    what a SIPAS set does with the answers: ``satisfaction`` enters the element's
    index, ``perception`` (a fact: "the procedure was posted") is reported as a
    share beside it; a PAR set ignores it. ``max_points`` is 0 in a SIPAS set
    that gives none.
    """

    id: str
    level: str
    text: str
    sub_criterion: str
    max_points: float
    scale: str
    weights: Mapping[str, float] = dc_field(default_factory=lambda: _frozen({}))
    role: str = "satisfaction"
    kind: str = "scored"
    choose_up_to: int = 1  # an expectation: how many options a respondent may choose
    max_length: int = 0  # a comment: its length limit in characters

    @property
    def scored(self) -> bool:
        """True for a question that enters the points or the index (``kind: scored``)."""
        return self.kind == "scored"


@dataclass(frozen=True)
class QuestionnaireItem:
    """One question as a questionnaire puts it (its wording may be the group's own)."""

    question: str
    text: str


@dataclass(frozen=True)
class Questionnaire:
    """The ordered questions one group is asked about the units of one level."""

    level: str
    group: str
    title: str
    intro: str
    items: tuple[QuestionnaireItem, ...]

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(i.question for i in self.items)


@dataclass(frozen=True)
class ClassBand:
    """A class (xếp loại): totals at or above ``min_points`` (and below the next band)."""

    code: str
    name: str
    min_points: float


@dataclass(frozen=True)
class DistrictRule:
    """A district keeps its class only if ``min_share`` of its communes reach it."""

    enabled: bool
    min_share: Fraction = Fraction(2, 3)


@dataclass(frozen=True)
class CriteriaSet:
    """A whole criteria set: what is asked, of whom, and how it scores.

    Build it with :func:`questionnaires.load_criteria_set`; never by hand in
    application code, so that every set in use has passed the validator.

    ``kind`` is ``par`` (points, classes: the PAR INDEX survey) or ``sipas`` (shares of
    positive answers: the satisfaction index, whose ``fields`` are its elements and whose
    points, if any, are unused). ``sipas_weighting`` says how the province's SIPAS is stated
    over units (``units``: their plain mean; ``dossiers``: weighted by completed dossiers);
    ``sipas_target`` is the share the reports compare it with (0.95, the 2030 target), or None.
    """

    name: str
    year: int | None
    fields: tuple[Field, ...]
    levels: tuple[Level, ...]
    scales: tuple[Scale, ...]
    groups: tuple[Group, ...]
    questions: tuple[Question, ...]  # the scored questions only: what points and indices are made of
    questionnaires: tuple[Questionnaire, ...]
    classes: tuple[ClassBand, ...]
    district_rule: DistrictRule
    digest: str = ""
    min_ballots: int = 5  # counted ballots a unit needs to be ranked and classed (docs/method.md, "Coverage")
    min_cell: int = 5  # respondents a unit × group needs before a figure of it is shown (docs/method.md)
    # Extra score cuts the report's sentences split a band at (the 2023 report splits Tốt, from 80, at 90:
    # "Số đơn vị đạt từ 90 điểm trở lên là 12/19 đơn vị; số đơn vị từ 80 điểm đến dưới 90 điểm là 07"). Not classes.
    report_bands: tuple[float, ...] = ()
    kind: str = "par"
    sipas_weighting: str = "units"
    sipas_target: float | None = None
    # Profile, expectation and comment questions (never scored); a questionnaire may ask them beside the
    # scored ones. ``question_by_key`` finds both.
    other_questions: tuple[Question, ...] = ()

    @property
    def all_questions(self) -> tuple[Question, ...]:
        """Scored questions, then the others (profile, expectation, comment), in file order within each."""
        return self.questions + self.other_questions

    @property
    def is_sipas(self) -> bool:
        """True for a SIPAS set (shares satisfied), false for a PAR set (points).

        Examples
        --------
        >>> from questionnaires import load_default_set
        >>> load_default_set().is_sipas
        False
        """
        return self.kind == "sipas"

    @cached_property
    def field_by_code(self) -> Mapping[str, Field]:
        return _frozen({f.code: f for f in self.fields})

    @cached_property
    def level_by_code(self) -> Mapping[str, Level]:
        return _frozen({lv.code: lv for lv in self.levels})

    @cached_property
    def scale_by_code(self) -> Mapping[str, Scale]:
        return _frozen({s.code: s for s in self.scales})

    @cached_property
    def group_by_code(self) -> Mapping[str, Group]:
        return _frozen({g.code: g for g in self.groups})

    @cached_property
    def question_by_key(self) -> Mapping[tuple[str, str], Question]:
        """Questions by ``(level, question id)``, of every kind."""
        return _frozen({(q.level, q.id): q for q in self.all_questions})

    @cached_property
    def sub_criterion_by_key(self) -> Mapping[tuple[str, str], SubCriterion]:
        """Sub-criteria by ``(level, code)``."""
        return _frozen({(s.level, s.code): s for lv in self.levels for s in lv.sub_criteria})

    def questionnaire(self, level: str, group: str) -> Questionnaire | None:
        """The questionnaire of ``group`` about units of ``level``, if any."""
        return next(
            (q for q in self.questionnaires if q.level == level and q.group == group), None
        )

    def level_questions(self, level: str) -> tuple[Question, ...]:
        """The questions of a level, in file order."""
        return tuple(q for q in self.questions if q.level == level)

    def scored_ids(self, questionnaire: Questionnaire) -> tuple[str, ...]:
        """The scored questions of a questionnaire, in its order (profile, expectation, comment left out)."""
        return tuple(q for q in questionnaire.question_ids if self.question_by_key[(questionnaire.level, q)].scored)

    def groups_asking(self, level: str, question_id: str) -> tuple[str, ...]:
        """Codes of the groups whose questionnaire for ``level`` asks the question."""
        return tuple(
            qn.group
            for qn in self.questionnaires
            if qn.level == level and question_id in qn.question_ids
        )

    def group_weights(self, level: str, question_id: str) -> dict[str, float]:
        """Normalised weights (adding up to 1) of the groups asking a question.

        Examples
        --------
        >>> from questionnaires import load_default_set
        >>> w = load_default_set().group_weights("huyen", "H01")
        >>> round(sum(w.values()), 9)
        1.0
        """
        question = self.question_by_key[(level, question_id)]
        groups = self.groups_asking(level, question_id)
        raw = {g: float(question.weights.get(g, 1.0)) for g in groups}
        total = sum(raw.values())
        return {g: w / total for g, w in raw.items()} if total else {}

    def class_for(self, points: float) -> ClassBand:
        """The class band of an index, compared at 3 decimals as published.

        Examples
        --------
        >>> from questionnaires import load_default_set
        >>> cs = load_default_set()
        >>> cs.class_for(79.9996).name, cs.class_for(79.9994).name
        ('Tốt', 'Khá')
        """
        if not self.classes:
            raise ValueError(f"the set '{self.name}' has no classes (a SIPAS set is not classed)")
        shown = round_points(points)
        for band in self.classes:
            if shown >= band.min_points:
                return band
        return self.classes[-1]
