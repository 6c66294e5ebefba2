"""Keyed names for what ties a respondent's link to the box: a spent marker, a draft's row id,
a submit's receipt.

Each is an HMAC-SHA256, under a key derived from ``SECRET_KEY``, of the link's token hash (which
the invitations table holds) or of the form's client id. The app computes the marker of any
invitation (to refuse a second ballot, to show who has answered, for reminders); a copy of the
database without ``SECRET_KEY`` holds only random-looking strings that reference no invitation,
so nothing in it — nor in two backups taken around a submission — says whose link was spent or
whose draft went. Markers are deleted when the campaign closes: after that nobody, with any key,
can say who answered. See ``docs/threat-model.md``.
"""
from __future__ import annotations

import functools
import hashlib
import hmac


@functools.lru_cache(maxsize=4)
def _key(secret: str) -> bytes:
    return hashlib.sha256(b"parsurvey link markers\0" + secret.encode("utf-8")).digest()


def _mac(secret: str, purpose: bytes, value: str) -> str:
    return hmac.new(_key(secret), purpose + b"\0" + value.encode("utf-8"), hashlib.sha256).hexdigest()


def spent_marker(secret: str, token_hash: str) -> str:
    """The marker a link leaves when its ballot is sent (64 hex characters).

    Examples
    --------
    >>> a = spent_marker("s" * 32, "ab" * 32)
    >>> len(a), a == spent_marker("s" * 32, "ab" * 32), a == spent_marker("t" * 32, "ab" * 32)
    (64, True, False)
    """
    return _mac(secret, b"spent", token_hash)


def draft_id(secret: str, token_hash: str) -> str:
    """The row id of a link's draft (unlike the marker: a draft row and a marker never share a value).

    Examples
    --------
    >>> draft_id("s" * 32, "ab" * 32) != spent_marker("s" * 32, "ab" * 32)
    True
    """
    return _mac(secret, b"draft", token_hash)


def receipt(secret: str, client_id: str) -> str:
    """What a spent marker keeps of the form's client id: a repeated submit of the same form (a
    double click, a retry) is told from another device's by it and gets its thank-you page again.
    Ballots get a fresh client id when the box is opened, so a receipt matches no ballot."""
    return _mac(secret, b"receipt", client_id)


def key_check(secret: str, campaign_id: int) -> str:
    """A campaign's box keeps this value of the ``SECRET_KEY`` it was made under: the server tells by it
    that its key changed (markers and drafts would no longer be recognised) and stops taking ballots."""
    return _mac(secret, b"box check", str(campaign_id))
