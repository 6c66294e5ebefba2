"""The words of the report's form, shared by the Word document and the printable page: who is assessed (the
title), the closing sentence, and the parts the Department writes itself. Pure text from the criteria set."""
from __future__ import annotations

# The parts the Department writes itself, as the published report has them; their headings are left in place.
DRAFTER_PARTS = (("IV. ĐÁNH GIÁ CHUNG", "(Phần do Sở Nội vụ viết: những kết quả đạt được; những tồn tại, hạn chế và "
                                        "nguyên nhân.)"),
                 ("V. NHIỆM VỤ TRONG THỜI GIAN TỚI", "(Phần do Sở Nội vụ viết: nhiệm vụ của các cơ quan, đơn vị "
                                                      "trong năm tới.)"))


def _ranked_levels(cset) -> list:
    """The levels the province ranks: those it surveys (communes of the 2023 scheme are not)."""
    return [lv for lv in cset.levels if lv.surveyed]


def assessed_phrase(cset) -> str:
    """Who the report assesses, as the seed's title names them, from the set's ranked levels.

    Departments by their units word; other levels by their people's committees.

    Examples
    --------
    >>> from questionnaires.model import Level, Criterion
    >>> c = (Criterion("1", "x", "so", "1", ()),)
    >>> cset = type("S", (), {"levels": (Level("so", "Cấp sở", 0, 0, {}, c, plural="sở, ban, ngành"),
    ...                                  Level("huyen", "Cấp huyện", 0, 0, {}, c, plural="huyện, thành phố"),
    ...                                  Level("xa", "Cấp xã", 0, 0, {}, ()))})
    >>> assessed_phrase(cset)
    'các sở, ban, ngành; Ủy ban nhân dân các huyện, thành phố'
    """
    words = [lv.units_word for lv in _ranked_levels(cset)]
    return "; ".join(f"các {w}" if w.lower().startswith("sở") else f"Ủy ban nhân dân các {w}" for w in words)


def report_title(cset, year: int) -> str:
    """The line under "BÁO CÁO", worded as the seed's title."""
    return f"Kết quả xác định Chỉ số cải cách hành chính {assessed_phrase(cset)} năm {year}"


def closing_sentence(cset, province: str, year: int) -> str:
    """The sentence before "Nơi nhận", as the seed closes.

    Examples
    --------
    >>> from questionnaires.model import Level, Criterion
    >>> c = (Criterion("1", "x", "so", "1", ()),)
    >>> cset = type("S", (), {"levels": (Level("so", "Cấp sở", 0, 0, {}, c), Level("h", "Cấp huyện", 0, 0, {}, c))})
    >>> closing_sentence(cset, "Tỉnh Bắc Kạn", 2023).split(" về ")[1]
    'kết quả xác định Chỉ số CCHC đối với cấp sở, cấp huyện trên địa bàn tỉnh năm 2023./.'
    """
    levels = ", ".join(lv.name[:1].lower() + lv.name[1:] for lv in _ranked_levels(cset))
    kind = "thành phố" if province.strip().lower().startswith("thành phố") else "tỉnh"
    return (f"Trên đây là báo cáo của Sở Nội vụ về kết quả xác định Chỉ số CCHC đối với {levels} "
            f"trên địa bàn {kind} năm {year}./.")
