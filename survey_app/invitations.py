"""Invitation tokens: 192 random bits in the link, only their SHA-256 in the database."""
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


def find_invitation(session: Session, token: str) -> Invitation | None:
    """The invitation of a token from a link, or ``None``."""
    if not token or len(token) > 128:
        return None
    return session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
