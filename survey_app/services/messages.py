"""What is sent to a respondent: the link and ready texts (Zalo/SMS, e-mail, the QR card's line)."""
from __future__ import annotations

from .invitations import format_short_code


def form_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/s/{token}"


def zalo_text(name: str | None, group_name: str, campaign_name: str, url: str) -> str:
    """A message for Zalo or SMS: short, polite, the link alone on its last line."""
    greeting = f"Kính gửi {name}," if name else "Kính gửi Ông/Bà,"
    return (f"{greeting} Sở Nội vụ trân trọng mời Ông/Bà ({group_name}) trả lời phiếu khảo sát "
            f"“{campaign_name}”. Phiếu mất khoảng 10-15 phút, trả lời trên điện thoại được, "
            f"có thể dừng và làm tiếp. Đường link dành riêng cho Ông/Bà:\n{url}")


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
