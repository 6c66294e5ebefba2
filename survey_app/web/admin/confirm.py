"""Confirmation pages (issue 30 item 2): nothing that deletes, replaces or cannot be undone is done by one
click. A view builds a :class:`Confirmation` (what will happen, what cannot be undone, the undo) and renders
``admin/confirm.html``; the POST is done only with the box ``xac_nhan`` ticked. An uploaded file that would
replace something is checked, kept under a random name (:func:`keep_file`) while the page asks, and read
back (:func:`take_file`) when confirmed."""
from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass, field

from flask import render_template

PENDING_DIR = os.path.join(tempfile.gettempdir(), "parsurvey-pending")
PENDING_TTL = 24 * 3600  # a file not confirmed within a day is deleted
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class Confirmation:
    """What a confirmation page says and where its form goes (texts in Vietnamese)."""

    title: str
    consequences: list[str]
    action: str
    cancel: str
    button: str
    confirm_label: str = "Tôi đã đọc và xác nhận."
    intro: str = ""
    blocked: str = ""  # why the action asked for cannot be done (an alternative is offered instead)
    irreversible: str = ""
    undo: str = ""
    hidden: list[tuple[str, object]] = field(default_factory=list)
    error: str = ""
    tick: bool = True  # the box to tick; an undo needs none
    cancel_label: str = "Huỷ"


def render_confirmation(campaign, confirmation: Confirmation):
    """The confirmation page (status 400 when it comes back with an error)."""
    return render_template("admin/confirm.html", campaign=campaign, c=confirmation), 400 if confirmation.error else 200


NOT_TICKED = "Chưa làm gì: xin đánh dấu ô xác nhận rồi bấm lại."


def _clean_old() -> None:
    now = time.time()
    for name in os.listdir(PENDING_DIR):
        path = os.path.join(PENDING_DIR, name)
        try:
            if now - os.path.getmtime(path) > PENDING_TTL:
                os.unlink(path)
        except OSError:
            pass


def keep_file(purpose: str, campaign_id: int, data: bytes, filename: str = "") -> str:
    """Keep an uploaded file (already checked) until the person confirms; returns its token.

    Parameters
    ----------
    purpose : str
        What it will replace (e.g. ``"criteria"``, ``"import:appraisal"``): a token kept for one purpose
        and campaign is refused for any other.
    campaign_id : int
        The campaign it belongs to.
    data : bytes
        The file's bytes.
    filename : str, optional
        Its name as uploaded, told again on the page and in the audit entry.

    Returns
    -------
    str
        32 hex digits, to carry in the confirmation form.
    """
    os.makedirs(PENDING_DIR, mode=0o700, exist_ok=True)
    _clean_old()
    token = secrets.token_hex(16)
    with open(os.path.join(PENDING_DIR, token), "wb") as out:
        out.write(data)
    with open(os.path.join(PENDING_DIR, token + ".json"), "w", encoding="utf-8") as out:
        json.dump({"purpose": purpose, "campaign": campaign_id, "filename": filename}, out)
    return token


def peek_file(token: str, purpose: str, campaign_id: int) -> tuple[bytes, str] | None:
    """``(data, filename)`` of a kept file, or None when the token is unknown, expired or kept for something
    else. The file stays kept."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        return None
    path = os.path.join(PENDING_DIR, token)
    try:
        with open(path + ".json", encoding="utf-8") as meta_file:
            meta = json.load(meta_file)
        if meta.get("purpose") != purpose or meta.get("campaign") != campaign_id:
            return None
        with open(path, "rb") as data_file:
            return data_file.read(), meta.get("filename", "")
    except (OSError, ValueError):
        return None


def drop_file(token: str) -> None:
    """Forget a kept file (done or cancelled)."""
    if isinstance(token, str) and _TOKEN.match(token):
        for suffix in ("", ".json"):
            try:
                os.unlink(os.path.join(PENDING_DIR, token + suffix))
            except OSError:
                pass


EXPIRED = "Tệp đã tải lên không còn giữ (quá một ngày, hoặc đã dùng): xin chọn lại tệp."
