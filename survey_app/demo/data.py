"""The demo province: Bắc Kạn's 2023 units and published figures (seed 001).

``SURVEY`` holds the published survey points per field (1-7) of every unit;
the demo uses them as each unit's true quality, so its simulated ballots score
close to the real table. ``FINAL`` is the published index, from which the
demo's appraisal points are derived (index - survey points).
"""

# code, name, short name
DEPARTMENTS = [
    ("so_gtvt", "Sở Giao thông vận tải", "Sở GTVT"),
    ("so_khdt", "Sở Kế hoạch và Đầu tư", "Sở KH&ĐT"),
    ("thanh_tra", "Thanh tra tỉnh", "Thanh tra tỉnh"),
    ("so_tp", "Sở Tư pháp", "Sở Tư pháp"),
    ("so_khcn", "Sở Khoa học và Công nghệ", "Sở KH&CN"),
    ("so_tc", "Sở Tài chính", "Sở Tài chính"),
    ("so_tnmt", "Sở Tài nguyên và Môi trường", "Sở TN&MT"),
    ("so_ct", "Sở Công Thương", "Sở Công Thương"),
    ("so_nv", "Sở Nội vụ", "Sở Nội vụ"),
    ("ban_dt", "Ban Dân tộc tỉnh", "Ban Dân tộc tỉnh"),
    ("bql_kcn", "Ban Quản lý các Khu công nghiệp tỉnh", "BQL các KCN"),
    ("so_yt", "Sở Y tế", "Sở Y tế"),
    ("so_nnptnt", "Sở Nông nghiệp và Phát triển nông thôn", "Sở NN&PTNT"),
    ("vp_ubnd", "Văn phòng UBND tỉnh", "Văn phòng UBND tỉnh"),
    ("so_xd", "Sở Xây dựng", "Sở Xây dựng"),
    ("so_ldtbxh", "Sở Lao động - Thương binh và Xã hội", "Sở LĐ-TB&XH"),
    ("so_gddt", "Sở Giáo dục và Đào tạo", "Sở GD&ĐT"),
    ("so_tttt", "Sở Thông tin và Truyền thông", "Sở TT&TT"),
    ("so_vhttdl", "Sở Văn hóa, Thể thao và Du lịch", "Sở VH, TT&DL"),
]

DISTRICTS = [
    (
        "tp_bac_kan",
        "Thành phố Bắc Kạn",
        ["Phường Đức Xuân", "Phường Sông Cầu", "Phường Phùng Chí Kiên", "Xã Dương Quang"],
    ),
    ("ngan_son", "Huyện Ngân Sơn", ["Thị trấn Vân Tùng", "Xã Bằng Vân", "Xã Thượng Quan"]),
    ("cho_moi", "Huyện Chợ Mới", ["Thị trấn Đồng Tâm", "Xã Yên Đĩnh", "Xã Thanh Mai", "Xã Nông Hạ"]),
    ("cho_don", "Huyện Chợ Đồn", ["Thị trấn Bằng Lũng", "Xã Ngọc Phái", "Xã Đồng Lạc", "Xã Nam Cường"]),
    ("bach_thong", "Huyện Bạch Thông", ["Thị trấn Phủ Thông", "Xã Cẩm Giàng", "Xã Quân Hà"]),
    ("pac_nam", "Huyện Pác Nặm", ["Xã Bộc Bố", "Xã Nhạn Môn", "Xã Bằng Thành"]),
    ("na_ri", "Huyện Na Rì", ["Thị trấn Yến Lạc", "Xã Kim Lư", "Xã Côn Minh", "Xã Lương Thượng"]),
    ("ba_be", "Huyện Ba Bể", ["Thị trấn Chợ Rã", "Xã Nam Mẫu", "Xã Khang Ninh", "Xã Hà Hiệu"]),
]

# Published 2023 survey points per field 1..7 (seed 001, "Kết quả cụ thể điểm điều tra XHH").
SURVEY = {
    "so_gtvt": (1.746, 1.756, 2.473, 0.962, 2.385, 1.490, 1.894),
    "so_khdt": (1.796, 1.786, 2.456, 0.973, 2.183, 1.490, 1.785),
    "thanh_tra": (1.812, 1.895, 2.463, 0.978, 2.388, 1.490, 1.907),
    "so_tp": (1.819, 1.881, 2.467, 0.979, 2.360, 1.490, 1.911),
    "so_khcn": (1.768, 1.819, 2.445, 0.957, 2.324, 1.490, 1.895),
    "so_tc": (1.740, 1.811, 2.459, 0.987, 2.356, 1.490, 1.853),
    "so_tnmt": (1.706, 1.800, 2.400, 0.878, 2.227, 1.490, 1.791),
    "so_ct": (1.784, 1.565, 2.440, 0.927, 2.298, 1.390, 1.805),
    "so_nv": (1.904, 1.673, 2.440, 0.961, 2.372, 1.490, 1.904),
    "ban_dt": (1.752, 1.823, 2.423, 0.925, 2.370, 1.485, 1.784),
    "bql_kcn": (1.459, 1.763, 2.405, 0.875, 2.308, 1.490, 1.690),
    "so_yt": (1.743, 1.763, 2.458, 0.976, 2.378, 1.490, 1.742),
    "so_nnptnt": (1.567, 1.629, 2.429, 0.947, 2.314, 1.490, 1.815),
    "vp_ubnd": (1.515, 1.568, 2.006, 0.870, 1.970, 1.440, 1.685),
    "so_xd": (1.782, 1.812, 2.454, 0.964, 2.348, 1.490, 1.866),
    "so_ldtbxh": (1.767, 1.790, 2.349, 0.928, 2.329, 1.490, 1.777),
    "so_gddt": (1.704, 1.822, 2.458, 0.958, 2.388, 1.490, 1.880),
    "so_tttt": (1.678, 1.704, 2.482, 0.885, 2.277, 1.490, 1.940),
    "so_vhttdl": (1.781, 1.714, 2.464, 0.966, 2.351, 1.490, 1.895),
    "tp_bac_kan": (2.052, 1.895, 2.036, 0.877, 2.191, 1.332, 1.688),
    "ngan_son": (2.063, 1.837, 2.371, 0.910, 2.372, 1.388, 1.747),
    "cho_moi": (2.094, 1.741, 2.238, 0.827, 2.310, 1.399, 1.676),
    "cho_don": (2.186, 1.919, 2.383, 0.972, 2.432, 1.426, 1.896),
    "bach_thong": (2.064, 1.810, 2.240, 0.837, 2.193, 1.411, 1.841),
    "pac_nam": (1.995, 1.674, 2.264, 0.877, 2.244, 1.346, 1.698),
    "na_ri": (2.054, 1.766, 2.191, 0.891, 2.298, 1.436, 1.573),
    "ba_be": (1.965, 1.671, 2.067, 0.864, 2.237, 1.374, 1.674),
}

# Published 2023 index (survey + appraisal), seed 001.
FINAL = {
    "so_gtvt": 95.476, "so_khdt": 95.469, "thanh_tra": 93.693, "so_tp": 93.395, "so_khcn": 92.608,
    "so_tc": 92.286, "so_tnmt": 91.912, "so_ct": 91.709, "so_nv": 91.474, "ban_dt": 90.722,
    "bql_kcn": 90.390, "so_yt": 90.100, "so_nnptnt": 89.661, "vp_ubnd": 89.544, "so_xd": 89.166,
    "so_ldtbxh": 88.750, "so_gddt": 87.540, "so_tttt": 86.556, "so_vhttdl": 84.101,
    "tp_bac_kan": 87.461, "ngan_son": 87.109, "cho_moi": 83.289, "cho_don": 82.791,
    "bach_thong": 82.697, "pac_nam": 79.274, "na_ri": 79.206, "ba_be": 79.041,
}

# Sample plan per rated unit (seed 001: 7 district delegates and 10 businesses per
# district, 3 commune leaders in each of 3 communes per district).
DELEGATES_TINH = 50
TARGETS = {
    ("hdnd_tinh", "so"): DELEGATES_TINH,
    ("hdnd_tinh", "huyen"): DELEGATES_TINH,
    ("cc_so", "so"): 10,
    ("ldp_huyen", "so"): 30,
    ("hdnd_huyen", "huyen"): 7,
    ("ld_xa", "huyen"): 9,
    ("nguoi_dan", "huyen"): 60,
    ("doanh_nghiep", "huyen"): 10,
}
LDP_PER_DISTRICT = 12
COMMUNES_SURVEYED = 3
LEADERS_PER_COMMUNE = 3
QR_CARDS = {"nguoi_dan": 10, "doanh_nghiep": 4}

# Published 2022 index, rank and class (seed 001, "So sánh kết quả năm 2023 so với năm 2022").
PREVIOUS = {
    "so_gtvt": (80.12, 17, "Tốt"), "so_khdt": (92.02, 4, "Xuất sắc"), "thanh_tra": (83.67, 16, "Tốt"),
    "so_tp": (94.28, 1, "Xuất sắc"), "so_khcn": (89.76, 6, "Tốt"), "so_tc": (93.35, 3, "Xuất sắc"),
    "so_tnmt": (88.13, 12, "Tốt"), "so_ct": (91.24, 5, "Xuất sắc"), "so_nv": (89.19, 9, "Tốt"),
    "ban_dt": (79.06, 18, "Khá"), "bql_kcn": (84.05, 15, "Tốt"), "so_yt": (88.82, 11, "Tốt"),
    "so_nnptnt": (88.94, 10, "Tốt"), "vp_ubnd": (93.36, 2, "Xuất sắc"), "so_xd": (89.24, 8, "Tốt"),
    "so_ldtbxh": (84.56, 14, "Tốt"), "so_gddt": (76.97, 19, "Khá"), "so_tttt": (89.51, 7, "Tốt"),
    "so_vhttdl": (85.47, 13, "Tốt"),
    "tp_bac_kan": (81.81, 7, "Tốt"), "ngan_son": (79.56, 8, "Khá"), "cho_moi": (85.57, 2, "Tốt"),
    "cho_don": (84.39, 3, "Tốt"), "bach_thong": (88.21, 1, "Tốt"), "pac_nam": (82.51, 6, "Tốt"),
    "na_ri": (83.86, 5, "Tốt"), "ba_be": (84.28, 4, "Tốt"),
}

# Commune classes, invented (the seed publishes none) so that the demo shows the district
# rule's three outcomes: Chợ Mới drops from Tốt to Khá (2/4), Na Rì lacks one commune's
# result (not classified), the others keep their class. None: no result.
COMMUNE_CLASSES = {
    "tp_bac_kan": ["tot", "tot", "tot", "kha"], "ngan_son": ["tot", "tot", "kha"],
    "cho_moi": ["tot", "kha", "kha", "tot"], "cho_don": ["tot", "tot", "tot", "tot"],
    "bach_thong": ["tot", "tot", "kha"], "pac_nam": ["kha", "kha", "trung_binh"],
    "na_ri": ["kha", "tot", "kha", None], "ba_be": ["kha", "kha", "trung_binh", "kha"],
}
