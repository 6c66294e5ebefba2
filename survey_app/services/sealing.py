"""Drafts encrypted at rest: AES-256-GCM under a key derived (HKDF-SHA256) from the server's
secret and the respondent's token.

A copy of the database, or a backup, without ``SECRET_KEY`` holds no draft's answers nor
its client id: nothing in it can be matched against the ballot the draft later becomes.
The invitation id is bound to each sealed draft (associated data), so a sealed draft moved
to another invitation's row does not open. Whoever holds the secret key can derive every
link and so open every draft: see ``docs/threat-model.md``.
"""
from __future__ import annotations

import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = b"\x01"
NONCE_BYTES = 12


class Unreadable(ValueError):
    """The sealed draft does not open with this key (another secret, another token, altered bytes)."""


def draft_key(secret: str, token: str) -> bytes:
    """The 32-byte key of a respondent's draft.

    Examples
    --------
    >>> key = draft_key("secret", "token")
    >>> len(key), key == draft_key("secret", "token"), key == draft_key("other secret", "token")
    (32, True, False)
    """
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"parsurvey draft\0" + token.encode("utf-8"))
    return hkdf.derive(secret.encode("utf-8"))


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
    return VERSION + nonce + AESGCM(key).encrypt(nonce, plain, str(invitation_id).encode("ascii"))


def unseal(key: bytes, invitation_id: int, blob: bytes) -> dict:
    """The content of a sealed draft.

    Raises
    ------
    Unreadable
        The key or the row is not the one the draft was sealed with.
    """
    blob = bytes(blob)
    if not blob.startswith(VERSION) or len(blob) < 1 + NONCE_BYTES + 16:
        raise Unreadable("not a sealed draft")
    nonce, body = blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:]
    try:
        plain = AESGCM(key).decrypt(nonce, body, str(invitation_id).encode("ascii"))
    except InvalidTag as exc:
        raise Unreadable("the draft does not open with this key") from exc
    return json.loads(plain)
