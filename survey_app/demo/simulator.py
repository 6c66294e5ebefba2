"""The demo's simulated respondents: invitations and ballots of one campaign, answering like a
published table (:meth:`Simulator.quality`), stored through the services every ballot goes through."""
from __future__ import annotations

import random
import uuid
from datetime import datetime
from types import SimpleNamespace

from questionnaires import Scale

from ..models import Invitation, SpentLink, Unit, User
from ..services import paper
from ..services.audit import record
from ..services.ballot_box import Sealed, envelope_content, seal_ballot
from ..services.ballots import NewBallot, check_ballots, store_ballots
from ..services.drafts import (
    ENVELOPE_OVERHEAD,
    Assignment,
    DraftContent,
    answer_key,
    draft_size,
    own_unit,
    write_draft,
)
from ..services.invitations import issue_link
from ..services.markers import draft_id, receipt, spent_marker
from ..services.sealing import draft_key, new_resume_code
from ..services.serials import reserve_serials
from . import data as D

DONT_KNOW_RATE = 0.04


class Simulator:
    """Invitations and ballots of one campaign for every group, answering like the published table."""

    def __init__(self, session, campaign, cset, units, groups, rng: random.Random, secret: str):
        self.session, self.campaign, self.cset, self.secret = session, campaign, cset, secret
        self.units, self.groups, self.rng = units, groups, rng
        self.ballot_count = self.answer_count = 0
        self.pending: list[NewBallot] = []  # paper ballots, stored as they are
        self.sealed: list = []  # (invitation, ballot, assignments): respondents' ballots, for the box
        self.keyed: list[tuple[str, str]] = []  # (serial, state) of paper ballots, audited when stored
        self.so = [u for u in units.values() if u.level == "so"]
        self.huyen = [u for u in units.values() if u.level == "huyen"]

    def run(self, rates: dict[str, float], half_way: float = 0.0) -> list[tuple[str, str]]:
        """Invite every group and answer ``rates`` of each; leave ``half_way`` of the rest half answered."""
        self.half_way = half_way
        links = []
        # Provincial delegates rate every department and district.
        tokens = self._invite("hdnd_tinh", [None] * D.DELEGATES_TINH, "Đại biểu HĐND tỉnh")
        example = self._answer_some(tokens, rates["hdnd_tinh"], lambda inv: self.so + self.huyen)
        links.append(("Đại biểu HĐND tỉnh (đánh giá 19 sở và 8 huyện)", example))
        tokens = self._invite("cc_so", [u for u in self.so for _ in range(10)], "Công chức")
        self._answer_some(tokens, rates["cc_so"], lambda inv: [inv.unit])
        tokens = self._invite("ldp_huyen", [d for d in self.huyen for _ in range(D.LDP_PER_DISTRICT)], "Trưởng phòng")
        self._answer_some(tokens, rates["ldp_huyen"], lambda inv: self.rng.sample(self.so, self.rng.randint(4, 9)))
        tokens = self._invite("hdnd_huyen", [d for d in self.huyen for _ in range(7)], "Đại biểu HĐND huyện")
        self._answer_some(tokens, rates["hdnd_huyen"], lambda inv: [inv.unit])
        communes = [c for d in self.huyen for c in self._communes_of(d)[: D.COMMUNES_SURVEYED]]
        tokens = self._invite("ld_xa", [c for c in communes for _ in range(D.LEADERS_PER_COMMUNE)], "Lãnh đạo xã")
        self._answer_some(tokens, rates["ld_xa"], lambda inv: [inv.unit.parent])
        for group, cards in D.QR_CARDS.items():
            tokens = self._invite(group, [d for d in self.huyen for _ in range(cards)], None, kind="qr_card")
            example = self._answer_some(tokens, rates["qr"], lambda inv: [inv.unit], channel="qr")
            if group == "nguoi_dan":
                links.append(("Thẻ QR cho người dân (đánh giá một huyện)", example))
        return links

    def flush(self) -> None:
        """Store the ballots made so far in one batch, with the checks every ballot gets."""
        check_ballots(self.session, self.cset, [b for _i, b, _a in self.sealed])
        for invitation, ballot, assigned in self.sealed:
            self.session.add(SpentLink(marker=spent_marker(self.secret, invitation.token_hash),
                                       campaign_id=self.campaign.id, receipt=receipt(self.secret, ballot.client_id)))
            seal_ballot(self.session, Sealed(self.campaign.id, ballot.group_id, own_unit(assigned),
                                             envelope_content(ballot),
                                             draft_size(assigned, self.cset) + ENVELOPE_OVERHEAD), self.secret)
        self.sealed = []
        ids = store_ballots(self.session, self.cset, self.pending)
        by_serial = {b.paper_serial: i for b, i in zip(self.pending, ids) if b.paper_serial}
        for serial, state in self.keyed:
            record(self.session, "nhaplieu1", "create", "ballot", by_serial[serial],
                   new_value=f"phiếu {serial}, qua màn hình nhập liệu, {state}")
        self.pending, self.keyed = [], []

    def _communes_of(self, district: Unit) -> list[Unit]:
        return [u for u in self.units.values() if u.parent is district]

    def _invite(self, group: str, own_units: list, label: str | None, kind: str = "personal"):
        result = []
        for i, unit in enumerate(own_units, 1):
            link = issue_link(self.secret, qr_card=kind == "qr_card")
            token = link.token
            inv = Invitation(
                campaign_id=self.campaign.id, group_id=self.groups[group].id, unit_id=unit.id if unit else None,
                kind=kind, token_hash=link.token_hash, token_salt=link.salt, name=f"{label} {i:02d}" if label else None,
                short_code_hash=link.short_code_hash,
                phone=f"09{self.rng.randrange(10**8):08d}" if kind == "personal" else None,
                sent_at=datetime(self.campaign.year, 11, 2) if kind == "personal" else None,
            )
            inv.unit = unit
            result.append((token, inv))
        self.session.add_all(inv for _t, inv in result)
        self.session.flush()
        return result

    def _answer_some(self, tokens, rate: float, rated, channel: str = "web") -> str:
        """Answer about ``rate`` of the invitations; return the link of one left unanswered."""
        example = None
        for token, inv in tokens:
            if example is None:
                example = f"/s/{token}"  # kept open for a person to try
                continue
            if self.rng.random() < rate:
                state = "flagged" if self.rng.random() < 0.02 else "received"
                self._ballot(inv.group_id, rated(inv), channel, state, invitation=inv)
            elif self.half_way and self.rng.random() < self.half_way:
                self._half_answer(token, inv, rated(inv))
        return example

    def _half_answer(self, token: str, inv: Invitation, rated_units: list[Unit]) -> None:
        """An invitation opened and half answered: its draft, sealed as the web form seals it."""
        group = next(g for g in self.groups.values() if g.id == inv.group_id)
        data: dict = {}
        if self.cset.group_by_code[group.code].rule_for("so") and \
                self.cset.group_by_code[group.code].rule_for("so").how == "choose":
            data["chosen:so"] = sorted(u.id for u in rated_units)
        for unit in rated_units[: max(1, len(rated_units) // 2)]:
            for item in self.cset.questionnaire(unit.level, group.code).items[:5]:
                data[answer_key(unit.id, item.question)] = "tot"
        # Saved on the respondent's own device: only the resume code it was given opens it (nobody has it here).
        row = SimpleNamespace(id=inv.id, campaign_id=inv.campaign_id, draft_id=draft_id(self.secret, inv.token_hash))
        write_draft(self.session, row, draft_key(self.secret, token, new_resume_code()),
                    DraftContent(str(uuid.UUID(int=self.rng.getrandbits(128), version=4)), data,
                                 datetime(self.campaign.year, 11, 20)),
                    size=draft_size(self._assigned(group.code, rated_units), self.cset))

    def _assigned(self, group: str, rated_units: list[Unit]) -> list[Assignment]:
        """The questionnaires of a group's link, as the web form builds them."""
        return [Assignment(self.cset.level_by_code[rule.level], rule.how, self.cset.questionnaire(rule.level, group),
                           [u for u in rated_units if u.level == rule.level][:1] if rule.how == "own"
                           else [u for u in self.units.values() if u.level == rule.level])
                for rule in self.cset.group_by_code[group].rates]

    def paper_ballots(self) -> None:
        """Last year's paper ballots: printed, keyed twice, in every review state."""
        for district in self.huyen:
            for group, target in (("nguoi_dan", 60), ("doanh_nghiep", 10)):
                got = self.rng.randint(int(target * 0.75), target)
                printed = reserve_serials(self.session, self.campaign, district, self.groups[group], got, "demo")
                for serial in printed:
                    roll = self.rng.random()
                    state, reason = "verified", None
                    if roll < 0.01:
                        state, reason = "rejected", "Phiếu bị tẩy xóa nhiều chỗ, không xác định được lựa chọn"
                    elif roll < 0.03:
                        state, reason = "flagged", "Chọn cùng một phương án cho mọi câu hỏi"
                    elif roll < 0.10:
                        state = "received"  # keyed once
                    serial.status = "done"
                    self.keyed.append((serial.serial, state))
                    self._ballot(self.groups[group].id, [district], "paper", state, serial=serial.serial, reason=reason)

    def paper_being_keyed(self, first: User, second: User) -> None:
        """This year's paper ballots: printed for every district; of Ba Bể's citizens, some keyed once
        (waiting for a second keying), some keyed twice (verified), one keyed differently (to reconcile)."""
        printed = {}
        for district in self.huyen:  # the first batch: 48 of the 60 citizens' ballots, all 10 of the businesses'
            for group, count in (("nguoi_dan", 48), ("doanh_nghiep", 10)):
                printed[(district.code, group)] = reserve_serials(self.session, self.campaign, district,
                                                                  self.groups[group], count, "demo")
        cset = self.cset
        for n, serial in enumerate(printed[("ba_be", "nguoi_dan")][:24]):
            answers = {item.question: draw(cset.scale_by_code[cset.question_by_key[("huyen", item.question)].scale],
                                            0.8, self.rng)
                       for item in cset.questionnaire("huyen", "nguoi_dan").items}
            paper.save_entry(self.session, serial, first, answers, "demo-1")
            if n % 3 == 0:
                second_answers = dict(answers)
                if n == 9:  # one keying differs: a supervisor reconciles it
                    question = next(iter(second_answers))
                    second_answers[question] = "kem" if second_answers[question] != "kem" else "tot"
                paper.save_entry(self.session, serial, second, second_answers, "demo-2")
                if n != 9:
                    self.ballot_count += 1
                    self.answer_count += len(answers)

    def quality(self, unit: Unit, field_code: str) -> float:
        """The share of the field's survey points the unit's ballots draw to: its published 2023 points."""
        return D.SURVEY[unit.code][int(field_code) - 1] / self.cset.level_by_code[unit.level].field_max[field_code]

    def _ballot(self, group_id, rated_units, channel, state, invitation=None, serial=None, reason=None) -> None:
        rng = self.rng
        group = next(g for g in self.groups.values() if g.id == group_id)
        # Drawn in this order (the day too, which ballots no longer keep) so that a seed gives the same demo.
        client_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        rng.randrange(55)
        duration = None if channel == "paper" else float(rng.randint(120, 1500))
        rows = []
        for unit in rated_units:
            qn = self.cset.questionnaire(unit.level, group.code)
            for item in qn.items:
                q = self.cset.question_by_key[(unit.level, item.question)]
                if not q.scored:
                    answer = other_answer(self.cset, q, rng)
                    if answer is not None:
                        rows.append((unit.id, q.id, answer))
                    continue
                quality = self.quality(unit, self.cset.sub_criterion_by_key[(unit.level, q.sub_criterion)].field)
                rows.append((unit.id, q.id, draw(self.cset.scale_by_code[q.scale], quality, rng)))
        ballot = NewBallot(
                campaign_id=self.campaign.id,
                client_id=client_id if serial is None else f"paper-{self.campaign.id}-{serial}",
                group_id=group_id,
                channel=channel,
                state=state,
                state_reason=reason,
                paper_serial=serial,
                answers=rows,
                duration_seconds=duration,
            )
        if invitation is None:
            self.pending.append(ballot)
        else:  # a respondent's own ballot goes into the box, as the web form puts it, and spends the link
            self.sealed.append((invitation, ballot, self._assigned(group.code, rated_units)))
        self.ballot_count += 1
        self.answer_count += len(rows)


# What the demo's respondents write in the free comment (one in six writes something; one of them leaves a
# phone number, which the ballot writer masks).
COMMENTS = (
    "Cán bộ hướng dẫn tận tình, nhưng phải chờ lâu vào buổi sáng.",
    "Đề nghị niêm yết rõ hơn mức phí và thời hạn trả kết quả.",
    "Nộp trực tuyến vẫn phải mang bản giấy đến, mất thêm một lần đi lại.",
    "Kết quả trả sớm hơn hẹn, rất hài lòng.",
    "Có việc gì xin gọi tôi số 0912 345 678 để phản ánh thêm.",
    "Nơi ngồi chờ chật, mùa hè nóng.",
)


def other_answer(cset, question, rng: random.Random) -> str | None:
    """A demo answer to a profile, expectation or comment question, or None (left out, as people may)."""
    from questionnaires.answers import joined_choices

    if question.kind == "comment":
        return rng.choice(COMMENTS) if rng.random() < 1 / 6 else None
    options = cset.scale_by_code[question.scale].options
    if rng.random() < 0.08:
        return None
    if question.kind == "profile":
        return rng.choice(options).code
    # expectations: people most often ask for shorter waiting and fewer documents
    weights = [3 if o.code in ("thoi_gian", "giay_to") else 2 if o.code == "thai_do" else 1 for o in options]
    chosen = {rng.choices(options, weights)[0].code for _ in range(rng.randint(1, question.choose_up_to))}
    return joined_choices(cset, question, chosen)


def draw(scale: Scale, quality: float, rng: random.Random) -> str:
    """An option whose expected fraction is ``quality`` (before "don't know")."""
    dont_know = scale.dont_know_option
    if dont_know is not None and rng.random() < DONT_KNOW_RATE:
        return dont_know.code
    counted = sorted(scale.counted_options, key=lambda o: -o.fraction)
    shortfall = max(0.0, min(1.0, 1.0 - quality))
    # Spread the shortfall over the lower options (mostly "Khá"), keeping the mean exact
    # for the 1 / 0.6 / 0.2 / 0 scales; other scales get a close approximation.
    spread = [1.5, 0.25, 0.1, 0.05][: len(counted) - 1]
    losses = [1.0 - (o.fraction or 0.0) for o in counted[1:]]
    norm = sum(s * loss for s, loss in zip(spread, losses)) or 1.0
    probs = [s * shortfall / norm for s in spread]
    probs.insert(0, max(0.0, 1.0 - sum(probs)))
    return rng.choices([o.code for o in counted], weights=probs)[0]
