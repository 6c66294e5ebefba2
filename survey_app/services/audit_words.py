"""The audit log in words (issue 30 item 4): actions, entities, attributes and the values that are codes,
by their Vietnamese names, and times in Vietnam time, as the log page shows them to an official."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AuditEntry, Campaign, Unit, User, vietnam_time
from .review import STATE_LABELS

ACTIONS = {"create": "Tạo", "update": "Sửa", "delete": "Xoá", "state": "Đổi trạng thái", "close": "Kết thúc đợt",
           "import": "Nhập tệp", "reprint": "In lại", "draw": "Chọn mẫu", "over_plan": "Vượt kế hoạch",
           "links_out": "Đường link ra ngoài", "link_disputed": "Báo link bị dùng", "open": "Mở đợt",
           "revoke": "Thu hồi", "replace": "Thay", "login": "Đăng nhập", "logout": "Đăng xuất"}
ENTITIES = {"campaign": "Đợt khảo sát", "ballot": "Phiếu", "answer": "Câu trả lời", "unit": "Đơn vị",
            "user": "Tài khoản", "api_token": "Khoá API", "invitations": "Đường link mời", "invitation": "Đường link",
            "paper_serials": "Phiếu giấy", "paper_serial": "Phiếu giấy", "paper_entry": "Lần nhập phiếu giấy",
            "sample_target": "Kế hoạch mẫu", "unit_succession": "Kế thừa đơn vị", "dossiers": "Hồ sơ",
            "ballot_box": "Hòm phiếu", "demo": "Dữ liệu mẫu", "appraisal": "Điểm thẩm định",
            "communes": "Kết quả cấp xã", "previous": "Kết quả năm trước", "criteria": "Bộ tiêu chí"}
ATTRIBUTES = {"status": "trạng thái", "state": "trạng thái", "criteria": "bộ tiêu chí", "units": "đơn vị",
              "target": "số phiếu", "name": "tên", "password": "mật khẩu", "active": "đang dùng",
              "archived": "lưu trữ", "revoked": "thu hồi", "retired": "ngừng sử dụng", "sent_at": "ngày gửi",
              "phone": "số điện thoại", "seed": "hạt giống ngẫu nhiên", "option": "phương án",
              "printed": "đã in", "done": "xong", "how": "cách", "ly_do": "lý do", "mine": "của mình",
              "once": "một lần", "waiting": "đang chờ", "conflicts": "chênh lệch", "bulk_print": "in hàng loạt",
              "paper_print": "in phiếu giấy", "sipas_source_id": "đợt SIPAS dùng cho tiêu chí",
              "qr_cards_bulk_print": "in thẻ QR hàng loạt", "qr_cards_reprint": "in lại thẻ QR",
              "qr_cards_print": "in thẻ QR", "export_xlsx": "tải tệp Excel", "reminders_csv": "tải danh sách nhắc",
              "demo": "dữ liệu mẫu", "role": "vai trò", "full_name": "họ tên"}
VALUES = {"draft": "Đang chuẩn bị", "open": "Đang thu phiếu", "closed": "Đã kết thúc", **STATE_LABELS,
          "printed": "Đã in", "entering": "Đang nhập", "conflict": "Hai lần nhập khác nhau", "done": "Đã nhập xong",
          "admin": "Quản trị viên", "staff": "Nhân viên nhập liệu", "analyst": "Phân tích (chỉ xem)",
          "True": "có", "False": "không", "true": "có", "false": "không",
          "web": "trực tuyến", "qr": "thẻ QR", "paper": "giấy", "api": "qua API"}
ACTORS = {"cli": "dòng lệnh trên máy chủ", "system": "hệ thống"}
_CODE_WORD = re.compile(r"(?<![\w/.-])(" + "|".join(sorted((re.escape(k) for k in VALUES if len(k) > 3),
                                                           key=len, reverse=True)) + r")(?![\w/.-])")


def shown_time(at: datetime) -> str:
    """A stored time (naive UTC) as the page shows it: Vietnam time, day first.

    >>> shown_time(datetime(2026, 12, 8, 7, 5))
    '08/12/2026 14:05'
    """
    return vietnam_time(at).strftime("%d/%m/%Y %H:%M")


def shown_value(value: str | None) -> str:
    """A value of the log in words: a code by its name (``open`` → Đang thu phiếu); a sentence keeps its
    words and has the state codes in it named (``…, verified`` → ``…, Đã xác minh``).

    >>> shown_value("closed"), shown_value("phiếu 004, qua màn hình nhập liệu, verified"), shown_value(None)
    ('Đã kết thúc', 'phiếu 004, qua màn hình nhập liệu, Đã xác minh', '')
    """
    if value is None:
        return ""
    if value in VALUES:
        return VALUES[value]
    return _CODE_WORD.sub(lambda m: VALUES[m.group(1)], value)


def word(mapping: dict[str, str], code: str | None) -> str:
    """``code`` by its name in ``mapping``; a code not in it as it is."""
    return mapping.get(code, code) if code else ""


@dataclass(frozen=True)
class ShownEntry:
    """One row of the log page, in words."""

    at: str
    iso: str  # the same time with its offset, for the page's <time datetime>
    actor: str
    action: str
    entity: str
    attribute: str
    old: str
    new: str


def shown_entries(s: Session, entries: Iterable[AuditEntry]) -> list[ShownEntry]:
    """The entries in words; a campaign, unit or account given by its id is named where it is known."""
    entries = list(entries)
    ids = {kind: {e.entity_id for e in entries if e.entity == kind and e.entity_id and e.entity_id.isdigit()}
           for kind in ("campaign", "unit", "user")}
    names = {("campaign", str(i)): n for i, n in s.execute(select(Campaign.id, Campaign.name).where(
        Campaign.id.in_([int(i) for i in ids["campaign"]])))} if ids["campaign"] else {}
    if ids["unit"]:
        names |= {("unit", str(i)): n for i, n in s.execute(select(Unit.id, Unit.name).where(
            Unit.id.in_([int(i) for i in ids["unit"]])))}
    if ids["user"]:
        names |= {("user", str(i)): n for i, n in s.execute(select(User.id, User.username).where(
            User.id.in_([int(i) for i in ids["user"]])))}
    out = []
    for e in entries:
        what = word(ENTITIES, e.entity)
        named = names.get((e.entity, e.entity_id))
        target = f"{what}: {named}" if named else f"{what} {e.entity_id or ''}".strip()
        moment = vietnam_time(e.at)
        out.append(ShownEntry(shown_time(e.at), moment.strftime("%Y-%m-%dT%H:%M:%S+07:00"), word(ACTORS, e.actor),
                              word(ACTIONS, e.action), target, word(ATTRIBUTES, e.attribute),
                              shown_value(e.old_value), shown_value(e.new_value)))
    return out


def choice_words(choices: dict[str, list[str]]) -> dict[str, list[tuple[str, str]]]:
    """The log page's filters as (code, words): ``doi_tuong`` entities, ``thao_tac`` actions, ``nguoi`` actors."""
    mapping = {"doi_tuong": ENTITIES, "thao_tac": ACTIONS, "nguoi": ACTORS}
    return {key: sorted(((v, word(mapping[key], v)) for v in values), key=lambda pair: pair[1])
            for key, values in choices.items()}
