"""The attacks of issue 25 on the sealed ballot box, each performed and each failing, on SQLite and
PostgreSQL: an admin holding every exported link, two backups around a submission, a copy of the
database with its WAL, the dashboard read around one named person's answer, the database after
close. Each docstring says what the attack found on the code before the box, which kept
``invitations.used``/``opened`` flags and wrote ballot rows at submit. The attacks of issue 13 are
in test_adversary_results.py (results sealed while collecting) and test_adversary_staff.py (no unit
adds ballots for itself unseen); docs/threat-model.md says what each protection defends.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select

from survey_app.extensions import DB_KEY
from survey_app.models import (
    AuditEntry,
    Ballot,
    Draft,
    Envelope,
    Invitation,
    SpentLink,
    Unit,
)
from survey_app.services.backup import backup_sqlite
from survey_app.services.ballot_box import read_link_states
from survey_app.services.invitations import hash_token
from survey_app.services.markers import draft_id, receipt, spent_marker

from . import box
from .adversary_world import ELSEWHERE, SECRET, TOKENS, province, reach_review, send, signed_in, world  # noqa: F401 - the fixtures these attacks run in
from .conftest import CURRENT
from .test_auth import csrf
from .test_counts_reveal_no_choice import tables
from .test_form import fill
from .test_links_in_the_open import report, reports
from .test_respond import invite

# --- Issue 25: the sealed ballot box --------------------------------------------------------------------------

def exported_links(app, username: str = "qt") -> list[dict]:
    """The invitations file as the admin downloads it through the admin's pages to send the links: each
    row's name, link (its ``token``), and whether the link was ``opened`` and ``answered``."""
    response = signed_in(app, username).get(f"/quan-tri/dot/{CURRENT}/loi-moi.csv")
    assert response.status_code == 200
    english = {"Họ tên": "name", "Đường link": "link", "Đã mở": "opened", "Đã trả lời": "answered"}
    rows = [{english.get(k, k): v for k, v in row.items()}
            for row in csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))]
    for row in rows:
        row["token"] = row["link"].rsplit("/s/", 1)[-1] if row["link"] else ""
    return rows


def untouched(rows: list[dict], name: str, n: int = 1) -> list[dict]:
    """``n`` named people (``name``: the start of their name in the demo) whose link nobody opened yet."""
    found = [r for r in rows if r["name"].startswith(name) and r["token"] and r["opened"] == "0"]
    assert len(found) >= n
    return found[:n]


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
        # This campaign's markers and draft ids (the demo's 2026 campaign keeps collecting, its box sealed).
        keyed = [k.encode() for k in s.scalars(select(SpentLink.marker).where(SpentLink.campaign_id == CURRENT))] + \
            [k.encode() for k in s.scalars(select(Draft.id).where(Draft.campaign_id == CURRENT))]
        others = [s.scalar(select(func.count()).select_from(t).where(t.campaign_id != CURRENT))
                  for t in (SpentLink, Envelope, Draft)]
    assert len(sealed) >= 100 and len(keyed) >= 150
    with database.engine.connect() as conn:  # the planner's statistics, as autovacuum gathers them
        conn.exec_driver_sql("ANALYZE")
        conn.commit()

    admin = signed_in(world, "qt")
    page = admin.get(f"/quan-tri/dot/{CURRENT}/ket-thuc").get_data(as_text=True)
    closed = admin.post(f"/quan-tri/dot/{CURRENT}/ket-thuc", data={"csrf_token": csrf(page), "confirm": "yes",
                                                                            "confirm_coverage": "yes"})
    assert closed.status_code == 302
    with database.session() as s:
        assert [s.scalar(select(func.count()).select_from(t).where(t.campaign_id == CURRENT))
                for t in (SpentLink, Envelope, Draft)] == [0, 0, 0]
        assert [s.scalar(select(func.count()).select_from(t).where(t.campaign_id != CURRENT))
                for t in (SpentLink, Envelope, Draft)] == others and others[1] > 100, \
            "closing one campaign leaves another's box sealed as it was"
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
