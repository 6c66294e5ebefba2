"""Raw ballots as SPSS and Stata files: written, read back, compared with the wide export."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from sqlalchemy import select, update

from questionnaires import load_default_set
from survey_app.extensions import DB_KEY
from survey_app.models import Answer, Ballot, Campaign, Unit
from survey_app.outputs.raw_ballots import BALLOT_COLUMNS, wide_columns, wide_rows
from survey_app.outputs.statfiles import (
    DONT_KNOW,
    SPSS_LABEL_BYTES,
    STATA_LABEL_CHARS,
    ballot_frame_wide,
    clip_label,
    variable_name,
    write_dta,
    write_sav,
)
from survey_app.services.campaigns import campaign_criteria
from survey_app.services.users import create_user

from .conftest import LAST
from .test_auth import login

DONT_KNOW_TEXT = "Không biết / không ý kiến"
HEAD = len(BALLOT_COLUMNS)


def build(app):
    """The labelled frame, the wide export's columns and rows, and the criteria set, from one session."""
    with app.extensions[DB_KEY].session() as s:
        campaign = s.get(Campaign, LAST)
        cset = campaign_criteria(campaign)
        frame, variable_labels, value_labels = ballot_frame_wide(s, campaign, cset)
        columns = [c.key for c in wide_columns(s, campaign, cset)]
        rows = list(wide_rows(s, campaign, cset))
    return frame, variable_labels, value_labels, columns, rows, cset


def label_to_option(cset, question_id: str) -> dict[str, str]:
    """A question's Vietnamese option labels back to its option codes."""
    scale = cset.scale_by_code[next(q.scale for q in cset.questions if q.id == question_id)]
    return {o.label: o.code for o in scale.options}


def options_from_labels(read: pd.DataFrame, cset, question_ids) -> dict[str, list]:
    """Each question column of a file read with its value labels applied, as option codes (None when empty)."""
    out = {}
    for q in question_ids:
        back = label_to_option(cset, q)
        out[q] = [None if isinstance(v, float) and math.isnan(v) or v is None else back[v] for v in read[q]]
    return out


def wide_options(columns, rows, question_ids) -> dict[str, list]:
    return {q: [row[columns.index(q)] for row in rows] for q in question_ids}


@pytest.fixture
def demo(demo_app):
    return build(demo_app)


def test_one_row_per_ballot_and_unit_coded_in_scale_order(demo):
    frame, variable_labels, value_labels, columns, rows, cset = demo
    assert len(frame) == len(rows) > 2000
    assert list(frame.columns) == columns  # the set's ids are good names as they are
    assert frame["ballot_id"].tolist() == [r[0] for r in rows]
    assert frame["unit_name"].tolist() == [r[6] for r in rows]
    for q in cset.questions:  # codes 1..k in the scale's order, don't know 9, not asked empty
        scale = cset.scale_by_code[q.scale]
        expected = {o.code: float(i) for i, o in enumerate(scale.counted_options, 1)}
        expected[scale.dont_know_option.code] = float(DONT_KNOW)
        want = [expected[row[columns.index(q.id)]] if row[columns.index(q.id)] else math.nan for row in rows]
        np.testing.assert_array_equal(frame[q.id].to_numpy(), np.array(want))
        assert value_labels[q.id] == {**{i: o.label for i, o in enumerate(scale.counted_options, 1)},
                                      DONT_KNOW: DONT_KNOW_TEXT}
        assert variable_labels[q.id] == q.text
    assert (frame.iloc[:, HEAD:] == DONT_KNOW).to_numpy().sum() > 0
    assert value_labels["group"][1] == "Đại biểu HĐND tỉnh" and value_labels["state"][4] == "Loại"
    assert value_labels["level"] == {1: "Cấp sở", 2: "Cấp huyện", 3: "Cấp xã"}
    by_level = {"so": 1.0, "huyen": 2.0, "xa": 3.0}
    assert frame["level"].tolist() == [by_level[r[4]] for r in rows]
    assert [variable_labels[c.key] for c in BALLOT_COLUMNS] == [c.header for c in BALLOT_COLUMNS]


def test_sav_reads_back_with_labels_and_dont_know_as_user_missing(demo, tmp_path):
    frame, variable_labels, value_labels, columns, rows, cset = demo
    path = tmp_path / "phieu.sav"
    write_sav(path, frame, variable_labels, value_labels, file_label="Phiếu thô — Khảo sát 2023")
    read, meta = pyreadstat.read_sav(path, user_missing=True)
    assert len(read) == len(rows) and meta.file_encoding == "UTF-8"
    assert read["ballot_id"].tolist() == [r[0] for r in rows]  # 63-bit ids exact, as text
    assert read["unit_name"].tolist() == [r[6] for r in rows]
    h10 = next(q for q in cset.questions if q.id == "H10")
    assert meta.column_names_to_labels["H10"] == h10.text and meta.column_names_to_labels["ballot_id"] == "Mã phiếu"
    assert meta.variable_value_labels["H10"] == {1.0: "Tốt", 2.0: "Khá", 3.0: "Trung bình", 4.0: "Kém",
                                                 9.0: DONT_KNOW_TEXT}
    assert meta.missing_ranges["H10"] == [{"lo": 9.0, "hi": 9.0}]
    assert meta.variable_value_labels["group"][1.0] == "Đại biểu HĐND tỉnh"
    assert meta.file_label == "Phiếu thô — Khảo sát 2023"
    questions = columns[HEAD:]
    np.testing.assert_array_equal(read[questions].to_numpy(), frame[questions].to_numpy())
    # Without user_missing, SPSS's reading: "don't know" is missing, like a question not asked.
    plain, _ = pyreadstat.read_sav(path)
    assert plain[questions].isna().to_numpy().sum() == frame[questions].isna().to_numpy().sum() + \
        (frame[questions] == DONT_KNOW).to_numpy().sum()
    # Through the value labels back to the option codes of the wide export.
    labelled, _ = pyreadstat.read_sav(path, user_missing=True, apply_value_formats=True)
    known = [q.id for q in cset.questions]
    assert options_from_labels(labelled, cset, known) == wide_options(columns, rows, known)
    assert DONT_KNOW_TEXT in set(labelled["H10"].dropna()) | set(labelled["S01"].dropna())


def test_dta_reads_back_with_cut_labels_and_dont_know_as_dot_a(demo, tmp_path):
    frame, variable_labels, value_labels, columns, rows, cset = demo
    path = tmp_path / "phieu.dta"
    write_dta(path, frame, variable_labels, value_labels, file_label="Phiếu thô — Khảo sát 2023")
    assert path.read_bytes()[:50].startswith(b"<stata_dta><header><release>118</release>")  # UTF-8 format
    read, meta = pyreadstat.read_dta(path, user_missing=True)
    assert len(read) == len(rows)
    assert read["ballot_id"].tolist() == [r[0] for r in rows]
    h10 = next(q for q in cset.questions if q.id == "H10")
    label = meta.column_names_to_labels["H10"]
    assert len(h10.text) > STATA_LABEL_CHARS  # so this is the cut one
    assert label == clip_label(h10.text, STATA_LABEL_CHARS) and len(label) <= STATA_LABEL_CHARS
    assert label.endswith("…") and h10.text.startswith(label[:-1])
    assert all(len(text) <= STATA_LABEL_CHARS for text in meta.column_labels)
    assert meta.variable_value_labels["H10"] == {1: "Tốt", 2: "Khá", 3: "Trung bình", 4: "Kém",
                                                 "a": DONT_KNOW_TEXT}
    assert meta.missing_user_values["H10"] == ["a"]
    questions = columns[HEAD:]
    want = frame[questions].astype(object).where(frame[questions] != DONT_KNOW, "a")
    assert read[questions].fillna(-1).to_numpy().tolist() == want.fillna(-1).to_numpy().tolist()
    labelled, _ = pyreadstat.read_dta(path, user_missing=True, apply_value_formats=True)
    known = [q.id for q in cset.questions]
    assert options_from_labels(labelled, cset, known) == wide_options(columns, rows, known)
    # pandas reads it too: labels as categories, .a kept apart from . when asked.
    with pd.read_stata(path, iterator=True) as reader:
        assert reader.variable_labels()["ballot_id"] == "Mã phiếu"
        assert reader.data_label == "Phiếu thô — Khảo sát 2023"
    by_pandas = pd.read_stata(path)
    assert by_pandas["ballot_id"].tolist() == [r[0] for r in rows]
    assert set(by_pandas["group"].cat.categories) <= set(value_labels["group"].values())
    assert by_pandas["unit_name"].tolist() == [r[6] for r in rows]
    raw = pd.read_stata(path, convert_categoricals=False, convert_missing=True)
    dot_a = sum(1 for v in raw[questions].to_numpy().ravel() if getattr(v, "string", None) == ".a")
    assert dot_a == (frame[questions] == DONT_KNOW).to_numpy().sum() > 0


def test_an_option_or_question_the_set_does_not_hold_gets_a_code_of_its_own(demo_app, tmp_path):
    with demo_app.extensions[DB_KEY].transaction() as s:
        # A district the raw exports show (seed 7 withholds Ngân Sơn's and Pác Nặm's small cells); the box
        # opened at close stores ballots in no fixed order, so the first found must not fall in them.
        answer = s.scalars(select(Answer).join(Ballot).join(Unit, Answer.unit_id == Unit.id).where(
            Ballot.campaign_id == LAST, Answer.question == "H10", Unit.code.notin_(("ngan_son", "pac_nam")))
            .order_by(Answer.ballot_id).limit(1)).one()
        s.execute(update(Answer).where(Answer.ballot_id == answer.ballot_id, Answer.unit_id == answer.unit_id,
                                       Answer.question == "H10").values(option="rat_tot"))
        s.add(Answer(ballot_id=answer.ballot_id, unit_id=answer.unit_id, question="1.2 cũ", option="co"))
    frame, variable_labels, value_labels, columns, rows, cset = build(demo_app)
    assert "q_1_2_cu" in frame.columns
    assert variable_labels["q_1_2_cu"] == "[1.2 cũ] Câu hỏi không có trong bộ tiêu chí"
    assert value_labels["q_1_2_cu"] == {1: "co"} and (frame["q_1_2_cu"] == 1).sum() == 1
    assert value_labels["H10"][5] == "rat_tot" and (frame["H10"] == 5).sum() == 1
    write_sav(tmp_path / "a.sav", frame, variable_labels, value_labels)
    write_dta(tmp_path / "a.dta", frame, variable_labels, value_labels)
    _, meta = pyreadstat.read_dta(tmp_path / "a.dta")
    assert meta.variable_value_labels["H10"][5] == "rat_tot"


def test_names_and_labels_fit_both_formats():
    taken = {"unit"}
    assert [variable_name(k, taken) for k in ("H01", "Unit", "h01", "by", "str12", "_x", "Đánh giá " * 6)] == [
        "H01", "Unit_2", "h01_2", "q_by", "q_str12", "x", "Danh_gia_Danh_gia_Danh_gia_Danh"]
    assert all(len(n) <= 32 for n in taken)
    for q in load_default_set().questions:
        stata, spss = clip_label(q.text, STATA_LABEL_CHARS), clip_label(q.text, max_bytes=SPSS_LABEL_BYTES)
        assert len(stata) <= STATA_LABEL_CHARS and (stata == q.text or stata.endswith("…"))
        assert len(spss.encode()) <= SPSS_LABEL_BYTES and spss == q.text  # the default set's texts fit SPSS
    long = "Mức độ hài lòng " * 30
    cut = clip_label(long, max_bytes=SPSS_LABEL_BYTES)
    assert len(cut.encode()) <= SPSS_LABEL_BYTES and cut.endswith("lòng…")


# --- the web route -------------------------------------------------------------------------

@pytest.fixture
def people(demo_app):
    with demo_app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, LAST)
        create_user(s, "pt", "mat-khau-du-dai", "analyst", actor="test")
        create_user(s, "nl", "mat-khau-du-dai", "staff", unit_codes=("na_ri",), campaign_id=campaign.id, actor="test")


def client_for(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def test_an_analyst_downloads_spss_and_stata(demo_app, people, tmp_path):
    client = client_for(demo_app, "pt")
    with demo_app.extensions[DB_KEY].session() as s:
        campaign = s.get(Campaign, LAST)
        cset = campaign_criteria(campaign)
        rows = list(wide_rows(s, campaign, cset))
    for fmt, mimetype, reader in (("sav", "application/x-spss-sav", pyreadstat.read_sav),
                                  ("dta", "application/x-stata-dta", pyreadstat.read_dta)):
        response = client.get(f"/bao-cao/1/xuat/phieu-rong.{fmt}")
        assert response.status_code == 200 and response.mimetype == mimetype
        assert response.headers["Content-Disposition"].endswith(f"filename=phieu-rong-{campaign.year}.{fmt}")
        path = tmp_path / f"download.{fmt}"
        path.write_bytes(response.data)
        read, meta = reader(path)
        assert len(read) == len(rows) and read["ballot_id"].tolist() == [r[0] for r in rows]
        assert meta.variable_value_labels["H10"][1] == "Tốt"
        assert meta.column_names_to_labels["unit_name"] == "Tên đơn vị"
    assert client.get("/bao-cao/1/xuat/phieu-dai.sav").status_code == 404  # a row per answer: CSV and JSON
    page = client.get("/bao-cao/1/").get_data(as_text=True)
    assert 'href="/bao-cao/1/xuat/phieu-rong.sav"' in page and 'href="/bao-cao/1/xuat/phieu-rong.dta"' in page
    assert page.count(".sav\"") == 1 and page.count(".dta\"") == 1


def test_staff_cannot_download_them(demo_app, people):
    client = client_for(demo_app, "nl")
    for fmt in ("sav", "dta"):
        assert client.get(f"/bao-cao/1/xuat/phieu-rong.{fmt}").status_code == 403


def test_report_tables_have_no_spss_or_stata_form(demo_app, people):
    client = client_for(demo_app, "pt")
    assert client.get("/bao-cao/1/xuat/ket-qua.sav").status_code == 404


def test_a_question_not_asked_in_the_first_hundred_rows_is_still_a_number(tmp_path):
    """pyreadstat's dataframe layer guessed an object column's type from its first 100 cells: a
    question asked of no unit in the first 100 rows (one ballot order in a few dozen) came out as
    text and the write failed ('float' object has no attribute 'encode'). Found by a flaky run."""
    frame = pd.DataFrame({"ballot_id": [str(i) for i in range(103)],
                          "S10": [float("nan")] * 100 + [1.0, DONT_KNOW, 4.0]})
    labels = {"ballot_id": "Mã phiếu", "S10": "Câu S10"}
    value_labels = {"S10": {1: "Tốt", 2: "Khá", 3: "Trung bình", 4: "Kém", DONT_KNOW: DONT_KNOW_TEXT}}
    write_dta(tmp_path / "late.dta", frame, labels, value_labels)
    read, meta = pyreadstat.read_dta(tmp_path / "late.dta", user_missing=True)
    assert read["S10"].tolist()[100:] == [1.0, "a", 4.0] and read["S10"][:100].isna().all()
    assert meta.missing_user_values["S10"] == ["a"]
