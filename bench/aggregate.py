"""Aggregation speed and memory at national size (run by hand; results go to BENCHMARKS.md).

    .venv/bin/python bench/aggregate.py [--ballots 300000] [--seed 1]

Measures, in one run, side by side:
1. our survey points against a bare ``groupby(["unit", "question", "group"])["fraction"].mean()``
   over the same frame (target: at most 1.5x);
2. loading the answers from SQLite through the adapter against a bare ``sqlite3``
   fetch into NumPy arrays (target: at most 2x);
3. peak memory (target: under 2 GB), each phase in a fresh process of its own: survey
   points with every row checked, the adapter's load, the bare fetch;
4. 1,000 bootstrap replicates on a 2023-size survey of 1,050 ballots (target: under 5 s).
"""
from __future__ import annotations

import argparse
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aggregation import bootstrap_points, survey_points  # noqa: E402
from questionnaires import load_default_set  # noqa: E402

CSET = load_default_set()
FRACTION = {o.code: o.fraction for s in CSET.scales for o in s.options}


BENCH_SECRET = "bench-aggregate-secret-of-32-bytes-91c2e7d"

def synthetic(ballots: int, seed: int, provinces: int = 63) -> pd.DataFrame:
    """About 33 answers a ballot: citizens and businesses rate their district (13 questions),
    provincial delegates rate the 19 departments of their province (16 questions each).
    ``provinces=63`` is national size; ``provinces=1`` is one province as in 2023.
    Columns are built as categorical codes directly (no 10-million-string arrays)."""
    rng = np.random.default_rng(seed)
    districts = [f"h{i:03d}" for i in range(provinces * 8 if provinces == 1 else 700)]
    departments = [f"s{i:03d}" for i in range(provinces * 19)]
    units = districts + departments
    groups = ["nguoi_dan", "doanh_nghiep", "hdnd_tinh"]
    huyen_q = list(CSET.questionnaire("huyen", "nguoi_dan").question_ids)
    so_q = list(CSET.questionnaire("so", "hdnd_tinh").question_ids)
    questions = huyen_q + so_q
    # 93% citizens and businesses: 13 questions about their own district.
    n_citizens = int(ballots * 0.93)
    b1 = np.repeat(np.arange(n_citizens), len(huyen_q))
    u1 = np.repeat(rng.integers(0, len(districts), n_citizens), len(huyen_q))
    g1 = np.where(b1 % 7 == 0, 1, 0)
    q1 = np.tile(np.arange(len(huyen_q)), n_citizens)
    # 7% provincial delegates: 16 questions about each of 19 departments of their province.
    n_delegates = ballots - n_citizens
    per = 19 * len(so_q)
    province = rng.integers(0, len(departments) // 19, n_delegates)
    b2 = np.repeat(np.arange(n_delegates), per) + n_citizens
    u2 = len(districts) + np.repeat(province, per) * 19 + np.tile(np.repeat(np.arange(19), len(so_q)), n_delegates)
    q2 = len(huyen_q) + np.tile(np.arange(len(so_q)), 19 * n_delegates)
    q = np.concatenate([q1, q2]).astype(np.int16)
    scale = {x.id: x.scale for x in CSET.questions}
    is_share = np.array([scale[x] == "share" for x in questions])[q]
    options = ["tot", "kha", "trung_binh", "kem", "khong_biet", "tren_80", "tu_65_den_80", "tu_50_den_65", "duoi_50"]
    pick = rng.choice(5, size=len(q), p=[0.55, 0.25, 0.08, 0.04, 0.08]).astype(np.int8)
    option = np.where(is_share & (pick < 4), pick + 5, pick).astype(np.int8)  # "don't know" is one code
    unit = np.concatenate([u1, u2]).astype(np.int16)
    cat = pd.Categorical.from_codes
    return pd.DataFrame({
        "ballot_id": np.concatenate([b1, b2]),
        "group": cat(np.concatenate([g1, np.full(len(b2), 2)]).astype(np.int8), categories=groups),
        "level": cat((unit >= len(districts)).astype(np.int8), categories=["huyen", "so"]),
        "unit": cat(unit, categories=units),
        "question": cat(q, categories=questions),
        "option": cat(option, categories=options),
        "state": cat(np.zeros(len(q), dtype=np.int8), categories=["verified"]),
    })


def timed(f, repeat: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = f()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def write_database(frame: pd.DataFrame, folder: Path) -> Path:
    """The answers in a migrated SQLite database, written in chunks; returns its path."""
    from questionnaires import DEFAULT_SET_DIR, read_set_texts
    from survey_app import create_app, migrate
    from survey_app.extensions import DB_KEY
    from survey_app.services.campaigns import create_campaign

    path = folder / "bench.sqlite"
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": BENCH_SECRET})
    database = app.extensions[DB_KEY]
    migrate.upgrade(database)
    with database.transaction() as s:
        campaign = create_campaign(
            s, year=2025, name="bench", criteria_texts=read_set_texts(DEFAULT_SET_DIR), actor="bench"
        )
        groups = {g.code: g.id for g in campaign.groups}
        campaign_id = campaign.id
    database.engine.dispose()
    con = sqlite3.connect(path)
    units = list(frame["unit"].cat.categories)
    levels = ["so" if u.startswith("s") else "huyen" for u in units]
    con.executemany("INSERT INTO units (id, campaign_id, code, name, level) VALUES (?, ?, ?, ?, ?)",
                    [(i + 1, campaign_id, u, u, level) for i, (u, level) in enumerate(zip(units, levels))])
    ballots = frame.drop_duplicates("ballot_id")
    con.executemany(
        "INSERT INTO ballots (id, campaign_id, client_id, group_id, channel, state) "
        "VALUES (?, ?, ?, ?, 'web', 'verified')",
        ((int(b) + 1, campaign_id, f"c{b}", groups[str(g)]) for b, g in zip(ballots["ballot_id"], ballots["group"])),
    )
    step = 500_000
    for at in range(0, len(frame), step):
        part = frame.iloc[at:at + step]
        con.executemany("INSERT INTO answers (ballot_id, unit_id, question, option) VALUES (?, ?, ?, ?)",
                        zip((part["ballot_id"] + 1).tolist(), (part["unit"].cat.codes.astype(int) + 1).tolist(),
                            part["question"].astype(str).tolist(), part["option"].astype(str).tolist()))
    con.commit()
    con.close()
    return path


def bare_fetch(path: Path) -> list[np.ndarray]:
    """The baseline: one query, ``fetchall``, one NumPy array per column."""
    con = sqlite3.connect(path)
    rows = con.execute("SELECT a.ballot_id, b.group_id, a.unit_id, a.question, a.option, b.state FROM answers a "
                       "JOIN ballots b ON a.ballot_id = b.id WHERE b.campaign_id = 1 "
                       "AND b.state IN ('received', 'verified', 'flagged')").fetchall()
    con.close()
    return [np.array(c) for c in zip(*rows)]


def adapter_fetch(path: Path):
    """The adapter, ready to call (the app is built before the clock starts)."""
    from sqlalchemy import select

    from survey_app import create_app
    from survey_app.extensions import DB_KEY
    from survey_app.models import Campaign
    from survey_app.services.ballot_frame import answers_frame

    database = create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": BENCH_SECRET}).extensions[DB_KEY]

    def fetch() -> pd.DataFrame:
        with database.session() as s:
            return answers_frame(s, s.scalars(select(Campaign)).one())
    return fetch


def phase(name: str, args: argparse.Namespace) -> None:
    """One measurement in this (fresh) process; prints ``key=value`` lines for the parent."""
    if name == "points":
        frame = synthetic(args.ballots, args.seed)
        before = current_mb()
        survey_points(frame, CSET, check=True)
        print(f"frame_mb={before:.0f}\npeak_mb={peak_mb():.0f}")
    elif name in ("adapter", "bare"):
        fetch = adapter_fetch(args.database) if name == "adapter" else (lambda: bare_fetch(args.database))
        start = time.perf_counter()
        result = fetch()
        rows = len(result) if name == "adapter" else len(result[0])
        print(f"seconds={time.perf_counter() - start:.2f}\nrows={rows}\npeak_mb={peak_mb():.0f}")


def in_child(name: str, args: argparse.Namespace, *extra: str) -> dict[str, float]:
    """Run :func:`phase` in a fresh interpreter, so its peak memory is its own."""
    command = [
        sys.executable,
        __file__,
        "--phase",
        name,
        "--ballots",
        str(args.ballots),
        "--seed",
        str(args.seed),
        *extra,
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return {k: float(v) for k, v in (line.split("=", 1) for line in out.split())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballots", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--phase", choices=["points", "adapter", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--database", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        return phase(args.phase, args)

    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}, pandas {pd.__version__}")
    start = time.perf_counter()
    frame = synthetic(args.ballots, args.seed)
    print(f"synthetic survey: {args.ballots:,} ballots, {len(frame):,} answers, {frame['unit'].nunique():,} units "
          f"(built in {time.perf_counter() - start:.1f}s, {frame.memory_usage(deep=True).sum() / 2**20:,.0f} MB)")

    with_fraction = frame.assign(fraction=frame["option"].astype(str).map(FRACTION).astype(float))
    bare, _ = timed(lambda f=with_fraction: f.groupby(["unit", "question", "group"], observed=True)["fraction"].mean())
    del with_fraction
    ours, result = timed(lambda: survey_points(frame, CSET, check=False))
    checked, _ = timed(lambda: survey_points(frame, CSET, check=True), repeat=1)
    print(f"points: ours {ours:.2f}s vs bare groupby {bare:.2f}s = {ours / bare:.2f}x (target <= 1.5x); "
          f"with every row checked {checked:.2f}s; {len(result.totals):,} units scored")
    memory = in_child("points", args)
    print(f"memory, points with checks in a fresh process: peak {memory['peak_mb']:,.0f} MB "
          f"(the frame alone {memory['frame_mb']:,.0f} MB) (target < 2,048 MB)")

    if not args.skip_sqlite:
        folder = Path(tempfile.mkdtemp(prefix="parsurvey-bench-"))
        start = time.perf_counter()
        path = write_database(frame, folder)
        print(f"SQLite database written in {time.perf_counter() - start:.0f}s ({path.stat().st_size / 2**20:,.0f} MB)")
        del frame
        bare_run = in_child("bare", args, "--database", str(path))
        adapter_run = in_child("adapter", args, "--database", str(path))
        print(
            f"load from SQLite: adapter {adapter_run['seconds']:.2f}s vs bare sqlite3 fetch {bare_run['seconds']:.2f}s "
            f"= {adapter_run['seconds'] / bare_run['seconds']:.2f}x (target <= 2x), {adapter_run['rows']:,.0f} rows; "
            f"peak memory adapter {adapter_run['peak_mb']:,.0f} MB, bare fetch {bare_run['peak_mb']:,.0f} MB"
        )
        shutil.rmtree(folder)

    survey_2023 = synthetic(1_050, args.seed, provinces=1)
    boot_time, _ = timed(lambda: bootstrap_points(survey_2023, CSET, replicates=1000, seed=1), repeat=1)
    print(f"bootstrap: 1,000 replicates on 1,050 ballots ({len(survey_2023):,} answers, "
          f"{survey_2023['unit'].nunique()} units) in {boot_time:.2f}s (target < 5s)")
    print(f"peak memory of this (parent) process: {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
