"""One ballot's answers as a reviewer reads them before deciding on its state (issue 30 item 5).

What may be seen follows :mod:`.review`: while a campaign collects, only a ballot keyed from a printed serial
(a serial names a sheet, never a person); a respondent's own ballot (web, QR card, API) only once the
campaign is closed. Even then nothing that could point to the person is shown: no profile answers (sex,
age, occupation ...), no comment, no time; only the scored answers and the expectations. A comment is read
on the comments page, under its small-cell rule, never beside a ballot.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires.answers import split_choices
from questionnaires.model import CriteriaSet

from ..models import Answer, Ballot, Campaign, Unit
from .campaigns import sealed


@dataclass(frozen=True)
class ShownAnswer:
    """One answer on the review page: the question's number in its questionnaire, its text, the answer."""

    number: int
    text: str
    answer: str
    kind: str


@dataclass(frozen=True)
class UnitAnswers:
    unit: Unit
    answers: list[ShownAnswer]


@dataclass(frozen=True)
class BallotAnswers:
    """A ballot and what the reviewer may read of it.

    Attributes
    ----------
    ballot : Ballot
    units : list of UnitAnswers
        The units it rates (by name), each with its answers in questionnaire order.
    hidden : int
        How many answers are not shown (profile answers of a respondent's own ballot).
    """

    ballot: Ballot
    units: list[UnitAnswers]
    hidden: int

    @property
    def own(self) -> bool:
        """A respondent's own ballot (web, QR card, API), not one keyed from paper."""
        return self.ballot.paper_serial is None


def visible_ballot(s: Session, campaign: Campaign, ballot_id: int) -> Ballot | None:
    """The ballot ``ballot_id`` of ``campaign`` if it may be seen now (see the module's doc), else None."""
    ballot = s.get(Ballot, ballot_id) if 0 < ballot_id < 2**63 else None
    if ballot is None or ballot.campaign_id != campaign.id:
        return None
    if sealed(campaign) and ballot.paper_serial is None:
        return None
    return ballot


def _answer_words(cset: CriteriaSet, question, option: str) -> str:
    scale = cset.scale_by_code.get(question.scale)
    labels = scale.by_code if scale else {}
    if question.kind == "expectation":
        return "; ".join(labels[c].label if c in labels else c for c in split_choices(option)) or "—"
    return labels[option].label if option in labels else option


def ballot_answers(s: Session, campaign: Campaign, cset: CriteriaSet, ballot_id: int) -> BallotAnswers | None:
    """The answers of a ballot the reviewer may see now, by unit, with question texts and option labels.

    Parameters
    ----------
    s : Session
    campaign : Campaign
    cset : CriteriaSet
        The campaign's set (texts, scales, kinds).
    ballot_id : int

    Returns
    -------
    BallotAnswers or None
        None when there is no such ballot in the campaign, or it is sealed (a respondent's own ballot before
        close).
    """
    ballot = visible_ballot(s, campaign, ballot_id)
    if ballot is None:
        return None
    own = ballot.paper_serial is None
    by_unit: dict[int, dict[str, str]] = defaultdict(dict)
    for unit_id, question, option in s.execute(
            select(Answer.unit_id, Answer.question, Answer.option).where(Answer.ballot_id == ballot.id)):
        by_unit[unit_id][question] = option
    units, hidden = [], 0
    for unit in sorted((s.get(Unit, u) for u in by_unit), key=lambda u: u.name):
        given = by_unit[unit.id]
        questionnaire = cset.questionnaire(unit.level, ballot.group.code)
        items = [(i.question, i.text) for i in questionnaire.items] if questionnaire else []
        items += [(q, None) for q in sorted(given) if q not in {i for i, _t in items}]
        shown = []
        for number, (qid, text) in enumerate(items, start=1):
            question = cset.question_by_key.get((unit.level, qid))
            if qid not in given or question is None or question.kind == "comment":
                continue
            if own and question.kind == "profile":
                hidden += 1
                continue
            shown.append(ShownAnswer(number, text or question.text, _answer_words(cset, question, given[qid]),
                                     question.kind))
        units.append(UnitAnswers(unit, shown))
    return BallotAnswers(ballot, units, hidden)
