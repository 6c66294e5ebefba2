"""The respondent's path off the ORM (services/visits.py): what each request runs, the snapshots it
reads, and the write transaction on the request's one connection."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from survey_app.db import Database, writing
from survey_app.extensions import DB_KEY
from survey_app.models import Campaign, Invitation, SpentLink, Unit
from survey_app.services import ballot_box, campaigns, visits
from survey_app.services.invitations import hash_short_code, hash_token
from survey_app.services.markers import draft_id, receipt

from . import box
from .conftest import CURRENT
from .test_form import at_review, csrf, fill
from .test_respond import invite

TOKEN = "tok-path-00000000000000000000000"


class Statements:
    """The SQL statements and connection checkouts of the requests made inside the block."""

    def __init__(self, app):
        self.engine = app.extensions[DB_KEY].engine
        self.sql: list[str] = []
        self.checkouts = 0

    def _execute(self, _conn, _cursor, statement, *_args):
        self.sql.append(" ".join(statement.split()))

    def _checkout(self, *_args):
        self.checkouts += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._execute)
        event.listen(self.engine.pool, "checkout", self._checkout)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._execute)
        event.remove(self.engine.pool, "checkout", self._checkout)

    def kinds(self) -> list[str]:
        """Each statement as its verb and table: ``SELECT invitations``, ``BEGIN IMMEDIATE``..."""
        kinds = []
        for text in self.sql:
            found = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", text)
            verb = " ".join(text.split()[:2]) if text.startswith("BEGIN") else text.split()[0]
            kinds.append(f"{verb} {found.group(1)}" if found and not text.startswith("BEGIN") else verb)
        return kinds


def test_each_respondent_request_reads_its_link_in_one_statement_on_one_connection(demo_app):
    invite(demo_app, "nguoi_dan", "ba_be", TOKEN)
    client = demo_app.test_client()
    client.get(f"/s/{TOKEN}")  # the first visit opens the draft (a write of its own)
    with Statements(demo_app) as page:
        html = client.get(f"/s/{TOKEN}/p/1").get_data(as_text=True)
    assert "Huyện Ba Bể" in html
    # One statement: invitation, campaign, group, unit, parent, draft and spent marker; no BEGIN for a read.
    assert page.kinds() == ["SELECT invitations"] and page.checkouts == 1
    assert all(name in page.sql[0] for name in ("campaigns", "respondent_groups", "units", "drafts", "spent_links"))
    assert "criteria_files" not in page.sql[0], "the criteria set is parsed once, never read again per request"

    with Statements(demo_app) as save:
        assert fill(client, TOKEN, 1).status_code == 302
    # the GET of fill, then the POST: the write lock first, the link, the draft's one UPDATE
    assert save.kinds() == ["SELECT invitations", "BEGIN IMMEDIATE", "SELECT invitations", "UPDATE drafts"]
    assert save.checkouts == 2

    review = client.get(f"/s/{TOKEN}/gui").get_data(as_text=True)
    client_id = re.search(r'name="client_id" value="([^"]+)"', review).group(1)
    with Statements(demo_app) as send:
        sent = client.post(f"/s/{TOKEN}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    assert "Cảm ơn Ông/Bà đã gửi phiếu" in sent.get_data(as_text=True)
    assert send.checkouts == 1
    # Checked before the write lock; under it: the link spent (the guard), the draft gone, the envelope in.
    assert send.kinds() == ["SELECT invitations", "SELECT units", "SELECT respondent_groups", "BEGIN IMMEDIATE",
                            "INSERT spent_links", "DELETE drafts", "SELECT ballot_boxes", "INSERT envelopes"]
    assert not any("ballots" in text.split(" WHERE")[0] for text in send.sql if text.startswith("INSERT"))


def test_a_delegate_link_reads_the_units_it_rates_in_one_more_statement(demo_app):
    invite(demo_app, "hdnd_tinh", None, TOKEN)
    client = demo_app.test_client()
    client.get(f"/s/{TOKEN}")
    with Statements(demo_app) as page:
        html = client.get(f"/s/{TOKEN}/p/20").get_data(as_text=True)
    assert "Trang 20/27 · Cấp huyện" in html
    assert page.kinds() == ["SELECT invitations", "SELECT units"]


def test_find_link_takes_a_token_or_a_short_code_and_says_nothing_of_others(demo_app):
    inv = invite(demo_app, "ld_xa", "ba_be_x2", TOKEN, kind="qr_card", short_code_hash=hash_short_code("ABCD2345"))
    secret = demo_app.config["SECRET_KEY"]
    with demo_app.extensions[DB_KEY].connect() as conn:
        by_token, by_code = visits.find_link(conn, TOKEN, secret), visits.find_link(conn, "abcd-2345", secret)
        assert visits.find_link(conn, "not-a-token", secret) is None
        assert visits.find_link(conn, "x" * 129, secret) is None and visits.find_link(conn, "", secret) is None
    assert by_token == by_code and by_token.id == inv and by_token.kind == "qr_card"
    assert by_token.campaign.id == CURRENT and by_token.campaign.status == "open" and by_token.group.code == "ld_xa"
    unit = by_token.unit
    assert (unit.level, unit.parent.level, unit.parent.name) == ("xa", "huyen", "Huyện Ba Bể")
    assert by_token.draft is None and not by_token.used
    assert by_token.draft_id == draft_id(secret, hash_token(TOKEN)) != by_token.marker
    with pytest.raises(AttributeError):  # a frozen snapshot: nothing to change, nothing to flush by mistake
        by_token.used = True


def test_own_reads_an_ancestor_further_up_than_the_parent_the_link_brought(demo_app):
    with demo_app.extensions[DB_KEY].connect() as conn:
        district = conn.execute(select(Unit.id, Unit.name).where(Unit.campaign_id == CURRENT,
                                                                 Unit.code == "ba_be")).one()
        commune = conn.execute(select(Unit.id, Unit.name).where(Unit.campaign_id == CURRENT,
                                                                Unit.code == "ba_be_x2")).one()
        # A commune whose parent did not come with it: the district is read.
        lone = visits.LinkUnit(commune.id, commune.name, "xa", district.id)
        found = visits._own(conn, lone, "huyen")
        assert (found.id, found.name, found.level) == (district.id, district.name, "huyen")
        assert visits._own(conn, lone, "xa") is lone
        assert visits._own(conn, lone, "so") is None  # no ancestor at that level


def test_criteria_are_read_from_the_row_only_the_first_time_a_process_meets_their_digest(demo_app, monkeypatch):
    monkeypatch.setattr(campaigns, "_SETS", {})
    invite(demo_app, "nguoi_dan", "ba_be", TOKEN)
    with demo_app.extensions[DB_KEY].connect() as conn:
        link = visits.find_link(conn, TOKEN, demo_app.config["SECRET_KEY"])
    reads = []
    with demo_app.extensions[DB_KEY].connect() as conn:
        event.listen(conn, "before_cursor_execute", lambda *a: reads.append(a[2]))
        first = visits.criteria_of(conn, link.campaign)
        second = visits.criteria_of(conn, link.campaign)
    assert first is second and len(reads) == 1 and "criteria_files" in reads[0]
    assert first.group_by_code["nguoi_dan"].rates


def test_warm_criteria_parses_the_collecting_campaigns_sets_before_the_workers_fork(demo_app, monkeypatch):
    monkeypatch.setattr(campaigns, "_SETS", {})
    with demo_app.extensions[DB_KEY].session() as s:
        # The two collecting campaigns' sets (2024's default, 2026's two-tier); the closed campaign's is not warmed.
        assert campaigns.warm_criteria(s) == 2
        digests = set(s.scalars(select(Campaign.criteria_digest).where(Campaign.status == "open")))
        assert set(campaigns._SETS) == digests and len(digests) == 2
        assert campaigns.warm_criteria(s) == 0


def test_gunicorn_master_warms_and_survives_a_database_without_tables(tmp_path, monkeypatch):
    from survey_app import create_app, gunicorn_conf

    logged = []

    class Log:
        def info(self, message, *args):
            logged.append(("info", message % args))

        def warning(self, message, *args):
            logged.append(("warning", message % args))

    server = type("Server", (), {"log": Log()})()
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}",
                      "SECRET_KEY": "respondent-path-secret-of-32-bytes-5e8d1",
                      "INSTANCE_PATH": str(tmp_path)})
    gunicorn_conf._warm(server, app)
    assert logged and logged[0][0] == "warning" and "no such table" in logged[0][1]


def test_writing_ends_the_read_and_restores_the_connection_after(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'w.sqlite'}")
    with database.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    with database.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
        assert not conn.connection.dbapi_connection.in_transaction, "a read opens no transaction on SQLite"
        with writing(conn):
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            assert conn.connection.dbapi_connection.in_transaction
        with pytest.raises(RuntimeError), writing(conn):
            conn.exec_driver_sql("INSERT INTO t VALUES (2)")
            raise RuntimeError("undone")
        assert conn.get_execution_options()["statement_reads"] is True
        assert conn.exec_driver_sql("SELECT x FROM t").scalars().all() == [1]
    database.dispose()


def test_a_web_ballot_whose_envelope_insert_fails_leaves_its_draft_and_link_as_they_were(demo_app, monkeypatch):
    """The submit writes without a savepoint: an insert refused by the database undoes the draft's
    deletion and the link's marker in the same rollback; a link spent meanwhile by this same form
    (a racing request of a double click) is the respondent's own ballot: a replay."""
    _inv, client, review, client_id = at_review(demo_app, "nguoi_dan", "ba_be", TOKEN)
    database = demo_app.extensions[DB_KEY]
    before = box.envelopes(demo_app, CURRENT)

    def refused(*_args, **_kwargs):
        raise OperationalError("INSERT INTO envelopes", {}, Exception("disk I/O error"))

    monkeypatch.setattr(ballot_box, "seal_ballot", refused)
    demo_app.config["PROPAGATE_EXCEPTIONS"] = False
    demo_app.testing = False
    failed = client.post(f"/s/{TOKEN}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    assert failed.status_code == 500 and "Cảm ơn" not in failed.get_data(as_text=True)
    link = box.link(demo_app, TOKEN)
    assert not link.used and link.draft is not None and box.envelopes(demo_app, CURRENT) == before

    monkeypatch.undo()
    secret = demo_app.config["SECRET_KEY"]
    with database.transaction() as s:  # as if a racing request of this same form had spent the link
        s.add(SpentLink(marker=link.marker, campaign_id=CURRENT, receipt=receipt(secret, client_id)))
    again = client.post(f"/s/{TOKEN}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    assert again.status_code == 200 and "Cảm ơn Ông/Bà đã gửi phiếu" in again.get_data(as_text=True)
    other = client.post(f"/s/{TOKEN}/gui", data={"csrf_token": csrf(review), "client_id": "another-form"})
    assert "Phiếu đã được gửi" in other.get_data(as_text=True), "another form of the link meets a used link"
    assert box.envelopes(demo_app, CURRENT) == before


def _answers(s, invitation_id: int) -> list[tuple[int, str, str]]:
    """A complete citizen's ballot about the invitation's district."""
    unit = s.get(Invitation, invitation_id).unit
    cset = campaigns.campaign_criteria(s.get(Campaign, CURRENT))
    questionnaire = cset.questionnaire("huyen", "nguoi_dan")
    return [(unit.id, q, cset.scale_by_code[cset.question_by_key[("huyen", q)].scale].options[0].code)
            for q in questionnaire.question_ids]
