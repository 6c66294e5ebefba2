"""``parsurvey demo``: a whole demo province in an empty database, from a seeded generator.

Everything is simulated but shaped like the real 2023 survey of seed 001: the 19
departments and 8 districts, a few communes each, the sample plan, personal links, QR
cards, paper ballots with printed serials in every review state, and appraisal points.
Four campaigns: last year's (2023), closed, so its reports show; this year's (2024),
collecting, to which the first example links belong: its results are sealed, some of its
respondents have answered, some are half-way (encrypted drafts), and paper ballots of Ba
Bể wait for their second keying; the merged province's first two-tier campaign (2026,
:mod:`.two_tier`), copied from 2024 across the 2025 reform, collecting; and the merged province's
SIPAS survey of 2026 (:mod:`.sipas`), respondents drawn from the one-stop shops' dossiers, closed.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from questionnaires import DEFAULT_SET_DIR, read_set_texts

from ..models import Appraisal, Campaign, CommuneResult, PreviousResult, SampleTarget, Unit, User
from ..services.audit import record
from ..services.campaigns import campaign_criteria, create_campaign
from ..services.closing import close_campaign
from ..services.users import create_user
from . import data as D
from .simulator import Simulator
from .sipas import build_sipas
from .two_tier import build_two_tier, succession_file

CAMPAIGN_NAME = "Điều tra XHH Chỉ số CCHC năm 2023 (dữ liệu mẫu)"
CURRENT_NAME = "Điều tra XHH Chỉ số CCHC năm 2024 (dữ liệu mẫu, đang thu phiếu)"
# Share of each group that has answered: all of last year's survey, part of this year's so far.
LAST_YEAR = {"hdnd_tinh": 0.88, "cc_so": 0.85, "ldp_huyen": 0.82, "hdnd_huyen": 0.86, "ld_xa": 0.9, "qr": 0.4}
THIS_YEAR = {"hdnd_tinh": 0.35, "cc_so": 0.4, "ldp_huyen": 0.3, "hdnd_huyen": 0.45, "ld_xa": 0.5, "qr": 0.15}
HALF_WAY = 0.15  # of this year's links not answered: opened and half answered (a sealed draft)


@dataclass
class DemoAccess:
    """What a person needs to try the demo: logins and example respondent links."""

    password: str
    users: list[tuple[str, str]] = field(default_factory=list)  # (username, role)
    links: list[tuple[str, str]] = field(default_factory=list)  # (description, path)
    ballots: int = 0
    answers: int = 0
    succession: bytes = b""  # the 2026 campaign's succession file, to try the copy across the reform
    printed: list[tuple[int, int]] = field(default_factory=list)  # (campaign id, example links of it)


def database_is_empty(session: Session) -> tuple[bool, str]:
    """Whether the demo may run, and what is there if not."""
    campaigns = session.scalar(select(func.count()).select_from(Campaign))
    users = session.scalar(select(func.count()).select_from(User))
    return campaigns == 0 and users == 0, f"{campaigns} đợt khảo sát, {users} người dùng"


PROVINCE = "Tỉnh Bắc Kạn"


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
    texts = read_set_texts(DEFAULT_SET_DIR)
    last = create_campaign(session, year=2023, name=CAMPAIGN_NAME, criteria_texts=texts, actor="demo", status="open",
                           province=PROVINCE)
    last.opens_at, last.closes_at = datetime(2023, 11, 1), datetime(2023, 12, 31)
    cset = campaign_criteria(last)
    units = _create_units(session, last)
    _create_sample_plan(session, last, units, {g.code: g for g in last.groups})
    _create_appraisals(session, last, units)
    _create_results(session, last, units)
    sim = Simulator(session, last, cset, units, {g.code: g for g in last.groups}, rng, secret)
    sim.run(LAST_YEAR)
    sim.paper_ballots()
    sim.flush()

    current = create_campaign(session, year=2024, name=CURRENT_NAME, criteria_texts=texts, actor="demo",
                              status="open", province=PROVINCE)
    current.opens_at = datetime(2024, 11, 1)  # no closing date: the demo links stay open to try
    current_units = _create_units(session, current)
    _create_sample_plan(session, current, current_units, {g.code: g for g in current.groups})
    access = DemoAccess(password=secrets.token_urlsafe(9))
    access.users = _create_users(session, access.password)
    now = Simulator(session, current, cset, current_units, {g.code: g for g in current.groups}, rng, secret)
    access.links = now.run(THIS_YEAR, half_way=HALF_WAY)
    now.flush()
    now.paper_being_keyed(session.scalar(select(User).where(User.username == "nhaplieu1")),
                          session.scalar(select(User).where(User.username == "nhaplieu2")))
    close_campaign(session, last, "demo", secret=secret)
    merged, two_tier = build_two_tier(session, current, rng, secret)
    access.printed = [(current.id, len(access.links)), (two_tier.id, len(merged.links))]
    access.links += merged.links
    access.succession = succession_file(current)
    # The SIPAS campaign draws from its own generator: the campaigns above keep the data they had without it.
    satisfaction, _sipas = build_sipas(session, random.Random(seed + 1), secret)
    made = (sim, now, merged, satisfaction)
    access.ballots = sum(m.ballot_count for m in made)
    access.answers = sum(m.answer_count for m in made)
    record(session, "demo", "create", "demo", last.id,
           new_value=" + ".join(str(m.ballot_count) for m in made) + f" phiếu mẫu (seed {seed})")
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
    """Appraisal totals such that appraisal + published survey points = published index; and, where the set
    gives per-field appraisal maxima, the total split over the fields in proportion to them (an invented split,
    the published report gives no unit's appraisal per field), adding up to the total to the thousandth."""
    cset = campaign_criteria(campaign)
    for code, final in D.FINAL.items():
        unit = units[code]
        total = round(final - round(sum(D.SURVEY[code]), 3), 3)
        session.add(Appraisal(campaign_id=campaign.id, unit_id=unit.id, field="total", points=total))
        maxima = dict(cset.level_by_code[unit.level].field_appraisal_max)
        if not maxima:
            continue
        whole = sum(maxima.values())
        codes = list(maxima)
        parts = [round(total * maxima[c] / whole, 3) for c in codes[:-1]]
        parts.append(round(total - sum(parts), 3))
        for field_code, points in zip(codes, parts):
            session.add(Appraisal(campaign_id=campaign.id, unit_id=unit.id, field=field_code, points=points))


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


# The demo's people (user name, full name, role, units); the two data-entry staff cover Ba Bể in every campaign.
USERS = (
    ("admin", "Quản trị viên Sở Nội vụ", "admin", ()),
    ("phantich", "Chuyên viên phân tích", "analyst", ()),
    ("nhaplieu1", "Nhập liệu huyện Ba Bể (1)", "staff", ("ba_be",)),
    ("nhaplieu2", "Nhập liệu huyện Ba Bể (2)", "staff", ("ba_be",)),
)


def _create_users(session, password) -> list[tuple[str, str]]:
    """Create :data:`USERS`; their (user name, role)."""
    for username, full_name, role, scope in USERS:
        create_user(session, username, password, role, full_name=full_name, unit_codes=scope, actor="demo")
    return [(p[0], p[2]) for p in USERS]


