"""What is sent to a respondent: the link and ready texts (Zalo/SMS, e-mail, the QR card's line)."""
from __future__ import annotations

from .invitations import format_short_code


def form_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/s/{token}"


SMS_LIMIT = 160  # characters: one text message; Zalo takes more, but a short text is read


def zalo_text(name: str | None, url: str, reminder: bool = False) -> str:
    """A message for Zalo or SMS, at most :data:`SMS_LIMIT` characters: a short greeting and the link.

    The longest of these that fits is used: with the name and the time it takes, with the name,
    without the name, the link alone.

    Examples
    --------
    >>> text = zalo_text("Ông Nguyễn Văn An", "https://khaosat.example.vn/s/" + "x" * 32)
    >>> len(text) <= 160, text.startswith("Kính gửi Ông Nguyễn Văn An")
    (True, True)
    """
    lead = "Sở Nội vụ nhắc Ông/Bà trả lời" if reminder else "Sở Nội vụ trân trọng mời Ông/Bà trả lời"
    greeting = f"Kính gửi {name}, " if name else ""
    candidates = (f"{greeting}{lead} phiếu khảo sát CCHC (khoảng 10 phút, làm trên điện thoại được):\n{url}",
                  f"{greeting}{lead} phiếu khảo sát CCHC:\n{url}",
                  f"{lead} phiếu khảo sát CCHC:\n{url}",
                  url)
    return next((text for text in candidates if len(text) <= SMS_LIMIT), url)


def email_text(
    name: str | None, group_name: str, campaign_name: str, url: str, reminder: bool = False
) -> tuple[str, str]:
    """(subject, body) of the invitation e-mail, or of a reminder."""
    subject = ("Nhắc: " if reminder else "") + f"Mời trả lời phiếu khảo sát {campaign_name}"
    lead = ("Sở Nội vụ xin nhắc lại lời mời trả lời phiếu khảo sát" if reminder
            else "Sở Nội vụ trân trọng mời Ông/Bà trả lời phiếu khảo sát")
    body = (f"Kính gửi {name or 'Ông/Bà'},\n\n{lead} “{campaign_name}” dành cho {group_name}.\n\n"
            f"Mở đường link sau (trên máy tính hoặc điện thoại) để trả lời:\n{url}\n\n"
            "Phiếu mất khoảng 10-15 phút; câu trả lời được lưu sau mỗi trang nên Ông/Bà có thể dừng và làm tiếp. "
            "Đường link dành riêng cho Ông/Bà, chỉ gửi được một phiếu; ý kiến không gắn với tên người trả lời.\n\n"
            "Trân trọng cảm ơn.\nSở Nội vụ")
    return subject, body


def card_instruction(base_url: str, short_code: str) -> str:
    """The one line printed on a QR card."""
    host = base_url.split("://", 1)[-1].rstrip("/")
    return f"Quét mã QR bằng điện thoại, hoặc vào {host} và nhập mã {format_short_code(short_code)} để trả lời phiếu."
