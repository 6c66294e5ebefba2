"""API tokens: created for a user (shown once), stored as SHA-256, checked on every API request."""
from __future__ import annotations

import secrets
from functools import wraps

from flask import g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit import record
from ..extensions import db_session
from ..invitations import hash_token
from ..models import ApiToken, User

PREFIX = "pst_"


def create_api_token(s: Session, user: User, name: str, actor: str) -> str:
    """A new token for ``user``; the plain text is returned once and never stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    s.add(ApiToken(user_id=user.id, token_hash=hash_token(token), name=name))
    record(s, actor, "create", "api_token", user.username, new_value=name)
    return token


def api_error(status: int, code: str, message: str, details: list | None = None):
    """The one JSON error shape of the API: ``{"error", "message", "details"}``."""
    response = jsonify({"error": code, "message": message, "details": details or []})
    response.status_code = status
    return response


def token_user() -> User | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    row = db_session().scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(header[7:].strip()),
                                                     ApiToken.revoked.is_(False)))
    return row.user if row is not None and row.user.active else None


def api_roles(*roles: str):
    """Only requests with a valid token of a user with one of ``roles`` (401 without, 403 with another)."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = token_user()
            if user is None:
                response = api_error(401, "unauthorized", "Thiếu hoặc sai mã truy cập API (Authorization: Bearer …).")
                response.headers["WWW-Authenticate"] = 'Bearer realm="parsurvey"'
                return response
            if user.role not in roles:
                return api_error(403, "forbidden", "Tài khoản không được phép dùng thao tác này.")
            g.api_user = user
            return view(*args, **kwargs)
        wrapped.allowed_roles = frozenset(roles)
        return wrapped
    return decorator
