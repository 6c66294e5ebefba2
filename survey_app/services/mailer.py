"""Sending invitations and reminders by e-mail (SMTP, configured by the environment).

``SMTP_HOST`` (required to send), ``SMTP_PORT`` (587), ``SMTP_USER``,
``SMTP_PASSWORD``, ``SMTP_FROM``, ``SMTP_STARTTLS`` (``1`` by default; ``0`` for a
local relay).
"""
from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    user: str | None = None
    password: str | None = None
    sender: str = "khaosat@localhost"
    starttls: bool = True

    @classmethod
    def from_env(cls, env=os.environ) -> SmtpSettings | None:
        """The settings, or ``None`` when ``SMTP_HOST`` is not set (sending is then off)."""
        if not env.get("SMTP_HOST"):
            return None
        return cls(env["SMTP_HOST"], int(env.get("SMTP_PORT", "587")), env.get("SMTP_USER") or None,
                   env.get("SMTP_PASSWORD") or None, env.get("SMTP_FROM", "khaosat@localhost"),
                   env.get("SMTP_STARTTLS", "1") != "0")


def send_all(settings: SmtpSettings, messages: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """Send ``(to, subject, body)`` messages over one connection.

    Returns the (address, reason) of those refused; the others were accepted.
    """
    failed: list[tuple[str, str]] = []
    with smtplib.SMTP(settings.host, settings.port, timeout=30) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        for to, subject, body in messages:
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = settings.sender, to, subject
            msg.set_content(body)
            try:
                smtp.send_message(msg)
            except smtplib.SMTPRecipientsRefused as exc:
                failed.append((to, str(exc.recipients.get(to, exc))))
    return failed
