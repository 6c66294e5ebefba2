"""``parsurvey demo``: a whole demo province in an empty database, from a seeded generator.

Everything is simulated but shaped like the real 2023 survey of seed 001: the
19 departments and 8 districts, a few communes each, the sample plan, personal
links, QR cards, paper ballots in every review state, and appraisal points.
"""
from __future__ import annotations

import random
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from questionnaires import DEFAULT_SET_DIR, Scale, read_set_texts

from ..models import Appraisal, Campaign, CommuneResult, Invitation, PreviousResult, SampleTarget, Unit, User
from ..services.audit import record
from ..services.ballots import NewBallot, store_ballots
from ..services.campaigns import campaign_criteria, create_campaign
from ..services.invitations import issue_link
from ..services.users import create_user
from . import data as D

CAMPAIGN_NAME = "Điều tra XHH Chỉ số CCHC năm 2023 (dữ liệu mẫu)"
DONT_KNOW_RATE = 0.04


@dataclass
class DemoAccess:
    """What a person needs to try the demo: logins and example respondent links."""

    password: str
    users: list[tuple[str, str]] = field(default_factory=list)  # (username, role)
    links: list[tuple[str, str]] = field(default_factory=list)  # (description, path)
    ballots: int = 0
    answers: int = 0


def database_is_empty(session: Session) -> tuple[bool, str]:
    """Whether the demo may run, and what is there if not."""
    campaigns = session.scalar(select(func.count()).select_from(Campaign))
    users = session.scalar(select(func.count()).select_from(User))
    return campaigns == 0 and users == 0, f"{campaigns} đợt khảo sát, {users} người dùng"


def build_demo(session: Session, secret: str, seed: int = 2023) -> DemoAccess:
    """Create the demo province. The caller checks the database is empty and commits.

    Parameters
    ----------
    seed : int
        Seeds every random choice (answers, who responds, states), so two
        demos with the same seed hold the same ballots. Tokens and the
        password are always fresh.
    """
    rng = random.Random(seed)
    campaign = create_campaign(
        session, year=2023, name=CAMPAIGN_NAME, criteria_texts=read_set_texts(DEFAULT_SET_DIR),
        actor="demo", status="open",
    )
    campaign.opens_at = datetime(2023, 11, 1)  # no closing date: the demo links stay open to try
    cset = campaign_criteria(campaign)
    units = _create_units(session, campaign)
    groups = {g.code: g for g in campaign.groups}
    _create_sample_plan(session, campaign, units, groups)
    _create_appraisals(session, campaign, units)
    _create_results(session, campaign, units)
    sim = _Simulator(session, campaign, cset, units, groups, rng, secret)
    access = DemoAccess(password=secrets.token_urlsafe(9))
    access.links = sim.run()
    access.users = _create_users(session, campaign, access.password)
    access.ballots, access.answers = sim.ballot_count, sim.answer_count
    record(session, "demo", "create", "demo", campaign.id, new_value=f"{sim.ballot_count} phiếu mẫu (seed {seed})")
    return access


def _create_units(session: Session, campaign: Campaign) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for code, name, _short in D.DEPARTMENTS:
        units[code] = Unit(campaign=campaign, code=code, name=name, level="so")
    for code, name, communes in D.DISTRICTS:
        district = units[code] = Unit(campaign=campaign, code=code, name=name, level="huyen")
        for i, commune in enumerate(communes, 1):
            units[f"{code}_x{i}"] = Unit(
                campaign=campaign, code=f"{code}_x{i}", name=commune, level="xa", parent=district
            )
    session.add_all(units.values())
    session.flush()
    return units


def _create_sample_plan(session, campaign, units, groups) -> None:
    session.add_all(
        SampleTarget(campaign_id=campaign.id, unit_id=u.id, group_id=groups[g].id, target=target)
        for (g, level), target in D.TARGETS.items()
        for u in units.values()
        if u.level == level
    )


def _create_appraisals(session, campaign, units) -> None:
    """Appraisal totals such that appraisal + published survey points = published index."""
    for code, final in D.FINAL.items():
        survey = round(sum(D.SURVEY[code]), 3)
        session.add(
            Appraisal(campaign_id=campaign.id, unit_id=units[code].id, field="total", points=round(final - survey, 3))
        )


def _create_results(session, campaign, units) -> None:
    """Commune classes for the district rule and the published 2022 table."""
    for district, classes in D.COMMUNE_CLASSES.items():
        for i, band in enumerate(classes, 1):
            if band is not None:
                session.add(
                    CommuneResult(campaign_id=campaign.id, unit_id=units[f"{district}_x{i}"].id, class_code=band)
                )
    for code, (index, rank, name) in D.PREVIOUS.items():
        session.add(PreviousResult(campaign_id=campaign.id, unit_id=units[code].id, index_points=index, rank=rank,
                                   class_name=name))


def _create_users(session, campaign, password) -> list[tuple[str, str]]:
    people = [
        ("admin", "Quản trị viên Sở Nội vụ", "admin", ()),
        ("phantich", "Chuyên viên phân tích", "analyst", ()),
        ("nhaplieu1", "Nhập liệu huyện Ba Bể (1)", "staff", ("ba_be",)),
        ("nhaplieu2", "Nhập liệu huyện Ba Bể (2)", "staff", ("ba_be",)),
    ]
    for username, full_name, role, scope in people:
        create_user(session, username, password, role, full_name=full_name, unit_codes=scope,
                    campaign_id=campaign.id, actor="demo")
    return [(p[0], p[2]) for p in people]


class _Simulator:
    """Invitations and ballots for every group, answering like the published table."""

    def __init__(self, session, campaign, cset, units, groups, rng: random.Random, secret: str):
        self.session, self.campaign, self.cset, self.secret = session, campaign, cset, secret
        self.units, self.groups, self.rng = units, groups, rng
        self.ballot_count = self.answer_count = 0
        self.pending: list[NewBallot] = []
        self.so = [u for u in units.values() if u.level == "so"]
        self.huyen = [u for u in units.values() if u.level == "huyen"]

    def run(self) -> list[tuple[str, str]]:
        links = []
        # Provincial delegates rate every department and district.
        tokens = self._invite("hdnd_tinh", [None] * D.DELEGATES_TINH, "Đại biểu HĐND tỉnh")
        links.append(
            (
                "Đại biểu HĐND tỉnh (đánh giá 19 sở và 8 huyện)",
                self._answer_some(tokens, 0.88, lambda inv: self.so + self.huyen),
            )
        )
        tokens = self._invite("cc_so", [u for u in self.so for _ in range(10)], "Công chức")
        self._answer_some(tokens, 0.85, lambda inv: [inv.unit])
        tokens = self._invite("ldp_huyen", [d for d in self.huyen for _ in range(D.LDP_PER_DISTRICT)], "Trưởng phòng")
        self._answer_some(tokens, 0.82, lambda inv: self.rng.sample(self.so, self.rng.randint(4, 9)))
        tokens = self._invite("hdnd_huyen", [d for d in self.huyen for _ in range(7)], "Đại biểu HĐND huyện")
        self._answer_some(tokens, 0.86, lambda inv: [inv.unit])
        communes = [c for d in self.huyen for c in self._communes_of(d)[: D.COMMUNES_SURVEYED]]
        tokens = self._invite("ld_xa", [c for c in communes for _ in range(D.LEADERS_PER_COMMUNE)], "Lãnh đạo xã")
        self._answer_some(tokens, 0.9, lambda inv: [inv.unit.parent])
        for group, cards in D.QR_CARDS.items():
            tokens = self._invite(group, [d for d in self.huyen for _ in range(cards)], None, kind="qr_card")
            example = self._answer_some(tokens, 0.4, lambda inv: [inv.unit], channel="qr")
            if group == "nguoi_dan":
                links.append(("Thẻ QR cho người dân (đánh giá một huyện)", example))
        self._paper_ballots()
        store_ballots(self.session, self.cset, self.pending)  # one batch, with the checks every ballot gets
        return links

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
                sent_at=datetime(2023, 11, 2) if kind == "personal" else None,
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
        return example

    def _paper_ballots(self) -> None:
        for d_index, district in enumerate(self.huyen, 1):
            for group, target, prefix in (("nguoi_dan", 60, "ND"), ("doanh_nghiep", 10, "DN")):
                got = self.rng.randint(int(target * 0.75), target)
                for n in range(1, got + 1):
                    roll = self.rng.random()
                    state, reason = "verified", None
                    if roll < 0.01:
                        state, reason = "rejected", "Phiếu bị tẩy xóa nhiều chỗ, không xác định được lựa chọn"
                    elif roll < 0.03:
                        state, reason = "flagged", "Chọn cùng một phương án cho mọi câu hỏi"
                    elif roll < 0.10:
                        state = "received"  # waiting for the second entry
                    self._ballot(self.groups[group].id, [district], "paper", state,
                                 serial=f"{prefix}-{d_index:02d}-{n:04d}", reason=reason)

    def _ballot(self, group_id, rated_units, channel, state, invitation=None, serial=None, reason=None) -> None:
        rng = self.rng
        group = next(g for g in self.groups.values() if g.id == group_id)
        if invitation is not None:
            invitation.opened = invitation.used = True  # the ballot itself does not say which
        # Drawn in this order so that a seed gives the same demo as before the ballot writer moved.
        client_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        day = date(2023, 11, 3) + timedelta(days=rng.randrange(55))
        duration = None if channel == "paper" else float(rng.randint(120, 1500))
        rows = []
        for unit in rated_units:
            qn = self.cset.questionnaire(unit.level, group.code)
            for item in qn.items:
                q = self.cset.question_by_key[(unit.level, item.question)]
                field_index = int(self.cset.sub_criterion_by_key[(unit.level, q.sub_criterion)].field) - 1
                quality = (
                    D.SURVEY[unit.code][field_index]
                    / self.cset.level_by_code[unit.level].field_max[str(field_index + 1)]
                )
                rows.append((unit.id, q.id, _draw(self.cset.scale_by_code[q.scale], quality, rng)))
        self.pending.append(NewBallot(
            campaign_id=self.campaign.id, client_id=client_id, group_id=group_id,
            respondent_unit_id=invitation.unit_id if invitation else rated_units[0].id, channel=channel, state=state,
            state_reason=reason, paper_serial=serial, answers=rows, submitted_on=day, duration_seconds=duration))
        self.ballot_count += 1
        self.answer_count += len(rows)


def _draw(scale: Scale, quality: float, rng: random.Random) -> str:
    """An option whose expected fraction is ``quality`` (before "don't know")."""
    dont_know = scale.dont_know_option
    if dont_know is not None and rng.random() < DONT_KNOW_RATE:
        return dont_know.code
    counted = sorted(scale.counted_options, key=lambda o: -o.fraction)
    shortfall = max(0.0, min(1.0, 1.0 - quality))
    # Spread the shortfall over the lower options (mostly "Khá"), keeping the mean exact
    # for the 1 / 0.6 / 0.2 / 0 scales; other scales get a close approximation.
    spread = [1.5, 0.25, 0.1][: len(counted) - 1]
    losses = [1.0 - (o.fraction or 0.0) for o in counted[1:]]
    norm = sum(s * loss for s, loss in zip(spread, losses)) or 1.0
    probs = [s * shortfall / norm for s in spread]
    probs.insert(0, max(0.0, 1.0 - sum(probs)))
    return rng.choices([o.code for o in counted], weights=probs)[0]
