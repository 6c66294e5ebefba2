"""The demo's 2026 campaign: the merged province's first survey in the two-tier shape.

Built the way an office builds it (the same services the pages call): last year's campaign copied
across the 2025 reform with a succession file (:func:`succession_file`) onto the bundled two-tier set
(departments merged or renamed, districts abolished, communes merged, renamed or split), then the
merged province's other communes added, a sample plan, personal links, QR cards handed out, the first
batch of QR cards and paper ballots printed in bulk, ballots answered and keyed. Collecting: its
results are sealed. Last year's results are stored against last year's units, so the year-on-year
columns go through the succession table; the demo has no 2025 campaign, so they are the old province's
published 2023 index, rank and class standing in for its 2025 ones (the reports call them "năm 2025").
"""
from __future__ import annotations

import csv
import io
import random
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires import load_criteria_set_from_texts, read_set_texts

from ..models import Campaign, PreviousResult, SampleTarget, Unit, User, UserUnit
from ..services import paper
from ..services.bulk_print import PrintFilter, issue_missing
from ..services.campaigns import NEW_CAMPAIGN_SET_DIR, campaign_criteria
from ..services.succession import NEW_CODE, NEW_NAME, OLD_CODE, OLD_NAME
from ..services.succession_copy import checked_rows, copy_across_reform
from . import data as D
from . import data_2026 as N
from .simulator import Simulator, draw


def succession_file(last: Campaign) -> bytes:
    """The succession file of the merger from ``last``'s units, in the import template's columns (CSV,
    UTF-8 with BOM): what the office fills in before copying last year's campaign."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([h[:1].upper() + h[1:] for h in (OLD_CODE, OLD_NAME, NEW_CODE, NEW_NAME, "loại thay đổi")])
    writer.writerows(N.succession_rows({u.code: u.name for u in last.units}))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def build_two_tier(session: Session, last: Campaign, rng: random.Random, secret: str):
    """Create the 2026 campaign from ``last`` (the old province's latest campaign). Returns its simulator
    (ballot counts, example links in ``links``) and the campaign."""
    texts = read_set_texts(NEW_CAMPAIGN_SET_DIR)
    rows = checked_rows(succession_file(last), last)
    campaign, _done = copy_across_reform(session, last, rows, year=2026, name=N.NAME, province=N.PROVINCE,
                                         actor="demo", criteria=(texts, load_criteria_set_from_texts(texts)))
    campaign.status, campaign.opens_at = "open", datetime(2026, 11, 2)
    for name in N.OTHER_COMMUNES:
        campaign.units.append(Unit(code=N.slug(name), name=name, level="xa"))
    session.flush()
    units = {u.code: u for u in campaign.units}
    groups = {g.code: g for g in campaign.groups}
    session.execute(SampleTarget.__table__.delete().where(SampleTarget.campaign_id == campaign.id))
    session.add_all(SampleTarget(campaign_id=campaign.id, unit_id=u.id, group_id=groups[g].id, target=target)
                    for (g, level), target in N.TARGETS.items() for u in units.values() if u.level == level)
    _previous_results(session, campaign, last)
    # Ba Bể's keyers key for its successors through the copy; made sure of here (the data may change).
    for user in session.scalars(select(User).where(User.username.in_(("nhaplieu1", "nhaplieu2")))):
        have = set(session.scalars(select(UserUnit.unit_id).where(UserUnit.user_id == user.id)))
        session.add_all(UserUnit(user_id=user.id, unit_id=units[code].id) for code in N.KEYERS_UNITS
                        if units[code].id not in have)
    session.flush()
    sim = _TwoTier(session, campaign, campaign_criteria(campaign), units, groups, rng, secret)
    sim.links = sim.answer_links()
    sim.flush()
    communes = sorted((u for u in units.values() if u.level == "xa"), key=lambda u: u.name)
    first = [units[code] for code in N.KEYERS_UNITS]  # the keyers' communes, then others by name
    first += [c for c in communes if c not in first][: N.PRINTED_COMMUNES - len(first)]
    for commune in first:
        issue_missing(session, campaign, PrintFilter(unit=commune.code), secret, "demo")
    sim.keyed_paper()
    sim.flush()
    return sim, campaign


def _previous_results(session: Session, campaign: Campaign, last: Campaign) -> None:
    """Last year's results by last year's department (the published 2023 figures; ranks as published)."""
    old = {u.code: u for u in last.units}
    for code, (index, rank, class_name) in _published_2023(campaign_criteria(last)).items():
        session.add(PreviousResult(campaign_id=campaign.id, unit_id=old[code].id, index_points=index, rank=rank,
                                   class_name=class_name))


def _published_2023(cset) -> dict[str, tuple[float, int, str]]:
    """The departments' published 2023 index, rank among departments and class by ``cset`` (seed 001)."""
    ranked = sorted((code for code, *_ in D.DEPARTMENTS), key=lambda c: -D.FINAL[c])
    return {code: (D.FINAL[code], rank, cset.class_for(D.FINAL[code]).name) for rank, code in enumerate(ranked, 1)}


class _TwoTier(Simulator):
    """The demo's simulator for the two-tier set's groups, with an invented quality per unit."""

    def __init__(self, session, campaign, cset, units, groups, rng, secret):
        super().__init__(session, campaign, cset, units, groups, rng, secret)
        self.half_way = 0.0
        self.merit = {code: rng.uniform(0.72, 0.96) for code in sorted(units)}
        self.xa = sorted((u for u in units.values() if u.level == "xa"), key=lambda u: u.name)

    def quality(self, unit: Unit, field_code: str) -> float:
        """An invented quality per unit, a little lower for the impact field (8)."""
        return self.merit[unit.code] - (0.05 if field_code == "8" else 0.0)

    def answer_links(self) -> list[tuple[str, str]]:
        """Invite and answer every group; the example links of one unanswered delegate, commune official
        and citizen's QR card."""
        links = []
        tokens = self._invite("hdnd_tinh", [None] * N.DELEGATES, "Đại biểu HĐND tỉnh")
        links.append(("2026, đại biểu HĐND tỉnh (đánh giá 14 sở, ban, ngành)",
                      self._answer_some(tokens, N.RATES["hdnd_tinh"], lambda inv: self.so)))
        tokens = self._invite("cc_so", [u for u in self.so for _ in range(N.CIVIL_SERVANTS)], "Công chức")
        self._answer_some(tokens, N.RATES["cc_so"], lambda inv: [inv.unit])
        tokens = self._invite("cb_xa", [u for u in self.xa for _ in range(N.COMMUNE_OFFICIALS)], "Cán bộ xã")
        links.append(("2026, cán bộ, công chức cấp xã (đánh giá xã của mình)",
                      self._answer_some(tokens, N.RATES["cb_xa"], lambda inv: [inv.unit])))
        for group, cards in N.QR_CARDS.items():
            tokens = self._invite(group, [u for u in self.xa for _ in range(cards)], None, kind="qr_card")
            example = self._answer_some(tokens, N.RATES["qr"], lambda inv: [inv.unit], channel="qr")
            if group == "nguoi_dan":
                links.append(("2026, thẻ QR cho người dân (đánh giá một xã)", example))
        return links

    def keyed_paper(self) -> None:
        """Of the printed paper ballots: most keyed twice (verified); of the keyers' communes, some keyed
        once only, and one keyed differently (to reconcile)."""
        from ..models import PaperSerial

        serials = self.session.scalars(select(PaperSerial).where(PaperSerial.campaign_id == self.campaign.id)
                                       .order_by(PaperSerial.id)).all()
        keyers = [self.session.scalar(select(User).where(User.username == name)) for name in ("nhaplieu1",
                                                                                            "nhaplieu2")]
        keyers_units = {self.units[code].id for code in N.KEYERS_UNITS}
        by_id = {u.id: u for u in self.units.values()}
        group_of = {g.id: g for g in self.groups.values()}
        kept_aside = 0
        for serial in serials:
            if self.rng.random() >= N.KEYED_SHARE:
                continue
            unit = by_id[serial.unit_id]
            if serial.unit_id in keyers_units and kept_aside < 8:  # typed on the keying screen, by the staff
                kept_aside += 1
                self._key_on_screen(serial, unit, group_of[serial.group_id], keyers, kept_aside)
                continue
            serial.status = "done"
            self.keyed.append((serial.serial, "verified"))
            self._ballot(serial.group_id, [unit], "paper", "verified", serial=serial.serial)

    def _key_on_screen(self, serial, unit, group, keyers, n: int) -> None:
        cset = self.cset
        answers = {item.question: self._draw_answer(unit, item.question)
                   for item in cset.questionnaire(unit.level, group.code).items}
        paper.save_entry(self.session, serial, keyers[0], answers, f"demo-2026-{n}")
        if n % 2:
            return  # waits for its second keying
        second = dict(answers)
        if n == 4:  # one keying differs: a supervisor reconciles it
            question = next(iter(second))
            options = [o.code for o in self._scale(unit, question).counted_options]
            second[question] = next(o for o in options if o != second[question])
        paper.save_entry(self.session, serial, keyers[1], second, f"demo-2026-{n}b")
        if n != 4:
            self.ballot_count += 1
            self.answer_count += len(answers)

    def _scale(self, unit: Unit, question: str):
        return self.cset.scale_by_code[self.cset.question_by_key[(unit.level, question)].scale]

    def _draw_answer(self, unit: Unit, question: str) -> str:
        q = self.cset.question_by_key[(unit.level, question)]
        field_code = self.cset.sub_criterion_by_key[(unit.level, q.sub_criterion)].field
        return draw(self._scale(unit, question), self.quality(unit, field_code), self.rng)

