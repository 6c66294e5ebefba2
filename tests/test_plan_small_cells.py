"""The sample plan warns of cells planned above 0 but under the set's ``min_cell``: their figures are never
published on their own. The rule (``small_cells``), its sentence, the plan page and the plan import."""
from __future__ import annotations

import re
from types import SimpleNamespace

from sqlalchemy import select

from questionnaires import DEFAULT_SET_DIR, read_set_texts
from survey_app.extensions import DB_KEY
from survey_app.models import RespondentGroup, Unit
from survey_app.services.campaigns import create_campaign
from survey_app.services.units import PlanLevel, small_cells, small_cells_message

from .test_admin import UNITS_CSV, flashes, new_campaign, token_of, upload

PLAN = "/quan-tri/dot/1/ke-hoach"


def _grid(targets: dict[str, int]) -> tuple[list[PlanLevel], SimpleNamespace, dict[str, SimpleNamespace]]:
    unit = SimpleNamespace(id=1, name="Sở Tư pháp")
    groups = {code: SimpleNamespace(id=i, code=code, name=code.upper()) for i, code in enumerate(targets, 1)}
    row = (unit, {groups[code].id: target for code, target in targets.items()})
    return [PlanLevel(level=None, groups=list(groups.values()), rows=[row])], unit, groups


def test_only_a_cell_above_zero_and_under_min_cell_is_small():
    grid, unit, groups = _grid({"a": 4, "b": 5, "c": 0})
    assert small_cells(grid, 5) == [(unit, groups["a"], 4)], "5 reaches min_cell; 0 is not surveyed"


def test_a_set_with_min_cell_3_does_not_warn_of_a_4():
    grid, unit, groups = _grid({"a": 4, "b": 2, "c": 3})
    assert small_cells(grid, 3) == [(unit, groups["b"], 2)]


def test_the_sentence_counts_every_cell_and_names_the_first_three():
    unit = SimpleNamespace(name="Sở Tư pháp")
    cells = [(unit, SimpleNamespace(name=f"Nhóm {i}"), i) for i in range(1, 5)]
    assert small_cells_message(cells, 5) == (
        "4 ô kế hoạch dưới 5 người (Sở Tư pháp · Nhóm 1: 1, Sở Tư pháp · Nhóm 2: 2, Sở Tư pháp · Nhóm 3: 3, …): "
        "số liệu riêng của các ô này sẽ không được công bố; nên nâng chỉ tiêu lên ít nhất 5 hoặc gộp.")
    assert small_cells_message(cells[:1], 5) == (
        "1 ô kế hoạch dưới 5 người (Sở Tư pháp · Nhóm 1: 1): "
        "số liệu riêng của ô này sẽ không được công bố; nên nâng chỉ tiêu lên ít nhất 5 hoặc gộp.")


def _marked(app, page: str) -> dict[tuple[str, str], bool]:
    """Per (unit code, group code) of the grid: whether its cell is marked as under min_cell (the class, and
    the input described by the visible "dưới n" text)."""
    with app.extensions[DB_KEY].session() as s:
        units = dict(s.execute(select(Unit.id, Unit.code)).all())
        groups = dict(s.execute(select(RespondentGroup.id, RespondentGroup.code)).all())
    cells = {}
    for classes, unit_id, group_id, rest in re.findall(
            r'<td class="([^"]*)"><input [^>]*name="t_(\d+)_(\d+)"([^>]*)>', page):
        marked = "small-cell" in classes.split()
        described = f'aria-describedby="duoi-{unit_id}-{group_id}"' in rest
        assert marked == described == (f'id="duoi-{unit_id}-{group_id}"' in page)
        cells[(units[int(unit_id)], groups[int(group_id)])] = marked
    return cells


def test_the_page_and_the_import_warn_of_the_small_cells(admin, app):
    new_campaign(admin)
    upload(admin, "/quan-tri/dot/1/don-vi", UNITS_CSV, token_of(admin))
    plan = ("unit,group,target\nso_tp,hdnd_tinh,0\nso_tp,cc_so,4\nso_tp,ldp_huyen,5\n"
            "ba_be,ld_xa,3\nba_be,nguoi_dan,2\nba_be,doanh_nghiep,1\nba_be,hdnd_huyen,60\n")
    upload(admin, PLAN, plan, token_of(admin))
    # Grid order: departments (hdnd_tinh, cc_so, ldp_huyen), then districts (hdnd_tinh, hdnd_huyen, ld_xa,
    # nguoi_dan, doanh_nghiep): 4 cells under 5, the fourth (doanh_nghiep: 1) left to "…".
    sentence = ("4 ô kế hoạch dưới 5 người (Sở Tư pháp · Công chức cấp sở: 4, Huyện Ba Bể · Lãnh đạo cấp xã: 3, "
                "Huyện Ba Bể · Người dân: 2, …): số liệu riêng của các ô này sẽ không được công bố; "
                "nên nâng chỉ tiêu lên ít nhất 5 hoặc gộp.")
    html = admin.get(PLAN).get_data(as_text=True)
    assert re.findall(r'<p class="flash flash-(\w+)">([^<]+)</p>', html) == [
        ("ok", "Đã lưu kế hoạch mẫu (6 ô thay đổi)."), ("warn", sentence)], "imported, and warned"
    page = admin.get(PLAN).get_data(as_text=True)
    assert f'<p class="warn" id="o-duoi-nguong">{sentence}</p>' in page
    marked = _marked(app, page)
    assert len(marked) == 8
    assert {cell for cell, small in marked.items() if small} == {
        ("so_tp", "cc_so"), ("ba_be", "ld_xa"), ("ba_be", "nguoi_dan"), ("ba_be", "doanh_nghiep")}
    assert page.count("dưới 5<span class=\"visually-hidden\"> người: số liệu riêng của ô này") == 4

    # Raised to 5: the import says nothing more and the page neither warns nor marks.
    upload(admin, PLAN, "unit,group,target\nso_tp,cc_so,5\nba_be,ld_xa,5\nba_be,nguoi_dan,5\n"
                        "ba_be,doanh_nghiep,9\n", token_of(admin))
    assert flashes(admin, PLAN) == ["Đã lưu kế hoạch mẫu (4 ô thay đổi)."]
    page = admin.get(PLAN).get_data(as_text=True)
    assert "o-duoi-nguong" not in page and not any(_marked(app, page).values())


def test_a_campaign_whose_set_has_min_cell_3_warns_only_under_3(admin, app):
    texts = read_set_texts(DEFAULT_SET_DIR)
    assert "min_cell" not in texts["set.yaml"]
    texts["set.yaml"] = texts["set.yaml"].replace("year: 2023\n", "year: 2023\nmin_cell: 3\n", 1)
    with app.extensions[DB_KEY].transaction() as s:
        assert create_campaign(s, year=2024, name="Bộ min_cell 3", criteria_texts=texts, actor="t").id == 1
    upload(admin, "/quan-tri/dot/1/don-vi", UNITS_CSV, token_of(admin))
    upload(admin, PLAN, "unit,group,target\nso_tp,cc_so,4\nba_be,nguoi_dan,2\n", token_of(admin))
    sentence = ("1 ô kế hoạch dưới 3 người (Huyện Ba Bể · Người dân: 2): số liệu riêng của ô này sẽ không được "
                "công bố; nên nâng chỉ tiêu lên ít nhất 3 hoặc gộp.")
    assert flashes(admin, PLAN) == ["Đã lưu kế hoạch mẫu (2 ô thay đổi).", sentence]
    page = admin.get(PLAN).get_data(as_text=True)
    assert f'<p class="warn" id="o-duoi-nguong">{sentence}</p>' in page
    assert {cell for cell, small in _marked(app, page).items() if small} == {("ba_be", "nguoi_dan")}
