"""The attacks of issues 13 and 25, each performed and each failing, on SQLite and PostgreSQL.

Trust in the result rests on two promises: a respondent cannot be identified (civil servants
rate their own leaders), and nobody reads a ballot or a result before close; and a third for
paper: no ranked unit can add ballots for itself unseen. Each test below is an outsider's
attempt on one of them: an admin holding every exported link, two backups around a submission,
a copy of the database with its WAL, the dashboard read around one named person's answer, the
database after close, district staff with an API token or the keying screen, a serial from
another campaign. The docstrings of the ballot box's attacks (issue 25) say what each found on
the code before it, which kept ``invitations.used``/``opened`` flags and wrote ballot rows at
submit. docs/threat-model.md says what each protection defends and what it cannot.
"""
from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import shutil
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import create_engine, func, inspect, select, text

from survey_app import migrate
from survey_app.demo import build_demo
from survey_app.extensions import DB_KEY
from survey_app.models import (
    AuditEntry,
    Ballot,
    Campaign,
    Draft,
    Envelope,
    Invitation,
    PaperEntry,
    PaperSerial,
    RespondentGroup,
    SpentLink,
    Unit,
)
from survey_app.services import serials as serials_service
from survey_app.services.backup import backup_sqlite
from survey_app.services.ballot_box import read_link_states
from survey_app.services.campaigns import campaign_criteria
from survey_app.services.invitations import hash_token
from survey_app.services.markers import draft_id, receipt, spent_marker
from survey_app.services.users import create_api_token, create_user

from . import box
from .conftest import BACKENDS, CURRENT, LAST, make_app
from .test_auth import PASSWORD, csrf, login
from .test_counts_reveal_no_choice import tables
from .test_form import fill
from .test_links_in_the_open import report, reports
from .test_respond import invite

SECRET = "adversary-secret"
TOKEN = "tok-adversary-00000000000000000"
ELSEWHERE = "đã được lưu dở trên một thiết bị khác"  # what a link with a draft shows without its resume code


def _new_database(request, folder, name: str) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{folder / name}"
    return request.getfixturevalue("pg_cluster").create_database()


def _clone(request, url: str, folder, name: str) -> str:
    if url.startswith("sqlite"):
        shutil.copy(url.removeprefix("sqlite:///"), folder / name)
        return f"sqlite:///{folder / name}"
    return request.getfixturevalue("pg_cluster").clone_database(url)


TOKENS: dict[str, str] = {}  # API tokens by user name, made once with the province


@pytest.fixture(scope="module", params=BACKENDS)
def province(request, tmp_path_factory):
    """The demo province on each database, with an admin, an analyst, staff of Ba Bể and of Na Rì
    (each with an API token), and one citizen's link of the collecting campaign: a URL to clone."""
    folder = tmp_path_factory.mktemp(f"adversary-{request.param}")
    url = _new_database(request, folder, "base.sqlite")
    app = make_app(url, folder / "instance", SECRET_KEY=SECRET)
    database = app.extensions[DB_KEY]
    migrate.upgrade(database)
    with database.transaction() as s:
        build_demo(s, secret=SECRET, seed=5)
        people = [("qt", "admin", ()), ("qt2", "admin", ()), ("pt", "analyst", ()), ("bb1", "staff", ("ba_be",)),
                  ("bb2", "staff", ("ba_be",)), ("nr1", "staff", ("na_ri",))]
        for name, role, units in people:
            user = create_user(s, name, PASSWORD, role, unit_codes=units, actor="t")
            s.flush()
            TOKENS[name] = create_api_token(s, user, "t", actor="t")
    invite(app, "nguoi_dan", "ba_be", TOKEN)
    database.dispose()
    yield request, folder, url
    if request.param == "postgresql":
        request.getfixturevalue("pg_cluster").drop_database(url)


@pytest.fixture
def world(province, tmp_path):
    """A private copy of the province, as an app."""
    request, _folder, url = province
    copy = _clone(request, url, tmp_path, "world.sqlite")
    app = make_app(copy, tmp_path / "instance", SECRET_KEY=SECRET)
    yield app
    app.extensions[DB_KEY].dispose()
    if not copy.startswith("sqlite"):
        request.getfixturevalue("pg_cluster").drop_database(copy)


def signed_in(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def answer_and_send(app, option_index: int) -> None:
    """The citizen of TOKEN answers every question with the option at ``option_index`` and sends."""
    client = app.test_client()
    client.get(f"/s/{TOKEN}")
    assert fill(client, TOKEN, 1, pick=lambda options: options[option_index]).status_code == 302
    review = client.get(f"/s/{TOKEN}/gui").get_data(as_text=True)
    client_id = re.search(r'name="client_id" value="([^"]+)"', review).group(1)
    sent = client.post(f"/s/{TOKEN}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    assert "Cảm ơn" in sent.get_data(as_text=True)


# --- Issue 25: the sealed ballot box --------------------------------------------------------------------------

def exported_links(app, username: str = "qt") -> list[dict]:
    """The invitations file as the admin downloads it through the admin's pages to send the links: each
    row's name, link (its ``token``), and whether the link was ``opened`` and ``answered``."""
    response = signed_in(app, username).get(f"/quan-tri/dot/{CURRENT}/loi-moi.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    for row in rows:
        row["token"] = row["link"].rsplit("/s/", 1)[-1] if row["link"] else ""
    return rows


def untouched(rows: list[dict], name: str, n: int = 1) -> list[dict]:
    """``n`` named people (``name``: the start of their name in the demo) whose link nobody opened yet."""
    found = [r for r in rows if r["name"].startswith(name) and r["token"] and r["opened"] == "0"]
    assert len(found) >= n
    return found[:n]


def reach_review(client, token: str, pick=lambda options: options[0], choose=2) -> tuple[str, str]:
    """Open the link, choose units where asked (the first ``choose``, or these unit ids), answer every
    page with ``pick``: ``(the review page, the form's client id)``."""
    welcome = client.get(f"/s/{token}").get_data(as_text=True)
    chooser = re.search(r'href="(/s/[^"]+/chon/\w+)"', welcome)
    if chooser:
        html = client.get(chooser.group(1)).get_data(as_text=True)
        offered = re.findall(r'name="unit" value="(\d+)"', html)
        units = offered[:choose] if isinstance(choose, int) else [str(u) for u in choose]
        assert client.post(chooser.group(1), data={"csrf_token": csrf(html), "unit": units}).status_code == 302
    number = 1
    while not fill(client, token, number, pick=pick).headers["Location"].endswith("/gui"):
        number += 1
    review = client.get(f"/s/{token}/gui").get_data(as_text=True)
    return review, re.search(r'name="client_id" value="([^"]+)"', review).group(1)


def send(client, token: str, review: str, client_id: str) -> None:
    sent = client.post(f"/s/{token}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    assert "Cảm ơn Ông/Bà đã gửi phiếu" in sent.get_data(as_text=True)


def invitation_of(app, token: str) -> Invitation:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))


def test_the_admin_with_every_exported_link_reads_no_half_finished_draft(world):
    """Attack: the admin downloads the invitations file (every personal link, as needed to send them)
    and opens the links it lists as opened but not answered: people who saved and left. On the old
    code the saved answers showed: 55 of 60 demo respondents in progress readable, one civil servant's
    16 answers in full; this test opened 51 of 51. Now a draft opens only with the resume code its
    respondent holds: the link shows that a draft exists, never an answer, and guessing the code stops
    at the link limit."""
    halfway = [r for r in exported_links(world) if r["token"] and r["opened"] == "1" and r["answered"] == "0"]
    assert len(halfway) >= 20, "the demo leaves respondents half-way"
    readable = []
    for row in halfway:
        admin_phone = world.test_client()
        welcome = admin_phone.get(f"/s/{row['token']}").get_data(as_text=True)
        page = admin_phone.get(f"/s/{row['token']}/p/1")
        if ELSEWHERE not in welcome or "checked" in welcome or "Đã trả lời xong" in welcome or page.status_code != 302:
            readable.append(row["name"])
    assert readable == [], f"{len(readable)} of {len(halfway)} drafts opened with the link alone"

    (person,) = untouched(exported_links(world), "Công chức")
    token = person["token"]
    phone = world.test_client()  # the civil servant's own phone: saves the page with one question left
    phone.get(f"/s/{token}")
    assert fill(phone, token, 1, pick=lambda o: o[1], skip=("S14",)).status_code == 200
    admin = signed_in(world, "qt")
    seen = admin.get(f"/s/{token}").get_data(as_text=True)
    assert ELSEWHERE in seen and "checked" not in seen and "Đã trả lời xong" not in seen
    assert admin.get(f"/s/{token}/p/1").status_code == 302
    assert 'value="kha" checked' in phone.get(f"/s/{token}/p/1").get_data(as_text=True), "the respondent goes on"
    for n in range(30):  # guessing the code is limited like guessing links
        admin.post(f"/s/{token}/tiep-tuc", data={"csrf_token": csrf(seen), "code": f"AAAA-BBBB-{n:04d}"})
    assert admin.post(f"/s/{token}/tiep-tuc", data={"csrf_token": csrf(seen), "code": "AAAA"}).status_code == 429


def test_the_admin_answering_in_an_invitees_place_is_in_the_log_and_reported(world):
    """Attack: with an exported link the admin answers in the invitee's place. On the old code 3 ballots
    went in that way with no audit row, and the real person met "used" with nothing to say. Now the
    download is an audit row (who, how many); the admin meets the invitee's half-finished form only as
    "saved on another device" and can only throw it away unread; the invitee, back on their phone,
    meets "Phiếu đã được gửi" and reports "Tôi không gửi phiếu này", a row naming the link that is
    counted on the campaign and review pages."""
    (person,) = untouched(exported_links(world), "Công chức")
    token = person["token"]
    phone = world.test_client()
    phone.get(f"/s/{token}")
    fill(phone, token, 1, skip=("S14",))
    with world.extensions[DB_KEY].session() as s:
        handed = s.scalars(select(AuditEntry).where(AuditEntry.action == "links_out")
                           .order_by(AuditEntry.id.desc())).first()
    assert (handed.actor, handed.attribute, handed.entity_id) == ("qt", "export_csv", str(CURRENT))
    assert re.match(r"Tải tệp CSV \d+ đường link cá nhân", handed.new_value), handed.new_value

    admin = signed_in(world, "qt")
    seen = admin.get(f"/s/{token}").get_data(as_text=True)
    assert ELSEWHERE in seen and "checked" not in seen
    admin.post(f"/s/{token}/tiep-tuc", data={"csrf_token": csrf(seen), "restart": "y"})
    send(admin, token, *reach_review(admin, token, pick=lambda o: o[-1]))
    recorded = report(phone, f"/s/{token}")  # the invitee comes back: "used", and says it was not them
    assert recorded.status_code == 200 and "Đã ghi nhận" in recorded.get_data(as_text=True)
    [row] = reports(world)
    assert f"Người nhận đường link số {invitation_of(world, token).id} " in row.new_value
    for url in (f"/quan-tri/dot/{CURRENT}", f"/quan-tri/dot/{CURRENT}/duyet"):
        assert "1 người báo không tự gửi phiếu bằng đường link của mình" in admin.get(url).get_data(as_text=True)


def _backup(app, folder: Path, name: str) -> dict[str, set]:
    """A backup as the operator takes it, read row by row: SQLite's online backup (``parsurvey backup``);
    on PostgreSQL, ``SELECT *`` of every table."""
    database = app.extensions[DB_KEY]
    if not database.is_sqlite:
        return box.table_rows(database.engine)
    backup_sqlite(Path(database.url.removeprefix("sqlite:///")), folder / name)
    engine = create_engine(f"sqlite:///{folder / name}")
    try:
        return box.table_rows(engine)
    finally:
        engine.dispose()


def test_two_backups_around_one_submission_join_no_ballot_to_a_name(world, tmp_path):
    """Attack: a backup taken while a named civil servant is on the review page and another after they
    send, compared row by row without ``SECRET_KEY``. On the old code the second held the invitation's
    row changed (``used``) and one new ballot with its 16 answers: that ballot joined to that name. Now
    they differ in three rows: an envelope (a random id, the campaign, the group and, for a group rating
    its own unit, the unit, which its count shows anyway), a spent marker, and the draft that went.
    Their keyed ids are no value of the invitation, nor a hash of one, nor what another key gives; no
    invitation, ballot or audit row changed."""
    (person,) = untouched(exported_links(world), "Công chức")  # the download's audit row: before both
    client = world.test_client()
    review, client_id = reach_review(client, person["token"])
    before = _backup(world, tmp_path, "before.sqlite")
    send(client, person["token"], review, client_id)
    after = _backup(world, tmp_path, "after.sqlite")

    changed = {t: (before[t] - after[t], after[t] - before[t]) for t in before if before[t] != after[t]}
    assert sorted(changed) == ["drafts", "envelopes", "spent_links"], "no invitation, ballot or log row moved"
    assert {t: tuple(len(rows) for rows in pair) for t, pair in changed.items()} == \
        {"drafts": (1, 0), "envelopes": (0, 1), "spent_links": (0, 1)}, "one draft gone, one envelope and marker new"
    (draft,), (envelope,), (marker,) = changed["drafts"][0], changed["envelopes"][1], changed["spent_links"][1]
    inv = invitation_of(world, person["token"])
    said = {inv.token_hash, inv.token_salt, inv.short_code_hash, inv.name, inv.phone, inv.email, client_id} - {None}
    values = [v for row in (draft, envelope, marker) for v in row]
    assert str(inv.id) not in values and not any(s in v for s in said for v in values)
    guesses = {h(v.encode()).hexdigest() for h in (hashlib.sha256, hashlib.sha512, hashlib.md5)
               for v in said} | {f(k, v) for f in (draft_id, spent_marker, receipt)
                                 for k in ("", "test-secret", "change-me") for v in said}
    assert not guesses & set(values), "a keyed id is nothing computable without SECRET_KEY"
    assert draft_id(SECRET, inv.token_hash) in draft and spent_marker(SECRET, inv.token_hash) in marker, \
        "(the app, holding SECRET_KEY, finds them: who has answered, for reminders)"
    with world.extensions[DB_KEY].session() as s:
        crowd = s.scalar(select(func.count()).select_from(Invitation).where(
            Invitation.campaign_id == CURRENT, Invitation.group_id == inv.group_id, Invitation.unit_id == inv.unit_id))
    assert str(inv.unit_id) in envelope and crowd >= 5, "the envelope names a department of several invitees"


def test_drafts_and_envelopes_have_one_length_whatever_they_say(world):
    """Attack: encryption hides what a draft or an envelope says, not its length, and answer codes differ
    in length. On the old code 4 of 6 half-way civil servants of one department were matched to their
    ballots by the length of their drafts alone. Every draft and envelope is now padded to one size per
    questionnaire (and unit, for a group rating its own): the demo's drafts have one length per group and
    unit; citizens answering differently or leaving questions out, and department heads choosing two
    departments or six, leave drafts and envelopes of one length each."""
    database = world.extensions[DB_KEY]
    with database.session() as s:
        drafts = dict(s.execute(select(Draft.id, func.length(Draft.sealed)).where(Draft.campaign_id == CURRENT)).all())
        by_cell: dict = {}
        invited = select(Invitation.group_id, Invitation.unit_id, Invitation.token_hash)
        for group, unit, token_hash in s.execute(invited.where(Invitation.campaign_id == CURRENT)):
            if draft_id(SECRET, token_hash) in drafts:
                by_cell.setdefault((group, unit), set()).add(drafts[draft_id(SECRET, token_hash)])
    assert len(by_cell) >= 5 and len(drafts) >= 20, "the demo leaves drafts half-way"
    assert all(len(lengths) == 1 for lengths in by_cell.values()), {k: v for k, v in by_cell.items() if len(v) > 1}

    def sizes() -> dict[str, int]:
        with database.session() as s:
            return dict(s.execute(select(Envelope.id, func.length(Envelope.sealed))
                                  .where(Envelope.campaign_id == CURRENT)).all())

    before = sizes()
    draft_lengths = set()
    for n, (pick, skip) in enumerate([(lambda o: o[0], ()), (lambda o: o[-1], ()), (lambda o: o[1], ("H03",)),
                                      (lambda o: o[2], ("H03", "H05", "H10", "H11", "H12", "H13", "H14"))]):
        token = f"tok-length-{n:020d}"
        invite(world, "nguoi_dan", "ba_be", token)
        client = world.test_client()
        client.get(f"/s/{token}")
        fill(client, token, 1, pick=pick, skip=skip)
        draft_lengths.add(len(box.link(world, token).draft.sealed))
        fill(client, token, 1, pick=pick)
        review = client.get(f"/s/{token}/gui").get_data(as_text=True)
        send(client, token, review, re.search(r'name="client_id" value="([^"]+)"', review).group(1))
    citizens = {n for i, n in sizes().items() if i not in before}
    assert len(draft_lengths) == 1, f"four citizens of Ba Bể answering differently left drafts of {draft_lengths}"
    assert len(citizens) == 1, f"and envelopes of lengths {citizens}"

    before = sizes()
    for person, chosen in zip(untouched(exported_links(world), "Trưởng phòng", 2), (2, 6)):
        client = world.test_client()
        send(client, person["token"], *reach_review(client, person["token"], choose=chosen))
    heads = {n for i, n in sizes().items() if i not in before}
    assert len(heads) == 1, f"heads choosing two departments and six left envelopes of lengths {heads}"


def _hold_the_wal(path: str) -> sqlite3.Connection:
    """Checkpoint the WAL into the file and empty it, then hold a read snapshot: no checkpoint can
    restart the WAL while it is held, so every frame written from now on stays in the ``-wal`` file."""
    reader = sqlite3.connect(path, isolation_level=None)
    assert reader.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM campaigns").fetchone()
    return reader


def test_the_wal_between_two_submissions_holds_only_envelopes_and_markers(world, tmp_path):
    """Attack: copy the database with its write-ahead log while respondents send, and replay the log
    commit by commit: what each submission wrote, and beside what. On the old code a submission's
    commit wrote the invitation's page (its ``used`` flag) with the ballot's and answers' pages: 13 of
    13 submissions joined to a named person (here: both commits, whose frames held both people's names
    and token hashes). Now the pages two named people's submissions write (SQLite: the WAL's frames,
    mapped to their tables; PostgreSQL: the WAL's records, read by pg_walinspect) belong to the
    envelopes, the spent markers and the drafts only, and the log's bytes hold neither person's name,
    token hash or client id."""
    rows = exported_links(world)
    people = untouched(rows, "Công chức") + untouched(rows, "Trưởng phòng")
    clients = [world.test_client() for _person in people]
    forms = [reach_review(client, person["token"]) for client, person in zip(clients, people)]
    invitations = [invitation_of(world, person["token"]) for person in people]
    secrets_ = [v.encode() for inv, (_review, client_id) in zip(invitations, forms)
                for v in (inv.token_hash, inv.name, inv.short_code_hash or inv.token_hash, client_id)]
    database = world.extensions[DB_KEY]
    if database.is_sqlite:
        path = database.url.removeprefix("sqlite:///")
        reader = _hold_the_wal(path)
        try:
            for client, person, form in zip(clients, people, forms):
                send(client, person["token"], *form)
            shutil.copy(path, tmp_path / "copy.sqlite")
            shutil.copy(path + "-wal", tmp_path / "copy.sqlite-wal")
        finally:
            reader.close()
        commits = box.wal_commits(tmp_path / "copy.sqlite-wal")
        written = box.page_tables(tmp_path / "copy.sqlite")
        touched = [{written.get(page, "(free page)") for page, _data in commit} for commit in commits]
        assert len(touched) == 2, f"one commit per submission: {touched}"
        # sqlite_schema: page 1, the file's header (its size in pages, its free list) and the schema.
        assert all(t <= {"envelopes", "spent_links", "drafts", "(free page)", "sqlite_schema"} for t in touched), \
            touched
        log = b"".join(data for commit in commits for _page, data in commit)
    else:
        with database.engine.connect() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
            conn.commit()
            start = box.pg_lsn(conn)
        for client, person, form in zip(clients, people, forms):
            send(client, person["token"], *form)
        with database.engine.connect() as conn:
            end = box.pg_lsn(conn)
            writes = box.pg_wal_writes(conn, start, end)
            log = box.pg_wal_bytes(conn, start, end)
        written = {table for table, _manager, kind in writes if kind != "LOCK" and not table.startswith("pg_")}
        assert written == {"envelopes", "spent_links", "drafts"}, writes
        # The foreign keys' checks lock the rows an envelope and a marker refer to (the envelope's own columns).
        locked = {table for table, _manager, kind in writes if kind == "LOCK"}
        assert locked <= {"campaigns", "respondent_groups", "units"}, writes
    assert len(log) > 4096
    assert not [v for v in secrets_ if v in log], "the log names no one who sent"


def test_a_choosing_groups_counts_do_not_move_per_unit(world):
    """Attack: read the dashboard and the API's ``responses`` before and after one named district
    department head sends, having chosen two departments to rate. On the old code the counts per unit
    moved for exactly those two departments, on the page and in the API. Now no count per unit moves;
    the group's one row (unit null in the API) counts one more ballot."""
    admin = signed_in(world, "qt")
    api = f"/api/v1/campaigns/{CURRENT}/responses"

    def look() -> tuple[dict, dict]:
        page = tables(admin.get(f"/quan-tri/dot/{CURRENT}/tien-do").get_data(as_text=True))
        answer = admin.get(api, headers={"Authorization": f"Bearer {TOKENS['qt']}"})
        assert answer.status_code == 200
        return page, {(r["unit"], r["group"]): r for r in answer.json}

    with world.extensions[DB_KEY].session() as s:
        picked = s.scalars(select(Unit.id).where(Unit.campaign_id == CURRENT, Unit.code.in_(("so_tp", "so_yt")))).all()
    (head,) = untouched(exported_links(world), "Trưởng phòng")
    client = world.test_client()
    client.get(f"/s/{head['token']}")  # opened before the first look: only the submission falls between
    page_before, api_before = look()
    send(client, head["token"], *reach_review(client, head["token"], choose=picked))
    page_after, api_after = look()
    per_unit = "Theo đơn vị × đối tượng, đơn vị chậm nhất trước"
    assert page_after[per_unit] == page_before[per_unit] and len(page_before[per_unit]) > 50
    assert {k: v for k, v in api_after.items() if k[0] is not None} == \
        {k: v for k, v in api_before.items() if k[0] is not None}
    assert api_after[(None, "ldp_huyen")]["submitted"] == api_before[(None, "ldp_huyen")]["submitted"] + 1


def test_after_close_no_table_holds_who_answered(world, tmp_path):
    """Attack: after close, with the database's files (and SECRET_KEY), say who answered and which
    ballot is whose. On the old code the invitations kept their ``used`` flags for good (195 here),
    each web ballot kept the client id its form carried (3 of 3), and the ``-wal`` file kept 400 KB.
    Now closing (through the admin's close page) empties the spent markers, the envelopes and the
    drafts; the ``-wal`` file is empty; no file of the database (SQLite: the file; PostgreSQL: its data
    directory, the planner's statistics included, gathered here as autovacuum would while collecting)
    holds a byte of any envelope or any marker or draft id; no table references both an invitation and
    a ballot; the ballots' client ids are not their forms'; and the app, with SECRET_KEY, reads every
    link as never answered."""
    rows = exported_links(world)
    people = untouched(rows, "Công chức") + untouched(rows, "Trưởng phòng")
    forms = []
    for person in people:
        client = world.test_client()
        forms.append(reach_review(client, person["token"]))
        send(client, person["token"], *forms[-1])
    (halfway,) = untouched(rows, "Đại biểu HĐND huyện")
    world.test_client().get(f"/s/{halfway['token']}")
    database = world.extensions[DB_KEY]
    with database.session() as s:
        sealed = [bytes(b) for b in s.scalars(select(Envelope.sealed).where(Envelope.campaign_id == CURRENT))]
        keyed = [k.encode() for k in s.scalars(select(SpentLink.marker))] + \
            [k.encode() for k in s.scalars(select(Draft.id))]
    assert len(sealed) >= 100 and len(keyed) >= 150
    with database.engine.connect() as conn:  # the planner's statistics, as autovacuum gathers them
        conn.exec_driver_sql("ANALYZE")
        conn.commit()

    admin = signed_in(world, "qt")
    page = admin.get(f"/quan-tri/dot/{CURRENT}/ket-thuc").get_data(as_text=True)
    closed = admin.post(f"/quan-tri/dot/{CURRENT}/ket-thuc", data={"csrf_token": csrf(page), "confirm": "yes"})
    assert closed.status_code == 302
    with database.session() as s:
        assert [s.scalar(select(func.count()).select_from(t)) for t in (SpentLink, Envelope, Draft)] == [0, 0, 0]
        web = s.execute(select(Ballot.id, Ballot.client_id).where(Ballot.campaign_id == CURRENT,
                                                                  Ballot.channel.in_(("web", "qr")))).all()
        invitations = s.scalars(select(Invitation).where(Invitation.campaign_id == CURRENT)).all()
        read_link_states(s, invitations, SECRET)
        log = " ".join(f"{e.entity_id} {e.attribute} {e.new_value}" for e in s.scalars(select(AuditEntry)))
    assert len(web) == len(sealed), "every envelope became a ballot"
    assert not {client_id for _review, client_id in forms} & {c for _i, c in web}, "no form's client id"
    assert not any(str(ballot_id) in log for ballot_id, _c in web), "the log names no web ballot"
    assert not any(inv.used or inv.opened for inv in invitations), "nobody, with SECRET_KEY, says who answered"
    schema = inspect(database.engine)
    for table in schema.get_table_names():
        referred = {fk["referred_table"] for fk in schema.get_foreign_keys(table)}
        assert not {"invitations", "ballots"} <= referred, table
    if database.is_sqlite:
        path = Path(database.url.removeprefix("sqlite:///"))
        wal = Path(f"{path}-wal")
        assert not wal.exists() or wal.stat().st_size == 0, "the WAL is emptied"
        files = {path.name: path.read_bytes()}
    else:
        with database.engine.connect() as conn:
            files = box.pg_database_files(conn)
    assert sum(map(len, files.values())) > 1_000_000
    left = {name: (sum(e[:48] in raw or e[-48:] in raw for e in sealed), sum(k in raw for k in keyed))
            for name, raw in files.items()}
    assert {name: n for name, n in left.items() if any(n)} == {}, \
        "(envelopes, markers and draft ids) left in these files (pg_statistic: ANALYZE's samples of the box's columns)"
    assert {(r["opened"], r["answered"]) for r in exported_links(world)} == {("", "")}, "nor the admin's export"


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
    values = {"campaign_id": str(CURRENT), "level": "huyen", "group": "nguoi_dan", "invitation_id": str(invitation),
              "serial": conflict, "kind": "appraisal", "name": "nhiet-huyen", "user_id": "1"}
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
                body = re.sub(r'name="csrf_token"([^>]*)value="[^"]+"', "", response.get_data(as_text=True))
                # the audit log's times: each copy's own downloads of links are audited, a second apart
                body = re.sub(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td>", "", body)
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
    admin.post(f"/quan-tri/dot/{CURRENT}/ket-thuc", data={"csrf_token": csrf(page), "confirm": "yes"})
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


# --- Issue 13: staff cannot add ballots for their own district unseen ----------------------------------------

def api(app, username: str):
    token = TOKENS[username]
    client = app.test_client()
    return lambda body, campaign=CURRENT: client.post(f"/api/v1/campaigns/{campaign}/ballots", json=body,
                                                      headers={"Authorization": f"Bearer {token}"})


def citizen(app, ballot_id: str, unit: str = "ba_be", serial: str | None = None, option: str = "tot") -> dict:
    with app.extensions[DB_KEY].session() as s:
        questions = campaign_criteria(s.get(Campaign, CURRENT)).questionnaire("huyen", "nguoi_dan").question_ids
    body = {
        "ballot_id": ballot_id,
        "group": "nguoi_dan",
        "units": [{"unit": unit, "answers": {q: option for q in questions}}],
    }
    return body if serial is None else {**body, "serial": serial}


def printed(app, unit: str, count: int, campaign_id: int = CURRENT) -> list[str]:
    with app.extensions[DB_KEY].transaction() as s:
        campaign = s.get(Campaign, campaign_id)
        u = s.scalar(select(Unit).where(Unit.campaign_id == campaign_id, Unit.code == unit))
        g = s.scalar(select(RespondentGroup).where(RespondentGroup.campaign_id == campaign_id,
                                                   RespondentGroup.code == "nguoi_dan"))
        return [x.serial for x in serials_service.reserve_serials(s, campaign, u, g, count, "qt")]


def count_ballots(app) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(func.count()).select_from(Ballot).where(Ballot.campaign_id == CURRENT))


def test_staff_cannot_stuff_their_district_through_the_api(world):
    send_api = api(world, "bb1")
    before = count_ballots(world)
    refused = [send_api(citizen(world, f"stuff-{i}")).status_code for i in range(50)]
    assert refused == [422] * 50 and count_ballots(world) == before, "no serial, no ballot"
    invented = send_api(citizen(world, "made-up", serial="0020999999" + "0"))
    assert invented.status_code == 422 and invented.get_json()["details"][0]["field"] == "serial"
    other = printed(world, "na_ri", 1)[0]
    assert send_api(citizen(world, "other", unit="na_ri", serial=other)).status_code == 422, "another district's"
    mine = printed(world, "ba_be", 2)
    first = send_api(citizen(world, "k1", serial=mine[0]))
    assert first.status_code == 202 and first.get_json()["state"] == "waiting_second_entry"
    assert count_ballots(world) == before, "one keying is not a ballot"
    again = send_api(citizen(world, "k1-again", serial=mine[0]))
    assert again.status_code == 409 and "người khác" in again.get_json()["message"]
    assert send_api(citizen(world, "k1", serial=mine[0])).status_code == 200, "the same keying again changes nothing"
    assert send_api(citizen(world, "k1", serial=mine[1])).status_code == 409, "an id names one keying"
    with world.extensions[DB_KEY].session() as s:
        notes = s.scalars(select(AuditEntry.new_value).where(AuditEntry.entity == "paper_entry",
                                                             AuditEntry.actor == "bb1")).all()
    assert notes == [f"phiếu {mine[0]}, qua API"], "every keying names its user, serial and channel"


def test_colluding_staff_of_one_district_are_stopped_by_the_cross_district_check(world):
    with world.extensions[DB_KEY].transaction() as s:
        s.get(Campaign, CURRENT).cross_district_check = True
    serial = printed(world, "ba_be", 1)[0]
    assert api(world, "bb1")(citizen(world, "a", serial=serial)).status_code == 202
    colleague = api(world, "bb2")(citizen(world, "b", serial=serial))
    assert colleague.status_code == 409 and "huyện khác" in colleague.get_json()["message"]
    before = count_ballots(world)
    outsider = api(world, "nr1")(citizen(world, "c", serial=serial))
    assert outsider.status_code == 201 and outsider.get_json()["state"] == "verified"
    assert count_ballots(world) == before + 1
    with world.extensions[DB_KEY].session() as s:
        ballot = s.scalar(select(Ballot).where(Ballot.paper_serial == serial))
        audit = s.scalar(
            select(AuditEntry).where(AuditEntry.entity == "ballot", AuditEntry.entity_id == str(ballot.id))
        )
    assert (ballot.channel, audit.actor) == ("api", "nr1") and serial in audit.new_value and "API" in audit.new_value


def test_staff_cannot_stuff_through_the_keying_screen(world):
    client = signed_in(world, "bb1")
    for typed in ("0029999990", "002000000" + "1", "123456789"):
        assert client.get(f"/nhap-lieu/phieu?serial={typed}").status_code == 302, "unprinted or mistyped"
    assert client.get(f"/quan-tri/dot/{CURRENT}/phieu-giay").status_code == 403, "staff do not print serials"
    serial = printed(world, "ba_be", 1)[0]
    page = client.get(f"/nhap-lieu/phieu?serial={serial}").get_data(as_text=True)
    names = re.findall(r'class="digit" id="(q_\w+)"', page)
    client.post("/nhap-lieu/phieu", data={"csrf_token": csrf(page), "serial": serial, **{n: "1" for n in names}})
    assert client.get(f"/nhap-lieu/phieu?serial={serial}").status_code == 302, "not twice by the same person"
    with world.extensions[DB_KEY].session() as s:
        assert s.scalar(select(func.count()).select_from(PaperEntry).join(PaperSerial)
                        .where(PaperSerial.serial == serial)) == 1
        assert s.scalar(select(func.count()).select_from(Ballot).where(Ballot.paper_serial == serial)) == 0


def test_api_ballot_ids_are_scoped_to_campaign_and_user(world):
    first = api(world, "qt")(citizen(world, "shared-id"))
    second = api(world, "qt2")(citizen(world, "shared-id", option="kha"))
    assert (first.status_code, second.status_code) == (201, 201), "no user can squat another's ids"
    with world.extensions[DB_KEY].session() as s:
        audited = s.scalars(select(AuditEntry.actor).where(AuditEntry.entity == "ballot", AuditEntry.entity_id.in_(
            [first.get_json()["ballot"], second.get_json()["ballot"]]))).all()
    assert sorted(audited) == ["qt", "qt2"], "admins' API ballots are audited too"


def test_a_serial_of_another_campaign_is_refused_with_a_clear_message(world):
    old = printed(world, "ba_be", 1, campaign_id=LAST)[0]
    new = printed(world, "ba_be", 1)[0]
    assert serials_service.serial_campaign(old) == LAST and serials_service.serial_campaign(new) == CURRENT
    assert old[-7:-1] != new[-7:-1] or old != new
    wrong = api(world, "bb1")(citizen(world, "x", serial=old))
    assert wrong.status_code == 422 and "đợt khảo sát khác" in wrong.get_json()["details"][0]["message"]
    client = signed_in(world, "bb1")
    assert client.get(f"/nhap-lieu/phieu?serial={old}").status_code == 302
    flash = re.findall(r'<p class="flash flash-error">([^<]+)</p>', client.get("/nhap-lieu/").get_data(as_text=True))
    assert flash == [f"Đợt khảo sát “{LAST_NAME}” đã kết thúc: không nhập thêm phiếu {old}."]
    with world.extensions[DB_KEY].transaction() as s:
        s.get(Campaign, CURRENT).status = "draft"
    assert client.get(f"/nhap-lieu/phieu?serial={new}").status_code == 302
    flash = re.findall(r'<p class="flash flash-error">([^<]+)</p>', client.get("/nhap-lieu/").get_data(as_text=True))
    assert flash and "chưa mở" in flash[0]


LAST_NAME = "Điều tra XHH Chỉ số CCHC năm 2023 (dữ liệu mẫu)"


def test_no_log_line_carries_a_token_not_even_an_exception(world, caplog, monkeypatch):
    from survey_app.services import drafts

    def broken(*_args, **_kwargs):
        raise RuntimeError(f"failed while opening /s/{TOKEN}/p/1")

    monkeypatch.setattr(drafts, "begin_draft", broken)
    world.config["PROPAGATE_EXCEPTIONS"] = False
    world.testing = False
    with caplog.at_level(logging.INFO):
        response = world.test_client().get(f"/s/{TOKEN}")
    assert response.status_code == 500
    assert caplog.records and "Exception on /s/…" in caplog.text
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in record.getMessage() and TOKEN not in (record.exc_text or "")


def test_a_closed_campaign_takes_no_new_links_cards_or_serials(world):
    admin = signed_in(world, "qt")
    with world.extensions[DB_KEY].session() as s:
        before = (s.scalar(select(func.count()).select_from(Invitation).where(Invitation.campaign_id == LAST)),
                  s.scalar(select(func.count()).select_from(PaperSerial).where(PaperSerial.campaign_id == LAST)))
    token = csrf(admin.get(f"/quan-tri/dot/{LAST}/loi-moi").get_data(as_text=True))
    for url in (f"/quan-tri/dot/{LAST}/the-qr", f"/quan-tri/dot/{LAST}/phieu-giay"):
        response = admin.post(url, data={"csrf_token": token, "unit": "ba_be", "group": "nguoi_dan", "count": "5"})
        assert response.status_code == 302
    flash = re.findall(r'<p class="flash flash-error">([^<]+)</p>',
                       admin.get(f"/quan-tri/dot/{LAST}/phieu-giay").get_data(as_text=True))
    assert flash and "đã kết thúc" in flash[0]
    with world.extensions[DB_KEY].session() as s:
        after = (s.scalar(select(func.count()).select_from(Invitation).where(Invitation.campaign_id == LAST)),
                 s.scalar(select(func.count()).select_from(PaperSerial).where(PaperSerial.campaign_id == LAST)))
    assert after == before
