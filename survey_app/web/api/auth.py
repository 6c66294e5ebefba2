"""API authentication and errors: a per-user token in ``Authorization: Bearer …`` on every request."""
from __future__ import annotations

from functools import wraps

from flask import g, jsonify, request

from ...extensions import db_session, get_database
from ...models import User
from ...security import input_problem
from ...services.users import token_needs_touch, token_row, touch_token

# The ``error`` of an answer the framework gives (the views name theirs: ``sealed``, ``invalid`` ...).
API_ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                   405: "method_not_allowed", 413: "too_large", 500: "server_error"}


def api_error(status: int, code: str, message: str, details: list | None = None, field: str | None = None):
    """The one JSON error shape of the API: ``{"error", "message", "details"}``, and ``field`` when one
    value is refused (``invalid_input``: a NUL or bytes that are not UTF-8, named by its JSON path)."""
    body = {"error": code, "message": message, "details": details or []}
    if field is not None:
        body["field"] = field
        body["details"] = details or [{"field": field, "message": message}]
    response = jsonify(body)
    response.status_code = status
    return response


def token_user() -> User | None:
    """The user whose token this request carries, if it is valid (noting when the token was last used,
    in a short transaction of its own, at most every ten minutes)."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or len(header) > 200:
        return None
    database = get_database()
    with database.session() as s:  # before the request's own session, which may hold the write lock
        row = token_row(s, header[7:])
        if row is None:
            return None
        token_id, user_id, touch = row.id, row.user_id, token_needs_touch(row)
    if touch:
        with database.transaction() as s:
            touch_token(s, token_id)
    return db_session().get(User, user_id)


def api_roles(*roles: str):
    """Only requests with a valid token of a user with one of ``roles`` (401 without, 403 with another);
    then a query or body holding a NUL or bytes that are not UTF-8 is refused (400 ``invalid_input``,
    naming the field): checked here, after the token, so an unknown caller learns nothing but 401."""
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
            problem = input_problem()
            if problem is not None:
                return api_error(400, "invalid_input", problem.description, field=problem.field)
            g.api_user = user
            return view(*args, **kwargs)
        wrapped.allowed_roles = frozenset(roles)
        return wrapped
    return decorator
