"""Every change of privilege (role, units, password, activation) is one transaction with its one audit
row: a refused change leaves nothing behind, a change of role or units ends the user's sessions, and a
new password or a deactivation revokes the user's API tokens for good (a re-activation revives none)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from survey_app.extensions import DB_KEY
from survey_app.models import ApiToken, AuditEntry, User
from survey_app.services.users import create_api_token

from .test_accounts import NEW_PASSWORD, signed_in
from .test_admin import flashes, token_of


def user_id(app, username: str) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(User.id).where(User.username == username))


def state_of(app, username: str) -> tuple[str, bool, list[str], int]:
    """Role, active, top-level unit codes, session version."""
    with app.extensions[DB_KEY].session() as s:
        user = s.scalar(select(User).where(User.username == username))
        return user.role, user.active, sorted({u.code for u in user.units if u.parent_id is None}), \
            user.session_version


def audit_rows(app, username: str) -> list[AuditEntry]:
    with app.extensions[DB_KEY].session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.entity == "user",
                                                       AuditEntry.entity_id == str(user_id(app, username)),
                                                       AuditEntry.action == "update")
                              .order_by(AuditEntry.id)))


def api_token(app, username: str, name: str = "Kobo") -> str:
    with app.extensions[DB_KEY].transaction() as s:
        return create_api_token(s, s.scalar(select(User).where(User.username == username)), name, actor="t")


def api_status(app, token: str) -> int:
    return app.test_client().get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"}).status_code


def admin_post(client, username_id: int, action: str, data: dict):
    page = f"/quan-tri/nguoi-dung/{username_id}"
    return client.post(f"{page}/{action}", data={"csrf_token": token_of(client, page), **data})


# --- a refused change leaves nothing ---------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "staff"])
def test_a_crafted_role_change_with_an_unknown_unit_changes_nothing(site, role):
    """The attack of issue 24: role and a known unit, then an unknown code. Before, the role (or the units)
    changed, the error was a redirect, so the change was committed, with no audit row, and the staff
    member's open session was an admin's at once."""
    admin, staff = signed_in(site, "qt"), signed_in(site, "nl")
    nl = user_id(site, "nl")
    before = state_of(site, "nl")
    with site.extensions[DB_KEY].session() as s:
        audit_before = s.scalar(select(func.count()).select_from(AuditEntry))
    answer = admin_post(admin, nl, "vai-tro", {"role": role, "units": ["na_ri", "khong_co"]})
    assert answer.status_code == 302
    assert any("khong_co" in m for m in flashes(admin, f"/quan-tri/nguoi-dung/{nl}")), "the refusal says which code"
    assert state_of(site, "nl") == before, "role, units and sessions as they were"
    with site.extensions[DB_KEY].session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audit_before, "no audit row, no half of one"
    assert staff.get("/quan-tri/").status_code == 403, "the open session is still a staff member's"
    assert staff.get("/nhap-lieu/").status_code == 200


def test_a_refused_password_leaves_the_password_the_sessions_and_the_tokens(site):
    admin, analyst = signed_in(site, "qt"), signed_in(site, "pt")
    token = api_token(site, "pt")
    before = state_of(site, "pt")
    weak = "aaaaaaaaaaaa"
    answer = admin_post(admin, user_id(site, "pt"), "mat-khau", {"password": weak, "password2": weak})
    assert answer.status_code == 302
    assert state_of(site, "pt") == before and audit_rows(site, "pt") == []
    assert api_status(site, token) == 200 and analyst.get("/bao-cao/").status_code == 200


# --- a change of role or units ends the sessions ---------------------------------------------------


@pytest.mark.parametrize("change", [{"role": "analyst", "units": []}, {"role": "staff", "units": ["na_ri"]}],
                         ids=["role", "units"])
def test_a_change_of_role_or_units_sends_the_user_to_sign_in(site, change):
    admin, staff = signed_in(site, "qt"), signed_in(site, "nl")
    assert staff.get("/nhap-lieu/").status_code == 200
    admin_post(admin, user_id(site, "nl"), "vai-tro", change)
    answer = staff.get("/nhap-lieu/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/dang-nhap")
    role, _active, units, _version = state_of(site, "nl")
    assert role == change["role"] and units == change["units"]


def test_the_same_role_and_units_again_change_nothing(site):
    admin, staff = signed_in(site, "qt"), signed_in(site, "nl")
    admin_post(admin, user_id(site, "nl"), "vai-tro", {"role": "staff", "units": ["ba_be"]})
    assert staff.get("/nhap-lieu/").status_code == 200 and audit_rows(site, "nl") == []


# --- new passwords and deactivations revoke API tokens --------------------------------------------


def _reset_on_the_web(app, username):
    answer = admin_post(signed_in(app, "qt"), user_id(app, username), "mat-khau",
                        {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert answer.status_code == 302


def _reset_by_the_cli(app, username):
    result = app.test_cli_runner().invoke(args=["users", "passwd", username, "--password-stdin"],
                                          input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "mã truy cập API" in result.output, "the command says the tokens went"


@pytest.mark.parametrize("reset", [_reset_on_the_web, _reset_by_the_cli], ids=["web", "cli"])
def test_a_password_reset_revokes_the_users_api_tokens(site, reset):
    tokens = [api_token(site, "pt", "Kobo"), api_token(site, "pt", "R")]
    other = api_token(site, "qt")
    assert [api_status(site, t) for t in tokens] == [200, 200]
    reset(site, "pt")
    assert [api_status(site, t) for t in tokens] == [401, 401]
    assert api_status(site, other) == 200, "only that user's tokens"
    with site.extensions[DB_KEY].session() as s:
        assert s.scalars(select(ApiToken.revoked).where(ApiToken.user_id == user_id(site, "pt"))).all() == [True, True]
    [row] = audit_rows(site, "pt")
    assert row.attribute == "password" and re.search(r"thu hồi 2 mã truy cập API", row.new_value)


def _active_on_the_web(app, username, active: bool):
    answer = admin_post(signed_in(app, "qt"), user_id(app, username), "kich-hoat", {"active": "1" if active else "0"})
    assert answer.status_code == 302


def _active_by_the_cli(app, username, active: bool):
    result = app.test_cli_runner().invoke(args=["users", "activate" if active else "deactivate", username])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("set_active", [_active_on_the_web, _active_by_the_cli], ids=["web", "cli"])
def test_a_reactivated_account_gets_no_old_token_back(site, set_active):
    token = api_token(site, "pt")
    assert api_status(site, token) == 200
    set_active(site, "pt", False)
    assert api_status(site, token) == 401
    set_active(site, "pt", True)
    assert api_status(site, token) == 401, "revoked at the deactivation, for good"
    assert signed_in(site, "pt").get("/bao-cao/").status_code == 200, "the account itself is back"
    fresh = api_token(site, "pt", "mới")
    assert api_status(site, fresh) == 200, "a new token works"


def test_a_token_left_live_on_a_locked_account_is_revoked_when_it_is_opened(site):
    """Accounts locked before this rule kept live tokens: opening the account revokes them."""
    token = api_token(site, "pt")
    with site.extensions[DB_KEY].transaction() as s:
        s.scalar(select(User).where(User.username == "pt")).active = False  # as the old code left it
    _active_by_the_cli(site, "pt", True)
    assert api_status(site, token) == 401


def test_no_token_is_made_for_a_locked_account(site):
    _active_by_the_cli(site, "pt", False)
    admin = signed_in(site, "qt")
    answer = admin_post(admin, user_id(site, "pt"), "ma-api", {"name": "Kobo"})
    assert answer.status_code == 302 and "pst_" not in answer.get_data(as_text=True)
    assert any("đang bị khoá" in m for m in flashes(admin, f"/quan-tri/nguoi-dung/{user_id(site, 'pt')}"))
    with site.extensions[DB_KEY].session() as s:
        assert s.scalar(select(func.count()).select_from(ApiToken)) == 0


# --- one audit row per change, saying what changed, never the password ----------------------------


def test_every_change_writes_one_audit_row_with_its_actor_and_what_changed(site):
    admin = signed_in(site, "qt")
    nl = user_id(site, "nl")
    api_token(site, "nl")
    steps = [
        ("vai-tro", {"role": "staff", "units": ["na_ri", "ba_be"]}, "units", "staff: ba_be", "staff: ba_be, na_ri"),
        ("vai-tro", {"role": "admin", "units": []}, "role", "staff: ba_be, na_ri", "admin"),
        ("mat-khau", {"password": NEW_PASSWORD, "password2": NEW_PASSWORD}, "password", None, "thu hồi 1 mã"),
        ("kich-hoat", {"active": "0"}, "active", "hoạt động", "khoá"),
        ("kich-hoat", {"active": "1"}, "active", "khoá", "hoạt động"),
    ]
    for number, (action, data, attribute, old, new) in enumerate(steps, start=1):
        assert admin_post(admin, nl, action, data).status_code == 302
        rows = audit_rows(site, "nl")
        assert len(rows) == number, (action, data)
        row = rows[-1]
        assert (row.actor, row.attribute) == ("qt", attribute) and row.old_value == old and new in row.new_value
    with site.extensions[DB_KEY].session() as s:
        stored_hash = s.scalar(select(User.password_hash).where(User.id == nl))
        text = " ".join(f"{r.old_value} {r.new_value}" for r in s.scalars(select(AuditEntry)))
    assert NEW_PASSWORD not in text and stored_hash not in text and stored_hash.split("$")[-1] not in text


def test_a_failure_after_the_change_began_is_rolled_back_whole(site, monkeypatch):
    """The request boundary: a refusal raised once the role is already set (here, by the audit) ends in a
    redirect, which would commit; the view rolls the request's session back first."""
    from survey_app.services import users

    def refuse(*_args, **_kwargs):
        raise users.UserError("nhật ký không ghi được")

    monkeypatch.setattr(users, "record", refuse)
    admin, staff = signed_in(site, "qt"), signed_in(site, "nl")
    before = state_of(site, "nl")
    answer = admin_post(admin, user_id(site, "nl"), "vai-tro", {"role": "admin", "units": []})
    assert answer.status_code == 302 and state_of(site, "nl") == before
    assert staff.get("/quan-tri/").status_code == 403
