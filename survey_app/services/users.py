"""Users and roles: accounts, passwords, API tokens. (Who is signed in is the web layer's:
:mod:`survey_app.web.common`.)"""
from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import ROLES, ApiToken, Unit, User, UserUnit, utcnow
from .audit import record
from .invitations import hash_token

MIN_PASSWORD = 10
# A hash to compare against when the user does not exist, so both cases take as long.
_DUMMY_HASH = generate_password_hash("not a password")


class UserError(ValueError):
    """A user cannot be created as asked; the message says why (in Vietnamese)."""


def create_user(s: Session, username: str, password: str, role: str, *, full_name: str = "",
                unit_codes: tuple[str, ...] = (), campaign_id: int | None = None, actor: str = "cli") -> User:
    """Create an account. Staff are scoped to units given by code (communes of a district included)."""
    username = username.strip()
    if role not in ROLES:
        raise UserError(f"vai trò phải là một trong: {', '.join(ROLES)}")
    if not username or len(username) > 64 or any(ch.isspace() for ch in username):
        raise UserError("tên đăng nhập không được rỗng, dài quá 64 ký tự hay chứa khoảng trắng")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự")
    if s.scalar(select(func.count()).select_from(User).where(func.lower(User.username) == username.lower())):
        raise UserError(f"tên đăng nhập '{username}' đã có")
    if role == "staff" and not unit_codes:
        raise UserError("nhân viên nhập liệu phải được giao ít nhất một đơn vị (--unit)")
    user = User(username=username, password_hash=generate_password_hash(password), role=role, full_name=full_name)
    s.add(user)
    s.flush()
    for code in unit_codes:
        query = select(Unit).where(Unit.code == code)
        if campaign_id is not None:
            query = query.where(Unit.campaign_id == campaign_id)
        units = s.scalars(query).all()
        if not units:
            raise UserError(f"không có đơn vị mã '{code}'")
        for unit in units:
            covered = [unit] + list(s.scalars(select(Unit).where(Unit.parent_id == unit.id)))
            s.add_all(UserUnit(user_id=user.id, unit_id=u.id) for u in covered)
    record(s, actor, "create", "user", user.id, new_value=f"{username} ({role})")
    return user


def authenticate(s: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or ``None``."""
    user = find_user(s, username)
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def signed_in(user: User) -> None:
    """Note a successful sign-in."""
    user.last_login_at = utcnow()


def find_user(s: Session, username: str) -> User | None:
    """The user of that name (any case), active or not."""
    return s.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


API_TOKEN_PREFIX = "pst_"


def create_api_token(s: Session, user: User, name: str, actor: str) -> str:
    """A new API token for ``user``; the plain text is returned once and never stored."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    s.add(ApiToken(user_id=user.id, token_hash=hash_token(token), name=name))
    record(s, actor, "create", "api_token", user.username, new_value=name)
    return token


def user_for_token(s: Session, token: str) -> User | None:
    """The active user an API token (not revoked) belongs to, or ``None``."""
    row = s.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip()), ApiToken.revoked.is_(False))
    )
    return row.user if row is not None and row.user.active else None
