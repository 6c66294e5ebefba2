"""Users and roles: accounts, passwords, sessions, API tokens. (Who is signed in is the web
layer's: :mod:`survey_app.web.common`.)

A user's ``session_version`` is copied into each of their sessions at sign-in and checked on
every request: :func:`end_sessions` (sign-out, a new password, deactivation, a change of role
or units) raises it and so ends every session of that user at once, on every device.

A change of privilege (:func:`set_role`, :func:`set_password`, :func:`set_active`) checks all it
is given before it changes anything, then makes the change, ends the sessions and writes its one
audit row in the caller's transaction: the request or the command commits the whole, or nothing.
A new password and a deactivation revoke every API token of the user; a re-activation revives
none (a token is revoked for good: the user gets a new one).
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import ROLES, ApiToken, Campaign, Unit, User, UserUnit, utcnow
from .audit import record
from .invitations import hash_token

MIN_PASSWORD = 12
MIN_STRENGTH = 3  # zxcvbn's score, 0-4: 3 is "safely unguessable" against an offline attack on a slow hash
USERNAME = re.compile(r"[a-z0-9._-]{1,64}")
# Words an attacker would try first against this site's accounts.
SITE_WORDS = ("parsurvey", "khaosat", "khảo sát", "cchc", "sonoivu", "sở nội vụ", "noivu", "quantri", "admin")
# A hash to compare against when the user does not exist, so both cases take as long.
_DUMMY_HASH = generate_password_hash("not a password")


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message says why (in Vietnamese)."""


def normalise_username(name: str) -> str:
    """A user name as stored: NFKC, lower case; ASCII letters, digits, ``.``, ``_``, ``-`` only.

    Raises
    ------
    UserError
        Anything else: a look-alike such as ``ádmin`` is refused, not folded to ``admin``.

    Examples
    --------
    >>> normalise_username(" Nhaplieu.BaBe ")
    'nhaplieu.babe'
    """
    name = unicodedata.normalize("NFKC", name).strip().lower()
    if not USERNAME.fullmatch(name):
        raise UserError("tên đăng nhập chỉ gồm chữ cái không dấu, chữ số và các dấu . _ - (tối đa 64 ký tự)")
    return name


def fold(text: str) -> str:
    """``text`` as a password check compares it: any Unicode form, no accents, ``đ`` as ``d``, lower
    case, letters and digits only (spaces and punctuation dropped).

    Examples
    --------
    >>> fold("Chợ Đồn"), fold(unicodedata.normalize("NFD", "Chợ  đồn")), fold("cho-don 2026")
    ('chodon', 'chodon', 'chodon2026')
    """
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())


# The words before a unit's or a province's own name ("Huyện Chợ Đồn": "chodon" is what one would type).
_PREFIXES = tuple(fold(p) for p in (
    "Ủy ban nhân dân", "Uỷ ban nhân dân", "UBND", "Thành phố", "Thị trấn", "Thị xã", "Tỉnh", "Huyện", "Quận",
    "Phường", "Xã", "Sở", "Ban", "Văn phòng"))
MIN_LOCAL_WORD = 4  # shorter names ("Xã A") would refuse half of every password


def _own_name(name: str) -> str:
    """The name without its administrative prefix, folded: "Huyện Chợ Đồn" -> ``chodon``."""
    words = unicodedata.normalize("NFC", name).split()
    for size in (3, 2, 1):
        if len(words) > size and fold(" ".join(words[:size])) in _PREFIXES:
            return fold(" ".join(words[size:]))
    return fold(name)


def local_words(s: Session) -> dict[str, str]:
    """The words a password may not contain, folded, each with what it is (``"đơn vị"``, ``"tỉnh"``): the
    names of the units of every campaign (with and without "Huyện", "Xã", ...) and the province's name."""
    words: dict[str, str] = {}
    for name in s.scalars(select(Campaign.province).distinct()):
        for word in (fold(name or ""), _own_name(name or "")):
            if len(word) >= MIN_LOCAL_WORD:
                words[word] = "tỉnh"
    for name in s.scalars(select(Unit.name).distinct()):
        for word in (fold(name), _own_name(name)):
            if len(word) >= MIN_LOCAL_WORD:
                words.setdefault(word, "đơn vị")
    return words


_SITE_FOLDED = tuple(dict.fromkeys(fold(word) for word in SITE_WORDS))
_LOCAL_WHY = {
    "tỉnh": "mật khẩu không được chứa tên tỉnh (kể cả viết không dấu, liền nhau hay hoa thường khác)",
    "đơn vị": "mật khẩu không được chứa tên một đơn vị trong tỉnh (kể cả viết không dấu, liền nhau hay hoa "
              "thường khác): người dò mật khẩu thử những tên này trước",
}


def password_problem(password: str, username: str = "", local: dict[str, str] | None = None) -> str | None:
    """Why ``password`` is refused (Vietnamese, never repeating the password), or None: at least 12
    characters; not containing the user name, the site's words ("khảo sát", "CCHC", "Sở Nội vụ", ...) nor
    ``local`` (:func:`local_words`: the names of the province and its units), compared by :func:`fold`
    (case, accents, spaces and Unicode form ignored); and not guessable (zxcvbn, with its frequency lists
    of common passwords and words).

    Examples
    --------
    >>> password_problem("aaaaaaaaaaaa") is not None, password_problem("mùa-lúa-chín-vàng-2026") is None
    (True, True)
    >>> password_problem("Chợ Đồn 123456", local={"chodon": "đơn vị"})[:39]
    'mật khẩu không được chứa tên một đơn vị'
    """
    from zxcvbn import zxcvbn  # its word lists load on first use, not at start-up

    if len(password) < MIN_PASSWORD:
        return f"mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự"
    folded = fold(password)
    if len(username) >= 3 and (username.lower() in password.lower() or fold(username) in folded):
        return "mật khẩu không được chứa tên đăng nhập"
    if any(word in folded for word in _SITE_FOLDED):
        return ("mật khẩu không được chứa tên của hệ thống hay của cơ quan (như khảo sát, CCHC, Sở Nội vụ, "
                "quản trị), kể cả viết không dấu hay liền nhau")
    for word, what in (local or {}).items():
        if word in folded:
            return _LOCAL_WHY[what]
    if zxcvbn(password[:128], user_inputs=[username, *SITE_WORDS])["score"] < MIN_STRENGTH:
        return "mật khẩu quá dễ đoán (từ hay mật khẩu phổ biến, chuỗi lặp hay liên tiếp): hãy dùng một câu dài"
    return None


# Generated passwords: four groups of four, consonants and digits only (no vowel: no word, no name;
# none of 0 O o 1 l I i), 27 characters: 27**16 is about 2**76.
PASSWORD_ALPHABET = "bcdfghjkmnpqrstvwxz23456789"


def generate_password(username: str = "", local: dict[str, str] | None = None) -> str:
    """A strong password easy to read off a slip and type: ``k7pm-x3qd-w9tr-h4nf``.

    Examples
    --------
    >>> len(generate_password()), generate_password().count("-")
    (19, 3)
    """
    while True:
        password = "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4))
        if password_problem(password, username, local) is None:
            return password


def create_user(s: Session, username: str, password: str, role: str, *, full_name: str = "",
                unit_codes: tuple[str, ...] = (), campaign_id: int | None = None, actor: str = "cli") -> User:
    """Create an account. Staff are scoped to units given by code (communes of a district included)."""
    if role not in ROLES:
        raise UserError(f"vai trò phải là một trong: {', '.join(ROLES)}")
    username = normalise_username(username)
    problem = password_problem(password, username, local_words(s))
    if problem:
        raise UserError(problem)
    if s.scalar(select(func.count()).select_from(User).where(func.lower(User.username) == username)):
        raise UserError(f"tên đăng nhập '{username}' đã có")
    if role == "staff" and not unit_codes:
        raise UserError("nhân viên nhập liệu phải được giao ít nhất một đơn vị")
    unit_ids = units_named(s, unit_codes, campaign_id)
    user = User(username=username, password_hash=generate_password_hash(password), role=role, full_name=full_name)
    s.add(user)
    s.flush()
    s.add_all(UserUnit(user_id=user.id, unit_id=unit_id) for unit_id in sorted(unit_ids))
    record(s, actor, "create", "user", user.id, new_value=f"{username} ({role})")
    return user


BULK_ROLES = ("staff", "analyst")  # an administrator is made one at a time, with a confirmation


@dataclass
class NewAccount:
    """One row of the table of new accounts: ``row`` is its number as the page shows it."""

    row: int
    full_name: str
    username: str
    unit: str = ""  # a unit code of :func:`unit_choices`, or (pasted) a name not matched: refused by name
    role: str = "staff"


class AccountsRefused(UserError):
    """The table of new accounts has problems; nothing was created. ``problems`` names each by its row."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def match_unit(choices: list[tuple[str, str, str]], text: str) -> str:
    """The code of the unit of ``choices`` (:func:`unit_choices`) that ``text`` names (a code, the name
    or the name without "Huyện", "Sở", ...; case, accents and spaces ignored), else ``text`` unchanged.

    Examples
    --------
    >>> match_unit([("cho_don", "Huyện Chợ Đồn", "huyen")], "cho don")
    'cho_don'
    """
    text = text.strip()
    if text in {code for code, _, _ in choices}:
        return text
    wanted = fold(text)
    for same in (lambda name: fold(name) == wanted, lambda name: _own_name(name) == wanted):
        found = {code for code, name, _ in choices if wanted and same(name)}
        if found:
            return found.pop() if len(found) == 1 else text
    return text


def _unit_problem(choices: list[tuple[str, str, str]], text: str) -> str:
    """Why a pasted unit matched no unit of ``choices``: unknown, or the name of several."""
    wanted = fold(text)
    alike = sorted({name for _, name, _ in choices if wanted and _own_name(name) == wanted})
    if len(alike) > 1:
        return f"'{text[:64]}' là tên của nhiều đơn vị ({', '.join(alike[:4])}): ghi đủ tên, như trong danh sách"
    return f"không có đơn vị '{text[:64]}' trong danh sách"


def pasted_accounts(text: str) -> list[tuple[str, str, str]]:
    """The rows of a pasted block, one per line: ``Họ tên; tên đăng nhập; đơn vị`` (or cells copied from a
    spreadsheet, separated by tabs); blank lines skipped, missing cells empty.

    Examples
    --------
    >>> pasted_accounts("Nguyễn Văn An; nl.an; Chợ Đồn\\n\\nLò Thị Bình\\tnl.binh\\tBa Bể")
    [('Nguyễn Văn An', 'nl.an', 'Chợ Đồn'), ('Lò Thị Bình', 'nl.binh', 'Ba Bể')]
    """
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cells = [cell.strip() for cell in re.split(r"[;\t]", line)] + ["", ""]
        rows.append((cells[0], cells[1], ";".join(c for c in cells[2:] if c)))
    return rows


def create_users(s: Session, rows: list[NewAccount], actor: str) -> list[tuple[User, str]]:
    """Create every account of ``rows`` with a generated password, or none: every row is checked first
    (a name, a valid user name not used twice in the table nor by an existing account, a role of
    :data:`BULK_ROLES`, a unit of :func:`unit_choices` for staff). One audit row per account (user name
    and role, never the password). Returns each user with their password, to be shown once.

    Raises
    ------
    AccountsRefused
        With one message per problem, each naming its row.
    """
    choices = unit_choices(s)
    codes = {code for code, _, _ in choices}
    problems: list[str] = []
    first_row: dict[str, int] = {}
    if not rows:
        raise AccountsRefused(["bảng chưa có dòng nào: điền họ tên, tên đăng nhập và đơn vị"])
    for row in rows:
        where = f"dòng {row.row}"
        if not row.full_name.strip():
            problems.append(f"{where}: chưa có họ tên")
        try:
            username = normalise_username(row.username)
        except UserError as exc:
            problems.append(f"{where}: {exc}" if row.username.strip() else f"{where}: chưa có tên đăng nhập")
        else:
            if username in first_row:
                problems.append(f"{where}: tên đăng nhập '{username}' trùng với dòng {first_row[username]}")
            elif find_user(s, username) is not None:
                problems.append(f"{where}: tên đăng nhập '{username}' đã có tài khoản")
            first_row.setdefault(username, row.row)
        if row.role not in BULK_ROLES:
            problems.append(f"{where}: vai trò phải là nhân viên nhập liệu hay phân tích (quản trị viên: tạo riêng)")
        elif row.role == "staff" and not row.unit.strip():
            problems.append(f"{where}: nhân viên nhập liệu phải được giao một đơn vị")
        elif row.unit.strip() and row.unit not in codes:
            problems.append(f"{where}: {_unit_problem(choices, row.unit.strip())}")
        elif row.role != "staff" and row.unit.strip():
            problems.append(f"{where}: chỉ nhân viên nhập liệu được giao đơn vị (phân tích xem mọi đơn vị)")
    if problems:
        raise AccountsRefused(problems)
    local = local_words(s)
    created = []
    for row in rows:
        username = normalise_username(row.username)
        password = generate_password(username, local)
        created.append((create_user(s, username, password, row.role, full_name=row.full_name.strip(),
                                    unit_codes=(row.unit,) if row.role == "staff" else (), actor=actor),
                        password))
    return created


def units_named(s: Session, unit_codes, campaign_id: int | None = None) -> set[int]:
    """The ids of the units ``unit_codes`` name, in every campaign (or in ``campaign_id``), a district's
    communes with it. Every code is checked before the caller changes anything.

    Raises
    ------
    UserError
        Naming the codes (the first five) that match no unit.
    """
    ids: set[int] = set()
    unknown = []
    for code in dict.fromkeys(unit_codes):
        query = select(Unit.id).where(Unit.code == code)
        if campaign_id is not None:
            query = query.where(Unit.campaign_id == campaign_id)
        found = set(s.scalars(query))
        if not found:
            unknown.append(code)
            continue
        ids |= found | set(s.scalars(select(Unit.id).where(Unit.parent_id.in_(found))))
    if unknown:
        names = ", ".join(f"'{code[:64]}'" for code in unknown[:5])
        more = f" (và {len(unknown) - 5} mã khác)" if len(unknown) > 5 else ""
        raise UserError(f"không có đơn vị mã {names}{more}")
    return ids


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
    try:
        name = normalise_username(username)
    except UserError:
        return None
    return s.scalar(select(User).where(func.lower(User.username) == name))


def end_sessions(s: Session, user: User) -> None:
    """End every session of ``user``, on every device (their next request signs in again)."""
    s.execute(update(User).where(User.id == user.id).values(session_version=User.session_version + 1))
    if user in s:
        s.refresh(user, ["session_version"])


def set_password(s: Session, user: User, password: str, actor: str) -> list[int]:
    """A new password: every session of the user ends and every API token of theirs is revoked.
    One audit row (without the password). Returns the numbers of the tokens revoked."""
    problem = password_problem(password, user.username, local_words(s))
    if problem:
        raise UserError(problem)
    user.password_hash = generate_password_hash(password)
    end_sessions(s, user)
    revoked = revoke_tokens_of(s, user)
    record(s, actor, "update", "user", user.id, attribute="password",
           new_value="(đổi mật khẩu)" + _revoked_note(revoked))
    return revoked


ACTIVE_WORDS = {True: "hoạt động", False: "khoá"}


def set_active(s: Session, user: User, active: bool, actor: str) -> list[int]:
    """Activate or deactivate an account; either way its sessions end and every API token it still has
    is revoked: at a deactivation, so that they stop; at a re-activation, those an older version left
    live on a locked account, so that none comes back. One audit row, none when nothing changes.
    Returns the numbers of the tokens revoked."""
    if user.active == active:
        return []
    user.active = active
    end_sessions(s, user)
    revoked = revoke_tokens_of(s, user)
    record(s, actor, "update", "user", user.id, attribute="active", old_value=ACTIVE_WORDS[not active],
           new_value=ACTIVE_WORDS[active] + _revoked_note(revoked))
    return revoked


def _scope(user: User) -> str:
    """A user's role and units as the audit log shows them: ``staff: ba_be, na_ri`` (a district's
    communes are not named: they come with it)."""
    ids = {u.id for u in user.units}
    codes = sorted({u.code for u in user.units if u.parent_id not in ids})
    return f"{user.role}: {', '.join(codes)}" if codes else user.role


def set_role(s: Session, user: User, role: str, unit_codes: tuple[str, ...], actor: str) -> bool:
    """A new role and set of units (staff); every session of the user ends, so the change holds at once.
    Every unit code is checked first: an unknown one changes nothing. One audit row; none, and no
    session ended, when the role and the units are those the user has. Returns whether anything changed."""
    if role not in ROLES:
        raise UserError(f"vai trò phải là một trong: {', '.join(ROLES)}")
    if role == "staff" and not unit_codes:
        raise UserError("nhân viên nhập liệu phải được giao ít nhất một đơn vị")
    unit_ids = units_named(s, unit_codes)
    if role == user.role and unit_ids == {u.id for u in user.units}:
        return False
    old = _scope(user)
    attribute = "role" if role != user.role else "units"
    user.role = role
    s.execute(delete(UserUnit).where(UserUnit.user_id == user.id))
    s.add_all(UserUnit(user_id=user.id, unit_id=unit_id) for unit_id in sorted(unit_ids))
    s.flush()
    s.expire(user, ["units"])
    end_sessions(s, user)
    record(s, actor, "update", "user", user.id, attribute=attribute, old_value=old,
           new_value=_scope(user))
    return True


def all_users(s: Session) -> list[User]:
    return list(s.scalars(select(User).order_by(User.username)))


def unit_choices(s: Session) -> list[tuple[str, str, str]]:
    """The units staff can be given, as ``(code, name, level)``: the units at the top of their
    hierarchy (departments, districts) of the campaigns not archived, by code (a code names the same
    unit every year; a district brings its communes)."""
    rows = s.execute(select(Unit.code, Unit.name, Unit.level).join(Campaign, Campaign.id == Unit.campaign_id)
                     .where(Campaign.archived.is_(False), Unit.parent_id.is_(None))
                     .order_by(Campaign.year.desc(), Unit.level.desc(), Unit.id)).all()
    seen: dict[str, tuple[str, str, str]] = {}
    for code, name, level in rows:
        seen.setdefault(code, (code, name, level))
    return list(seen.values())


def unit_codes_of(user: User) -> list[str]:
    """The codes of the departments and districts a user keys for (communes come with their district)."""
    return sorted({u.code for u in user.units if u.parent_id is None})


def users_exist(s: Session) -> bool:
    """Whether any account exists (the first-admin setup page only works while none does)."""
    return bool(s.scalar(select(func.count()).select_from(User)))


def tokens_of(s: Session, user: User | None = None) -> list[ApiToken]:
    """API tokens (of ``user``, or everyone's), newest first; none holds the token itself."""
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(s.scalars(query))


def revoke_tokens_of(s: Session, user: User) -> list[int]:
    """Revoke every live API token of ``user`` (in the caller's transaction, audited by the caller's
    row); the numbers of those revoked."""
    ids = list(s.scalars(select(ApiToken.id).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
                         .order_by(ApiToken.id)))
    if ids:
        s.execute(update(ApiToken).where(ApiToken.id.in_(ids)).values(revoked=True))
    return ids


def _revoked_note(ids: list[int]) -> str:
    return f"; thu hồi {len(ids)} mã truy cập API (số {', '.join(map(str, ids))})" if ids else ""


def revoke_token(s: Session, token_id: int, actor: str) -> ApiToken:
    """Revoke an API token by its number (as :func:`tokens_of` lists it)."""
    token = s.get(ApiToken, token_id)
    if token is None:
        raise UserError(f"không có mã truy cập số {token_id}")
    if not token.revoked:
        token.revoked = True
        record(s, actor, "update", "api_token", token.id, attribute="revoked", old_value=False, new_value=True)
    return token


API_TOKEN_PREFIX = "pst_"


def create_api_token(s: Session, user: User, name: str, actor: str) -> str:
    """A new API token for ``user``; the plain text is returned once and never stored.

    Raises
    ------
    UserError
        When the account is locked (open it first: its old tokens stay revoked).
    """
    if not user.active:
        raise UserError(f"tài khoản {user.username} đang bị khoá: mở lại tài khoản trước khi tạo mã truy cập")
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    s.add(ApiToken(user_id=user.id, token_hash=hash_token(token), name=name))
    record(s, actor, "create", "api_token", user.username, new_value=name)
    return token


TOKEN_USE_RESOLUTION = timedelta(minutes=10)  # last_used_at is written at most this often


def token_row(s: Session, token: str) -> ApiToken | None:
    """The API token (not revoked) of an active user, or ``None``."""
    row = s.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip()),
                                          ApiToken.revoked.is_(False)))
    return row if row is not None and row.user.active else None


def token_needs_touch(row: ApiToken) -> bool:
    """Whether :func:`touch_token` should note a use now (to the ten minutes: fewer writes)."""
    return row.last_used_at is None or utcnow() - row.last_used_at > TOKEN_USE_RESOLUTION


def touch_token(s: Session, token_id: int) -> None:
    """Note that a token was used now."""
    s.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))
