"""Printing at scale: every QR card and paper ballot the sample plan still lacks, issued in one step.

A province of 90 communes would otherwise print its cards and ballots one unit × group at a time.
:func:`issue_missing` issues, in the caller's one transaction, every card and serial missing against
the plan for the groups reached on paper or by QR (optionally only a level, a group, a unit or one
medium), and says which it made (:class:`BulkIssue`, ranges per unit × group, never a list per card);
the caller commits, then reads them back unit by unit (:func:`cards_of`, :func:`serials_of`) to print.

A cell is reconciled against the plan once, both media together (issue 30): a unit × group planned
for T people has T QR cards not revoked and paper serials in all, since each person takes one or the
other. What a cell lacks goes to the medium its group is reached by (cards for ``qr``, ballots for
``paper``, half each for ``mixed``, the odd one a card), or all to the one medium chosen. A cell
already at its target gets nothing; a second bulk issue right after the first issues nothing.

A reprint (:func:`reprint_counts`) prints again what was issued and can still be used: QR cards
neither answered nor revoked, serials printed and not yet keyed. It issues nothing new; the caller
audits it (:func:`record_reprint`). No audit text holds a token or a card's code.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ..models import Campaign, Invitation, PaperSerial, RespondentGroup, SpentLink, Unit, utcnow
from .audit import record, record_links_out
from .campaigns import campaign_criteria
from .invitations import issue_link
from .markers import spent_marker
from .serials import make_serial
from .units import rated_pairs, targets

MEDIA = ("qr", "paper")
PRINTED_BY = ("paper", "qr", "mixed")  # how a group is reached when it gets cards and paper ballots


@dataclass(frozen=True)
class PrintFilter:
    """Which part of the campaign to print: a level code, a group code, a unit code ("" = every one),
    and the media (``qr`` cards, ``paper`` ballots)."""

    level: str = ""
    group: str = ""
    unit: str = ""
    media: tuple[str, ...] = MEDIA

    def words(self, campaign: Campaign) -> str:
        """The filter in Vietnamese, for messages and the audit log.

        Examples
        --------
        >>> PrintFilter().words(None)
        'mọi cấp, mọi đối tượng, mọi đơn vị, thẻ QR và phiếu giấy'
        """
        level = group = unit = None
        if campaign is not None:
            cset = campaign_criteria(campaign)
            level = cset.level_by_code[self.level].name.lower() if self.level in cset.level_by_code else None
            group = next((g.name for g in campaign.groups if g.code == self.group), None)
            unit = next((u.name for u in campaign.units if u.code == self.unit), None)
        media = {("qr",): "chỉ thẻ QR", ("paper",): "chỉ phiếu giấy"}.get(tuple(self.media), "thẻ QR và phiếu giấy")
        return ", ".join([level or "mọi cấp", f"đối tượng {group}" if group else "mọi đối tượng",
                          unit or "mọi đơn vị", media])


@dataclass(frozen=True)
class Cell:
    """A unit × group of the plan in the filter: its target, its cards not revoked, its serials."""

    unit: Unit
    group: RespondentGroup
    target: int
    cards: int
    serials: int
    reach: str = "paper"

    @property
    def lacking(self) -> int:
        """How many cards and ballots together the plan still lacks here (never below 0)."""
        return max(0, self.target - self.cards - self.serials)

    def missing(self, medium: str, media: tuple[str, ...] = MEDIA) -> int:
        """How many of ``medium`` an issue of ``media`` makes here: what the cell lacks, all of it when one
        medium is chosen, else shared by how the group is reached (``mixed``: half each, the odd one a card).

        Examples
        --------
        >>> cell = Cell(None, None, 7, 1, 1, "mixed")
        >>> cell.missing("qr"), cell.missing("paper"), cell.missing("paper", ("paper",))
        (3, 2, 5)
        """
        if medium not in media:
            return 0
        if len(media) == 1:
            return self.lacking
        cards = {"qr": self.lacking, "paper": 0}.get(self.reach, (self.lacking + 1) // 2)
        return cards if medium == "qr" else self.lacking - cards


def printed_groups(campaign: Campaign) -> list[RespondentGroup]:
    """The campaign's groups that get QR cards and paper ballots (reached on paper, by QR, or both)."""
    cset = campaign_criteria(campaign)
    return [g for g in campaign.groups if cset.group_by_code[g.code].reached_by in PRINTED_BY]


def pairs_in(campaign: Campaign, flt: PrintFilter) -> list[tuple[Unit, RespondentGroup]]:
    """The (unit, group) pairs a card or ballot can be printed for, in the filter, in print order
    (levels as the set lists them, units under their parent, groups as added)."""
    groups = [g for g in printed_groups(campaign) if not flt.group or g.code == flt.group]
    return [(u, g) for u, g in rated_pairs(campaign, groups)
            if (not flt.level or u.level == flt.level) and (not flt.unit or u.code == flt.unit)]


def _counts(s: Session, query) -> dict[tuple[int, int], int]:
    return {(u, g): n for u, g, n in s.execute(query)}


def plan_cells(s: Session, campaign: Campaign, flt: PrintFilter) -> list[Cell]:
    """The cells of the plan with a target in the filter, with what each already has (three statements)."""
    planned = targets(s, campaign)
    cards = _counts(s, select(Invitation.unit_id, Invitation.group_id, func.count()).where(
        Invitation.campaign_id == campaign.id, Invitation.kind == "qr_card", Invitation.revoked.is_(False))
        .group_by(Invitation.unit_id, Invitation.group_id))
    serials = _counts(s, select(PaperSerial.unit_id, PaperSerial.group_id, func.count()).where(
        PaperSerial.campaign_id == campaign.id).group_by(PaperSerial.unit_id, PaperSerial.group_id))
    reach = {g.code: cset_group.reached_by for g in campaign.groups
             if (cset_group := campaign_criteria(campaign).group_by_code.get(g.code)) is not None}
    return [Cell(u, g, planned[(u.id, g.id)], cards.get((u.id, g.id), 0), serials.get((u.id, g.id), 0),
                 reach.get(g.code, "paper"))
            for u, g in pairs_in(campaign, flt) if planned.get((u.id, g.id))]


@dataclass(frozen=True)
class Shortfall:
    """What the plan lacks in a filter: QR cards, paper serials, and in how many unit × group cells."""

    cards: int
    serials: int
    cells: int


def shortfall(cells: list[Cell], media: tuple[str, ...] = MEDIA) -> Shortfall:
    """The totals of :func:`plan_cells` still missing, for the chosen media."""
    cards = sum(c.missing("qr", media) for c in cells)
    serials = sum(c.missing("paper", media) for c in cells)
    return Shortfall(cards, serials, sum(1 for c in cells if c.lacking))


@dataclass(frozen=True)
class IssuedCell:
    """What one bulk issue made for a unit × group: card ids and serials, each a closed range."""

    unit_id: int
    group_id: int
    cards: int = 0
    first_card: int = 0
    last_card: int = 0
    serials: int = 0
    first_serial: str = ""
    last_serial: str = ""


@dataclass(frozen=True)
class BulkIssue:
    """A bulk issue: the cells it made something for, in print order, and the totals."""

    cells: tuple[IssuedCell, ...]
    cards: int
    serials: int


def _lock(s: Session, campaign: Campaign) -> None:
    """Serialise bulk issues of a campaign (PostgreSQL; SQLite's write lock already does)."""
    s.execute(select(Campaign.id).where(Campaign.id == campaign.id).with_for_update())


def issue_missing(s: Session, campaign: Campaign, flt: PrintFilter, secret: str, actor: str,
                  user_id: int | None = None) -> BulkIssue:
    """Issue every QR card and paper serial the plan lacks in the filter, in the caller's transaction.

    Rows are inserted a cell at a time (no ORM object per card), so memory does not grow with the
    number of cards. Writes one audit row per medium issued and, for cards, the ``links_out`` row of
    the print page they leave on; none holds a token or a code.

    Returns
    -------
    BulkIssue
        Empty (``cards == serials == 0``) when nothing was missing.
    """
    _lock(s, campaign)
    cells = plan_cells(s, campaign, flt)
    number = s.scalar(select(func.count()).select_from(PaperSerial).where(PaperSerial.campaign_id == campaign.id))
    now = utcnow()
    issued, handed = [], Counter()
    for cell in cells:
        cards, serials = cell.missing("qr", flt.media), cell.missing("paper", flt.media)
        if not cards and not serials:
            continue
        ids = []
        if cards:
            rows = []
            for _ in range(cards):
                link = issue_link(secret, qr_card=True)
                rows.append({"campaign_id": campaign.id, "group_id": cell.group.id, "unit_id": cell.unit.id,
                             "kind": "qr_card", "token_hash": link.token_hash, "token_salt": link.salt,
                             "short_code_hash": link.short_code_hash, "created_at": now, "revoked": False})
            ids = list(s.scalars(insert(Invitation).returning(Invitation.id), rows))
            handed[cell.group.name] += cards
        first = make_serial(campaign.id, number + 1)
        if serials:
            s.execute(insert(PaperSerial), [
                {"campaign_id": campaign.id, "serial": make_serial(campaign.id, number + i), "unit_id": cell.unit.id,
                 "group_id": cell.group.id, "status": "printed", "printed_at": now} for i in range(1, serials + 1)])
            number += serials
        last = make_serial(campaign.id, number)
        issued.append(IssuedCell(cell.unit.id, cell.group.id, cards, min(ids, default=0), max(ids, default=0),
                                 serials, first if serials else "", last if serials else ""))
    result = BulkIssue(tuple(issued), sum(c.cards for c in issued), sum(c.serials for c in issued))
    selection = flt.words(campaign)
    cells_cards = sum(1 for c in issued if c.cards)
    cells_serials = sum(1 for c in issued if c.serials)
    if result.cards:
        record(s, actor, "create", "invitations", campaign.id, user_id=user_id,
               new_value=f"{result.cards} thẻ QR in hàng loạt cho {cells_cards} ô đơn vị × đối tượng ({selection})")
        record_links_out(s, actor, campaign.id, "qr_cards_bulk_print", f"In hàng loạt {result.cards} thẻ QR "
                         f"({selection}: " + ", ".join(f"{g} {n}" for g, n in handed.items()) + ")", user_id=user_id)
    if result.serials:
        record(s, actor, "create", "paper_serials", campaign.id, user_id=user_id,
               new_value=f"{result.serials} phiếu giấy in hàng loạt cho {cells_serials} ô đơn vị × đối tượng "
                         f"({selection}): {issued_range(issued)}")
    return result


def issued_range(issued) -> str:
    """The first and last serial of a bulk issue, ``first..last``."""
    serials = [c for c in issued if c.serials]
    return f"{serials[0].first_serial}..{serials[-1].last_serial}" if serials else ""


@dataclass(frozen=True)
class CardRow:
    """A QR card to print: what derives its link, and its group."""

    id: int
    group_id: int
    token_salt: str | None
    token_hash: str


def _card_query(campaign_id: int, unit_id: int, group_ids):
    return (select(Invitation.id, Invitation.group_id, Invitation.token_salt, Invitation.token_hash)
            .where(Invitation.campaign_id == campaign_id, Invitation.unit_id == unit_id,
                   Invitation.group_id.in_(group_ids), Invitation.kind == "qr_card", Invitation.revoked.is_(False))
            .order_by(Invitation.group_id, Invitation.id))


def cards_of(s: Session, campaign_id: int, unit_id: int, cells: list[IssuedCell] | None, group_ids,
             spent: set[str] | None = None, secret: str = "") -> list[CardRow]:
    """One unit's QR cards to print: those of a bulk issue (``cells``), or, for a reprint (``cells`` None),
    every card of ``group_ids`` neither revoked nor answered (``spent``: the campaign's spent markers)."""
    if cells is not None:
        rows = []
        for c in cells:
            if c.unit_id == unit_id and c.cards:
                rows += s.execute(_card_query(campaign_id, unit_id, [c.group_id]).where(
                    Invitation.id.between(c.first_card, c.last_card))).all()
        return [CardRow(*row) for row in rows]
    rows = s.execute(_card_query(campaign_id, unit_id, list(group_ids))).all()
    return [CardRow(*row) for row in rows if not (spent and spent_marker(secret, row.token_hash) in spent)]


def serials_of(s: Session, campaign_id: int, unit_id: int, cells: list[IssuedCell] | None,
               group_ids) -> list[tuple[str, int]]:
    """One unit's paper serials to print as ``(serial, group id)``: those of a bulk issue, or, for a
    reprint, every serial of ``group_ids`` printed and not yet keyed."""
    query = select(PaperSerial.serial, PaperSerial.group_id).where(PaperSerial.campaign_id == campaign_id,
                                                                   PaperSerial.unit_id == unit_id)
    if cells is None:
        return [tuple(r) for r in s.execute(query.where(PaperSerial.group_id.in_(list(group_ids)),
                                                        PaperSerial.status == "printed")
                                            .order_by(PaperSerial.group_id, PaperSerial.serial))]
    rows = []
    for c in cells:
        if c.unit_id == unit_id and c.serials:
            rows += s.execute(query.where(PaperSerial.group_id == c.group_id,
                                          PaperSerial.serial.between(c.first_serial, c.last_serial))
                              .order_by(PaperSerial.serial)).all()
    return [tuple(r) for r in rows]


@dataclass(frozen=True)
class Reprint:
    """What a reprint of a filter prints: unused QR cards and unkeyed serials, and their units in order."""

    cards: int
    serials: int
    units: tuple[int, ...]
    group_ids: tuple[int, ...]


def reprint_counts(s: Session, campaign: Campaign, flt: PrintFilter, secret: str) -> Reprint:
    """Count what a reprint of the filter would print (cards neither answered nor revoked, serials not
    yet keyed), without changing anything."""
    pairs = pairs_in(campaign, flt)
    units = tuple(dict.fromkeys(u.id for u, _g in pairs))
    group_ids = tuple(dict.fromkeys(g.id for _u, g in pairs))
    wanted = {(u.id, g.id) for u, g in pairs}
    cards = serials = 0
    if "qr" in flt.media and wanted:
        spent = spent_markers(s, campaign.id)
        for unit_id, group_id, token_hash in s.execute(select(Invitation.unit_id, Invitation.group_id,
                                                              Invitation.token_hash).where(
                Invitation.campaign_id == campaign.id, Invitation.kind == "qr_card", Invitation.revoked.is_(False))):
            if (unit_id, group_id) in wanted and not (spent and spent_marker(secret, token_hash) in spent):
                cards += 1
    if "paper" in flt.media and wanted:
        for unit_id, group_id, n in s.execute(select(PaperSerial.unit_id, PaperSerial.group_id, func.count()).where(
                PaperSerial.campaign_id == campaign.id, PaperSerial.status == "printed")
                .group_by(PaperSerial.unit_id, PaperSerial.group_id)):
            serials += n if (unit_id, group_id) in wanted else 0
    return Reprint(cards, serials, units, group_ids)


def record_reprint(s: Session, campaign: Campaign, flt: PrintFilter, reprint: Reprint, actor: str,
                   user_id: int | None = None) -> None:
    """Audit a reprint (who, which filter, how many), and the ``links_out`` row of its cards."""
    selection = flt.words(campaign)
    record(s, actor, "reprint", "invitations", campaign.id, user_id=user_id, attribute="bulk_print",
           new_value=f"In lại {reprint.cards} thẻ QR và {reprint.serials} phiếu giấy đã phát hành ({selection})")
    if reprint.cards:
        record_links_out(s, actor, campaign.id, "qr_cards_reprint", f"In lại {reprint.cards} thẻ QR ({selection})",
                         user_id=user_id)


def spent_markers(s: Session, campaign_id: int) -> set[str]:
    """The campaign's spent markers (a card whose marker is here was answered); empty after close."""
    return set(s.scalars(select(SpentLink.marker).where(SpentLink.campaign_id == campaign_id)))


def cell_of(s: Session, campaign: Campaign, unit: Unit, group: RespondentGroup) -> Cell:
    """One unit × group's cell: its target (0 when the plan has none) and what it already has."""
    cells = [c for c in plan_cells(s, campaign, PrintFilter(unit=unit.code, group=group.code))
             if c.unit.id == unit.id and c.group.id == group.id]
    if cells:
        return cells[0]
    reach = campaign_criteria(campaign).group_by_code[group.code].reached_by \
        if group.code in campaign_criteria(campaign).group_by_code else "paper"
    return Cell(unit, group, 0, 0, 0, reach)


class OverPlan(ValueError):
    """An issue past what the plan lacks, without a reason: the message says how many and what to do."""


def check_over_plan(cell: Cell, count: int, reason: str, what: str) -> int:
    """How many of ``count`` go past what ``cell`` lacks; refused (:class:`OverPlan`) without a reason.
    A cell the plan gives no target is not reconciled (nothing to go past).

    Examples
    --------
    >>> check_over_plan(Cell(None, None, 60, 61, 0), 5, "in hỏng 5 phiếu", "thẻ QR")
    5
    >>> check_over_plan(Cell(None, None, 0, 3, 0), 5, "", "thẻ QR")
    0
    """
    if not cell.target:
        return 0
    extra = count - min(count, cell.lacking)
    if extra and not reason.strip():
        issued = cell.cards + cell.serials
        raise OverPlan(f"Kế hoạch mẫu của ô này là {cell.target} người, đã phát hành {issued} (thẻ QR và phiếu "
                       f"giấy): in thêm {count} {what} thì {extra} vượt kế hoạch. Ghi lý do phát hành vượt kế hoạch "
                       "(ví dụ: thay phiếu in hỏng) rồi bấm lại, hoặc giảm số lượng.")
    return extra


def record_over_plan(s: Session, campaign: Campaign, cell: Cell, what: str, count: int, extra: int, reason: str,
                     actor: str, user_id: int | None = None) -> None:
    """Audit an issue past the plan, with its reason (the unit and group in words)."""
    record(s, actor, "over_plan", "invitations" if what == "thẻ QR" else "paper_serials", campaign.id,
           user_id=user_id, attribute="ly_do",
           new_value=f"{count} {what} cho {cell.unit.name} — {cell.group.name}, {extra} vượt kế hoạch "
                     f"{cell.target} (đã có {cell.cards + cell.serials}). Lý do: {reason.strip()}")


def record_paper_reprint(s: Session, campaign: Campaign, serials: list[str], words: str, actor: str,
                         user_id: int | None = None) -> None:
    """Audit a reprint of paper ballots already issued (how many, which, the first and last)."""
    record(s, actor, "reprint", "paper_serials", campaign.id, user_id=user_id, attribute="paper_print",
           new_value=f"In lại {len(serials)} phiếu giấy đã phát hành ({words}): "
                     f"{', '.join(serials[:20])}{' …' if len(serials) > 20 else ''}")
