"""Campaigns: open one from a criteria set, read its frozen set, its schedule, its progress.

Functions here take a session and only flush; the caller (a request or a CLI
command) commits once. Every change leaves an audit entry.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from questionnaires import (
    DEFAULT_SET_DIR,
    NEW_CAMPAIGN_SET_DIR,
    CriteriaSet,
    CriteriaSetError,
    load_criteria_set,
    load_criteria_set_from_texts,
    set_digest,
)

from ..models import CAMPAIGN_STATUSES, Answer, Ballot, Campaign, RespondentGroup, SampleTarget, Unit
from .audit import record
from .ballot_box import sealed_counts

_SETS: dict[str, CriteriaSet] = {}
NEW_CAMPAIGN_SET = NEW_CAMPAIGN_SET_DIR.name  # the bundled set the new-campaign form preselects
# What a bundled set is for, said after its name on the new-campaign form.
BUNDLED_PURPOSE = {
    NEW_CAMPAIGN_SET: "mặc định cho đợt mới",
    DEFAULT_SET_DIR.name: "dùng để tính lại các bảng đã công bố năm 2023",
}


def available_sets(extra_dirs: str | None = None) -> dict[str, Path]:
    """Criteria set folders a campaign can be opened with: the bundled ones, and every
    folder holding a ``set.yaml`` under the ``os.pathsep``-separated ``extra_dirs``
    (``PARSURVEY_SETS_DIR``)."""
    roots = [DEFAULT_SET_DIR.parent] + [Path(p) for p in (extra_dirs or "").split(os.pathsep) if p]
    found: dict[str, Path] = {}
    for root in roots:
        for folder in sorted(root.glob("*/set.yaml")):
            found.setdefault(folder.parent.name, folder.parent)
    return found


def set_names(paths: dict[str, Path]) -> dict[str, str]:
    """The name each criteria set gives itself (``name:`` in its ``set.yaml``), by folder name, as an
    admin should see it; the folder name where the set cannot be read."""
    names = {}
    for folder, path in paths.items():
        try:
            names[folder] = load_criteria_set(path).name
        except (CriteriaSetError, OSError):
            names[folder] = folder
        if folder in BUNDLED_PURPOSE and path.parent == DEFAULT_SET_DIR.parent:
            names[folder] += f" — {BUNDLED_PURPOSE[folder]}"
    return names


def preselected_source(campaigns: list[Campaign]) -> str:
    """The choice the new-campaign form starts on (and a form sent without one gets): a copy of the newest
    campaign, ``dot:<id>``, when there is one, as before; else the bundled set for new campaigns, ``bo:hai_cap``.

    Examples
    --------
    >>> preselected_source([])
    'bo:hai_cap'
    """
    return f"dot:{campaigns[0].id}" if campaigns else f"bo:{NEW_CAMPAIGN_SET}"


def create_campaign(
    session: Session, *, year: int, name: str, criteria_texts: dict[str, str], actor: str, status: str = "draft",
    province: str = "",
    cset: CriteriaSet | None = None,
) -> Campaign:
    """Open a campaign with a frozen copy of a criteria set and its respondent groups.

    Parameters
    ----------
    criteria_texts : dict
        The set's files as ``{relative path: YAML text}``
        (:func:`questionnaires.read_set_texts`); they are checked here and
        stored as they are.
    cset : CriteriaSet, optional
        The set ``criteria_texts`` make, when the caller has parsed and checked
        them already: a request does so before it takes the write lock, so the
        lock is held only while the campaign is stored.

    Raises
    ------
    questionnaires.CriteriaSetError
        If the set does not pass the validator.
    """
    if cset is None:
        cset = load_criteria_set_from_texts(criteria_texts)
    _SETS.setdefault(set_digest(criteria_texts), cset)
    campaign = Campaign(
        year=year,
        name=name,
        status=status,
        criteria_name=cset.name,
        criteria_digest=set_digest(criteria_texts),
        criteria_files=dict(criteria_texts),
        province=province,
    )
    session.add(campaign)
    for group in cset.groups:
        campaign.groups.append(RespondentGroup(code=group.code, name=group.name, reached_by=group.reached_by))
    session.flush()
    record(session, actor, "create", "campaign", campaign.id, new_value=f"{year} {name} ({cset.name})")
    return campaign


def cached_criteria(digest: str, files: Callable[[], dict]) -> CriteriaSet:
    """The criteria set of ``digest``, parsed from ``files()`` the first time this process meets it.
    A campaign's set never changes once created, so its digest names it for good."""
    found = _SETS.get(digest)
    if found is None:
        found = _SETS[digest] = load_criteria_set_from_texts(files())
    return found


def campaign_criteria(campaign: Campaign) -> CriteriaSet:
    """The criteria set frozen in a campaign (parsed once per process)."""
    return cached_criteria(campaign.criteria_digest, lambda: campaign.criteria_files)


def warm_criteria(s: Session) -> int:
    """Parse the criteria sets of every campaign not closed, so the processes forked afterwards (the web
    server's workers) start with them; returns how many sets were parsed. Without it, the first
    respondent a worker serves waits for the parse (about 0.2 s for the bundled set)."""
    rows = s.execute(select(Campaign.criteria_digest, Campaign.id).where(Campaign.status != "closed")).all()
    parsed = 0
    for digest, campaign_id in rows:
        if digest not in _SETS:
            cached_criteria(digest, lambda c=campaign_id: s.scalar(
                select(Campaign.criteria_files).where(Campaign.id == c)))
            parsed += 1
    return parsed


class CampaignError(ValueError):
    """A change a campaign cannot take; the message says why (Vietnamese)."""


def sealed(campaign: Campaign) -> bool:
    """Whether the campaign's results are sealed: every figure computed from answers, and every
    individual ballot but the paper ones being keyed, stays hidden until the campaign is closed."""
    return campaign.status != "closed"


def per_unit_visible(campaign: Campaign, how: str | Iterable[str]) -> bool:
    """Whether a group that rates its units ``how`` may have its ballots counted per unit for ``campaign``.

    While a campaign collects, a count per unit of a group that ``choose``s its units moves for
    exactly the units one respondent picked, so whoever sees the count before and after a named
    person answers learns their choice; a group that rates ``each`` unit is held to the same rule.
    Only a group that rates its ``own`` unit (known from its link anyway) is counted per unit; the
    others are counted per group, a ballot moving that count by one whatever it says. After close
    everything is counted per unit. The dashboard, the progress pages and the API all ask here.

    Parameters
    ----------
    how : str or iterable of str
        ``own``, ``each`` or ``choose``: one rule, or every rule of a group.

    Examples
    --------
    >>> collecting, closed = Campaign(status="open"), Campaign(status="closed")
    >>> per_unit_visible(collecting, "own"), per_unit_visible(collecting, {"own", "choose"})
    (True, False)
    >>> per_unit_visible(collecting, "each"), per_unit_visible(closed, "choose")
    (False, True)
    """
    rules = {how} if isinstance(how, str) else set(how)
    return campaign.status == "closed" or (bool(rules) and rules <= {"own"})


def set_schedule(s: Session, campaign: Campaign, status: str, opens_at: datetime | None,
                 closes_at: datetime | None, actor: str, double_entry: bool | None = None,
                 min_web_seconds: int | None = None, cross_district_check: bool | None = None,
                 province: str | None = None) -> None:
    """Status (draft or open), the dates links work between, the paper/review settings and the province.

    Closing is :func:`close_campaign`, and a closed campaign changes no more.

    Raises
    ------
    CampaignError
        The campaign is closed, or ``status`` is not draft or open.
    """
    if campaign.status == "closed":
        raise CampaignError("Đợt khảo sát đã kết thúc và kết quả đã mở niêm phong: không thay đổi được nữa.")
    if status not in CAMPAIGN_STATUSES or status == "closed":
        raise CampaignError("Tình trạng chỉ là “Đang chuẩn bị” hoặc “Đang khảo sát”; kết thúc đợt bằng nút riêng.")
    changes = [("status", status), ("opens_at", opens_at), ("closes_at", closes_at)]
    if double_entry is not None:
        changes.append(("double_entry", double_entry))
    if min_web_seconds is not None:
        changes.append(("min_web_seconds", min_web_seconds))
    if cross_district_check is not None:
        changes.append(("cross_district_check", cross_district_check))
    if province is not None:
        changes.append(("province", province))
    for attribute, value in changes:
        old = getattr(campaign, attribute)
        if old != value:
            setattr(campaign, attribute, value)
            record(s, actor, "update", "campaign", campaign.id, attribute=attribute, old_value=old, new_value=value)
    s.flush()


def all_campaigns(s: Session, archived: bool | None = None) -> list[Campaign]:
    """Every campaign (or only the archived, or only the others), the newest year first."""
    query = select(Campaign).order_by(Campaign.year.desc(), Campaign.id.desc())
    if archived is not None:
        query = query.where(Campaign.archived.is_(archived))
    return list(s.scalars(query))


def open_campaigns(s: Session) -> list[Campaign]:
    """The campaigns respondents can answer now (open, not archived): what the public home lists."""
    return [c for c in all_campaigns(s, archived=False) if c.status == "open"]


def set_archived(s: Session, campaign: Campaign, archived: bool, actor: str) -> None:
    """Move a campaign out of the lists (or back). Nothing is deleted: its ballots, links and results stay,
    and an archived campaign can be brought back.

    Raises
    ------
    CampaignError
        The campaign is collecting (open): close it, or set it back to draft, first.
    """
    if archived and campaign.status == "open":
        raise CampaignError("Đợt khảo sát đang thu phiếu: kết thúc hoặc chuyển về “Đang chuẩn bị” trước khi lưu trữ.")
    if campaign.archived != archived:
        campaign.archived = archived
        record(s, actor, "update", "campaign", campaign.id, attribute="archived", old_value=not archived,
               new_value=archived)
        s.flush()


def name_taken(s: Session, name: str) -> bool:
    """Whether a campaign of that name exists."""
    return bool(s.scalar(select(func.count()).select_from(Campaign).where(Campaign.name == name)))


@dataclass(frozen=True)
class GroupProgress:
    """How far a group's ballots fill the sample plan; ``covered`` is None while a group that
    chooses its units collects (:func:`group_covered`)."""

    code: str
    name: str
    ballots: int
    planned: int
    covered: int | None

    @property
    def percent(self) -> float | None:
        if self.covered is None:
            return None
        return 100.0 * self.covered / self.planned if self.planned else 0.0


@dataclass(frozen=True)
class CampaignProgress:
    campaign: Campaign
    units: dict[str, int]
    groups: list[GroupProgress]

    @property
    def ballots(self) -> int:
        return sum(g.ballots for g in self.groups)

    @property
    def level_counts(self) -> list[tuple[str, int]]:
        """(how the level's units are called, how many) for each level of the campaign's set."""
        return [(lv.units_word, self.units.get(lv.code, 0)) for lv in campaign_criteria(self.campaign).levels]


def group_total(how: set[str], targets: list[int]) -> int:
    """How many ballots a group's targets add up to, by how the group rates its units.

    A group that rates ``each`` unit of a level (provincial delegates) sends one ballot covering
    them all: its targets are the same people counted once per unit, so the total is the largest.
    A group that rates its ``own`` unit adds up. A group that ``choose``s its units adds up ratings.

    Examples
    --------
    >>> group_total({"each"}, [30, 30, 28]), group_total({"own"}, [7, 7, 7])
    (30, 21)
    """
    if not targets:
        return 0
    return max(targets) if how == {"each"} else sum(targets)


def campaign_progress(session: Session, campaign: Campaign) -> CampaignProgress:
    """Ballots per group and how much of the sample plan they cover.

    A ballot counts for every unit it rated; a unit × group cell counts at most
    its target, so an over-filled district does not hide an empty one. A group
    that rates every unit (:func:`group_total`) counts people: its plan is its
    largest target, covered by at most that many ballots. Rejected ballots do not count.
    While the campaign collects, a group that chooses its units has no coverage (None):
    see :func:`group_covered`.
    """
    cset = campaign_criteria(campaign)
    units = dict(
        session.execute(
            select(Unit.level, func.count()).where(Unit.campaign_id == campaign.id).group_by(Unit.level)
        ).all()
    )
    ballots = dict(
        session.execute(
            select(Ballot.group_id, func.count())
            .where(Ballot.campaign_id == campaign.id, Ballot.state != "rejected")
            .group_by(Ballot.group_id)
        ).all()
    )
    sealed = sealed_counts(session, campaign.id)  # respondents' ballots, in the box until close
    for group_id, n in sealed.by_group.items():
        ballots[group_id] = ballots.get(group_id, 0) + n
    received = {
        (unit_id, group_id): n
        for unit_id, group_id, n in session.execute(
            select(Answer.unit_id, Ballot.group_id, func.count(distinct(Ballot.id)))
            .join(Ballot, Answer.ballot_id == Ballot.id)
            .where(Ballot.campaign_id == campaign.id, Ballot.state != "rejected")
            .group_by(Answer.unit_id, Ballot.group_id)
        )
    }
    cells: dict[int, list[tuple[int, int]]] = {}
    for unit_id, group_id, target in session.execute(
        select(SampleTarget.unit_id, SampleTarget.group_id, SampleTarget.target).where(
            SampleTarget.campaign_id == campaign.id
        )
    ):
        cells.setdefault(group_id, []).append((target, received.get((unit_id, group_id), 0)
                                              + sealed.by_unit_group.get((unit_id, group_id), 0)))
    groups = []
    for g in campaign.groups:
        how = {rule.how for rule in cset.group_by_code[g.code].rates} if g.code in cset.group_by_code else set()
        group_cells = cells.get(g.id, [])
        planned = group_total(how, [t for t, _ in group_cells])
        n = ballots.get(g.id, 0)
        groups.append(GroupProgress(g.code, g.name, n, planned, group_covered(campaign, how, planned, n, group_cells)))
    return CampaignProgress(campaign, units, groups)


def group_covered(campaign: Campaign, how: set[str], planned: int, ballots: int,
                  cells: list[tuple[int, int]]) -> int | None:
    """How much of a group's plan its ballots cover, from what :func:`per_unit_visible` lets us count.

    A group that rates ``each`` unit covers its plan (people) with its ballots. Other groups cover
    it cell by cell, each (target, received) cell at most its target; while collecting, that is
    known only for groups that rate their own unit: a group that chooses would move by how many
    units, and which of them, one person picked, so its coverage is None until close.

    Examples
    --------
    >>> collecting = Campaign(status="open")
    >>> group_covered(collecting, {"each"}, 30, 12, []), group_covered(collecting, {"own"}, 9, 5, [(4, 5), (5, 2)])
    (12, 6)
    >>> group_covered(collecting, {"choose"}, 9, 5, [(4, 5), (5, 2)]) is None
    True
    """
    if how == {"each"}:
        return min(planned, ballots)
    if not per_unit_visible(campaign, how):
        return None
    return sum(min(t, n) for t, n in cells)


# (code, column header, how a sentence says it)
CHANNELS = (("web", "Đường link", "qua đường link"), ("qr", "Thẻ QR", "qua thẻ QR"),
            ("paper", "Phiếu giấy", "phát trực tiếp (phiếu giấy)"), ("api", "Nhập qua API", "nhập qua API"))


@dataclass(frozen=True)
class GroupCount:
    """One row of the report's overview: a group's counted ballots (people) by channel, the ratings they
    give (ballot × unit rated: a delegate rating 19 departments gives 19), and the plan in ratings
    (the sum of its unit × group targets) with how many of them are covered (each cell at most its target)."""

    name: str
    by_channel: dict[str, int]
    total: int
    ratings: int
    planned: int
    covered: int

    @property
    def percent(self) -> float | None:
        return 100.0 * self.covered / self.planned if self.planned else None


def ballot_counts(session: Session, campaign: Campaign) -> list[GroupCount]:
    """Per group of the campaign, its counted ballots (not rejected) by channel (:data:`CHANNELS`), its
    ratings, and its plan and coverage counted in ratings, so that the rows add up to a total row."""
    by_channel: dict[str, dict[str, int]] = {}
    for code, channel, n in session.execute(
            select(RespondentGroup.code, Ballot.channel, func.count())
            .join(RespondentGroup, Ballot.group_id == RespondentGroup.id)
            .where(Ballot.campaign_id == campaign.id, Ballot.state != "rejected")
            .group_by(RespondentGroup.code, Ballot.channel)):
        by_channel.setdefault(code, {})[channel] = n
    received = {(unit_id, group_id): n for unit_id, group_id, n in session.execute(
        select(Answer.unit_id, Ballot.group_id, func.count(distinct(Ballot.id)))
        .join(Ballot, Answer.ballot_id == Ballot.id)
        .where(Ballot.campaign_id == campaign.id, Ballot.state != "rejected")
        .group_by(Answer.unit_id, Ballot.group_id))}
    ratings: dict[int, int] = {}
    for (_unit_id, group_id), n in received.items():
        ratings[group_id] = ratings.get(group_id, 0) + n
    planned: dict[int, int] = {}
    covered: dict[int, int] = {}
    for unit_id, group_id, target in session.execute(
            select(SampleTarget.unit_id, SampleTarget.group_id, SampleTarget.target)
            .where(SampleTarget.campaign_id == campaign.id)):
        planned[group_id] = planned.get(group_id, 0) + target
        covered[group_id] = covered.get(group_id, 0) + min(target, received.get((unit_id, group_id), 0))
    out = []
    for g in campaign.groups:
        channels = by_channel.get(g.code, {})
        out.append(GroupCount(g.name, channels, sum(channels.values()), ratings.get(g.id, 0),
                              planned.get(g.id, 0), covered.get(g.id, 0)))
    return out
