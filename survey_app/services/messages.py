"""What is sent to a respondent: the link and ready texts (Zalo/SMS, e-mail, the QR card's line).

A text message is written in GSM-7 (the SMS alphabet without Vietnamese letters): one with diacritics is
sent as UCS-2, 70 characters a segment, so a 160-character invitation cost three messages. The SMS text
is therefore unaccented (:func:`gsm7`) and fits one segment (:func:`gsm7_length` ≤ :data:`SMS_LIMIT`).
Each group is addressed as its criteria set says (``greeting``: "Ông/Bà", "đồng chí", "Quý cơ quan,
doanh nghiệp"), in the welcome page, the e-mail and the SMS alike.
"""
from __future__ import annotations

import unicodedata

from .invitations import format_short_code

DEFAULT_GREETING = "Ông/Bà"
SMS_LIMIT = 160  # GSM-7 characters: one text message (Zalo takes more, but a short text is read)
# GSM 03.38: the basic set (without ESC) and the extension set, whose characters take two septets each.
GSM7_BASIC = frozenset("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
_PLAIN = {"đ": "d", "Đ": "D", "“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "...",
          "\u00a0": " ", "\t": " "}


def form_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/s/{token}"


def gsm7(text: str) -> str:
    """``text`` in the SMS alphabet: Vietnamese letters without their marks (đ → d), typographic quotes
    and dashes as plain ones; any other character outside GSM-7 is left out.

    Examples
    --------
    >>> gsm7("Kính gửi đồng chí Đặng Thị Ước – “Sở Nội vụ”")
    'Kinh gui dong chi Dang Thi Uoc - "So Noi vu"'
    """
    plain = "".join(_PLAIN.get(ch, ch) for ch in text)
    bare = "".join(ch for ch in unicodedata.normalize("NFD", plain) if not unicodedata.combining(ch))
    return "".join(ch for ch in unicodedata.normalize("NFC", bare) if ch in GSM7_BASIC or ch in GSM7_EXTENSION)


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` is in the GSM-7 basic or extension set.

    Examples
    --------
    >>> is_gsm7("Kinh gui Ong/Ba"), is_gsm7("Kính gửi")
    (True, False)
    """
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def gsm7_length(text: str) -> int:
    """Septets ``text`` takes in a GSM-7 message: an extension character (``[``, ``€``…) counts 2.

    Examples
    --------
    >>> gsm7_length("abc"), gsm7_length("a[b]€")
    (3, 8)
    """
    return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)


def province_phrase(province: str | None) -> str:
    """The province as it follows "Sở Nội vụ" in a sentence: "Tỉnh Bắc Kạn" → "tỉnh Bắc Kạn" (a name
    without "Tỉnh"/"Thành phố" is kept as typed); "" when none is recorded.

    Examples
    --------
    >>> province_phrase("Tỉnh Bắc Kạn"), province_phrase("Thành phố Hà Nội"), province_phrase(" Cao Bằng ")
    ('tỉnh Bắc Kạn', 'thành phố Hà Nội', 'Cao Bằng')
    """
    text = (province or "").strip()
    if text.lower().startswith(("tỉnh ", "thành phố ")):
        return text[:1].lower() + text[1:]
    return text


def sender(province: str | None) -> str:
    """Who writes: "Sở Nội vụ tỉnh Bắc Kạn", or "Sở Nội vụ" when the campaign names no province."""
    phrase = province_phrase(province)
    return f"Sở Nội vụ {phrase}" if phrase else "Sở Nội vụ"


def capitalised(greeting: str) -> str:
    """A greeting at the start of a sentence: "đồng chí" → "Đồng chí" ("Ông/Bà" unchanged).

    Examples
    --------
    >>> capitalised("đồng chí"), capitalised("Ông/Bà")
    ('Đồng chí', 'Ông/Bà')
    """
    return greeting[:1].upper() + greeting[1:]


def without_greeting(intro: str) -> str:
    """A questionnaire's intro without its opening "Kính gửi …." sentence (the welcome page greets first).

    Examples
    --------
    >>> without_greeting("Kính gửi Ông/Bà. Để phục vụ người dân tốt hơn, ...")
    'Để phục vụ người dân tốt hơn, ...'
    >>> without_greeting("Đề nghị đồng chí cho ý kiến.")
    'Đề nghị đồng chí cho ý kiến.'
    """
    text = (intro or "").strip()
    if text.startswith("Kính gửi") and ". " in text:
        return text.split(". ", 1)[1].strip()
    return text


def zalo_text(name: str | None, url: str, reminder: bool = False, greeting: str = DEFAULT_GREETING,
              province: str | None = "") -> str:
    """A message for SMS or Zalo, in GSM-7 and one segment (:data:`SMS_LIMIT`): a greeting and the link.

    The longest of these that fits is used: with the name (else the group's greeting), the sender's
    province and the time it takes; without the time; without the province; the link alone.

    Parameters
    ----------
    name : str or None
        The person invited, if the list named them.
    url : str
        The link, on the public address (``PUBLIC_BASE_URL``).
    reminder : bool
        A reminder rather than the first invitation.
    greeting : str
        How the group is addressed (its ``greeting`` in the criteria set).
    province : str or None
        The campaign's province ("Tỉnh Bắc Kạn"), named after "Sở Nội vụ".

    Examples
    --------
    >>> text = zalo_text("Nguyễn Văn An", "https://khaosat.example.vn/s/" + "x" * 32, greeting="đồng chí",
    ...                  province="Tỉnh Bắc Kạn")
    >>> gsm7_length(text) <= 160, text.splitlines()[0]
    (True, 'Kinh gui Nguyen Van An, So Noi vu tinh Bac Kan moi dong chi tra loi phieu khao sat CCHC:')
    """
    verb = "nhắc" if reminder else "mời"
    opening = f"Kính gửi {name}, " if name else ""

    def text(who: str, time: bool) -> str:
        return gsm7(f"{opening}{who} {verb} {greeting} trả lời phiếu khảo sát CCHC"
                    + (" (khoảng 10 phút)" if time else "") + f":\n{url}")

    candidates = (text(sender(province), True), text(sender(province), False), text("Sở Nội vụ", True),
                  text("Sở Nội vụ", False), gsm7(url))
    return next((t for t in candidates if gsm7_length(t) <= SMS_LIMIT), gsm7(url))


def email_text(
    name: str | None, group_name: str, campaign_name: str, url: str, reminder: bool = False,
    greeting: str = DEFAULT_GREETING, province: str | None = "",
) -> tuple[str, str]:
    """(subject, body) of the invitation e-mail, or of a reminder, addressing the group by its ``greeting``."""
    subject = ("Nhắc: " if reminder else "") + f"Mời trả lời phiếu khảo sát {campaign_name}"
    who = sender(province)
    lead = (f"{who} xin nhắc lại lời mời {greeting} trả lời phiếu khảo sát" if reminder
            else f"{who} trân trọng mời {greeting} trả lời phiếu khảo sát")
    body = (f"Kính gửi {name or greeting},\n\n{lead} “{campaign_name}” dành cho {group_name}.\n\n"
            f"Mở đường link sau (trên máy tính hoặc điện thoại) để trả lời:\n{url}\n\n"
            f"Phiếu mất khoảng 10-15 phút; câu trả lời được lưu sau mỗi trang nên {greeting} có thể dừng và làm "
            f"tiếp. Đường link dành riêng cho {greeting}, chỉ gửi được một phiếu; ý kiến không gắn với tên người "
            f"trả lời.\n\nTrân trọng cảm ơn.\n{who}")
    return subject, body


def card_instruction(base_url: str, short_code: str) -> str:
    """The one line printed on a QR card."""
    host = base_url.split("://", 1)[-1].rstrip("/")
    return f"Quét mã QR bằng điện thoại, hoặc vào {host} và nhập mã {format_short_code(short_code)} để trả lời phiếu."


def group_greeting(cset, group_code: str) -> str:
    """How the criteria set ``cset`` addresses the group ``group_code`` (:data:`DEFAULT_GREETING` if unknown)."""
    group = cset.group_by_code.get(group_code)
    return group.greeting if group is not None else DEFAULT_GREETING
