"""Closing a campaign whose ballot box holds 100,000 envelopes: time and memory (run by hand;
results go to BENCHMARKS.md).

    .venv/bin/python bench/closing.py                          # SQLite, 100,000 envelopes; about 3 minutes
    .venv/bin/python bench/closing.py --envelopes 10000        # a quicker look
    .venv/bin/python bench/closing.py --database postgresql    # the tests' throwaway cluster; about 6 minutes
    .venv/bin/python bench/closing.py --database postgresql://user@host/empty_database

Issue 25's bound: closing finishes in under 60 s on 2 cores with memory under 500 MB.

The box is filled through the real code (``tests/sealed_box.py``: ``ballot_box.seal_ballot`` of
``envelope_content(NewBallot(...))``, padded as the web form pads, with every link's spent marker
and invitation, and some half-answered drafts), in the demo's sample-plan shares of groups. Then a
fresh interpreter does only the closing, as the admin's close page does it: ``close_campaign`` in
one ``Database.transaction()`` (open every envelope, check, shuffle, write ballots and answers,
delete envelopes, markers and drafts), the commit, then ``ballot_box.forget_order`` (SQLite: WAL
checkpoint, VACUUM, checkpoint; PostgreSQL: VACUUM FULL of those tables, CHECKPOINT). It prints
the time of each step and its own peak RSS (``ru_maxrss``); the parent checks the result (as many
ballots as envelopes, as many answers as were sealed, the box empty).
"""
from __future__ import annotations

import argparse
import atexit
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BENCH_SECRET = "bench-closing-secret-5f1c9a7e2d4b8c03"


def app_database(url: str):
    """The app's ``Database`` on ``url`` (no server: the database layer alone)."""
    from survey_app import create_app
    from survey_app.extensions import DB_KEY

    folder = tempfile.mkdtemp(prefix="parsurvey-closing-instance-")
    atexit.register(shutil.rmtree, folder, True)
    return create_app({"DATABASE_URL": url, "SECRET_KEY": BENCH_SECRET, "INSTANCE_PATH": folder}).extensions[DB_KEY]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def close_phase(url: str) -> None:
    """The closing alone, in this (fresh) process; prints ``key=value`` lines for the parent."""
    from sqlalchemy import select

    from survey_app.models import Campaign
    from survey_app.services import ballot_box
    from survey_app.services.closing import close_campaign

    database = app_database(url)
    with database.session() as s:  # the app's start-up cost (imports, engine) is not the closing's
        s.scalar(select(Campaign.id))
    print(f"ready_mb={peak_mb():.0f}", flush=True)
    chunks: list[float] = []
    cpu_before = cpu_seconds()
    start = time.perf_counter()
    with database.transaction() as s:
        campaign = s.scalars(select(Campaign).where(Campaign.status == "open")).one()
        _note, opened = close_campaign(s, campaign, "bench", secret=BENCH_SECRET,
                                       progress=lambda done, total: chunks.append(time.perf_counter()))
        before_commit = time.perf_counter()
    committed = time.perf_counter()
    done = ballot_box.forget_order(database)
    forgotten = time.perf_counter()
    first = chunks[0] - start if chunks else 0.0
    print(f"first_chunk_s={first:.2f}\nlast_chunk_s={chunks[-1] - chunks[-2] if len(chunks) > 1 else first:.2f}")
    print(f"cpu_s={cpu_seconds() - cpu_before:.2f}")
    print(f"close_s={before_commit - start:.2f}\ncommit_s={committed - before_commit:.2f}\n"
          f"forget_s={forgotten - committed:.2f}\ntotal_s={forgotten - start:.2f}\n"
          f"ballots={opened.ballots}\nunreadable={opened.unreadable}\ninvalid={opened.invalid}\n"
          f"peak_mb={peak_mb():.0f}")
    print(f"forget={done.replace(' ', '_')}")


def in_child(url: str, profile: bool) -> dict[str, str]:
    command = [sys.executable, *(["-m", "cProfile", "-s", "tottime"] if profile else []), __file__,
               "--phase", "close", "--database", url]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the closing process failed:\n{done.stdout}\n{done.stderr}")
    if profile:
        start = done.stdout.rfind("\n", 0, done.stdout.find("function calls")) + 1
        print(done.stdout[start:][:6000])
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line and " " not in line)


def check(url: str, box) -> str:
    """That the closing did its work: every envelope a ballot, every answer there, the box empty."""
    from sqlalchemy import func, select

    from survey_app.models import Answer, Ballot, Campaign, Draft, Envelope, SpentLink

    database = app_database(url)
    with database.session() as s:
        count = {t.__name__: s.scalar(select(func.count()).select_from(t))
                 for t in (Ballot, Answer, Envelope, SpentLink, Draft)}
        status = s.scalar(select(Campaign.status).where(Campaign.id == box.campaign_id))
    database.dispose()
    expected = {"Ballot": box.envelopes, "Answer": box.answers, "Envelope": 0, "SpentLink": 0, "Draft": 0}
    if count != expected or status != "closed":
        raise SystemExit(f"closing went wrong: {count} (expected {expected}), campaign {status}")
    return f"checked: {count['Ballot']:,} ballots, {count['Answer']:,} answers; no envelope, marker or draft left"


def machine_line(url: str) -> str:
    import sqlite3
    from importlib.metadata import version

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    db = f"SQLite {sqlite3.sqlite_version}" if url.startswith("sqlite") else "PostgreSQL"
    return (f"machine: {platform.platform()}, {os.cpu_count()} cores, {memory:.0f} GiB; python "
            f"{platform.python_version()}, SQLAlchemy {version('sqlalchemy')}, cryptography "
            f"{version('cryptography')}, {db}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envelopes", type=int, default=100_000)
    parser.add_argument("--drafts", type=int, default=10_000, help="half-answered drafts (deleted at close)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default="sqlite",
                        help="sqlite (a temporary file), postgresql (a throwaway cluster), or an empty database's URL")
    parser.add_argument("--profile", action="store_true", help="the closing process under cProfile")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--phase", choices=["close"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        return close_phase(args.database)

    from survey_app import migrate
    from survey_app.services.ballot_box import CHUNK
    from tests.sealed_box import fill_box

    folder = Path(tempfile.mkdtemp(prefix="parsurvey-bench-closing-"))
    cluster = None
    url = args.database
    if url == "sqlite":
        url = f"sqlite:///{folder / 'closing.sqlite'}"
    elif url == "postgresql":
        from tests.pgcluster import PgCluster
        cluster = PgCluster()
        cluster.start()
        url = cluster.create_database()
    try:
        print(machine_line(url), flush=True)
        database = app_database(url)
        migrate.upgrade(database)
        start = time.perf_counter()
        box = fill_box(database, BENCH_SECRET, args.envelopes, drafts=args.drafts, seed=args.seed,
                       progress=lambda n: print(f"  filled {n:,}", end="\r", flush=True))
        database.dispose()
        size = ""
        if url.startswith("sqlite"):
            path = Path(url.removeprefix("sqlite:///"))
            size = f"; database {path.stat().st_size / 2**20:,.0f} MB"
        print(f"\nbox: {box.envelopes:,} envelopes ({box.answers:,} answers sealed), {box.drafts:,} drafts, by group "
              f"{dict(sorted(box.by_group.items(), key=lambda kv: -kv[1]))}; filled in "
              f"{time.perf_counter() - start:.0f}s{size}", flush=True)
        load = os.getloadavg()[0]
        r = in_child(url, args.profile)
        print(f"closing: {r['total_s']} s in all = close_campaign {r['close_s']} s (chunks of "
              f"{CHUNK:,} envelopes: the first {r['first_chunk_s']} s, the last {r['last_chunk_s']} s) + commit "
              f"{r['commit_s']} s + forget_order {r['forget_s']} s ({r['forget'].replace('_', ' ')}); "
              f"target < 60 s")
        print(f"the closing process used {r['cpu_s']} s of CPU; load average before {load:.2f}, "
              f"after {os.getloadavg()[0]:.2f}")
        print(f"peak memory of the closing process: {r['peak_mb']} MB (the process ready, before closing: "
              f"{r['ready_mb']} MB); target < 500 MB")
        print(f"opened: {int(r['ballots']):,} ballots, {r['unreadable']} unreadable, {r['invalid']} invalid")
        print(check(url, box))
    finally:
        if cluster is not None:
            cluster.stop()
        if args.keep:
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
