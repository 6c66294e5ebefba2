"""Drafts encrypted at rest: AES-256-GCM under a key derived (HKDF-SHA256) from the server's
secret, the respondent's token and the respondent's resume code.

A copy of the database, or a backup, without ``SECRET_KEY`` holds no draft's answers nor
its client id: nothing in it can be matched against the ballot the draft later becomes.
The invitation id is bound to each sealed draft (associated data), so a sealed draft moved
to another invitation's row does not open. The resume code (12 letters, about 59 bits) is
given to the respondent when the draft is made and kept only in a cookie on their device and
in their hands: whoever holds the link too — an admin who exported it, an operator who holds
``SECRET_KEY`` and derives every link — cannot open the draft. Every draft's text is padded to
one size per questionnaire before it is sealed, so its length tells nothing either.
Drafts sealed before resume codes (version byte 1) open with the link alone until their
respondent comes back; they are then sealed again under a new code. See
``docs/threat-model.md``.
"""
from __future__ import annotations

import json
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = b"\x01"  # sealed under the link alone (drafts saved before resume codes)
RESUMABLE = b"\x02"  # sealed under the link and the respondent's resume code
NONCE_BYTES = 12
RESUME_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed from a phone
RESUME_LETTERS = 12  # 12 × log2(31) ≈ 59 bits


class DraftKey(bytes):
    """A draft's AES key, knowing whether a resume code went into it (the version byte it seals under)."""

    resumable: bool = False


class Unreadable(ValueError):
    """The sealed draft does not open with this key (another secret, another token, altered bytes)."""


def draft_key(secret: str, token: str, resume: str | None = None) -> DraftKey:
    """The 32-byte key of a respondent's draft: from the server's secret, the link's token and, for
    every draft saved since resume codes, the resume code only the respondent holds (a cookie on the
    device that saved it, and the code shown to them). Whoever holds the link alone — an admin who
    exported it — cannot open such a draft.

    Examples
    --------
    >>> key = draft_key("secret", "token")
    >>> len(key), key == draft_key("secret", "token"), key == draft_key("other secret", "token")
    (32, True, False)
    >>> resumable = draft_key("secret", "token", "ABCD-EFGH-JKMN")
    >>> resumable.resumable, resumable == key, resumable == draft_key("secret", "token", "abcdefghjkmn")
    (True, False, True)
    """
    info = b"parsurvey draft\0" + token.encode("utf-8")
    if resume is not None:
        info += b"\0" + normalise_resume_code(resume).encode("ascii")
    key = DraftKey(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode("utf-8")))
    key.resumable = resume is not None
    return key


def new_resume_code() -> str:
    """A fresh resume code, grouped by four for reading aloud (``ABCD-EFGH-JKMN``)."""
    letters = "".join(secrets.choice(RESUME_ALPHABET) for _ in range(RESUME_LETTERS))
    return "-".join(letters[i:i + 4] for i in range(0, RESUME_LETTERS, 4))


def normalise_resume_code(typed: str) -> str:
    """The code as typed (any case, spaces, dashes; O read as 0 is not in the alphabet) in one form.

    Examples
    --------
    >>> normalise_resume_code(" abcd efgh-jkmn ")
    'ABCDEFGHJKMN'
    """
    return "".join(ch for ch in (typed or "").upper() if ch in RESUME_ALPHABET)[:64]


def format_resume_code(typed: str) -> str:
    """The code in its printed form, grouped by four.

    Examples
    --------
    >>> format_resume_code("abcdefghjkmn")
    'ABCD-EFGH-JKMN'
    """
    code = normalise_resume_code(typed)
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def is_resumable(blob: bytes | None) -> bool:
    """Whether a sealed draft needs its respondent's resume code to open."""
    return blob is not None and bytes(blob[:1]) == RESUMABLE


def seal(key: bytes, invitation_id: int, content: dict, size: int = 0) -> bytes:
    """``content`` (JSON-able) encrypted for the draft row of ``invitation_id``, its text padded with
    spaces to ``size`` bytes first: encryption hides what a draft says, not how long it is, and answer
    codes differ in length ("tot", "trung_binh"), so equal sizes keep drafts from being told apart.

    Examples
    --------
    >>> key = draft_key("s", "t")
    >>> unseal(key, 7, seal(key, 7, {"a": 1}))
    {'a': 1}
    >>> b"tot" in seal(key, 7, {"H01": "tot"})
    False
    >>> len(seal(key, 7, {"H01": "tot"}, size=200)) == len(seal(key, 7, {"H01": "trung_binh"}, size=200))
    True
    """
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps(content, separators=(",", ":")).encode("utf-8")
    plain = plain.ljust(size, b" ")  # JSON allows trailing white space: unseal reads it as it was
    version = RESUMABLE if getattr(key, "resumable", False) else VERSION
    return version + nonce + AESGCM(bytes(key)).encrypt(nonce, plain, str(invitation_id).encode("ascii"))


def unseal(key: bytes, invitation_id: int, blob: bytes) -> dict:
    """The content of a sealed draft.

    Raises
    ------
    Unreadable
        The key or the row is not the one the draft was sealed with.
    """
    blob = bytes(blob)
    if blob[:1] not in (VERSION, RESUMABLE) or len(blob) < 1 + NONCE_BYTES + 16:
        raise Unreadable("not a sealed draft")
    nonce, body = blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:]
    try:
        plain = AESGCM(bytes(key)).decrypt(nonce, body, str(invitation_id).encode("ascii"))
    except InvalidTag as exc:
        raise Unreadable("the draft does not open with this key") from exc
    return json.loads(plain)
