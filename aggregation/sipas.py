"""SIPAS, the satisfaction index: shares of positive answers per question, element, unit and province.

Pure pandas (docs/method.md, "SIPAS: the satisfaction index"). The input is plain data, so this module
stands apart from the criteria-set model:

- ``answers``: one row per answer, ``ballot, unit, question, option`` (and optionally ``state``: rows
  ``rejected`` are left out, as in :mod:`aggregation.answers`). Answers to questions that ``questions``
  does not list (profile, expectations, comments) are ignored by the index.
- ``questions``: ``question, element, role``; ``role`` is ``satisfaction`` (in the index) or
  ``perception`` (a fact, reported as a share beside the index).
- ``positive`` and ``dont_know``: per question, its positive options ("Hài lòng", "Rất hài lòng"; a
  perception's "Có") and its don't-know options. Any other option is an answer that is not positive.

The steps, each a function of the previous one's frame:

1. :func:`question_shares`: per unit × question, ``share = positive / answered`` (don't-know left out);
2. :func:`element_indices`: per unit × element, the mean of its satisfaction questions' shares;
3. :func:`unit_sipas`: per unit, the mean of its element indices, if it has ``min_ballots`` ballots;
4. :func:`province_sipas`: the mean over units with an index, plain or weighted by completed dossiers.

:func:`perception_shares` and :func:`expectation_counts` give what is reported beside the index;
:func:`sipas` runs the whole chain and blanks every figure of a unit under ``min_ballots``.
Shares are fractions 0..1.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

ROLES = ("satisfaction", "perception")
WEIGHTINGS = ("units", "dossiers")
SHARE_COLUMNS = ["unit", "element", "question", "role", "answered", "dont_know", "positive", "share"]
ELEMENT_COLUMNS = ["unit", "element", "index", "questions", "left_out"]
UNIT_COLUMNS = ["unit", "ballots", "covered", "elements", "left_out", "sipas"]
PERCEPTION_COLUMNS = ["unit", "element", "question", "answered", "dont_know", "positive", "share"]
EXPECTATION_COLUMNS = ["unit", "question", "option", "n", "respondents", "share", "rank"]

Options = Mapping[str, Iterable[str]]


def _empty(columns: list[str], ints: tuple[str, ...] = (), floats: tuple[str, ...] = (),
           bools: tuple[str, ...] = ()) -> pd.DataFrame:
    dtype = {**{c: "int64" for c in ints}, **{c: "float64" for c in floats}, **{c: "bool" for c in bools}}
    return pd.DataFrame({c: pd.Series(dtype=dtype.get(c, object)) for c in columns})


def _counted(answers: pd.DataFrame) -> pd.DataFrame:
    """The rows that count (every state but ``rejected``), text columns as str."""
    missing = [c for c in ("ballot", "unit", "question", "option") if c not in answers.columns]
    if missing:
        raise ValueError(f"answers lack columns: {', '.join(missing)}")
    a = answers
    if "state" in a.columns:
        a = a[a["state"] != "rejected"]
    return a.astype({"unit": str, "question": str, "option": str})


def _pairs(options: Options) -> set[tuple[str, str]]:
    return {(str(q), str(o)) for q, opts in options.items() for o in opts}


def _joined(frame: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """Per ``keys``: the values of ``column``, in their order, joined by ", "."""
    if frame.empty:
        return pd.Series(dtype=object)
    return frame.groupby(keys, sort=False)[column].agg(lambda v: ", ".join(map(str, v)))


def question_shares(answers: pd.DataFrame, questions: pd.DataFrame, positive: Options, dont_know: Options,
                    units: Iterable[str] | None = None) -> pd.DataFrame:
    """Per unit × question: answers counted, positive answers and their share.

    ``answered`` counts the answers that are not don't-know, ``dont_know`` the others, ``positive`` those of
    the question's positive options; ``share = positive / answered``, NaN when nobody answered (0 counted).
    Every question of ``questions`` gets a row for every unit of ``answers`` (and of ``units``).

    Parameters
    ----------
    answers : DataFrame
        ``ballot, unit, question, option`` (and optionally ``state``), one row per answer.
    questions : DataFrame
        ``question, element, role`` (role ``satisfaction`` or ``perception``), in the order to report.
    positive, dont_know : mapping of question to options
        The positive options and the don't-know options of each question.
    units : iterable of str, optional
        Units to report even without any answer.

    Returns
    -------
    DataFrame
        ``unit, element, question, role, answered, dont_know, positive, share``; units sorted, questions in
        the order of ``questions``.

    Raises
    ------
    ValueError
        A column is missing, a role is unknown, or a ballot answers a question about a unit twice.

    Examples
    --------
    Ten ballots about unit ``a``: 3 "Rất hài lòng", 4 "Hài lòng", 1 "Bình thường", 1 "Không hài lòng" and
    1 don't know. Nine answered, seven of them positive: 7/9 = 0.778.

    >>> opts = ["rhl"] * 3 + ["hl"] * 4 + ["bt", "khl", "kb"]
    >>> a = pd.DataFrame({"ballot": range(10), "unit": "a", "question": "q1", "option": opts})
    >>> q = pd.DataFrame({"question": ["q1"], "element": ["2"], "role": ["satisfaction"]})
    >>> s = question_shares(a, q, {"q1": {"rhl", "hl"}}, {"q1": {"kb"}})
    >>> s[["answered", "dont_know", "positive"]].iloc[0].tolist(), round(float(s["share"].iloc[0]), 3)
    ([9, 1, 7], 0.778)
    """
    q = _questions(questions)
    a = _counted(answers)
    a = a[a["question"].isin(set(q["question"]))]
    twice = a.duplicated(["ballot", "unit", "question"])
    if twice.any():
        r = a[twice].iloc[0]
        raise ValueError(f"{int(twice.sum())} answers repeat a ballot × unit × question "
                         f"(first: ballot {r['ballot']}, unit {r['unit']}, question {r['question']})")
    pairs = list(zip(a["question"], a["option"]))
    dk, pos = _pairs(dont_know), _pairs(positive)
    is_dk = np.array([p in dk for p in pairs], dtype=bool)
    is_pos = np.array([p in pos for p in pairs], dtype=bool) & ~is_dk
    flags = pd.DataFrame({"unit": a["unit"].to_numpy(), "question": a["question"].to_numpy(),
                          "answered": (~is_dk).astype("int64"), "dont_know": is_dk.astype("int64"),
                          "positive": is_pos.astype("int64")})
    counts = flags.groupby(["unit", "question"])[["answered", "dont_know", "positive"]].sum()
    all_units = sorted(set(a["unit"]) | {str(u) for u in (units or ())})
    if not all_units or q.empty:
        return _empty(SHARE_COLUMNS, ints=("answered", "dont_know", "positive"), floats=("share",))
    grid = pd.MultiIndex.from_product([all_units, q["question"]], names=["unit", "question"])
    out = counts.reindex(grid, fill_value=0).astype("int64").reset_index()
    out = out.merge(q, on="question", how="left")
    out["share"] = out["positive"] / out["answered"].where(out["answered"] > 0)
    return out[SHARE_COLUMNS].reset_index(drop=True)


def _questions(questions: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("question", "element", "role") if c not in questions.columns]
    if missing:
        raise ValueError(f"questions lack columns: {', '.join(missing)}")
    q = questions[["question", "element", "role"]].astype(str).drop_duplicates("question")
    bad = sorted(set(q["role"]) - set(ROLES))
    if bad:
        raise ValueError(f"unknown role: {', '.join(bad)} (use: {', '.join(ROLES)})")
    return q.reset_index(drop=True)


def element_indices(shares: pd.DataFrame) -> pd.DataFrame:
    """Per unit × element: the mean of its satisfaction questions' shares.

    Perception questions are not in the index. A question nobody answered (share NaN) is left out of the
    mean and named in ``left_out``; ``questions`` is how many shares the mean is of. An element none of
    whose questions was answered has no index (NaN).

    Parameters
    ----------
    shares : DataFrame
        The frame of :func:`question_shares`.

    Returns
    -------
    DataFrame
        ``unit, element, index, questions, left_out``; elements in their order in ``shares``.

    Examples
    --------
    Element 2 of unit ``a``: 7 of 9 answered positive (77.8 %) and 8 of 10 (80 %); its index is
    (7/9 + 8/10) / 2 = 0.789. The perception question (9 of 10, "Có") stays out of it.

    >>> s = pd.DataFrame({"unit": "a", "element": "2", "question": ["q1", "q2", "p1"],
    ...                   "role": ["satisfaction", "satisfaction", "perception"],
    ...                   "answered": [9, 10, 10], "dont_know": [1, 0, 0], "positive": [7, 8, 9]})
    >>> s["share"] = s["positive"] / s["answered"]
    >>> e = element_indices(s)
    >>> round(float(e["index"].iloc[0]), 3), int(e["questions"].iloc[0]), e["left_out"].iloc[0]
    (0.789, 2, '')
    """
    s = shares[shares["role"] == "satisfaction"]
    if s.empty:
        return _empty(ELEMENT_COLUMNS, ints=("questions",), floats=("index",))
    s = s.assign(used=s["share"].notna())
    keys = ["unit", "element"]
    out = s.groupby(keys, sort=False).agg(index=("share", "mean"), questions=("used", "sum"))
    out["questions"] = out["questions"].astype("int64")
    out["left_out"] = _joined(s[~s["used"]], keys, "question").reindex(out.index).fillna("")
    return out.reset_index()[ELEMENT_COLUMNS]


def ballot_counts(answers: pd.DataFrame, units: Iterable[str] | None = None) -> pd.Series:
    """Counted ballots per unit (people who rated it, whatever they answered): a Series named ``ballots``.

    Examples
    --------
    >>> a = pd.DataFrame({"ballot": [1, 1, 2], "unit": "a", "question": ["q1", "q2", "q1"], "option": "hl"})
    >>> ballot_counts(a, units=["b"]).to_dict()
    {'a': 2, 'b': 0}
    """
    a = _counted(answers)
    n = a.groupby("unit")["ballot"].nunique()
    index = sorted(set(n.index) | {str(u) for u in (units or ())})
    return n.reindex(index, fill_value=0).astype("int64").rename("ballots").rename_axis("unit")


def unit_sipas(elements: pd.DataFrame, ballots: pd.Series, min_ballots: int = 5) -> pd.DataFrame:
    """Per unit: SIPAS, the mean of its element indices, when it has at least ``min_ballots`` ballots.

    Elements without an index are left out of the mean and named in ``left_out``; ``elements`` is how many
    indices the mean is of. A unit with fewer than ``min_ballots`` counted ballots is not ``covered`` and
    gets no SIPAS (NaN), as a PAR unit gets no survey points.

    Parameters
    ----------
    elements : DataFrame
        The frame of :func:`element_indices`.
    ballots : Series
        Unit → counted ballots (:func:`ballot_counts`); a unit missing from it has 0.
    min_ballots : int
        The set's coverage minimum (default 5).

    Returns
    -------
    DataFrame
        ``unit, ballots, covered, elements, left_out, sipas``, units sorted.

    Examples
    --------
    Unit ``a`` (10 ballots) has element indices 0.9, 71/90, 1.0 and 0.6 and none for element 5 (everyone
    said don't know): SIPAS = (0.9 + 0.789 + 1 + 0.6) / 4 = 0.822. Unit ``b`` has 3 ballots: no SIPAS.

    >>> e = pd.DataFrame({"unit": ["a"] * 5 + ["b"], "element": ["1", "2", "3", "4", "5", "1"],
    ...                   "index": [0.9, 71 / 90, 1.0, 0.6, float("nan"), 1.0]})
    >>> u = unit_sipas(e, pd.Series({"a": 10, "b": 3}))
    >>> u[["unit", "ballots", "covered", "elements", "left_out"]].values.tolist()
    [['a', 10, True, 4, '5'], ['b', 3, False, 1, '']]
    >>> round(float(u["sipas"].iloc[0]), 3), bool(u["sipas"].isna().iloc[1])
    (0.822, True)
    """
    b = ballots.copy()
    b.index = b.index.astype(str)
    e = elements.astype({"unit": str, "element": str})
    units = sorted(set(e["unit"]) | set(b.index))
    if not units:
        return _empty(UNIT_COLUMNS, ints=("ballots", "elements"), floats=("sipas",), bools=("covered",))
    e = e.assign(used=e["index"].notna())
    by = e.groupby("unit", sort=True).agg(sipas=("index", "mean"), elements=("used", "sum"))
    out = pd.DataFrame(index=pd.Index(units, name="unit"))
    out["ballots"] = b.reindex(units).fillna(0).astype("int64")
    out["covered"] = out["ballots"] >= min_ballots
    out["elements"] = by["elements"].reindex(units).fillna(0).astype("int64")
    out["left_out"] = _joined(e[~e["used"]], ["unit"], "element").reindex(units).fillna("")
    out["sipas"] = by["sipas"].reindex(units).where(out["covered"])
    return out.reset_index()[UNIT_COLUMNS]


@dataclass(frozen=True)
class ProvinceSipas:
    """The province's SIPAS over its units.

    ``value``: the index (NaN with no unit to state it over); ``units``: the units it is of; ``left_out``:
    units without a SIPAS (too few ballots, or no element answered); ``without_dossiers``: units with a
    SIPAS left out of a weighted mean for want of a completed-dossier count above 0; ``weighting``:
    ``units`` (plain mean) or ``dossiers``.
    """

    value: float
    units: tuple[str, ...]
    left_out: tuple[str, ...]
    without_dossiers: tuple[str, ...]
    weighting: str


def province_sipas(units_frame: pd.DataFrame, dossiers: pd.Series | Mapping[str, float] | None = None,
                   weighting: str = "units") -> ProvinceSipas:
    """The province's SIPAS: the mean of its units' SIPAS, plain or weighted by completed dossiers.

    With ``weighting="units"`` every unit with a SIPAS counts once. With ``"dossiers"`` unit *u* counts
    by its completed dossiers *d(u)*: Σ d(u)·SIPAS(u) / Σ d(u), over the units with a SIPAS and *d(u)* > 0.

    Parameters
    ----------
    units_frame : DataFrame
        ``unit, sipas`` (as :func:`unit_sipas` gives); NaN means no SIPAS.
    dossiers : Series or mapping, optional
        Unit → completed dossiers in the period; required for ``weighting="dossiers"``.
    weighting : {"units", "dossiers"}

    Raises
    ------
    ValueError
        Unknown weighting, dossier weighting without dossiers, or a negative dossier count.

    Examples
    --------
    A 0.822 (120 dossiers), B 0.95 (400), C 0.70 (80), D no SIPAS (30). Plain: (0.822 + 0.95 + 0.70) / 3
    = 0.824; by dossiers: (120 × 0.822 + 400 × 0.95 + 80 × 0.70) / 600 = 0.891. D counts in neither.

    >>> u = pd.DataFrame({"unit": list("ABCD"), "sipas": [37 / 45, 0.95, 0.70, float("nan")]})
    >>> p = province_sipas(u)
    >>> round(p.value, 3), p.units, p.left_out
    (0.824, ('A', 'B', 'C'), ('D',))
    >>> round(province_sipas(u, {"A": 120, "B": 400, "C": 80, "D": 30}, "dossiers").value, 3)
    0.891
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"unknown weighting {weighting!r} (use: {', '.join(WEIGHTINGS)})")
    frame = units_frame.astype({"unit": str})
    has = frame["sipas"].notna()
    indexed = frame[has]
    left_out = tuple(frame.loc[~has, "unit"])
    if weighting == "units":
        value = float(indexed["sipas"].mean()) if len(indexed) else float("nan")
        return ProvinceSipas(value, tuple(indexed["unit"]), left_out, (), weighting)
    if dossiers is None:
        raise ValueError("weighting by dossiers needs each unit's completed dossiers")
    d = pd.Series(dossiers, dtype=float)
    d.index = d.index.astype(str)
    if (d < 0).any():
        raise ValueError(f"negative dossier counts: {', '.join(d[d < 0].index)}")
    w = d.reindex(indexed["unit"]).fillna(0.0).to_numpy()
    used = w > 0
    units = tuple(indexed["unit"][used])
    without = tuple(indexed["unit"][~used])
    value = float(np.dot(w[used], indexed["sipas"].to_numpy()[used]) / w[used].sum()) if used.any() \
        else float("nan")
    return ProvinceSipas(value, units, left_out, without, weighting)


def perception_shares(shares: pd.DataFrame) -> pd.DataFrame:
    """Per unit × perception question: answered, don't know, positive and the share (not in the index).

    Examples
    --------
    >>> s = pd.DataFrame({"unit": "a", "element": "2", "question": ["q1", "p1"],
    ...                   "role": ["satisfaction", "perception"], "answered": [9, 10], "dont_know": [1, 0],
    ...                   "positive": [7, 9], "share": [7 / 9, 0.9]})
    >>> perception_shares(s)[["question", "share"]].values.tolist()
    [['p1', 0.9]]
    """
    p = shares[shares["role"] == "perception"]
    if p.empty:
        return _empty(PERCEPTION_COLUMNS, ints=("answered", "dont_know", "positive"), floats=("share",))
    return p[PERCEPTION_COLUMNS].reset_index(drop=True)


def expectation_counts(answers: pd.DataFrame) -> pd.DataFrame:
    """Per unit × expectation question × option: how many chose it, ranked, and their share.

    ``answers`` holds the answers of multiple-choice expectation questions only, one row per chosen option
    (``ballot, unit, question, option``, optionally ``state``). ``respondents`` is the number of ballots
    that chose at least one option of the question about the unit; ``share = n / respondents`` (the shares
    of a question add up to more than 1 when people choose several). ``rank`` 1 is the most chosen; equal
    counts share a rank and the next one skips (1, 2, 2, 4). A ballot choosing an option twice counts once.

    Examples
    --------
    Four people: three want shorter waiting, two fewer documents, one better staff.

    >>> a = pd.DataFrame({"ballot": [1, 1, 2, 2, 3, 4], "unit": "a", "question": "e1",
    ...                   "option": ["wait", "docs", "wait", "docs", "wait", "staff"]})
    >>> expectation_counts(a)[["option", "n", "share", "rank"]].values.tolist()
    [['wait', 3, 0.75, 1], ['docs', 2, 0.5, 2], ['staff', 1, 0.25, 3]]
    """
    a = _counted(answers).drop_duplicates(["ballot", "unit", "question", "option"])
    if a.empty:
        return _empty(EXPECTATION_COLUMNS, ints=("n", "respondents", "rank"), floats=("share",))
    keys = ["unit", "question"]
    out = a.groupby(keys + ["option"]).size().rename("n").reset_index()
    respondents = a.groupby(keys)["ballot"].nunique().rename("respondents")
    out = out.join(respondents, on=keys)
    out["share"] = out["n"] / out["respondents"]
    out["rank"] = out.groupby(keys)["n"].rank(method="min", ascending=False).astype("int64")
    out = out.astype({"n": "int64", "respondents": "int64"})
    return out.sort_values(keys + ["rank", "option"]).reset_index(drop=True)[EXPECTATION_COLUMNS]


@dataclass(frozen=True)
class Sipas:
    """One campaign's SIPAS figures, with coverage applied.

    ``units`` (:func:`unit_sipas`) lists every unit, those under ``min_ballots`` with ``covered`` False and
    no SIPAS; ``questions`` (:func:`question_shares`), ``elements`` (:func:`element_indices`) and
    ``perception`` (:func:`perception_shares`) hold the covered units only, so no count or share of a unit
    rated by too few people is at hand to publish; ``province`` is :func:`province_sipas`.
    """

    questions: pd.DataFrame
    elements: pd.DataFrame
    units: pd.DataFrame
    perception: pd.DataFrame
    province: ProvinceSipas


def sipas(answers: pd.DataFrame, questions: pd.DataFrame, positive: Options, dont_know: Options,
          units: Iterable[str] | None = None, min_ballots: int = 5,
          dossiers: pd.Series | Mapping[str, float] | None = None, weighting: str = "units") -> Sipas:
    """The whole chain, with coverage applied (see :class:`Sipas`).

    Parameters are those of :func:`question_shares`, :func:`unit_sipas` and :func:`province_sipas`.

    Examples
    --------
    Unit ``a``: 3 of 4 answered positive (one don't know), 5 ballots: 0.75. Unit ``b``: one ballot, no SIPAS
    and no figure.

    >>> a = pd.DataFrame({"ballot": range(6), "unit": ["a"] * 5 + ["b"], "question": "q1",
    ...                   "option": ["hl", "hl", "hl", "khl", "kb", "hl"]})
    >>> q = pd.DataFrame({"question": ["q1"], "element": ["1"], "role": ["satisfaction"]})
    >>> r = sipas(a, q, {"q1": {"hl"}}, {"q1": {"kb"}})
    >>> r.units[["unit", "covered", "sipas"]].values.tolist()
    [['a', True, 0.75], ['b', False, nan]]
    >>> r.elements["unit"].tolist(), r.province.value, r.province.left_out
    (['a'], 0.75, ('b',))
    """
    shares = question_shares(answers, questions, positive, dont_know, units)
    elements = element_indices(shares)
    per_unit = unit_sipas(elements, ballot_counts(answers, units), min_ballots)
    covered = set(per_unit.loc[per_unit["covered"], "unit"])
    shares = shares[shares["unit"].isin(covered)].reset_index(drop=True)
    elements = elements[elements["unit"].isin(covered)].reset_index(drop=True)
    return Sipas(shares, elements, per_unit, perception_shares(shares),
                 province_sipas(per_unit, dossiers, weighting))
