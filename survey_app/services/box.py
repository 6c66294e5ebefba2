"""The ballot box's cryptography: a campaign's box key, sealed envelopes, and how the key is kept.

This module is the construction issue 25 asks for; storing respondents' ballots as envelopes
until close (and opening them there) is wired onto it in a later step (see docs/threat-model.md).

- **Box key.** Each campaign gets an X25519 key pair when it opens. The public key seals; only the
  private key opens. The server keeps the private key *wrapped* (AES-256-GCM): by default under a
  key derived from ``SECRET_KEY``; with the passphrase setting, under a key derived by scrypt from
  the Department's passphrase ("mật khẩu hòm phiếu"), which the server never stores, so an operator
  holding the database and ``SECRET_KEY`` together still opens nothing before close.
- **Envelope.** A ballot is sealed to the box's public key (ECIES: a fresh X25519 key per envelope,
  HKDF-SHA256 of the shared secret, AES-256-GCM), its text padded to one fixed size per
  questionnaire first: an envelope's length says nothing of its answers. The campaign id is bound
  as associated data, so an envelope moved to another campaign does not open.
"""
from __future__ import annotations

import json
import os
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

ENVELOPE = b"\x01"
NONCE = 12
RAW = serialization.Encoding.Raw
SCRYPT_N = 2 ** 15  # about 0.1 s and 32 MB: once per opening and once per close, never per ballot


class BoxError(ValueError):
    """An envelope or a wrapped key that does not open (another key, altered bytes, a wrong passphrase)."""


@dataclass(frozen=True)
class WrappedKey:
    """A campaign's box: the public key, the private key wrapped, and how (``secret`` or ``passphrase``)."""

    public: bytes
    wrapped: bytes
    how: str
    salt: bytes


def normalise_passphrase(passphrase: str) -> str:
    """The passphrase as the key is derived from it: Unicode NFC, spaces at either end dropped.

    The Department types it again at close, maybe on another computer whose keyboard sends Vietnamese
    letters decomposed (``ê`` + combining acute for ``ế``); both forms must open the box.

    Examples
    --------
    >>> normalise_passphrase(" hòm phie\u0302\u0301u ") == "hòm phiếu"
    True
    """
    return unicodedata.normalize("NFC", passphrase).strip()


def _aead_key(material: bytes, info: bytes, salt: bytes | None = None) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(material)


def _wrapping_key(how: str, secret: str | None, passphrase: str | None, salt: bytes) -> bytes:
    if how == "secret":
        if not secret:
            raise BoxError("the box key is kept under SECRET_KEY, which is missing")
        return _aead_key(secret.encode("utf-8"), b"parsurvey box wrap", salt)
    passphrase = normalise_passphrase(passphrase or "")
    if not passphrase:
        raise BoxError("the box key is kept under the Department's passphrase")
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=8, p=1).derive(passphrase.encode("utf-8"))


def new_box(campaign_id: int, *, secret: str | None = None, passphrase: str | None = None) -> WrappedKey:
    """A new box key pair for a campaign, its private half wrapped under ``passphrase`` when given,
    else under ``secret`` (the server's ``SECRET_KEY``).

    Examples
    --------
    >>> box = new_box(3, secret="s" * 32)
    >>> box.how, len(box.public), open_private(box, 3, secret="s" * 32) is not None
    ('secret', 32, True)
    """
    how = "passphrase" if passphrase else "secret"
    private = X25519PrivateKey.generate()
    salt = os.urandom(16)
    nonce = os.urandom(NONCE)
    raw = private.private_bytes(RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    wrapped = nonce + AESGCM(_wrapping_key(how, secret, passphrase, salt)).encrypt(nonce, raw, _aad(campaign_id))
    return WrappedKey(private.public_key().public_bytes(RAW, serialization.PublicFormat.Raw), wrapped, how, salt)


def open_private(box: WrappedKey, campaign_id: int, *, secret: str | None = None,
                 passphrase: str | None = None) -> X25519PrivateKey:
    """The box's private key (at close only).

    Raises
    ------
    BoxError
        The secret or passphrase is not the one the key was wrapped under.
    """
    key = _wrapping_key(box.how, secret, passphrase, box.salt)
    try:
        raw = AESGCM(key).decrypt(box.wrapped[:NONCE], box.wrapped[NONCE:], _aad(campaign_id))
    except InvalidTag as error:
        raise BoxError("the box key does not open with this secret or passphrase") from error
    return X25519PrivateKey.from_private_bytes(raw)


def _aad(campaign_id: int) -> bytes:
    return f"parsurvey campaign {campaign_id}".encode("ascii")


def seal_envelope(public: bytes, campaign_id: int, content: dict, size: int) -> bytes:
    """``content`` (JSON-able) sealed to the box's public key, its text padded to ``size`` bytes.

    Examples
    --------
    >>> box = new_box(1, secret="k" * 32)
    >>> a = seal_envelope(box.public, 1, {"answers": [["H01", "tot"]]}, size=256)
    >>> b = seal_envelope(box.public, 1, {"answers": [["H01", "trung_binh"], ["H02", "kem"]]}, size=256)
    >>> len(a) == len(b), b"tot" in a
    (True, False)
    >>> open_envelope(open_private(box, 1, secret="k" * 32), 1, a)
    {'answers': [['H01', 'tot']]}
    """
    ephemeral = X25519PrivateKey.generate()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public))
    sender = ephemeral.public_key().public_bytes(RAW, serialization.PublicFormat.Raw)
    key = _aead_key(shared, b"parsurvey envelope", salt=sender + public)
    plain = json.dumps(content, separators=(",", ":")).encode("utf-8")
    plain = plain.ljust(size, b" ")
    nonce = os.urandom(NONCE)
    return ENVELOPE + sender + nonce + AESGCM(key).encrypt(nonce, plain, _aad(campaign_id))


def open_envelope(private: X25519PrivateKey, campaign_id: int, blob: bytes) -> dict:
    """What an envelope holds.

    Raises
    ------
    BoxError
        Not an envelope of this box and campaign, or altered.
    """
    blob = bytes(blob)
    if blob[:1] != ENVELOPE or len(blob) < 1 + 32 + NONCE + 16:
        raise BoxError("not an envelope")
    sender, nonce, body = blob[1:33], blob[33:33 + NONCE], blob[33 + NONCE:]
    public = private.public_key().public_bytes(RAW, serialization.PublicFormat.Raw)
    key = _aead_key(private.exchange(X25519PublicKey.from_public_bytes(sender)), b"parsurvey envelope",
                    salt=sender + public)
    try:
        return json.loads(AESGCM(key).decrypt(nonce, body, _aad(campaign_id)))
    except InvalidTag as error:
        raise BoxError("the envelope does not open with this box key") from error
