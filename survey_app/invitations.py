"""Invitation tokens: 192 random bits in the link, only their SHA-256 in the database.

A QR card also carries a short code a person can type; it is stored hashed
too, and opens the same form: ``/s/<short code>`` works like ``/s/<token>``.
"""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Invitation

SHORT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud from a card


def new_token() -> str:
    """A fresh URL-safe token carrying 192 bits of randomness."""
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest stored in place of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_short_code(length: int = 8) -> str:
    """A code for a QR card that a person can type (40 bits with 8 characters)."""
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(length))


def normalise_short_code(code: str) -> str:
    """A typed short code as stored: capitals, without spaces or dashes.

    Examples
    --------
    >>> normalise_short_code(" abcd-ef 23 ")
    'ABCDEF23'
    """
    return "".join(ch for ch in code.upper() if ch.isalnum())


def hash_short_code(code: str) -> str:
    """The SHA-256 stored in place of a QR card's short code."""
    return hash_token(normalise_short_code(code))


def find_invitation(session: Session, key: str) -> Invitation | None:
    """The invitation of a link's token, or of a QR card's short code; ``None`` if neither."""
    if not key or len(key) > 128:
        return None
    found = session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(key)))
    if found is None and len(normalise_short_code(key)) <= 16:
        found = session.scalar(select(Invitation).where(Invitation.short_code_hash == hash_short_code(key)))
    return found
