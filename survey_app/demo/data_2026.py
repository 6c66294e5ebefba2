"""The demo's merged province in 2026: Bắc Kạn and Thái Nguyên as one province (Thái Nguyên) since
1 July 2025, with two tiers of local government (province and commune, no district).

Names follow the 2025 arrangement as far as the sources of this project go; which of the demo's 29 old
communes went into which new one is invented for the demo (the old demo itself held only 29 of Bắc
Kạn's communes), so is each unit's quality. Department mergers follow the 2025 reorganisation of
provincial departments (Kế hoạch và Đầu tư into Tài chính, Giao thông vận tải into Xây dựng, Tài
nguyên và Môi trường with Nông nghiệp, Thông tin và Truyền thông into Khoa học và Công nghệ, Lao động
- Thương binh và Xã hội into Nội vụ, Ban Dân tộc becoming Sở Dân tộc và Tôn giáo).
"""
from __future__ import annotations

import unicodedata

PROVINCE = "Tỉnh Thái Nguyên"
NAME = "Điều tra XHH Chỉ số CCHC năm 2026, tỉnh Thái Nguyên sau hợp nhất (dữ liệu mẫu, đang thu phiếu)"

# What became of each department of the old province: (old code, new code, new name, kind).
DEPARTMENTS = [
    ("so_gtvt", "so_xd", "Sở Xây dựng", "hợp nhất"),
    ("so_xd", "so_xd", "Sở Xây dựng", "hợp nhất"),
    ("so_khdt", "so_tc", "Sở Tài chính", "hợp nhất"),
    ("so_tc", "so_tc", "Sở Tài chính", "hợp nhất"),
    ("so_tnmt", "so_nnmt", "Sở Nông nghiệp và Môi trường", "hợp nhất"),
    ("so_nnptnt", "so_nnmt", "Sở Nông nghiệp và Môi trường", "hợp nhất"),
    ("so_tttt", "so_khcn", "Sở Khoa học và Công nghệ", "hợp nhất"),
    ("so_khcn", "so_khcn", "Sở Khoa học và Công nghệ", "hợp nhất"),
    ("so_ldtbxh", "so_nv", "Sở Nội vụ", "hợp nhất"),
    ("so_nv", "so_nv", "Sở Nội vụ", "hợp nhất"),
    ("ban_dt", "so_dttg", "Sở Dân tộc và Tôn giáo", "đổi tên"),
    *((code, code, "", "giữ nguyên") for code in ("thanh_tra", "so_tp", "so_ct", "so_yt", "so_gddt", "so_vhttdl",
                                                    "vp_ubnd", "bql_kcn")),
]

# The districts are abolished (no district level since 1 July 2025).
DISTRICTS = ("tp_bac_kan", "ngan_son", "cho_moi", "cho_don", "bach_thong", "pac_nam", "na_ri", "ba_be")

# New commune -> the old communes it comes from (codes of the demo's 2024 campaign) and the kind; a split
# old commune appears under each of its new communes.
COMMUNES_FROM_OLD = [
    ("Phường Đức Xuân", ("tp_bac_kan_x1", "tp_bac_kan_x3"), "hợp nhất"),
    ("Phường Bắc Kạn", ("tp_bac_kan_x2", "tp_bac_kan_x4"), "hợp nhất"),
    ("Xã Ngân Sơn", ("ngan_son_x1",), "đổi tên"),
    ("Xã Bằng Vân", ("ngan_son_x2",), "giữ nguyên"),
    ("Xã Thượng Quan", ("ngan_son_x3",), "giữ nguyên"),
    ("Xã Chợ Mới", ("cho_moi_x1", "cho_moi_x2"), "hợp nhất"),
    ("Xã Thanh Mai", ("cho_moi_x3", "cho_moi_x4"), "hợp nhất"),
    ("Xã Chợ Đồn", ("cho_don_x1", "cho_don_x2"), "hợp nhất"),
    ("Xã Nam Cường", ("cho_don_x3", "cho_don_x4"), "hợp nhất"),
    ("Xã Phủ Thông", ("bach_thong_x1",), "đổi tên"),
    ("Xã Cẩm Giàng", ("bach_thong_x2", "bach_thong_x3"), "hợp nhất"),
    ("Xã Bộc Bố", ("pac_nam_x1", "pac_nam_x2"), "hợp nhất"),
    ("Xã Bằng Thành", ("pac_nam_x3",), "giữ nguyên"),
    ("Xã Na Rì", ("na_ri_x1", "na_ri_x2"), "hợp nhất"),
    ("Xã Côn Minh", ("na_ri_x3", "na_ri_x4"), "hợp nhất"),
    ("Xã Chợ Rã", ("ba_be_x1",), "đổi tên"),
    ("Xã Ba Bể", ("ba_be_x2", "ba_be_x3"), "hợp nhất"),
    ("Xã Phúc Lộc", ("ba_be_x4",), "chia tách"),
    ("Xã Thượng Minh", ("ba_be_x4",), "chia tách"),
]

# Communes of the merged province with no predecessor among the demo's old units (the rest of old Bắc
# Kạn, then old Thái Nguyên): added on the units page after the copy.
OTHER_COMMUNES = [
    "Xã Phong Quang", "Xã Nghiên Loan", "Xã Cao Minh", "Xã Đồng Phúc", "Xã Nà Phặc", "Xã Hiệp Lực",
    "Xã Quảng Bạch", "Xã Yên Thịnh", "Xã Yên Phong", "Xã Nghĩa Tá", "Xã Vĩnh Thông", "Xã Bạch Thông",
    "Xã Văn Lang", "Xã Cường Lợi", "Xã Trần Phú", "Xã Xuân Dương", "Xã Tân Kỳ", "Xã Thanh Thịnh", "Xã Yên Bình",
    "Phường Phan Đình Phùng", "Phường Linh Sơn", "Phường Tích Lương", "Phường Gia Sàng", "Phường Quyết Thắng",
    "Phường Quan Triều", "Phường Sông Công", "Phường Bá Xuyên", "Phường Bách Quang", "Phường Phổ Yên",
    "Phường Vạn Xuân", "Phường Trung Thành", "Phường Phúc Thuận", "Xã Tân Cương", "Xã Đại Phúc",
    "Xã Thành Công", "Xã Đại Từ", "Xã Đức Lương", "Xã Phú Thịnh", "Xã La Bằng", "Xã Phú Lạc", "Xã An Khánh",
    "Xã Quân Chu", "Xã Vạn Phú", "Xã Phú Xuyên", "Xã Định Hóa", "Xã Bình Yên", "Xã Trung Hội",
    "Xã Phượng Tiến", "Xã Phú Đình", "Xã Bình Thành", "Xã Kim Phượng", "Xã Lam Vỹ", "Xã Võ Nhai",
    "Xã Dân Tiến", "Xã Nghinh Tường", "Xã Thần Sa", "Xã La Hiên", "Xã Tràng Xá", "Xã Sảng Mộc",
    "Xã Phú Lương", "Xã Vô Tranh", "Xã Yên Trạch", "Xã Hợp Thành", "Xã Đồng Hỷ", "Xã Quang Sơn",
    "Xã Trại Cau", "Xã Nam Hòa", "Xã Văn Hán", "Xã Vũ Chấn", "Xã Phú Bình", "Xã Tân Khánh", "Xã Tân Thành",
    "Xã Điềm Thụy", "Xã Kha Sơn",
]

# Sample plan per rated unit: every provincial delegate (census) rates each department; ten civil
# servants per department; four commune officials, fifteen citizens and five businesses per commune.
TARGETS = {("hdnd_tinh", "so"): 60, ("cc_so", "so"): 10, ("cb_xa", "xa"): 4, ("nguoi_dan", "xa"): 15,
           ("doanh_nghiep", "xa"): 5}
DELEGATES = 60
CIVIL_SERVANTS = 10
COMMUNE_OFFICIALS = 4
QR_CARDS = {"nguoi_dan": 3, "doanh_nghiep": 1}  # handed out at each commune's one-stop shop so far
PRINTED_COMMUNES = 40  # the first batch (the keyers' two among them): cards and paper ballots printed to plan
KEYED_SHARE = 0.6  # of the first batch's paper ballots: keyed twice already
RATES = {"hdnd_tinh": 0.35, "cc_so": 0.45, "cb_xa": 0.5, "qr": 0.25}
KEYERS_UNITS = ("xa_ba_be", "xa_cho_ra")  # where the demo's two data-entry staff key in 2026


def slug(name: str) -> str:
    """A unit code from its name.

    Examples
    --------
    >>> slug("Phường Đức Xuân"), slug("Xã Nà Phặc")
    ('phuong_duc_xuan', 'xa_na_phac')
    """
    plain = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return "_".join("".join(c for c in plain if not unicodedata.combining(c)).lower().split())


def succession_rows(old_names: dict[str, str]) -> list[tuple[str, str, str, str, str]]:
    """The succession table of the 2026 campaign, as the file holds it: (old code, old name, new code,
    new name, kind in Vietnamese), one row per old unit (per new unit for a split)."""
    rows = [(old, old_names[old], new, name, kind) for old, new, name, kind in DEPARTMENTS]
    rows += [(code, old_names[code], "", "", "giải thể") for code in DISTRICTS]
    for name, olds, kind in COMMUNES_FROM_OLD:
        rows += [(old, old_names[old], slug(name), name, kind) for old in olds]
    return rows
