"""Who holds the box key (issue 25, item 3): the admin's "Hòm phiếu" page, the Department's passphrase
setting with its key sheet, closing with that passphrase, and what an operator holding the database and
SECRET_KEY together can (not) open. Ballots reach the box through the respondent's real path."""
from __future__ import annotations

import shutil
import threading
import time
import unicodedata

import pytest
from sqlalchemy import func, select

from questionnaires import DEFAULT_SET_DIR, read_set_texts
from survey_app import migrate
from survey_app.extensions import DB_KEY
from survey_app.models import AuditEntry, Ballot, BallotBox, Campaign, Envelope, RespondentGroup, SpentLink, Unit
from survey_app.services import ballot_box
from survey_app.services.ballot_box import wrapped_key
from survey_app.services.box import BoxError, WrappedKey, open_envelope, open_private
from survey_app.services.box_keeper import BoxKeyError, keep_under_passphrase
from survey_app.services.campaigns import campaign_criteria, create_campaign
from survey_app.services.users import create_user

from .conftest import BACKENDS, make_app
from .test_auth import PASSWORD, csrf, login
from .test_form import fill
from .test_respond import invite

SECRET = "box-key-test-secret-of-more-than-32-bytes"
PASSPHRASE = "trâu cày ruộng bậc thang ở Pác Nặm"
NAME = "Khảo sát CCHC năm 2026"


def province(url: str, folder) -> tuple:
    """A migrated database with one collecting campaign (one district, Bắc Kạn) and an admin ``qt``:
    ``(app, campaign id)``."""
    app = make_app(url, folder / "instance", SECRET_KEY=SECRET)
    migrate.upgrade(app.extensions[DB_KEY])
    with app.extensions[DB_KEY].transaction() as s:
        campaign = create_campaign(s, year=2026, name=NAME, criteria_texts=read_set_texts(DEFAULT_SET_DIR),
                                   actor="test", status="open", province="Bắc Kạn")
        s.add(Unit(campaign_id=campaign.id, code="ba_be", name="Huyện Ba Bể", level="huyen"))
        create_user(s, "qt", PASSWORD, "admin", actor="test")
        s.flush()
        return app, campaign.id


@pytest.fixture(params=BACKENDS)
def world(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'box.sqlite'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    app, campaign_id = province(url, tmp_path)
    yield app, campaign_id
    app.extensions[DB_KEY].dispose()


@pytest.fixture
def sqlite_world(tmp_path):
    app, campaign_id = province(f"sqlite:///{tmp_path / 'box.sqlite'}", tmp_path)
    yield app, campaign_id
    app.extensions[DB_KEY].dispose()


def signed_in(app):
    client = app.test_client()
    assert login(client, "qt").status_code == 302
    return client


def send(app, campaign_id: int, token: str, option: int = 0) -> None:
    """A citizen of Ba Bể opens a new link, answers every question with the option at ``option`` and sends:
    the respondent's real path (GET /s/<token>, the page, the review, POST /s/<token>/gui)."""
    invite(app, "nguoi_dan", "ba_be", token, campaign_id=campaign_id)
    client = app.test_client()
    assert client.get(f"/s/{token}").status_code == 200
    assert fill(client, token, 1, pick=lambda options: options[option]).status_code == 302
    review = client.get(f"/s/{token}/gui").get_data(as_text=True)
    client_id = review.split('name="client_id" value="', 1)[1].split('"', 1)[0]
    sent = client.post(f"/s/{token}/gui", data={"csrf_token": csrf(review), "client_id": client_id})
    assert "Cảm ơn" in sent.get_data(as_text=True)


def box_page(client, campaign_id: int) -> str:
    page = client.get(f"/quan-tri/dot/{campaign_id}/hom-phieu")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def set_passphrase(client, campaign_id: int, passphrase: str = PASSPHRASE, again: str | None = None,
                   understood: bool = True):
    data = {"csrf_token": csrf(box_page(client, campaign_id)), "passphrase": passphrase,
            "passphrase2": passphrase if again is None else again}
    if understood:
        data["understood"] = "y"
    return client.post(f"/quan-tri/dot/{campaign_id}/hom-phieu", data=data)


def stored_box(app, campaign_id: int) -> WrappedKey | None:
    with app.extensions[DB_KEY].session() as s:
        row = s.get(BallotBox, campaign_id)
        return None if row is None else wrapped_key(row)


def count(app, model, *where) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def markers(app, campaign_id: int) -> int:
    return count(app, SpentLink, SpentLink.campaign_id == campaign_id)


def box_audit(app, campaign_id: int) -> list[AuditEntry]:
    with app.extensions[DB_KEY].session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.entity == "ballot_box",
                                                       AuditEntry.entity_id == str(campaign_id))))


# --- the page -------------------------------------------------------------------------------------

def test_the_box_page_says_how_the_key_is_kept_and_how_many_ballots_it_holds(sqlite_world):
    app, cid = sqlite_world
    admin = signed_in(app)
    home = admin.get(f"/quan-tri/dot/{cid}").get_data(as_text=True)
    assert f'href="/quan-tri/dot/{cid}/hom-phieu">Hòm phiếu</a>' in home, "a link among the campaign's steps"
    html = box_page(admin, cid)
    assert "chưa tạo" in html and "<strong>0</strong> phiếu" in html
    assert "Giữ khoá hòm phiếu bằng mật khẩu của Sở" in html and 'name="passphrase2"' in html
    assert "khi kết thúc đợt khảo sát" in html

    send(app, cid, "tok-box-page-000000000000000000")
    public = stored_box(app, cid).public
    html = box_page(admin, cid)
    assert "khoá bí mật của máy chủ" in html and "<strong>1</strong> phiếu" in html
    assert ballot_box.fingerprint(public) in html
    assert 'name="passphrase"' not in html and "cách giữ khoá không đổi được nữa" in html
    refused = set_passphrase(admin, cid)
    assert refused.status_code == 400 and "Hòm phiếu đã có phiếu" in refused.get_data(as_text=True)
    assert stored_box(app, cid).how == "secret" and stored_box(app, cid).public == public
    [(_id, sealed)] = _envelopes(app, cid)
    private = open_private(stored_box(app, cid), cid, secret=SECRET)
    assert open_envelope(private, cid, sealed)["channel"] == "web", "the envelope still opens with its key"
    assert box_audit(app, cid) == []


def test_other_roles_are_refused_the_box_page(sqlite_world):
    app, cid = sqlite_world
    with app.extensions[DB_KEY].transaction() as s:
        create_user(s, "pt", PASSWORD, "analyst", actor="test")
    analyst = app.test_client()
    login(analyst, "pt")
    assert analyst.get(f"/quan-tri/dot/{cid}/hom-phieu").status_code == 403
    token = csrf(analyst.get("/dang-nhap").get_data(as_text=True))
    posted = analyst.post(f"/quan-tri/dot/{cid}/hom-phieu", data={
        "csrf_token": token, "passphrase": PASSPHRASE, "passphrase2": PASSPHRASE, "understood": "y"})
    assert posted.status_code == 403 and stored_box(app, cid) is None
    assert "Hòm phiếu" not in analyst.get(f"/quan-tri/dot/{cid}").get_data(as_text=True)


def test_the_department_keeps_the_key_under_its_passphrase_and_prints_the_sheet_once(sqlite_world, tmp_path):
    app, cid = sqlite_world
    admin = signed_in(app)
    sheet = set_passphrase(admin, cid)
    html = sheet.get_data(as_text=True)
    assert sheet.status_code == 200 and "no-store" in sheet.headers["Cache-Control"]
    box = stored_box(app, cid)
    assert box.how == "passphrase"
    fingerprint = ballot_box.fingerprint(box.public)
    assert "Phiếu khoá hòm phiếu" in html and f'<p class="ks-passphrase">{PASSPHRASE}</p>' in html
    assert "Bắc Kạn" in html and NAME in html and fingerprint in html
    assert "Mất mật khẩu là mất toàn bộ phiếu trực tuyến" in html and "không giữ bản sao nào" in html
    [entry] = box_audit(app, cid)
    assert (entry.actor, entry.action, entry.attribute) == ("qt", "update", "how")
    assert fingerprint in entry.new_value
    with app.extensions[DB_KEY].session() as s:  # the passphrase is nowhere in the log
        assert not any(PASSPHRASE in (e.old_value or "") + (e.new_value or "") for e in s.scalars(select(AuditEntry)))
    # ... nor in the database's files, nor on the page once the sheet has gone
    files = b"".join(p.read_bytes() for p in tmp_path.glob("box.sqlite*"))
    assert len(files) > 10_000 and PASSPHRASE.encode() not in files and box.public in files
    again = box_page(admin, cid)
    assert "mật khẩu hòm phiếu của Sở" in again and fingerprint in again and PASSPHRASE not in again
    assert "Đặt mật khẩu mới sẽ tạo khoá hòm mới" in again, "still changeable while the box is empty"
    with pytest.raises(BoxError):
        open_private(box, cid, secret=SECRET)
    assert open_private(box, cid, passphrase=PASSPHRASE) is not None


@pytest.mark.parametrize("passphrase,again,understood,message", [
    ("123456789012", None, True, "Mật khẩu quá dễ đoán"),
    ("ngắn quá", None, True, "ít nhất 12 ký tự"),
    (PASSPHRASE, PASSPHRASE + "!", True, "Hai lần nhập mật khẩu hòm phiếu không khớp"),
    (PASSPHRASE, None, False, "Xin đánh dấu ô xác nhận"),
    ("", None, True, "Xin nhập mật khẩu hòm phiếu"),
])
def test_a_weak_mismatched_or_unacknowledged_passphrase_is_refused(sqlite_world, passphrase, again, understood,
                                                                   message):
    app, cid = sqlite_world
    admin = signed_in(app)
    refused = set_passphrase(admin, cid, passphrase, again, understood)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and message in html and "Traceback" not in html
    assert 'name="passphrase"' in html, "the form is shown again"
    assert stored_box(app, cid) is None and box_audit(app, cid) == []


def test_a_closed_campaigns_box_page_only_says_so(sqlite_world):
    app, cid = sqlite_world
    admin = signed_in(app)
    with app.extensions[DB_KEY].transaction() as s:
        s.get(Campaign, cid).status = "closed"
    html = box_page(admin, cid)
    assert "hòm phiếu đã được mở" in html and 'name="passphrase"' not in html
    refused = set_passphrase(admin, cid)
    assert refused.status_code == 400 and "Đợt khảo sát đã kết thúc" in refused.get_data(as_text=True)
    assert stored_box(app, cid) is None


# --- closing with the passphrase --------------------------------------------------------------------

def close(client, campaign_id: int, passphrase: str | None):
    page = client.get(f"/quan-tri/dot/{campaign_id}/ket-thuc").get_data(as_text=True)
    data = {"csrf_token": csrf(page), "confirm": "yes", "confirm_coverage": "yes"}
    if passphrase is not None:
        data["passphrase"] = passphrase
    return page, client.post(f"/quan-tri/dot/{campaign_id}/ket-thuc", data=data)


def test_closing_needs_the_departments_passphrase_and_a_wrong_one_changes_nothing(world):
    app, cid = world
    admin = signed_in(app)
    assert set_passphrase(admin, cid).status_code == 200
    for n in range(3):
        send(app, cid, f"tok-box-close-{n}-0000000000000000", option=n)
    envelopes = {e: s for e, s in _envelopes(app, cid)}
    assert len(envelopes) == 3 and markers(app, cid) == 3

    for wrong in ("trâu cày ruộng bậc thang ở Pác Nậm", "", SECRET):
        page, refused = close(admin, cid, wrong)
        assert 'name="passphrase"' in page and "Mật khẩu hòm phiếu" in page
        html = refused.get_data(as_text=True)
        assert refused.status_code == 400 and "Mật khẩu hòm phiếu không đúng" in html and "Traceback" not in html
        with app.extensions[DB_KEY].session() as s:
            assert s.get(Campaign, cid).status == "open"
        assert dict(_envelopes(app, cid)) == envelopes, "every envelope intact, byte for byte"
        assert markers(app, cid) == 3 and count(app, Ballot, Ballot.campaign_id == cid) == 0

    # typed again on another computer: decomposed Vietnamese letters, a space at the end
    _page, closed = close(admin, cid, unicodedata.normalize("NFD", PASSPHRASE) + " ")
    assert closed.status_code == 302
    with app.extensions[DB_KEY].session() as s:
        assert s.get(Campaign, cid).status == "closed"
        channels = s.scalars(select(Ballot.channel).where(Ballot.campaign_id == cid)).all()
    assert channels == ["web"] * 3, "the three sealed ballots opened into ballots"
    assert count(app, Envelope, Envelope.campaign_id == cid) == 0 and markers(app, cid) == 0


def _envelopes(app, campaign_id: int) -> list[tuple[str, bytes]]:
    with app.extensions[DB_KEY].session() as s:
        return [(i, bytes(b)) for i, b in s.execute(select(Envelope.id, Envelope.sealed)
                                                   .where(Envelope.campaign_id == campaign_id))]


def test_an_operator_with_a_copy_of_the_database_and_secret_key_opens_no_envelope(sqlite_world, tmp_path):
    """The operator copies the database file (with its WAL) and holds SECRET_KEY: with the passphrase
    setting no envelope opens, by any route the code has (the box's key, closing on the copy)."""
    app, cid = sqlite_world
    admin = signed_in(app)
    assert set_passphrase(admin, cid).status_code == 200
    for n in range(2):
        send(app, cid, f"tok-box-copy-{n}-00000000000000000", option=n)
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in tmp_path.glob("box.sqlite*"):
        shutil.copy(path, copy / path.name)
    stolen = make_app(f"sqlite:///{copy / 'box.sqlite'}", copy / "instance", SECRET_KEY=SECRET)
    database = stolen.extensions[DB_KEY]
    box = stored_box(stolen, cid)
    envelopes = _envelopes(stolen, cid)
    assert box.how == "passphrase" and len(envelopes) == 2
    for secret in (SECRET, None):
        with pytest.raises(BoxError):
            open_private(box, cid, secret=secret, passphrase=SECRET)
    with pytest.raises(BoxError):
        open_private(WrappedKey(box.public, box.wrapped, "secret", box.salt), cid, secret=SECRET)
    for other_box in ballot_box_keys_from_secret(cid):  # a key made from SECRET_KEY is not the box's key
        for _id, sealed in envelopes:
            with pytest.raises(BoxError):
                open_envelope(other_box, cid, sealed)
    with database.session() as s, pytest.raises(ballot_box.PassphraseError):
        ballot_box.open_box(s, cid, campaign_criteria(s.get(Campaign, cid)), secret=SECRET)
    assert all(b"tot" not in sealed and b"nguoi_dan" not in sealed for _id, sealed in envelopes)
    database.dispose()
    # the real passphrase opens them: the envelopes were whole, only the key was missing
    private = open_private(box, cid, passphrase=PASSPHRASE)
    assert sorted(open_envelope(private, cid, sealed)["channel"] for _id, sealed in envelopes) == ["web", "web"]


def ballot_box_keys_from_secret(campaign_id: int) -> list:
    """Box keys an operator could make with SECRET_KEY: new boxes under it (none is the campaign's)."""
    from survey_app.services.box import new_box

    return [open_private(new_box(campaign_id, secret=SECRET), campaign_id, secret=SECRET) for _ in range(2)]


# --- a ballot sealed while the passphrase is being set -----------------------------------------------

@pytest.mark.parametrize("box_before", [True, False], ids=["box-made", "first-ballot-makes-the-box"])
def test_a_ballot_sealed_while_the_passphrase_is_set_is_never_lost(pg_url, tmp_path, box_before):
    """PostgreSQL (SQLite's write lock serialises the two): a respondent's transaction has read the box's
    public key and sealed its envelope, not yet committed, when the admin sets the passphrase. The admin
    waits, then is refused: the envelope opens with the box's key. Without the lock the admin replaced
    the key under the envelope (lost for good) or failed on the box's key."""
    app, cid = province(pg_url, tmp_path)
    database = app.extensions[DB_KEY]
    with database.transaction() as s:
        group = s.scalar(select(RespondentGroup.id).where(RespondentGroup.campaign_id == cid,
                                                          RespondentGroup.code == "nguoi_dan"))
        if box_before:
            ballot_box.ensure_box(s, cid, SECRET)
    respondent = database.connect(write=True)
    respondent.begin()
    ballot_box.seal_ballot(respondent, ballot_box.Sealed(cid, group, None, {"channel": "web", "answers": []}, 512),
                           SECRET)
    outcome: list = []

    def admin() -> None:
        try:
            with database.transaction() as s:
                keep_under_passphrase(s, s.get(Campaign, cid), PASSPHRASE, "qt")
            outcome.append("kept")
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test reads
            outcome.append(exc)

    thread = threading.Thread(target=admin)
    thread.start()
    with database.engine.connect() as watcher:
        for _ in range(3000):  # until the admin waits on a lock, or is done (at most 30 s)
            if not thread.is_alive() or watcher.exec_driver_sql(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted").scalar():
                break
            time.sleep(0.01)
    respondent.commit()
    respondent.close()
    thread.join(60)
    assert isinstance(outcome[0], BoxKeyError), outcome
    box = stored_box(app, cid)
    assert box.how == "secret"
    [(_id, sealed)] = _envelopes(app, cid)
    assert open_envelope(open_private(box, cid, secret=SECRET), cid, sealed)["channel"] == "web"
    database.dispose()
