"""The audit log: every change is appended with who, when, what, old and new value.

Two kinds of rows concern links in the open (see docs/threat-model.md, "Links handled in the open"):

- ``links_out``: personal links or QR cards left the server (a download, a printed sheet of cards, a
  QR image, e-mails, the demo's example links): who, which campaign, which selection, how many;
- ``link_disputed``: the holder of a used link said "Tôi không gửi phiếu này" on its "used" page; one
  row per link, naming the invitation. No ballot holds an invitation key, so the row tells which link
  someone else used, never which ballot was sent with it.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AuditEntry, Invitation

FILTERS = {"entity": AuditEntry.entity, "actor": AuditEntry.actor, "action": AuditEntry.action,
           "entity_id": AuditEntry.entity_id}


def record(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id=None,
    *,
    attribute: str | None = None,
    old_value=None,
    new_value=None,
    user_id: int | None = None,
) -> AuditEntry:
    """Append one audit entry (flushed with the caller's transaction, never alone).

    Parameters
    ----------
    actor : str
        The username, or ``cli`` / ``system`` for changes made outside a sign-in.
    action : str
        ``create``, ``update``, ``state`` ...
    entity, entity_id : str
        What was changed: ``ballot`` 42, ``campaign`` 1 ...
    """
    entry = AuditEntry(
        actor=actor,
        user_id=user_id,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        attribute=attribute,
        old_value=None if old_value is None else str(old_value),
        new_value=None if new_value is None else str(new_value),
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditPage:
    """One page of the log, newest first, and what the filters can choose from."""

    entries: list[AuditEntry]
    total: int
    page: int
    pages: int
    choices: dict[str, list[str]]  # entity, actor, action -> the values present


def audit_page(s: Session, filters: dict[str, str | None], page: int = 1, per_page: int = 100) -> AuditPage:
    """The entries matching ``filters`` (keys of :data:`FILTERS`; empty values ignored) on page ``page``.

    A page past the last gives the last page.
    """
    query = select(AuditEntry)
    for key, value in filters.items():
        if value:
            query = query.where(FILTERS[key] == value)
    total = s.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    entries = list(s.scalars(query.order_by(AuditEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)))
    choices = {key: list(s.scalars(select(FILTERS[key]).distinct().order_by(FILTERS[key])))
               for key in ("entity", "actor", "action")}
    return AuditPage(entries, total, page, pages, choices)


# --- links in the open ------------------------------------------------------------------------------

LINKS_OUT = "links_out"
LINK_DISPUTED = "link_disputed"
INVITATIONS = "invitations"  # the entity of a campaign's link rows; its id is the campaign's
RESPONDENT = "người trả lời"  # the actor of a report made on a respondent's page


def handout_text(verb: str, handed: Iterable[tuple[str, str]], selection: str) -> str:
    """How a ``links_out`` row says what left: the verb, how many links and cards, the selection and,
    when several groups are in it, how many of each.

    Parameters
    ----------
    verb : str
        What was done, in Vietnamese: ``Tải tệp Excel``, ``In``, ``Gửi thư mời`` ...
    handed : iterable of (str, str)
        ``(kind, group name)`` of each link handed out (kind ``personal`` or ``qr_card``).
    selection : str
        Which links were asked for: ``tất cả đối tượng, tất cả đơn vị``, ``đối tượng X, đơn vị Y`` ...

    Examples
    --------
    >>> handout_text("Tải tệp Excel", [("personal", "Công chức")] * 120, "tất cả đối tượng, tất cả đơn vị")
    'Tải tệp Excel 120 đường link cá nhân (tất cả đối tượng, tất cả đơn vị)'
    >>> handout_text("In", [("qr_card", "Người dân")] * 3 + [("personal", "Công chức")], "mọi loại")
    'In 1 đường link cá nhân và 3 thẻ QR (mọi loại: Người dân 3, Công chức 1)'
    """
    handed = list(handed)
    kinds = Counter(kind for kind, _group in handed)
    groups = Counter(group for _kind, group in handed)
    amounts = [f"{kinds[kind]} {words}" for kind, words in (("personal", "đường link cá nhân"),
                                                            ("qr_card", "thẻ QR")) if kinds[kind]]
    amount = " và ".join(amounts) or "0 đường link"
    split = ": " + ", ".join(f"{group} {n}" for group, n in groups.most_common()) if len(groups) > 1 else ""
    return f"{verb} {amount} ({selection}{split})"


def record_links_out(s: Session, actor: str, campaign_id: int, channel: str, text: str,
                     user_id: int | None = None) -> AuditEntry:
    """The ``links_out`` row of links or cards leaving the server, in the caller's transaction.

    Parameters
    ----------
    channel : str
        How they left (the row's attribute): ``export_xlsx``, ``reminders_csv``, ``qr_cards_print``,
        ``qr_image_png``, ``email_invitation``, ``email_reminder``, ``demo`` ...
    text : str
        What left, from :func:`handout_text`.
    """
    return record(s, actor, LINKS_OUT, INVITATIONS, campaign_id, attribute=channel, new_value=text,
                  user_id=user_id)


def _dispute_marker(invitation_id: int) -> str:
    return f"invitation {invitation_id}"


def report_disputed_link(s: Session, invitation_id: int, name_unit: bool) -> bool:
    """Record that the holder of a used link did not send its ballot; ``False`` if this link already
    reported (one report per link).

    The row names the invitation (the admin may follow up with that person), its campaign, its group
    and, when ``name_unit`` (the group rates its own unit), its unit; nothing about the ballot, which
    carries no invitation key. The invitation's row is locked first, so two reports sent at once are
    recorded once on PostgreSQL too (on SQLite the write transaction already serialises them).
    """
    invitation = s.scalar(select(Invitation).where(Invitation.id == invitation_id).with_for_update())
    marker = _dispute_marker(invitation.id)
    already = s.scalar(select(AuditEntry.id).where(
        AuditEntry.entity == INVITATIONS, AuditEntry.entity_id == str(invitation.campaign_id),
        AuditEntry.action == LINK_DISPUTED, AuditEntry.attribute == marker).limit(1))
    if already is not None:
        return False
    where = f"đối tượng {invitation.group.name}"
    if name_unit and invitation.unit is not None:
        where += f", đơn vị {invitation.unit.name}"
    record(s, RESPONDENT, LINK_DISPUTED, INVITATIONS, invitation.campaign_id, attribute=marker,
           new_value=f"Người nhận đường link số {invitation.id} ({where}) báo không tự gửi phiếu "
                     "đã gửi bằng đường link này.")
    s.flush()
    return True


def disputed_links(s: Session, campaign_id: int) -> int:
    """How many links of a campaign their holders reported as used by someone else."""
    return s.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity == INVITATIONS, AuditEntry.entity_id == str(campaign_id),
        AuditEntry.action == LINK_DISPUTED))
