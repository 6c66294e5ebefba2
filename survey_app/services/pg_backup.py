"""Backups of a PostgreSQL database: the server's own tools do it better, so ``parsurvey backup`` and
``restore`` print the ``pg_dump`` / ``pg_restore`` command for the configured database (password hidden)
and exit with code 2; ``parsurvey backup --run`` runs ``pg_dump`` into an owner-only file."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from .backup import BackupError, private_dirs


def _pg_options(url: str) -> list[str]:
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host")
    options = [f"--host={host}"] if host else []
    options += [f"--port={parsed.port}"] if parsed.port else []
    options += [f"--username={parsed.username}"] if parsed.username else []
    return options + [f"--dbname={parsed.database}"]


def pg_dump_command(url: str, target: Path) -> list[str]:
    """The ``pg_dump`` command (custom format, for ``pg_restore``) that backs up ``url``; never the password.

    Examples
    --------
    >>> " ".join(pg_dump_command("postgresql+psycopg://u:secret@db:5433/survey", Path("b.dump")))
    'pg_dump --format=custom --no-owner --file=b.dump --host=db --port=5433 --username=u --dbname=survey'
    """
    return ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", *_pg_options(url)]


def pg_restore_command(url: str, source: Path) -> list[str]:
    """The ``pg_restore`` command that replaces the contents of ``url`` with the dump ``source``.

    Examples
    --------
    >>> " ".join(pg_restore_command("postgresql://u@db/survey", Path("b.dump")))
    'pg_restore --clean --if-exists --no-owner --single-transaction --host=db --username=u --dbname=survey b.dump'
    """
    return ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", *_pg_options(url),
            str(source)]


def password_hint(url: str) -> str:
    if make_url(url).password:
        return "Mật khẩu không được in ra: đặt biến môi trường PGPASSWORD hoặc ghi vào tệp ~/.pgpass trước khi chạy."
    return "Nếu máy chủ cần mật khẩu: đặt biến môi trường PGPASSWORD hoặc ghi vào tệp ~/.pgpass."


def run_pg_dump(url: str, target: Path, *, force: bool = False) -> int:
    """Run :func:`pg_dump_command` into a temporary file renamed to ``target`` on success; its size.

    The file is readable by its owner only (0600), as SQLite backups are. The URL's password, if any,
    goes to ``pg_dump`` through ``PGPASSWORD``.
    """
    target = Path(target)
    if shutil.which("pg_dump") is None:
        raise BackupError("Không tìm thấy lệnh pg_dump (cài gói postgresql-client).")
    if target.exists() and not force:
        raise BackupError(f"Tệp {target} đã có: không ghi đè (dùng --force để ghi đè).")
    private_dirs(target.parent)
    # Created here, owner-only (mkstemp: 0600), before pg_dump writes into it: a dump holds every ballot
    # and account, and pg_dump would create its file readable by all (umask 022).
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(fd)
    partial = Path(name)
    env = dict(os.environ)
    if make_url(url).password:
        env["PGPASSWORD"] = make_url(url).password
    try:
        done = subprocess.run(pg_dump_command(url, partial), env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_dump thất bại (mã {done.returncode}): {done.stderr.strip()}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size
