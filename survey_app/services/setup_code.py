"""The one-time code that opens the first-admin page of a new instance.

The page that creates the first administrator must not open to whoever reaches the site
first: behind a reverse proxy every request comes from the proxy's loopback address, and a
``Host`` header is the client's to choose, so neither proves that the person is the operator.
A code printed by ``parsurvey setup-code`` on the server does: it is an HMAC of the hour under
``SECRET_KEY``, so any app host with the same key accepts it (nothing is stored), it lasts at
most two hours, and it opens nothing once an account exists.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time

HOUR = 3600
ALPHABET_GROUPS = 3  # 3 groups of 4 base32 letters: 60 bits


def _code_for(secret_key: str, hour: int) -> str:
    digest = hmac.new(secret_key.encode(), f"parsurvey-setup:{hour}".encode(), hashlib.sha256).digest()
    letters = base64.b32encode(digest).decode()[: 4 * ALPHABET_GROUPS]
    return "-".join(letters[i:i + 4] for i in range(0, len(letters), 4))


def setup_code(secret_key: str, now: float | None = None) -> str:
    """The code valid now (and for the next hour).

    Examples
    --------
    >>> code = setup_code("k" * 32, now=7200.0)
    >>> len(code), code.count("-"), check_setup_code("k" * 32, code.lower(), now=7200.0 + 3599)
    (14, 2, True)
    >>> check_setup_code("k" * 32, code, now=7200.0 + 2 * 3600)
    False
    """
    return _code_for(secret_key, int((time.time() if now is None else now) // HOUR))


def check_setup_code(secret_key: str, typed: str, now: float | None = None) -> bool:
    """Whether ``typed`` (any case, spaces and dashes as typed) is this hour's or the last hour's code."""
    clean = "".join(ch for ch in (typed or "").upper() if ch.isalnum())
    hour = int((time.time() if now is None else now) // HOUR)
    return any(hmac.compare_digest(clean, _code_for(secret_key, h).replace("-", "")) for h in (hour, hour - 1))
