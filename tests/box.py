"""What tests read of the sealed ballot box: a link as the respondent's path sees it (spent, draft),
and the box's envelopes opened as closing opens them (secret mode: the test app holds SECRET_KEY)."""
from __future__ import annotations

from sqlalchemy import func, select

from survey_app.extensions import DB_KEY
from survey_app.models import BallotBox, Envelope, SpentLink
from survey_app.services import visits
from survey_app.services.ballot_box import wrapped_key
from survey_app.services.box import open_envelope, open_private


def link(app, token: str):
    """The link of ``token`` as a respondent's request reads it (``used``, ``draft``, ...)."""
    with app.extensions[DB_KEY].connect() as conn:
        return visits.find_link(conn, token, app.config["SECRET_KEY"])


def spent(app, token: str) -> bool:
    return link(app, token).used


def envelopes(app, campaign_id: int) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(func.count()).select_from(Envelope).where(Envelope.campaign_id == campaign_id))


def markers(app, campaign_id: int) -> int:
    with app.extensions[DB_KEY].session() as s:
        return s.scalar(select(func.count()).select_from(SpentLink).where(SpentLink.campaign_id == campaign_id))


def sealed(app, campaign_id: int) -> list[dict]:
    """Every envelope of the campaign opened (with its group and unit), as closing would open it."""
    return open_all(app.extensions[DB_KEY], app.config["SECRET_KEY"], campaign_id)


def open_all(database, secret: str, campaign_id: int) -> list[dict]:
    """Every envelope of the campaign opened with its box key kept under ``secret``: its content, with its
    ``id``, ``group_id`` and ``unit_id``."""
    with database.session() as s:
        box = s.get(BallotBox, campaign_id)
        if box is None:
            return []
        private = open_private(wrapped_key(box), campaign_id, secret=secret)
        return [{**open_envelope(private, campaign_id, e.sealed), "id": e.id, "group_id": e.group_id,
                 "unit_id": e.unit_id}
                for e in s.scalars(select(Envelope).where(Envelope.campaign_id == campaign_id))]


# --- What an outsider reads of the database's files (tests/test_adversary.py) ----------------------------------

def _plain(value) -> str:
    return bytes(value).hex() if isinstance(value, bytes | memoryview) else str(value)


def table_rows(engine) -> dict[str, set[tuple[str, ...]]]:
    """Every row of every table, as text, as an operator's ``SELECT *`` dump (or a backup) holds them."""
    from sqlalchemy import inspect

    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        return {name: {tuple(_plain(v) for v in row) for row in conn.exec_driver_sql(f'SELECT * FROM "{name}"')}
                for name in names}


def wal_commits(path) -> list[list[tuple[int, bytes]]]:
    """The transactions a SQLite ``-wal`` file holds, oldest first: each the pages (number, content) it
    wrote, as a reader of the file replays them commit by commit (frames of an older generation, whose
    salts differ from the header's, are left out)."""
    from pathlib import Path

    data = Path(path).read_bytes()
    if len(data) < 32:
        return []
    size, salts = int.from_bytes(data[8:12], "big"), data[16:24]
    commits, pending = [], []
    for at in range(32, len(data) - 24 - size + 1, 24 + size):
        if data[at + 8:at + 16] != salts:
            break
        pending.append((int.from_bytes(data[at:at + 4], "big"), data[at + 24:at + 24 + size]))
        if int.from_bytes(data[at + 4:at + 8], "big"):  # a commit frame: the database's size after it
            commits.append(pending)
            pending = []
    return commits


def page_tables(path) -> dict[int, str]:
    """The table each page of the SQLite file ``path`` belongs to (its own b-tree or one of its indexes),
    page 1 ``sqlite_schema``; a page on the free list is absent. ``path`` is opened (a ``-wal`` beside it
    is replayed into it): pass a copy."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_schema"))
        owner["sqlite_schema"] = "sqlite_schema"
        return {page: owner[name] for name, page in conn.execute("SELECT name, pageno FROM dbstat")}
    finally:
        conn.close()


def pg_lsn(conn) -> str:
    """Where PostgreSQL's write-ahead log is now (``conn``: a SQLAlchemy connection)."""
    return conn.exec_driver_sql("SELECT pg_current_wal_insert_lsn()::text").scalar()


def pg_wal_writes(conn, start: str, end: str) -> list[tuple[str, str, str]]:
    """What PostgreSQL's WAL holds between two positions for this database: ``(table, resource manager,
    record type)`` per block a record writes, ``table`` being the user table a heap, index or TOAST
    block belongs to, or ``pg_catalog.<name>``. Needs the ``pg_walinspect`` extension (a superuser)."""
    import re

    database = conn.exec_driver_sql("SELECT oid FROM pg_database WHERE datname = current_database()").scalar()
    owners: dict[int, str] = {}

    def owner(node: int) -> str:
        if node not in owners:
            owners[node] = conn.exec_driver_sql(
                "WITH r AS (SELECT pg_filenode_relation(0, %(n)s) AS rel), "
                "i AS (SELECT coalesce((SELECT indrelid FROM pg_index, r WHERE indexrelid = r.rel), "
                "(SELECT rel FROM r)) AS rel), "
                "t AS (SELECT coalesce((SELECT c.oid FROM pg_class c, i WHERE c.reltoastrelid = i.rel), "
                "(SELECT rel FROM i)) AS rel) "
                "SELECT n.nspname || '.' || c.relname FROM t JOIN pg_class c ON c.oid = t.rel "
                "JOIN pg_namespace n ON n.oid = c.relnamespace", {"n": node}).scalar() or f"filenode {node}"
        return owners[node]

    found = []
    for manager, kind, blocks in conn.exec_driver_sql(
            "SELECT resource_manager, record_type, block_ref FROM pg_get_wal_records_info("
            "%(a)s::pg_lsn, %(b)s::pg_lsn) WHERE block_ref IS NOT NULL", {"a": start, "b": end}):
        for _space, db, node in re.findall(r"rel (\d+)/(\d+)/(\d+)", blocks):
            if int(db) == database:
                found.append((owner(int(node)).removeprefix("public."), manager, kind))
    return found


def pg_wal_bytes(conn, start: str, end: str) -> bytes:
    """The raw bytes of PostgreSQL's WAL files between two positions (a superuser reads them)."""
    def number(lsn: str) -> int:
        high, low = lsn.split("/")
        return (int(high, 16) << 32) | int(low, 16)

    segment = int(conn.exec_driver_sql(
        "SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'").scalar())
    timeline = conn.exec_driver_sql("SELECT pg_walfile_name(%(l)s::pg_lsn)", {"l": start}).scalar()[:8]
    per_id = 0x100000000 // segment
    out, at, stop = bytearray(), number(start), number(end)
    while at < stop:
        seg, offset = divmod(at, segment)
        length = min(stop - at, segment - offset)
        name = f"{timeline}{seg // per_id:08X}{seg % per_id:08X}"
        out += conn.exec_driver_sql("SELECT pg_read_binary_file(%(f)s, %(o)s, %(n)s)",
                                    {"f": f"pg_wal/{name}", "o": offset, "n": length}).scalar()
        at += length
    return bytes(out)


def pg_database_files(conn) -> dict[str, bytes]:
    """Every data file of this PostgreSQL database (its directory under ``base/``), by the relation it
    holds (``pg_filenode_relation``) and the file's name."""
    folder = conn.exec_driver_sql(
        "SELECT 'base/' || oid FROM pg_database WHERE datname = current_database()").scalar()
    names = conn.exec_driver_sql("SELECT pg_ls_dir(%(d)s)", {"d": folder}).scalars().all()
    files = {}
    for name in names:
        if name[0].isdigit():
            node = int(name.split("_")[0].split(".")[0])
            relation = conn.exec_driver_sql(  # a TOAST table is named by its owner's name
                "WITH r AS (SELECT pg_filenode_relation(0, %(n)s) AS rel) SELECT coalesce("
                "(SELECT c.oid::regclass::text || ' (TOAST)' FROM pg_class c, r WHERE c.reltoastrelid = r.rel), "
                "(SELECT rel::regclass::text FROM r))",
                {"n": node}).scalar()
            files[f"{relation} ({name})"] = conn.exec_driver_sql("SELECT pg_read_binary_file(%(f)s)",
                                                                 {"f": f"{folder}/{name}"}).scalar()
    return files
