"""The dossier file to fill in (SIPAS respondents drawn from dossiers, :mod:`survey_app.services.dossiers`):
the template's Vietnamese headings, one example row marked "xoá dòng này" (the import refuses a file that
still holds it), and a second sheet listing the campaign's units, as the other import templates do."""
from __future__ import annotations

from questionnaires import CriteriaSet

from ..models import Campaign
from ..services.csv_import import EXAMPLE_MARK
from ..services.dossiers import APPLICANT_HEADING
from .exports import Column, Sheet
from .import_templates import catalogue

DOSSIER_COLUMNS = [Column("number", "Số hồ sơ", width=28), Column("unit", "Đơn vị", width=32),
                   Column("procedure", "Thủ tục hành chính", width=44), Column("field", "Lĩnh vực", width=22),
                   Column("completed_on", "Ngày trả kết quả", width=16), Column("phone", "Điện thoại", width=14),
                   Column("applicant", APPLICANT_HEADING, width=20)]
NOTE = ("Hồ sơ đã giải quyết: mỗi dòng một hồ sơ. Đơn vị ghi mã hay tên như trong danh mục. Ngày trả kết quả "
        "ghi ngày/tháng/năm (ví dụ 15/03/2026). Điện thoại không bắt buộc; chỉ dùng để gửi tin nhắn mời và bị xoá "
        "khi đã gửi tin nhắn (hồ sơ không được chọn cũng vậy), chậm nhất khi kết thúc đợt khảo sát. Người nộp ghi "
        "Công dân (hay Cá nhân) hoặc Tổ chức (hay Doanh nghiệp); để trống là công dân: người dân được chọn từ hồ sơ "
        "của công dân, tổ chức, doanh nghiệp từ hồ sơ của tổ chức. Số hồ sơ không được trùng. Xoá dòng ví dụ trước "
        "khi nhập.")


def dossier_sheets(campaign: Campaign, cset: CriteriaSet) -> list[Sheet]:
    """The dossier template: the table with one example row (a unit of the campaign when it has one),
    then the catalogue of units with the note."""
    unit = campaign.units[0].name if campaign.units else "Tên đơn vị"
    example = (f"000.00.00.H00-260315-0001 (ví dụ, {EXAMPLE_MARK})", unit, "Cấp giấy khai sinh", "Hộ tịch",
               "15/03/2026", "0912345678", "Công dân")
    listing = catalogue(campaign, cset)
    return [Sheet("Hồ sơ", DOSSIER_COLUMNS, [example]),
            Sheet(listing.title, listing.columns, listing.rows, note=f"{NOTE} {listing.note}")]
