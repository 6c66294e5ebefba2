"""The demo's SIPAS campaign: the merged province's satisfaction survey of 2026, closed.

Built through the services an office uses for one (issue 29): a campaign on the bundled SIPAS set with
the 2026 PAR campaign's 14 departments and :data:`COMMUNES` (same codes and names, from
:mod:`.data_2026`), a sample plan, the one-stop shops' completed dossiers imported from a file
(:func:`dossier_file`, :func:`..services.dossiers.import_dossiers`), citizens drawn from them with the
fixed seed :data:`DRAW_SEED`, stratified by field (:func:`..services.dossiers.draw_sample`), a personal
link each (texted where the dossier has a phone); organisations reached by QR cards handed out at the
counter and by paper ballots keyed at the communes. Ballots by link or card are sealed in the box as
the web form seals them; closing opens it and deletes the phone numbers.

Everything is invented: the dossiers (numbers, procedures, dates, phones) and each unit's share of
satisfied answers (:data:`SATISFIED`, most units 85-97 %, two lower). Its own generator
(``random.Random(seed + 1)`` in :func:`..demo.build_demo`) keeps the earlier campaigns' data as they were.
"""
from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from questionnaires import DEFAULT_SET_DIR, read_set_texts

from ..models import Campaign, Dossier, Invitation, SampleTarget, Unit
from ..services.audit import record
from ..services.campaigns import campaign_criteria, create_campaign
from ..services.closing import close_campaign
from ..services.dossiers import HEADINGS, draw_sample, import_dossiers
from ..services.serials import reserve_serials
from . import data as D
from . import data_2026 as N
from .simulator import Simulator

SIPAS_SET_DIR = DEFAULT_SET_DIR.parent / "sipas"
NAME = "Khảo sát Chỉ số hài lòng (SIPAS) năm 2026, tỉnh Thái Nguyên (dữ liệu mẫu)"
# Twelve of the 2026 campaign's communes: six of old Bắc Kạn, six of old Thái Nguyên.
COMMUNES = ("Phường Đức Xuân", "Phường Bắc Kạn", "Xã Chợ Mới", "Xã Chợ Đồn", "Xã Ba Bể", "Xã Na Rì",
            "Phường Phan Đình Phùng", "Phường Quyết Thắng", "Phường Phổ Yên", "Phường Sông Công", "Xã Đại Từ",
            "Xã Định Hóa")
TARGETS = {"nguoi_dan": 20, "to_chuc": 5}  # per unit, both levels
DRAW_SEED = 260915  # the citizens' draw, kept in the audit log
DOSSIERS = (26, 48)  # completed dossiers per unit (a range); :data:`FEW` has fewer than its target
FEW = {"xa_dinh_hoa": 16}  # all drawn, the draw says so
PHONE_SHARE = 0.85  # of dossiers with a phone number (the others reached by a letter with the link)
ANSWERED = {"sms": 0.72, "letter": 0.45, "qr": 0.8}  # who answered, by how they were reached
QR_CARDS = 3  # organisations' cards handed out per unit
PAPER = 2  # organisations' paper ballots per commune, keyed twice
# Each unit's share of satisfied answers (Hài lòng, Rất hài lòng): drawn in 88-97 % (a unit's
# index comes out within a few points of it: some 15 ballots each), but these lower.
SATISFIED = (0.88, 0.97)
LOWER = {"so_nnmt": 0.79, "xa_dai_tu": 0.82}  # land registration: the usual complaints
FEEDBACK_GAP = 0.03  # element 5 (feedback and complaints) a little lower everywhere
OPENS, CLOSES = datetime(2026, 10, 1), datetime(2026, 11, 30)
PERIOD = (date(2026, 1, 5), date(2026, 9, 30))  # dossiers completed in the period surveyed

# The one-stop shop's procedures (field, procedures) per department; every commune has COMMUNE_PROCEDURES.
PROCEDURES = {
    "so_tp": [("Lý lịch tư pháp", ["Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú"
                                   " tại Việt Nam"]),
              ("Công chứng", ["Đăng ký hành nghề và cấp Thẻ công chứng viên"])],
    "so_xd": [("Hoạt động xây dựng", ["Cấp giấy phép xây dựng mới đối với công trình cấp đặc biệt, cấp I, cấp II"]),
              ("Đường bộ", ["Đổi giấy phép lái xe do ngành Giao thông vận tải cấp", "Cấp lại giấy phép lái xe"])],
    "so_tc": [("Thành lập và hoạt động doanh nghiệp", ["Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên",
                                                       "Đăng ký thay đổi nội dung đăng ký doanh nghiệp"])],
    "so_nnmt": [("Đất đai", ["Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
                             "Cấp đổi Giấy chứng nhận quyền sử dụng đất"]),
                ("Trồng trọt", ["Cấp Giấy chứng nhận đủ điều kiện buôn bán phân bón"])],
    "so_khcn": [("Hoạt động khoa học và công nghệ", ["Cấp Giấy chứng nhận đăng ký hoạt động khoa học và công nghệ"]),
                ("Xuất bản, in và phát hành", ["Cấp giấy phép hoạt động in"])],
    "so_nv": [("Người có công", ["Giải quyết chế độ trợ cấp một lần đối với người có công"]),
              ("Việc làm", ["Cấp giấy phép lao động cho người lao động nước ngoài làm việc tại Việt Nam"])],
    "so_dttg": [("Tôn giáo", ["Đăng ký người được bổ nhiệm, bầu cử, suy cử làm chức việc"])],
    "thanh_tra": [("Tiếp công dân", ["Tiếp công dân tại cấp tỉnh"]),
                  ("Giải quyết khiếu nại", ["Giải quyết khiếu nại lần hai tại cấp tỉnh"])],
    "so_ct": [("Lưu thông hàng hóa trong nước", ["Cấp Giấy phép bán lẻ rượu",
                                                 "Cấp Giấy phép bán lẻ sản phẩm thuốc lá"])],
    "so_yt": [("Khám bệnh, chữa bệnh", ["Cấp mới giấy phép hành nghề khám bệnh, chữa bệnh"]),
              ("Dược phẩm", ["Cấp Chứng chỉ hành nghề dược"])],
    "so_gddt": [("Văn bằng, chứng chỉ", ["Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", "Chỉnh sửa nội dung văn bằng"])],
    "so_vhttdl": [("Du lịch", ["Cấp giấy phép kinh doanh dịch vụ lữ hành nội địa", "Cấp thẻ hướng dẫn viên du lịch"])],
    "vp_ubnd": [("Thi đua, khen thưởng", ["Tặng Bằng khen của Chủ tịch Ủy ban nhân dân cấp tỉnh"])],
    "bql_kcn": [("Đầu tư", ["Cấp Giấy chứng nhận đăng ký đầu tư", "Điều chỉnh Giấy chứng nhận đăng ký đầu tư"])],
}
COMMUNE_PROCEDURES = [
    ("Hộ tịch", ["Đăng ký khai sinh", "Đăng ký kết hôn", "Đăng ký khai tử", "Cấp bản sao trích lục hộ tịch"]),
    ("Chứng thực", ["Chứng thực bản sao từ bản chính", "Chứng thực chữ ký trong giấy tờ, văn bản"]),
    ("Đất đai", ["Đăng ký biến động quyền sử dụng đất do chuyển nhượng, tặng cho, thừa kế"]),
    ("Bảo trợ xã hội", ["Thực hiện trợ cấp xã hội hằng tháng"]),
    ("Thành lập và hoạt động của hộ kinh doanh", ["Đăng ký thành lập hộ kinh doanh"]),
]


def departments() -> list[tuple[str, str]]:
    """(code, name) of the 2026 campaign's 14 departments, in :data:`.data_2026.DEPARTMENTS` order: a
    kept department keeps its old name (:data:`.data.DEPARTMENTS`)."""
    old = {code: name for code, name, _short in D.DEPARTMENTS}
    seen: dict[str, str] = {}
    for old_code, new_code, new_name, _kind in N.DEPARTMENTS:
        seen.setdefault(new_code, new_name or old[old_code])
    return list(seen.items())


def communes() -> list[tuple[str, str]]:
    """(code, name) of :data:`COMMUNES`, coded as the 2026 campaign codes them (:func:`.data_2026.slug`)."""
    return [(N.slug(name), name) for name in COMMUNES]


def dossier_file(units: list[Unit], rng: random.Random) -> bytes:
    """The one-stop shops' completed dossiers of the period, in the import template's columns (CSV, UTF-8
    with BOM): per unit between :data:`DOSSIERS` (:data:`FEW` fewer), numbered ``<unit's agency code>-<date
    yymmdd>-<serial>`` (an invented agency code), a procedure of the unit's fields, a working day of
    :data:`PERIOD`, a mobile phone for :data:`PHONE_SHARE` of them."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADINGS)
    days = (PERIOD[1] - PERIOD[0]).days
    for k, unit in enumerate(units, 1):
        fields = PROCEDURES.get(unit.code, COMMUNE_PROCEDURES)
        agency = f"000.00.{k:02d}.H56" if unit.level == "so" else f"000.{k:02d}.30.H56"
        count = FEW.get(unit.code) or rng.randint(*DOSSIERS)
        for n in range(1, count + 1):
            field, procedures = rng.choice(fields)
            day = PERIOD[0] + timedelta(days=rng.randrange(days + 1))
            while day.weekday() >= 5:  # a result is handed over on a working day
                day -= timedelta(days=1)
            phone = f"09{rng.randrange(10 ** 8):08d}" if rng.random() < PHONE_SHARE else ""
            writer.writerow([f"{agency}-{day:%y%m%d}-{n:04d}", unit.code, rng.choice(procedures), field,
                             f"{day:%d/%m/%Y}", phone])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def build_sipas(session: Session, rng: random.Random, secret: str) -> tuple[Simulator, Campaign]:
    """Create the closed SIPAS campaign (see the module's docstring). Returns its simulator (ballot and
    answer counts) and the campaign."""
    campaign = create_campaign(session, year=2026, name=NAME, criteria_texts=read_set_texts(SIPAS_SET_DIR),
                               actor="demo", status="open", province=N.PROVINCE)
    campaign.opens_at, campaign.closes_at = OPENS, CLOSES
    for code, name in departments():
        campaign.units.append(Unit(code=code, name=name, level="so"))
    for code, name in communes():
        campaign.units.append(Unit(code=code, name=name, level="xa"))
    session.flush()
    units = {u.code: u for u in campaign.units}
    groups = {g.code: g for g in campaign.groups}
    session.add_all(SampleTarget(campaign_id=campaign.id, unit_id=u.id, group_id=groups[g].id, target=target)
                    for g, target in TARGETS.items() for u in units.values())
    import_dossiers(session, campaign, dossier_file(list(units.values()), rng), "demo")
    draw_sample(session, campaign, groups["nguoi_dan"], DRAW_SEED, True, "demo", secret)
    sim = _Sipas(session, campaign, campaign_criteria(campaign), units, groups, rng, secret)
    sim.answer_drawn()
    sim.counter_and_paper()
    sim.flush()
    close_campaign(session, campaign, "demo", secret=secret)
    return sim, campaign


class _Sipas(Simulator):
    """The demo's simulator for the SIPAS set: answers drawn so that each unit's share of satisfied
    answers is about its :attr:`satisfied`."""

    def __init__(self, session, campaign, cset, units, groups, rng, secret):
        super().__init__(session, campaign, cset, units, groups, rng, secret)
        self.half_way = 0.0
        self.satisfied = {code: LOWER.get(code) or rng.uniform(*SATISFIED) for code in sorted(units)}

    def quality(self, unit: Unit, field_code: str) -> float:
        """The quality :func:`.simulator.draw` needs for the unit's share satisfied. On the five-level
        satisfaction scale (fractions 1, .75, .5, .25, 0) ``draw`` gives a shortfall ``1 - quality`` to the
        three lower options with probabilities .4, .16 and .08 of it, so the share satisfied (top two) is
        ``1 - .64 × (1 - quality)``; on Có / Không the share "Có" is the quality itself."""
        share = self.satisfied[unit.code] - (FEEDBACK_GAP if field_code == "5" else 0.0)
        return max(0.0, 1.0 - (1.0 - share) / 0.64)

    def answer_drawn(self) -> None:
        """The drawn citizens: texted where their dossier has a phone (the SMS sent the day the survey
        opens, audited), the others by a letter with their link; some answer, on the web form."""
        invitations = self.session.scalars(select(Invitation).join(Dossier, Dossier.invitation_id == Invitation.id)
                                           .where(Dossier.campaign_id == self.campaign.id)
                                           .order_by(Invitation.id)).all()
        texted = [inv for inv in invitations if inv.phone]
        for inv in texted:
            inv.sent_at = OPENS + timedelta(days=1)
        record(self.session, "demo", "update", "invitations", self.campaign.id, attribute="sent_at",
               new_value=f"{len(texted)} tin nhắn mời từ hồ sơ được chọn mẫu")
        for inv in invitations:
            if self.rng.random() < ANSWERED["sms" if inv.phone else "letter"]:
                self._ballot(inv.group_id, [inv.unit], "web", "received", invitation=inv)

    def counter_and_paper(self) -> None:
        """Organisations: :data:`QR_CARDS` cards handed out at each unit's counter (most answered), and
        :data:`PAPER` paper ballots per commune, keyed twice."""
        group = self.groups["to_chuc"]
        units = sorted(self.units.values(), key=lambda u: u.code)
        tokens = self._invite("to_chuc", [u for u in units for _ in range(QR_CARDS)], None, kind="qr_card")
        self._answer_some(tokens, ANSWERED["qr"], lambda inv: [inv.unit], channel="qr")
        for unit in (u for u in units if u.level == "xa"):
            for serial in reserve_serials(self.session, self.campaign, unit, group, PAPER, "demo"):
                serial.status = "done"
                self.keyed.append((serial.serial, "verified"))
                self._ballot(group.id, [unit], "paper", "verified", serial=serial.serial)
