"""Users and roles: who is signed in, what each role may do, creating accounts."""
from __future__ import annotations

from functools import wraps

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .audit import record
from .extensions import db_session
from .models import ROLES, Unit, User, UserUnit, utcnow
from .security import start_session

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
    user = s.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def current_user() -> User | None:
    """The signed-in user of this request, if any."""
    if "user" not in g:
        user_id = session.get("user_id")
        user = db_session().get(User, user_id) if user_id else None
        g.user = user if user is not None and user.active else None
    return g.user


def sign_in(user: User) -> None:
    start_session(user.id)  # a fresh session with a new id: nothing from before sign-in carries over
    user.last_login_at = utcnow()


def roles_required(*roles: str):
    """Only users with one of ``roles``; anonymous users are sent to sign in, others get 403."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        wrapped.allowed_roles = frozenset(roles)  # read by the route-by-role test
        return wrapped
    return decorator
