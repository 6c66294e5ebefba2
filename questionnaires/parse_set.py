"""Parse ``set.yaml``: fields, levels and their criteria tree, scales, groups, classes."""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from fractions import Fraction
from types import MappingProxyType

from .model import (
    RATING_MODES,
    SET_KINDS,
    SIPAS_WEIGHTINGS,
    ClassBand,
    Criterion,
    DistrictRule,
    Field,
    Group,
    Level,
    Option,
    RatingRule,
    Scale,
    SubCriterion,
)
from .reader import Reader
from .sipas_bands import parse_sipas
from .yamlnodes import LineDict, Problem

TOLERANCE = 1e-6
REACHED_BY = ("link", "paper", "qr", "mixed")
RANK_WITHIN = ("province", "parent")
DEFAULT_MIN_BALLOTS = 5  # counted ballots a unit needs to be ranked (docs/method.md, "Coverage")
DEFAULT_MIN_CELL = 5  # respondents a unit × group needs before a figure of it is shown


@dataclass
class SetBase:
    """What ``set.yaml`` defines, with the lines where it was defined."""

    name: str
    year: int | None
    fields: list[Field] = dc_field(default_factory=list)
    levels: list[Level] = dc_field(default_factory=list)
    scales: list[Scale] = dc_field(default_factory=list)
    groups: list[Group] = dc_field(default_factory=list)
    classes: list[ClassBand] = dc_field(default_factory=list)
    district_rule: DistrictRule = DistrictRule(enabled=False)
    min_ballots: int = DEFAULT_MIN_BALLOTS
    min_cell: int = DEFAULT_MIN_CELL
    report_bands: tuple[float, ...] = ()
    kind: str = "par"
    sipas_weighting: str = "units"
    sipas_target: float | None = None
    lines: dict[tuple, int] = dc_field(default_factory=dict)
    # (file, line) of things defined outside set.yaml: questions, questionnaires
    where: dict[tuple, tuple[str, int]] = dc_field(default_factory=dict)
    # Things written but left out for an error already reported: checks that
    # depend on them are skipped, so one mistake gives one message.
    broken: set[tuple] = dc_field(default_factory=set)

    @property
    def is_sipas(self) -> bool:
        """A SIPAS set: points optional and unused, no sum checks, no classes needed."""
        return self.kind == "sipas"

    def level(self, code: str) -> Level | None:
        return next((lv for lv in self.levels if lv.code == code), None)

    def group(self, code: str) -> Group | None:
        return next((g for g in self.groups if g.code == code), None)

    def scale(self, code: str) -> Scale | None:
        return next((s for s in self.scales if s.code == code), None)


def parse_set_file(tree, file: str, problems: list[Problem]) -> SetBase | None:
    """Parse the tree of ``set.yaml``; ``None`` if it is unusable as a whole."""
    r = Reader(file, problems)
    top = r.mapping(tree, 1, "tệp set.yaml") if tree is not None else None
    if top is None:
        if tree is None and not any(p.file == file for p in problems):
            r.problem(0, "missing_key", "set.yaml trống")
        return None
    kind = _choice(r, top, "kind", SET_KINDS, "par",
                   "(par: Chỉ số CCHC tính điểm; sipas: Chỉ số hài lòng SIPAS tính tỷ lệ hài lòng)")
    required = ("name", "fields", "levels", "scales", "groups") + (() if kind == "sipas" else ("classes",))
    r.keys(
        top,
        required,
        ("year", "district_rule", "description", "min_ballots", "min_cell", "report_bands", "kind",
         "sipas_weighting", "sipas_target") + (("classes",) if kind == "sipas" else ()),
        "bộ tiêu chí",
    )
    year = top.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        r.problem(top.line_of("year"), "wrong_type", "'year' phải là một năm, ví dụ 2023")
        year = None
    base = SetBase(name=r.text(top, "name", "") or "", year=year,
                   min_ballots=_count(r, top, "min_ballots", DEFAULT_MIN_BALLOTS),
                   min_cell=_count(r, top, "min_cell", DEFAULT_MIN_CELL), report_bands=_cuts(r, top), kind=kind,
                   sipas_weighting=_choice(r, top, "sipas_weighting", SIPAS_WEIGHTINGS, "units",
                                           "(units: bình quân các đơn vị; dossiers: theo số hồ sơ đã giải quyết)"),
                   sipas_target=_target(r, top))
    if base.min_ballots < base.min_cell:
        r.problem(top.line_of("min_ballots") or top.line_of("min_cell"), "bad_value",
                  f"'min_ballots' ({base.min_ballots}) phải từ 'min_cell' ({base.min_cell}) trở lên: một đơn vị có "
                  f"ít hơn {base.min_cell} người trả lời sẽ được công bố điểm tính từ ý kiến của từng người")
    _parse_fields(r, top, base)
    _parse_levels(r, top, base)
    _parse_scales(r, top, base)
    _parse_groups(r, top, base)
    _parse_classes(r, top, base)
    rule = top.get("district_rule")
    if rule is not None:
        d = r.mapping(rule, top.line_of("district_rule"), "district_rule")
        if d is not None:
            r.keys(d, (), ("enabled", "min_share"), "district_rule")
            base.district_rule = DistrictRule(
                enabled=r.boolean(d, "enabled", True), min_share=r.share(d, "min_share", Fraction(2, 3))
            )
    return base


def _choice(r: Reader, d: LineDict, key: str, allowed: tuple[str, ...], default: str, meaning: str) -> str:
    """One of ``allowed`` (default when absent); a value outside them is reported at its line."""
    value = r.text(d, key, default) or default
    if value not in allowed:
        r.problem(d.line_of(key), "bad_value", f"'{key}' phải là một trong: {', '.join(allowed)} {meaning}, "
                                               f"không phải '{value}'")
        return default
    return value


def _target(r: Reader, d: LineDict) -> float | None:
    """``sipas_target``: the share satisfied the reports compare the SIPAS with, in (0, 1] (0.95 for 95 %)."""
    value = d.get("sipas_target")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        r.problem(d.line_of("sipas_target"), "bad_value",
                  f"'sipas_target' phải là một tỷ lệ lớn hơn 0 và không quá 1, ví dụ 0.95 cho 95 % "
                  f"(đang là {value})")
        return None
    return float(value)


def _count(r: Reader, d: LineDict, key: str, default: int) -> int:
    """A whole number of ballots or respondents, at least 1."""
    if key not in d or d[key] is None:
        return default
    value = d[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        r.problem(d.line_of(key), "bad_value", f"'{key}' phải là một số nguyên từ 1 trở lên, ví dụ {default}")
        return default
    return value


def _cuts(r: Reader, d: LineDict) -> tuple[float, ...]:
    """``report_bands``: the scores (above 0) at which the report's sentences split a class band, e.g. ``[90]``."""
    value = d.get("report_bands")
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in items):
        r.problem(d.line_of("report_bands"), "bad_value",
                  "'report_bands' phải là danh sách điểm lớn hơn 0 để tách nhóm trong báo cáo, ví dụ [90]")
        return ()
    return tuple(sorted({float(v) for v in items}, reverse=True))


def _unique(r: Reader, seen: dict, code: str | None, line: int, what: str) -> bool:
    """True for a new code; report a repeated one."""
    if code is None:
        return False
    if code in seen:
        r.problem(line, "duplicate_code", f"{what} '{code}' lặp lại (đã có ở dòng {seen[code]})")
        return False
    seen[code] = line
    return True


def _parse_fields(r: Reader, top: LineDict, base: SetBase) -> None:
    seen: dict = {}
    for d in r.entries(top, "fields", "lĩnh vực", ("code", "name"), ("short_name",)):
        code, name = r.code(d, "code"), r.text(d, "name")
        if _unique(r, seen, code, d.line, "lĩnh vực"):
            if name:
                base.fields.append(Field(code, name, r.text(d, "short_name", name) or name))
            else:
                base.broken.add(("field", code))


def _parse_levels(r: Reader, top: LineDict, base: SetBase) -> None:
    seen: dict = {}
    field_codes = {f.code for f in base.fields}
    optional = ("appraisal_max", "survey_max", "parent", "fields", "plural", "rank_within")
    for d in r.entries(top, "levels", "cấp", ("code", "name"), optional):
        code = r.code(d, "code")
        if not _unique(r, seen, code, d.line, "cấp"):
            continue
        field_max: dict[str, float] = {}
        field_appraisal: dict[str, float | None] = {}  # None: not given (or not a number, already reported)
        criteria: list[Criterion] = []
        keys, more = (("field", "criteria"), ("survey_max", "appraisal_max")) if base.is_sipas else \
            (("field", "survey_max", "criteria"), ("appraisal_max",))
        for fd in r.entries(d, "fields", f"lĩnh vực của cấp '{code}'", keys, more, required=False):
            fcode, fmax = r.code(fd, "field"), r.number(fd, "survey_max")
            if fcode is None:
                continue
            if fcode not in field_codes:
                if ("field", fcode) in base.broken:
                    continue
                r.problem(fd.line_of("field"), "unknown_field", f"lĩnh vực '{fcode}' không có trong 'fields'")
                continue
            if fcode in field_max:
                r.problem(fd.line, "duplicate_code", f"lĩnh vực '{fcode}' lặp lại trong cấp '{code}'")
                continue
            field_max[fcode] = fmax or 0.0
            field_appraisal[fcode] = r.number(fd, "appraisal_max")
            if "appraisal_max" in fd and field_appraisal[fcode] is None:
                base.broken.add(("field_appraisal", code))
            base.lines[("level_field", code, fcode)] = fd.line
            subs = _parse_criteria(r, fd, code, fcode, criteria, base)
            if ("field_subs", code, fcode) in base.broken or base.is_sipas:
                continue  # a SIPAS set's points are unused: nothing to add up
            if fmax is not None and abs(sum(s.max_points for s in subs) - fmax) > TOLERANCE:
                listed = " + ".join(f"{s.max_points:g}" for s in subs) or "0"
                r.problem(
                    fd.line_of("survey_max"),
                    "sum_sub_criteria",
                    f"điểm tối đa của các tiêu chí thành phần lĩnh vực '{fcode}' cấp '{code}' "
                    f"cộng lại {listed} = {sum(s.max_points for s in subs):g}, không bằng {fmax:g}",
                )
        survey_max = r.number(d, "survey_max")
        if field_max and survey_max is None and "survey_max" not in d and not base.is_sipas:
            r.problem(d.line, "missing_key", f"cấp '{code}' có lĩnh vực nên phải có 'survey_max'")
        if survey_max is not None and not base.is_sipas and abs(sum(field_max.values()) - survey_max) > TOLERANCE:
            r.problem(
                d.line_of("survey_max"),
                "sum_fields",
                f"điểm điều tra tối đa các lĩnh vực cấp '{code}' cộng lại "
                f"{sum(field_max.values()):g}, không bằng survey_max {survey_max:g}",
            )
        base.lines[("level", code)] = d.line
        appraisal_max = r.number(d, "appraisal_max")
        field_appraisal_max = _field_appraisal(r, d, code, field_appraisal, appraisal_max, base)
        rank_within = r.text(d, "rank_within", "province") or "province"
        if rank_within not in RANK_WITHIN:
            r.problem(d.line_of("rank_within"), "bad_value",
                      f"'rank_within' phải là một trong: {', '.join(RANK_WITHIN)} (xếp hạng toàn tỉnh, hay trong "
                      "từng đơn vị cấp trên)")
            rank_within = "province"
        base.levels.append(
            Level(
                code=code,
                name=r.text(d, "name", code) or code,
                appraisal_max=appraisal_max or 0.0,
                survey_max=survey_max or 0.0,
                field_max=MappingProxyType(field_max),
                criteria=tuple(criteria),
                parent=r.code(d, "parent"),
                plural=r.text(d, "plural", "") or "",
                rank_within=rank_within,
                field_appraisal_max=MappingProxyType(field_appraisal_max),
            )
        )
    level_codes = {lv.code for lv in base.levels}
    for lv in base.levels:
        if lv.parent is not None and lv.parent not in level_codes:
            r.problem(base.lines[("level", lv.code)], "unknown_level", f"cấp cha '{lv.parent}' không có")
        if lv.rank_within == "parent" and lv.parent is None:
            r.problem(base.lines[("level", lv.code)], "bad_value",
                      f"cấp '{lv.code}' xếp hạng trong đơn vị cấp trên ('rank_within: parent') nhưng không có 'parent'")


def _field_appraisal(r: Reader, d: LineDict, level: str, given: dict[str, float | None],
                     appraisal_max: float | None, base: SetBase) -> dict[str, float]:
    """The appraisal maxima per field of a level: for every field listed or for none, adding up to the
    level's ``appraisal_max``; {} when none is given or one is wrong (reported)."""
    named = {f: v for f, v in given.items() if v is not None}
    if ("field_appraisal", level) in base.broken or not named:
        return {}
    if base.is_sipas:
        return named  # kept as written, unused: no sum check
    missing = [f for f in given if f not in named]
    if missing:
        r.problem(base.lines[("level_field", level, missing[0])], "missing_key",
                  f"cấp '{level}' có điểm thẩm định tối đa ('appraisal_max') ở lĩnh vực "
                  f"{', '.join(named)} nhưng thiếu ở lĩnh vực {', '.join(missing)}: ghi cho mọi lĩnh vực hoặc "
                  "không lĩnh vực nào")
        return {}
    if appraisal_max is None:
        r.problem(d.line, "missing_key",
                  f"cấp '{level}' có điểm thẩm định tối đa theo lĩnh vực nên phải có 'appraisal_max'")
        return {}
    total = sum(named.values())
    if abs(total - appraisal_max) > TOLERANCE:
        listed = " + ".join(f"{v:g}" for v in named.values())
        r.problem(d.line_of("appraisal_max"), "sum_fields",
                  f"điểm thẩm định tối đa các lĩnh vực cấp '{level}' cộng lại {listed} = {total:g}, "
                  f"không bằng appraisal_max {appraisal_max:g}")
        return {}
    return named


def _parse_criteria(r, fd, level, fcode, criteria, base) -> list[SubCriterion]:
    subs_of_field: list[SubCriterion] = []
    crit_seen = {c.code: base.lines[("criterion", level, c.code)] for c in criteria}
    sub_seen = {s.code: base.lines[("sub", level, s.code)] for c in criteria for s in c.sub_criteria}
    for cd in r.entries(fd, "criteria", "tiêu chí", ("code", "name", "sub_criteria"), ()):
        ccode, cname = r.code(cd, "code"), r.text(cd, "name")
        if not _unique(r, crit_seen, ccode, cd.line, f"tiêu chí cấp '{level}'"):
            continue
        if not ccode.startswith(fcode + "."):
            r.problem(cd.line_of("code"), "code_prefix", f"tiêu chí '{ccode}' không thuộc lĩnh vực '{fcode}'")
        base.lines[("criterion", level, ccode)] = cd.line
        subs: list[SubCriterion] = []
        keys, more = (("code", "name"), ("survey_max",)) if base.is_sipas else \
            (("code", "name", "survey_max"), ("from_sipas", "sipas_bands"))
        for sd in r.entries(cd, "sub_criteria", "tiêu chí thành phần", keys, more):
            scode, sname = r.code(sd, "code"), r.text(sd, "name")
            if base.is_sipas:  # points unused: may be left out (0), and 0 is allowed
                smax = r.number(sd, "survey_max") if sd.get("survey_max") is not None else 0.0
            else:
                smax = r.number(sd, "survey_max", True)
            if not _unique(r, sub_seen, scode, sd.line, f"tiêu chí thành phần cấp '{level}'"):
                base.broken.add(("field_subs", level, fcode))
                continue
            if not scode.startswith(ccode + "."):
                r.problem(
                    sd.line_of("code"), "code_prefix", f"tiêu chí thành phần '{scode}' không thuộc tiêu chí '{ccode}'"
                )
            sipas = (False, ()) if base.is_sipas else parse_sipas(r, sd, scode)
            if sname is None or smax is None:
                base.broken |= {("sub", level, scode), ("field_subs", level, fcode)}
                continue
            base.lines[("sub", level, scode)] = sd.line
            if sipas is None:  # reported; no second message about its questions
                sipas = (True, ())
            subs.append(SubCriterion(scode, sname, level, fcode, ccode, smax, *sipas))
        criteria.append(Criterion(ccode, cname or ccode, level, fcode, tuple(subs)))
        subs_of_field.extend(subs)
    return subs_of_field


def _parse_scales(r: Reader, top: LineDict, base: SetBase) -> None:
    seen: dict = {}
    for d in r.entries(top, "scales", "thang đo", ("code", "options"), ("name", "scored")):
        code = r.code(d, "code")
        scored = r.boolean(d, "scored") if "scored" in d else True  # false: a list to choose from, no points
        if not _unique(r, seen, code, d.line, "thang đo"):
            continue
        options: list[Option] = []
        opt_seen: dict = {}
        dont_know_line = None
        base.lines[("scale", code)] = d.line
        optional = ("fraction", "dont_know", "poor", "positive")
        for od in r.entries(d, "options", "phương án", ("code", "label"), optional):
            ocode, label = r.code(od, "code"), r.text(od, "label")
            dont_know, poor, positive = r.boolean(od, "dont_know"), r.boolean(od, "poor"), r.boolean(od, "positive")
            fraction = r.number(od, "fraction") if "fraction" in od else None
            if not _unique(r, opt_seen, ocode, od.line, f"phương án của thang đo '{code}'") or label is None:
                continue
            if dont_know:
                if dont_know_line is not None:
                    r.problem(
                        od.line,
                        "dont_know_twice",
                        f"thang đo '{code}' đã có phương án 'không biết' ở dòng {dont_know_line}",
                    )
                    continue
                dont_know_line = od.line
                if "fraction" in od:
                    r.problem(
                        od.line_of("fraction"),
                        "dont_know_fraction",
                        "phương án 'không biết' không được tính điểm: bỏ 'fraction'",
                    )
                if poor:
                    r.problem(od.line_of("poor"), "bad_value",
                              "phương án 'không biết' không tính là đánh giá kém: bỏ 'poor'")
                if positive:
                    r.problem(od.line_of("positive"), "positive_dont_know",
                              f"phương án 'không biết' ('{ocode}' của thang đo '{code}') không tính là hài lòng: "
                              "bỏ 'positive' (người không biết được loại khỏi tỷ lệ hài lòng)")
                options.append(Option(ocode, label, None, True))
                continue
            if not scored:
                if "fraction" in od:
                    r.problem(od.line_of("fraction"), "bad_value",
                              f"thang đo '{code}' không tính điểm ('scored: false'): bỏ 'fraction'")
                options.append(Option(ocode, label, None, False))
                continue
            if "fraction" not in od:
                r.problem(od.line, "missing_key", f"phương án '{ocode}' thiếu khóa 'fraction' (tỉ lệ điểm từ 0 đến 1)")
                continue
            if fraction is None:
                continue
            if not 0 <= fraction <= 1:
                r.problem(
                    od.line_of("fraction"),
                    "fraction_range",
                    f"tỉ lệ điểm {fraction:g} của phương án '{ocode}' phải từ 0 đến 1",
                )
                continue
            options.append(Option(ocode, label, fraction, False, poor, positive))
        if scored and not any(not o.dont_know for o in options):
            r.problem(d.line, "no_counted_option", f"thang đo '{code}' không có phương án nào được tính điểm")
        elif not options:
            r.problem(d.line, "no_counted_option", f"thang đo '{code}' không có phương án nào")
        base.scales.append(Scale(code, r.text(d, "name", code) or code, tuple(options), bool(scored)))


def _parse_groups(r: Reader, top: LineDict, base: SetBase) -> None:
    seen: dict = {}
    for d in r.entries(top, "groups", "đối tượng", ("code", "name", "rates"), ("reached_by", "census", "greeting")):
        code, name = r.code(d, "code"), r.text(d, "name")
        if not _unique(r, seen, code, d.line, "đối tượng"):
            continue
        reached_by = r.text(d, "reached_by", "link") or "link"
        if reached_by not in REACHED_BY:
            r.problem(d.line_of("reached_by"), "bad_value", f"'reached_by' phải là một trong: {', '.join(REACHED_BY)}")
        rules: list[RatingRule] = []
        def rates_broken(code=code):
            base.broken.add(("rates", code))

        for rd in r.entries(d, "rates", "cách đánh giá", ("level", "how"), on_bad=rates_broken):
            level, how = r.code(rd, "level"), r.text(rd, "how")
            lv = base.level(level) if level else None
            if level is not None and lv is None:
                r.problem(rd.line_of("level"), "unknown_level", f"cấp '{level}' không có trong 'levels'")
                base.broken.add(("rates", code))
                continue
            if lv is not None and not lv.surveyed:
                r.problem(
                    rd.line_of("level"), "unsurveyed_level", f"cấp '{level}' không có tiêu chí điều tra để đánh giá"
                )
                base.broken.add(("rates", code))
                continue
            if how is not None and how not in RATING_MODES:
                r.problem(rd.line_of("how"), "bad_value", f"'how' phải là một trong: {', '.join(RATING_MODES)}")
                base.broken.add(("rates", code))
                continue
            if level is None or how is None:
                base.broken.add(("rates", code))
                continue
            if any(x.level == level for x in rules):
                r.problem(rd.line, "duplicate_code", f"đối tượng '{code}' đánh giá cấp '{level}' hai lần")
                continue
            base.lines[("rates", code, level)] = rd.line
            rules.append(RatingRule(level, how))
        base.groups.append(Group(code, name or code, tuple(rules), reached_by, r.boolean(d, "census"),
                                 r.text(d, "greeting", "Ông/Bà") or "Ông/Bà"))


def _parse_classes(r: Reader, top: LineDict, base: SetBase) -> None:
    seen: dict = {}
    previous = None
    for d in r.entries(top, "classes", "xếp loại", ("code", "name", "min"), (), required=not base.is_sipas):
        code, name, low = r.code(d, "code"), r.text(d, "name"), r.number(d, "min")
        if not _unique(r, seen, code, d.line, "xếp loại") or name is None or low is None:
            continue
        if previous is not None and low >= previous:
            r.problem(
                d.line_of("min"),
                "class_order",
                f"các mức xếp loại phải xếp từ cao xuống thấp: {low:g} không nhỏ hơn {previous:g}",
            )
        previous = low
        base.classes.append(ClassBand(code, name, low))
    if base.classes and base.classes[-1].min_points != 0:
        r.problem(
            top.line_of("classes"),
            "class_floor",
            "mức xếp loại thấp nhất phải bắt đầu từ 0 để mọi đơn vị đều được xếp loại",
        )
