"""Issue 13's attacks on sealed results: while a campaign collects, nothing an admin or analyst can
fetch depends on the answers, a new envelope shows only in the counts, and the box opens only at close."""
from __future__ import annotations

import io
import re

import openpyxl
import pytest
from sqlalchemy import create_engine, func, inspect, select, text

from survey_app.extensions import DB_KEY
from survey_app.models import (
    Ballot,
    Campaign,
    Envelope,
    Invitation,
    PaperSerial,
    Unit,
)
from survey_app.services.campaigns import campaign_criteria
from survey_app.services.invitations import hash_token
from survey_app.services.markers import receipt, spent_marker

from .adversary_world import (  # noqa: F401 - the fixtures these attacks run in
    SECRET,
    TOKEN,
    TOKENS,
    _clone,
    answer_and_send,
    province,
    reach_review,
    send,
    signed_in,
    world,
)
from .conftest import CURRENT, make_app
from .test_auth import csrf

# --- Issue 13: nothing fetchable depends on the answers while collecting -------------------------------------

EXPORTS = ("diem-dieu-tra", "nhan-xet", "phuong-an", "ket-qua", "do-tin-cay", "phieu-dai", "phieu-rong")
FORMATS = ("csv", "json", "xlsx", "sav", "dta")


def everything_fetchable(app) -> list[str]:
    """Every GET an admin or analyst can make about the collecting campaign: pages, downloads, API."""
    with app.extensions[DB_KEY].session() as s:
        invitation = s.scalar(select(Invitation.id).where(Invitation.campaign_id == CURRENT).order_by(Invitation.id))
        conflict = s.scalar(select(PaperSerial.serial).where(PaperSerial.campaign_id == CURRENT,
                                                             PaperSerial.status == "conflict"))
        first, last = s.execute(select(func.min(PaperSerial.serial), func.max(PaperSerial.serial))
                                .where(PaperSerial.campaign_id == CURRENT)).one()
        paper = s.scalar(select(Ballot.id).where(Ballot.campaign_id == CURRENT, Ballot.paper_serial.is_not(None))
                         .order_by(Ballot.paper_serial).limit(1))  # its review page (issue 30 item 5)
        unit = s.scalar(select(func.min(Unit.id)).where(Unit.campaign_id == CURRENT))  # its page (issue 30 item 2)
    values = {"campaign_id": str(CURRENT), "level": "huyen", "group": "nguoi_dan", "invitation_id": str(invitation),
              "serial": conflict, "kind": "appraisal", "name": "nhiet-huyen", "user_id": "1", "entry_id": "1",
              "ballot_id": str(paper), "unit_id": str(unit)}
    query = {"admin.cards": "?don_vi=ba_be&doi_tuong=nguoi_dan", "admin.print_sheet": f"?tu={first}&den={last}",
             "admin.dashboard": "?cap=huyen", "admin.review": "?kenh=web"}
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.endpoint.startswith(("admin.", "reports.", "api.")):
            continue
        if rule.endpoint == "reports.export":
            urls += [f"/bao-cao/{CURRENT}/xuat/{slug}.{fmt}" for slug in EXPORTS for fmt in FORMATS]
        elif rule.endpoint == "admin.qr_image":
            urls += [f"/quan-tri/loi-moi/{invitation}/qr.{fmt}" for fmt in ("png", "svg")]
        elif rule.endpoint in ("admin.export_invitations", "admin.export_reminders"):
            urls += [re.sub(r"<(?:\w+:)?(\w+)>", lambda m, f=fmt: {**values, "fmt": f}[m.group(1)], rule.rule)
                     for fmt in ("csv", "xlsx")]
        elif rule.endpoint == "admin.results_template":  # the results imports' templates (issue 30 item 4)
            urls += [f"/quan-tri/dot/{CURRENT}/ket-qua-nhap/mau/{kind}.{fmt}" for kind in ("tham-dinh-so", "nam-truoc")
                     for fmt in ("csv", "xlsx")]
        elif rule.endpoint == "admin.succession_template":
            urls += [f"/quan-tri/dot/{CURRENT}/mau-ke-thua.{fmt}" for fmt in ("csv", "xlsx")]
        elif rule.endpoint == "admin.import_template":
            urls += [f"/quan-tri/dot/{CURRENT}/mau/{kind}.{fmt}" for kind in ("don-vi", "ke-hoach", "danh-sach-moi")
                     for fmt in ("csv", "xlsx")]
        else:
            urls.append(
                re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], rule.rule) + query.get(rule.endpoint, "")
            )
    return urls


def fetch_all(app) -> dict[tuple[str, str], object]:
    """What each reader gets from every URL, with what legitimately differs between two copies removed."""
    seen = {}
    for role, username in (("admin", "qt"), ("analyst", "pt")):
        client = signed_in(app, username)
        for url in everything_fetchable(app):
            headers = {"Authorization": f"Bearer {TOKENS[username]}"} if url.startswith("/api/") else {}
            response = client.get(url, headers=headers)
            body = response.data
            if response.mimetype.endswith("spreadsheetml.sheet"):
                book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
                body = [list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets]
            elif response.mimetype == "text/html":
                # the CSRF tokens of every form (the bulk print's is prefixed: "in-csrf_token")
                body = re.sub(r'name="[\w-]*csrf_token"([^>]*)value="[^"]+"', "", response.get_data(as_text=True))
                # the audit log's times: each copy's own downloads of links are audited, a second apart
                body = re.sub(r'<td><time datetime="[^"]+">[^<]+</time></td>', "", body)
            seen[(role, url)] = (response.status_code, body)
    return seen


def _analyze(url: str) -> None:
    """Gather the planner's statistics of the database at ``url``: an order a page leaves to the plan
    (a GROUP BY without ORDER BY) then changes, as it does on PostgreSQL when autovacuum analyzes."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def _first_difference(key, one, other) -> str:
    """Where two answers to the same GET part, for the failure message."""
    a, b = (repr(x) for x in (one, other))
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"{key}: …{a[max(0, at - 150):at + 150]}… ≠ …{b[max(0, at - 150):at + 150]}…"


def test_nothing_an_admin_or_analyst_can_fetch_depends_on_the_answers_while_collecting(province, tmp_path):
    """Two copies of the province; in one the citizen answers every question "Tốt", in the other
    "Kém". Every page, download (CSV, XLSX, JSON, SPSS, Stata, charts) and API answer an admin or
    an analyst can fetch is the same in both: no figure, ballot or export reveals what was said."""
    request, _folder, url = province
    results = []
    for n, option in enumerate((0, 3)):
        if n == 1:
            _analyze(url)  # the planner's statistics change between the copies, as autovacuum may do
        copy = _clone(request, url, tmp_path, f"w{n}.sqlite")
        app = make_app(copy, tmp_path / f"instance{n}", SECRET_KEY=SECRET)
        answer_and_send(app, option)
        results.append(fetch_all(app))
        app.extensions[DB_KEY].dispose()
        if not copy.startswith("sqlite"):
            request.getfixturevalue("pg_cluster").drop_database(copy)
    assert len(results[0]) > 60
    different = sorted(key for key in results[0] if results[0][key] != results[1].get(key))
    assert different == [], "\n".join(_first_difference(key, results[0][key], results[1].get(key))
                                      for key in different)
    statuses = {key: value[0] for key, value in results[0].items()}
    assert statuses[("analyst", f"/bao-cao/{CURRENT}/xuat/phieu-dai.csv")] == 409, "raw ballots are sealed"
    assert statuses[("analyst", f"/api/v1/campaigns/{CURRENT}/points")] == 409
    assert all(code < 500 for code in statuses.values())


def test_a_new_envelope_appears_nowhere_but_in_the_counts(world):
    """After one submission: its envelope's id, its marker and its form's client id are in no page,
    download or API answer."""
    with world.extensions[DB_KEY].session() as s:
        before = set(s.scalars(select(Envelope.id)))
    client = world.test_client()
    review, client_id = reach_review(client, TOKEN)
    send(client, TOKEN, review, client_id)
    with world.extensions[DB_KEY].session() as s:
        (envelope,) = set(s.scalars(select(Envelope.id))) - before
    hidden = (envelope, client_id, spent_marker(SECRET, hash_token(TOKEN)), receipt(SECRET, client_id))
    for (_role, url), (_status, body) in fetch_all(world).items():
        text_body = body if isinstance(body, str) else repr(body)
        assert not any(value in text_body for value in hidden), url


def test_the_sealed_box_opens_only_when_the_campaign_is_closed(world):
    admin = signed_in(world, "qt")
    sealed = admin.get(f"/bao-cao/{CURRENT}/ket-qua")
    assert sealed.status_code == 409 and "Kết quả đang được niêm phong" in sealed.get_data(as_text=True)
    review = admin.get(f"/quan-tri/dot/{CURRENT}/duyet").get_data(as_text=True)
    assert "Trực tuyến" not in review.split("<tbody>", 1)[1] and "Giấy" in review, "only keyed ballots"
    page = admin.get(f"/quan-tri/dot/{CURRENT}/ket-thuc").get_data(as_text=True)
    admin.post(f"/quan-tri/dot/{CURRENT}/ket-thuc", data={"csrf_token": csrf(page), "confirm": "yes",
                                                                  "confirm_coverage": "yes"})
    assert admin.get(f"/bao-cao/{CURRENT}/ket-qua").status_code == 200
    assert "Trực tuyến" in admin.get(f"/quan-tri/dot/{CURRENT}/duyet").get_data(as_text=True)


def test_no_hidden_row_order(world):
    """Thirty ballots sent one after another: on SQLite no rowid exists and rows lie in the order of
    their random keys; on both databases no column, sequence or default records arrival, and neither
    do the box's tables."""
    token = TOKENS["qt"]
    with world.extensions[DB_KEY].session() as s:
        questions = campaign_criteria(s.get(Campaign, CURRENT)).questionnaire("huyen", "nguoi_dan").question_ids
    client = world.test_client()
    sent = []
    for i in range(30):
        body = {"ballot_id": f"order-{i}", "group": "nguoi_dan",
                "units": [{"unit": "ba_be", "answers": {q: "tot" for q in questions}}]}
        response = client.post(f"/api/v1/campaigns/{CURRENT}/ballots", json=body,
                               headers={"Authorization": f"Bearer {token}"})
        sent.append(int(response.get_json()["ballot"]))
    database = world.extensions[DB_KEY]
    arrivals = ("ballots", "answers", "envelopes", "spent_links", "drafts")
    with database.engine.connect() as conn:
        if database.is_sqlite:
            for table in arrivals:
                with pytest.raises(Exception, match="no such column"):
                    conn.exec_driver_sql(f"SELECT rowid FROM {table}")
            stored = [i for i in conn.exec_driver_sql("SELECT id FROM ballots").scalars() if i in set(sent)]
            assert stored == sorted(sent) != sent, "rows lie in key order, not in arrival order"
        else:
            assert conn.execute(text("SELECT pg_get_serial_sequence('ballots', 'id')")).scalar() is None
            defaults = conn.execute(text("SELECT table_name, column_name FROM information_schema.columns WHERE "
                                         "table_name IN ('ballots', 'answers', 'envelopes', 'spent_links', 'drafts') "
                                         "AND column_default IS NOT NULL")).all()
            assert defaults == []
    for table in arrivals:
        kinds = {str(c["type"]).upper() for c in inspect(database.engine).get_columns(table)}
        assert not any(k.startswith(("DATE", "TIME")) for k in kinds), table
