"""Who holds a campaign's box key (issue 25, item 3): what the admin's "Hòm phiếu" page shows, and
the setting that keeps the key under the Department's passphrase instead of ``SECRET_KEY``.

By default a campaign's box is made when its first online ballot arrives, its private key wrapped
under a key derived from ``SECRET_KEY`` (:func:`.ballot_box.ensure_box`). Before that first ballot,
an admin may have the box made under a passphrase the Department keeps (:func:`keep_under_passphrase`);
the server keeps no copy of it, so an operator holding the database and ``SECRET_KEY`` together
opens no envelope before close, and the passphrase is typed again to close. Once the box holds an
envelope the choice is fixed: the envelopes are sealed to the key it has.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ..models import BallotBox, Campaign
from . import ballot_box
from .audit import record
from .box import normalise_passphrase
from .users import password_problem


class BoxKeyError(ValueError):
    """The box key cannot be kept as asked; the message says why (in Vietnamese)."""


@dataclass(frozen=True)
class BoxState:
    """What a campaign's box is, for its page."""

    how: str | None  # "secret", "passphrase", or None: no box yet (made under SECRET_KEY with the first ballot)
    fingerprint: str | None
    envelopes: int
    closed: bool

    @property
    def can_change(self) -> bool:
        """Whether the Department's passphrase can still be set: the campaign is not closed and its box
        holds no envelope."""
        return not self.closed and self.envelopes == 0


def box_state(s: Session, campaign: Campaign) -> BoxState:
    """How the campaign's box key is kept, its fingerprint and how many sealed ballots the box holds."""
    row = s.execute(select(BallotBox.how, BallotBox.public).where(BallotBox.campaign_id == campaign.id)).first()
    return BoxState(how=row.how if row else None,
                    fingerprint=ballot_box.fingerprint(bytes(row.public)) if row else None,
                    envelopes=ballot_box.envelope_count(s, campaign.id), closed=campaign.status == "closed")


def passphrase_problem(passphrase: str) -> str | None:
    """Why ``passphrase`` cannot keep a box (Vietnamese, a full sentence), or None. The rules are those of
    account passwords (:func:`.users.password_problem`), applied to the passphrase as the key is derived
    from it (:func:`.box.normalise_passphrase`).

    Examples
    --------
    >>> passphrase_problem("123456789012")
    'Mật khẩu quá dễ đoán (từ hay mật khẩu phổ biến, chuỗi lặp hay liên tiếp): hãy dùng một câu dài.'
    >>> passphrase_problem("  trâu cày ruộng bậc thang Pác Nặm  ") is None
    True
    """
    problem = password_problem(normalise_passphrase(passphrase))
    return None if problem is None else problem[:1].upper() + problem[1:] + "."


def keep_under_passphrase(s: Session, campaign: Campaign, passphrase: str, actor: str,
                          user_id: int | None = None, secret: str | None = None) -> str:
    """Make the campaign's box with its private key wrapped under the Department's ``passphrase``
    (:func:`.ballot_box.keep_under_passphrase`) and audit it (the passphrase appears nowhere but in the
    key; the audit row gives the key's fingerprint). Returns the fingerprint, for the key sheet.

    On PostgreSQL the box table is locked first, so a respondent's ballot sealed at the same moment is
    either in the box before the count (and the change refused) or sealed after it to the new key; on
    SQLite the request's write transaction already holds the database's write lock.

    Raises
    ------
    BoxKeyError
        The campaign is closed, the passphrase is too weak, or the box holds envelopes already.
    """
    if campaign.status == "closed":
        raise BoxKeyError("Đợt khảo sát đã kết thúc: hòm phiếu đã được mở, không đổi cách giữ khoá được nữa.")
    problem = passphrase_problem(passphrase)
    if problem:
        raise BoxKeyError(problem)
    if s.get_bind().dialect.name == "postgresql":
        # A respondent's transaction reads the box's public key before it inserts its envelope: this lock
        # waits for those under way and holds back new ones until the new key is committed.
        s.execute(text("LOCK TABLE ballot_boxes IN ACCESS EXCLUSIVE MODE"))
    old = ballot_box.box_kind(s, campaign.id)
    try:
        public = ballot_box.keep_under_passphrase(s, campaign.id, normalise_passphrase(passphrase), secret)
    except ValueError as exc:
        raise BoxKeyError(str(exc)) from exc
    fingerprint = ballot_box.fingerprint(public)
    record(s, actor, "update", "ballot_box", campaign.id, user_id=user_id, attribute="how",
           old_value=old or "secret (chưa tạo)", new_value=f"passphrase; dấu vân tay khoá {fingerprint}")
    s.flush()
    return fingerprint
