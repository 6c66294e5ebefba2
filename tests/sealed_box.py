"""A collecting campaign whose ballot box holds many envelopes, put there by the real code: for
``bench/closing.py`` (100,000 envelopes) and ``tests/test_box_closing.py`` (a few thousand).

The campaign is the demo province's (19 departments, 8 districts and their communes, the bundled
criteria set). Its respondents come in the shares of the demo's sample plan (``demo/data.py``):
about 47 % citizens and 8 % businesses rating their district (one in six citizens and two in five
businesses by QR card), 19 % civil servants rating their department, 9 % district department heads
choosing 4 to 9 departments, 7 % commune leaders and 5 % district delegates rating their district,
5 % provincial delegates rating all 19 departments and 8 districts (360 answers each). Each ballot
is answered at random, made into an envelope by ``ballot_box.envelope_content`` and sealed by
``ballot_box.seal_ballot`` padded as the web form pads it (``draft_size + ENVELOPE_OVERHEAD``), and
its link leaves its spent marker (``markers.spent_marker``, ``markers.receipt``) as a submit does.
Every envelope has its invitation; ``drafts`` more invitations hold a half-answered draft.
"""
from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import insert, select

from questionnaires import DEFAULT_SET_DIR, read_set_texts
from survey_app.demo import data as D
from survey_app.models import Invitation, SpentLink, Unit
from survey_app.services.ballot_box import Sealed, envelope_content, seal_ballot
from survey_app.services.ballots import NewBallot
from survey_app.services.campaigns import campaign_criteria, create_campaign
from survey_app.services.drafts import (
    ENVELOPE_OVERHEAD,
    Assignment,
    DraftContent,
    answer_key,
    draft_size,
    own_unit,
    write_draft,
)
from survey_app.services.invitations import issue_link
from survey_app.services.markers import draft_id, receipt, spent_marker
from survey_app.services.sealing import draft_key, new_resume_code

DISTRICTS, DEPARTMENTS = len(D.DISTRICTS), len(D.DEPARTMENTS)
# People per group in the demo's sample plan (1,024 in all): the shares the box is filled in.
PEOPLE = {
    "nguoi_dan": D.TARGETS[("nguoi_dan", "huyen")] * DISTRICTS,
    "doanh_nghiep": D.TARGETS[("doanh_nghiep", "huyen")] * DISTRICTS,
    "cc_so": D.TARGETS[("cc_so", "so")] * DEPARTMENTS,
    "ldp_huyen": D.LDP_PER_DISTRICT * DISTRICTS,
    "ld_xa": D.TARGETS[("ld_xa", "huyen")] * DISTRICTS,
    "hdnd_huyen": D.TARGETS[("hdnd_huyen", "huyen")] * DISTRICTS,
    "hdnd_tinh": D.DELEGATES_TINH,
}
QR_SHARE = {g: cards / D.TARGETS[(g, "huyen")] for g, cards in D.QR_CARDS.items()}
WEIGHTS = (0.55, 0.25, 0.08, 0.04, 0.08)  # the scale's options from best to "don't know"
CHUNK = 2000  # envelopes per write transaction while filling


@dataclass
class Box:
    """What was put into the box."""

    campaign_id: int
    envelopes: int = 0
    answers: int = 0
    drafts: int = 0
    by_group: dict = None


class _Respondents:
    """Draws respondents of the campaign in the plan's shares, with their units and answers."""

    def __init__(self, s, campaign, rng: random.Random):
        self.cset, self.rng = campaign_criteria(campaign), rng
        self.groups = {g.code: g.id for g in campaign.groups}
        units = list(s.scalars(select(Unit).where(Unit.campaign_id == campaign.id).order_by(Unit.id)))
        self.by_level = {lv: [u for u in units if u.level == lv] for lv in ("so", "huyen", "xa")}
        self.codes = list(PEOPLE)
        self.shares = [PEOPLE[g] for g in self.codes]
        self.options = {s.code: [o.code for o in sorted(s.options, key=lambda o: o.fraction is None)]
                        for s in self.cset.scales}
        self._sizes: dict = {}

    def draw(self):
        """``(group, own unit, assignments, rated units by level)`` of one respondent."""
        group = self.rng.choices(self.codes, self.shares)[0]
        so, huyen, xa = self.by_level["so"], self.by_level["huyen"], self.by_level["xa"]
        if group == "cc_so":
            own = self.rng.choice(so)
        elif group == "ld_xa":
            own = self.rng.choice(xa)
        elif group == "hdnd_tinh":
            own = None
        else:
            own = self.rng.choice(huyen)
        assigned, rated = [], []
        for rule in self.cset.group_by_code[group].rates:
            offered = self.by_level[rule.level]
            if rule.how == "own":
                target = own if own.level == rule.level else next(u for u in huyen if u.id == own.parent_id)
                units = chosen = [target]
            else:
                units = offered
                chosen = offered if rule.how == "each" else sorted(self.rng.sample(offered, self.rng.randint(4, 9)),
                                                                   key=lambda u: u.id)
            qn = self.cset.questionnaire(rule.level, group)
            assigned.append(Assignment(self.cset.level_by_code[rule.level], rule.how, qn, units))
            rated.append((chosen, qn))
        return group, own, assigned, rated

    def answers(self, rated) -> list[tuple[int, str, str]]:
        rows = []
        for units, qn in rated:
            for unit in units:
                for item in qn.items:
                    options = self.options[self.cset.question_by_key[(unit.level, item.question)].scale]
                    rows.append((unit.id, item.question, self.rng.choices(options, WEIGHTS[:len(options)])[0]))
        return rows

    def size(self, group: str, assigned: list[Assignment]) -> int:
        """The padded size of the group's envelopes, as the web form computes it."""
        key = (group, tuple(u.id for a in assigned for u in a.units))
        if key not in self._sizes:
            self._sizes[key] = draft_size(assigned, self.cset)
        return self._sizes[key]


def _units(s, campaign) -> None:
    for code, name, _short in D.DEPARTMENTS:
        s.add(Unit(campaign=campaign, code=code, name=name, level="so"))
    for code, name, communes in D.DISTRICTS:
        district = Unit(campaign=campaign, code=code, name=name, level="huyen")
        s.add(district)
        for i, commune in enumerate(communes, 1):
            s.add(Unit(campaign=campaign, code=f"{code}_x{i}", name=commune, level="xa", parent=district))
    s.flush()


def fill_box(database, secret: str, envelopes: int, *, drafts: int = 0, seed: int = 1,
             progress: Callable[[int], None] | None = None, seconds: Callable[[int], float] | None = None) -> Box:
    """A new collecting campaign in ``database`` (migrated) with ``envelopes`` sealed ballots, their
    invitations and spent markers, and ``drafts`` invitations half answered; commits as it goes.

    ``seconds(n)``: the time spent on the ``n``-th envelope (from 0), to tell envelopes apart; random
    (2 to 25 minutes) by default."""
    rng = random.Random(seed)
    with database.transaction() as s:
        campaign = create_campaign(s, year=2025, name=f"Hòm phiếu thử {uuid.uuid4().hex[:8]}",
                                   criteria_texts=read_set_texts(DEFAULT_SET_DIR), actor="bench", status="open",
                                   province="Tỉnh thử")
        _units(s, campaign)
        people = _Respondents(s, campaign, rng)
        box = Box(campaign.id, by_group={})
    for start in range(0, envelopes + drafts, CHUNK):
        with database.transaction() as s:
            for n in range(start, min(start + CHUNK, envelopes + drafts)):
                _one(s, box, people, secret, sealed=n < envelopes, seconds=seconds(n) if seconds else None)
        if progress is not None:
            progress(min(start + CHUNK, envelopes + drafts))
    return box


def _one(s, box: Box, people: _Respondents, secret: str, sealed: bool, seconds: float | None) -> None:
    """One respondent: an invitation, and either a sealed ballot with its marker or a draft."""
    group, own, assigned, rated = people.draw()
    qr = people.rng.random() < QR_SHARE.get(group, 0.0)
    link = issue_link(secret, qr_card=qr)
    invitation_id = s.execute(insert(Invitation.__table__).values(
        campaign_id=box.campaign_id, group_id=people.groups[group], unit_id=own.id if own else None,
        kind="qr_card" if qr else "personal", token_hash=link.token_hash, token_salt=link.salt,
        short_code_hash=link.short_code_hash, created_at=datetime(2025, 11, 1),
        name=None if qr else f"Người được mời {box.envelopes + box.drafts + 1}")).inserted_primary_key[0]
    client_id = str(uuid.UUID(int=people.rng.getrandbits(128), version=4))
    if not sealed:
        units, qn = rated[0]
        data = {answer_key(units[0].id, item.question): "tot" for item in qn.items[:5]}  # left half-way
        row = SimpleNamespace(id=invitation_id, campaign_id=box.campaign_id, draft_id=draft_id(secret, link.token_hash))
        write_draft(s, row, draft_key(secret, link.token, new_resume_code()),
                    DraftContent(client_id, data, datetime(2025, 11, 20)), exists=False,
                    size=people.size(group, assigned))
        box.drafts += 1
        return
    answers = people.answers(rated)
    ballot = NewBallot(campaign_id=box.campaign_id, group_id=people.groups[group], client_id=client_id,
                       channel="qr" if qr else "web", answers=answers,
                       state="flagged" if people.rng.random() < 0.02 else "received",
                       duration_seconds=float(people.rng.randint(120, 1500)) if seconds is None else seconds)
    s.execute(insert(SpentLink.__table__).values(marker=spent_marker(secret, link.token_hash),
                                                 campaign_id=box.campaign_id, receipt=receipt(secret, client_id)))
    seal_ballot(s, Sealed(box.campaign_id, ballot.group_id, own_unit(assigned), envelope_content(ballot),
                          people.size(group, assigned) + ENVELOPE_OVERHEAD), secret)
    box.envelopes += 1
    box.answers += len(answers)
    box.by_group[group] = box.by_group.get(group, 0) + 1
