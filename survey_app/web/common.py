"""What every blueprint shares: who is signed in and may do what, the campaign of a URL,
uploads, downloads, times shown in Vietnam time, and form fields that never raise."""
from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps

from flask import Response, abort, current_app, flash, g, redirect, request, send_file, session, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from werkzeug.routing import IntegerConverter
from wtforms import Field, IntegerField
from wtforms.widgets import TextInput

from ..extensions import DB_KEY, SCORES_KEY, db_session, get_database
from ..models import Campaign, RespondentGroup, Unit, User, utc_from_vietnam, vietnam_time
from ..outputs.exports import safe_text
from ..security import start_session
from ..services import units as unit_service
from ..services.scores import ScoreCache
from ..services.users import end_sessions, signed_in

READERS = ("admin", "analyst")
UPLOAD_LIMIT = 2 * 1024 * 1024
MAX_ID = 2**31 - 1  # ids in URLs and forms beyond this are unknown, never an overflow


class IdConverter(IntegerConverter):
    """``<int:…>`` in URLs: ASCII digits from 1 to 2**31 - 1; anything else is a 404."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


# --- who is signed in ------------------------------------------------------


def current_user() -> User | None:
    """The signed-in user of this request, if any: an active user whose sessions have not been ended
    since this one began (the session's version is the user's).

    Read in a short session of its own, with the units the user covers, and detached: checking who
    asks never opens the request's own session, which on a POST takes SQLite's write lock."""
    if "user" not in g:
        user_id = session.get("user_id")
        user = None
        if isinstance(user_id, int):
            with get_database().session() as s:
                user = s.scalar(select(User).where(User.id == user_id).options(selectinload(User.units)))
        current = user is not None and user.active and session.get("sv") == user.session_version
        if user_id is not None and not current:
            session.clear()
        g.user = user if current else None
    return g.user


def sign_in(user: User) -> None:
    start_session(user.id, user.session_version)  # a fresh session with a new id: nothing carries over
    signed_in(user)


def sign_out() -> None:
    """End this user's sessions everywhere (a cookie copied before opens nothing after)."""
    user = current_user()
    if user is not None:
        end_sessions(db_session(), user)
    session.clear()


def actor() -> str:
    """The signed-in user's name, for the audit log."""
    return current_user().username


ROLE_NAMES = {"admin": "quản trị viên", "staff": "nhân viên nhập liệu", "analyst": "cán bộ phân tích"}


def refusal(user: User, roles) -> str:
    """Why a page is refused, in words a user can act on (which role it needs, which they have)."""
    needed = " hoặc ".join(ROLE_NAMES[r] for r in roles)
    return (f"Trang này dành cho {needed}. Tài khoản {user.username} là {ROLE_NAMES[user.role]}: "
            "nếu cần, xin quản trị viên đổi vai trò ở trang Người dùng.")


def roles_required(*roles: str):
    """Only users with one of ``roles``; anonymous users are sent to sign in, others get 403."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if user.role not in roles:
                abort(403, description=refusal(user, roles))
            return view(*args, **kwargs)
        wrapped.allowed_roles = frozenset(roles)  # read by the route-by-role test
        return wrapped
    return decorator


# --- lookups ---------------------------------------------------------------


@contextmanager
def read_session() -> Iterator[Session]:
    """A session of its own that only reads. An upload is parsed and checked inside it, before the request
    touches its own session, which on a POST takes SQLite's write lock at its first statement: a large or
    slow file never makes respondents and sign-ins wait."""
    with get_database().session() as session:
        yield session


def readable_campaign_or_404(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def campaign_or_404(campaign_id: int) -> Campaign:
    campaign = db_session().get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def collecting_or_back(campaign: Campaign, endpoint: str):
    """None while the campaign can still take links, cards and paper; once it is closed, a redirect
    to ``endpoint`` with a message (nothing is made for a campaign that no longer collects)."""
    if campaign.status != "closed":
        return None
    flash(f"Đợt khảo sát “{campaign.name}” đã kết thúc: không tạo thêm đường link, thẻ QR hay phiếu giấy.", "error")
    return redirect(url_for(endpoint, campaign_id=campaign.id))


def unit_and_group(campaign_id: int, unit_code: str, group_code: str) -> tuple[Unit | None, RespondentGroup | None]:
    """The unit and respondent group of a campaign named by code (``None`` where unknown)."""
    return unit_service.unit_and_group(db_session(), campaign_id, unit_code or "", group_code or "")


def score_cache() -> ScoreCache:
    """This app's cache of computed scores."""
    return current_app.extensions[SCORES_KEY]


def scores_of(campaign: Campaign):
    """The campaign's scores (:class:`survey_app.services.scores.CampaignScores`), cached per app."""
    return score_cache().scores(db_session(), current_app.extensions[DB_KEY].url, campaign)


def intervals_of(campaign: Campaign):
    """The campaign's intervals and unsettled pairs, cached per app."""
    return score_cache().intervals(db_session(), current_app.extensions[DB_KEY].url, campaign)


def base_url() -> str:
    """Where respondents open links: ``PUBLIC_BASE_URL``, or the address the admin uses."""
    return current_app.config.get("PUBLIC_BASE_URL") or request.url_root


def secret() -> str:
    return current_app.config["SECRET_KEY"]


# --- files -----------------------------------------------------------------


def uploaded(file) -> bytes | None:
    """The bytes of an uploaded file (at most :data:`UPLOAD_LIMIT` + 1), or None with a message."""
    if file is None or not getattr(file, "filename", ""):
        flash("Xin chọn một tệp.", "error")
        return None
    data = file.read(UPLOAD_LIMIT + 1)
    if len(data) > UPLOAD_LIMIT:
        flash(f"Tệp quá lớn (tối đa {UPLOAD_LIMIT // 1024 // 1024} MB).", "error")
        return None
    return data


def show_problems(problems: list[tuple[int, str]], what: str) -> None:
    """Flash every problem of a file, each with its row (the header is row 1)."""
    flash(f"{what}: không nhập gì vì tệp có {len(problems)} lỗi.", "error")
    for number, message in problems[:50]:
        flash(f"Dòng {number}: {message}" if number else message, "error")


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def send_temporary(path, filename: str, mimetype: str = XLSX_TYPE) -> Response:
    """Send a temporary file as a download and delete it once sent."""
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=filename)
    response.call_on_close(lambda: os.path.exists(path) and os.unlink(path))
    return response


def csv_response(filename: str, headers, rows) -> Response:
    """A small CSV download (UTF-8 with BOM for Excel); typed text cannot become a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows([safe_text(v) for v in row] for row in rows)
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- times -----------------------------------------------------------------

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


def to_local(value: datetime | None) -> str:
    """A stored time for a ``datetime-local`` input, in Vietnam time."""
    return "" if value is None else vietnam_time(value).strftime(LOCAL_FORMAT)


def from_local(value: datetime | None) -> datetime | None:
    """A time typed in Vietnam time, as the naive UTC the database stores."""
    return None if value is None else utc_from_vietnam(value)


# --- form fields -----------------------------------------------------------


class AsciiIntegerField(IntegerField):
    """An integer typed with ASCII digits only (``²`` or ``١`` are not numbers here), at most
    ``max_digits`` long; anything else is a form error, never an exception."""

    def __init__(self, label=None, validators=None, max_digits: int = 9, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.max_digits = max_digits

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0].strip() if isinstance(valuelist[0], str) else ""
        if text == "":
            self.data = None
            return
        if not (text.isascii() and text.isdigit()) or len(text) > self.max_digits:
            self.data = None
            raise ValueError("Phải là một số nguyên không âm.")
        self.data = int(text)


class IdListField(Field):
    """Ids from repeated inputs (checkboxes; 63-bit ballot ids too): ASCII digits only; others are left out."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        self.data = [int(v) for v in valuelist if isinstance(v, str) and v.isascii() and v.isdigit()
                     and len(v) <= 19 and 0 < int(v) <= 2**63 - 1]

    def _value(self):
        return ""


class QueryForm(FlaskForm):
    """A form read from the query string (filters, pages): no CSRF, GET only."""

    class Meta:
        csrf = False

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formdata", request.args)
        super().__init__(*args, **kwargs)


class ActionForm(FlaskForm):
    """A POST with nothing but its CSRF token (buttons)."""


def first_error(form: FlaskForm) -> str:
    """The first error message of a form (for a flash)."""
    for messages in form.errors.values():
        if messages:
            return messages[0] if isinstance(messages[0], str) else str(messages[0])
    return "Biểu mẫu không hợp lệ."

