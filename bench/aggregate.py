"""Aggregation speed and memory at national size (run by hand; results go to BENCHMARKS.md).

    .venv/bin/python bench/aggregate.py [--ballots 300000] [--seed 1]

Measures, in one run, side by side:
1. our survey points against a bare ``groupby(["unit", "question", "group"])["fraction"].mean()``
   over the same frame (target: at most 1.5x);
2. loading the answers from SQLite through the adapter against a bare ``sqlite3``
   fetch into NumPy arrays (target: at most 2x);
3. peak memory of the process (target: under 2 GB);
4. 1,000 bootstrap replicates on a 2023-size survey of 1,050 ballots (target: under 5 s).
"""
from __future__ import annotations

import argparse
import platform
import resource
import sqlite3
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


def synthetic(ballots: int, seed: int, provinces: int = 63) -> pd.DataFrame:
    """About 33 answers a ballot: citizens and businesses rate their district (13 questions),
    provincial delegates rate the 19 departments of their province (16 questions each).
    ``provinces=63`` is national size; ``provinces=1`` is one province as in 2023."""
    rng = np.random.default_rng(seed)
    districts = [f"h{i:03d}" for i in range(provinces * 8 if provinces == 1 else 700)]
    departments = [f"s{i:03d}" for i in range(provinces * 19)]
    parts = []
    # 93% citizens and businesses: 13 questions about their own district.
    n_citizens = int(ballots * 0.93)
    qs = list(CSET.questionnaire("huyen", "nguoi_dan").question_ids)
    b = np.repeat(np.arange(n_citizens), len(qs))
    parts.append(pd.DataFrame({"ballot_id": b, "group": np.where(b % 7 == 0, "doanh_nghiep", "nguoi_dan"),
                               "level": "huyen", "unit": np.array(districts)[rng.integers(0, len(districts), n_citizens)][b - b.min()],
                               "question": np.tile(qs, n_citizens)}))
    # 7% provincial delegates: 16 questions about each of 19 departments of their province.
    n_delegates = ballots - n_citizens
    qs = list(CSET.questionnaire("so", "hdnd_tinh").question_ids)
    province = rng.integers(0, len(departments) // 19, n_delegates)
    b = np.repeat(np.arange(n_delegates), 19 * len(qs))
    unit_index = (np.repeat(province, 19 * len(qs)) * 19 + np.tile(np.repeat(np.arange(19), len(qs)), n_delegates))
    parts.append(pd.DataFrame({"ballot_id": b + n_citizens, "group": "hdnd_tinh", "level": "so",
                               "unit": np.array(departments)[unit_index], "question": np.tile(qs, 19 * n_delegates)}))
    frame = pd.concat(parts, ignore_index=True)
    scale = {q.id: q.scale for q in CSET.questions}
    codes = {"quality": ["tot", "kha", "trung_binh", "kem", "khong_biet"], "share": ["tren_80", "tu_65_den_80", "tu_50_den_65", "duoi_50", "khong_biet"]}
    pick = rng.choice(5, size=len(frame), p=[0.55, 0.25, 0.08, 0.04, 0.08])
    is_share = frame["question"].map(scale).eq("share").to_numpy()
    frame["option"] = np.where(is_share, np.array(codes["share"])[pick], np.array(codes["quality"])[pick])
    frame["state"] = "verified"
    for column in ("group", "level", "unit", "question", "option", "state"):
        frame[column] = frame[column].astype("category")
    return frame


def timed(f, repeat: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = f()
        best = min(best, time.perf_counter() - start)
    return best, result


def load_comparison(frame: pd.DataFrame) -> tuple[float, float, int]:
    """Write the answers to a migrated SQLite database, then time the adapter and a bare fetch."""
    from sqlalchemy import select

    from survey_app import create_app, migrate
    from survey_app.ballot_frame import answers_frame
    from survey_app.campaigns import create_campaign
    from survey_app.extensions import DB_KEY
    from survey_app.models import Campaign
    from questionnaires import DEFAULT_SET_DIR, read_set_texts

    folder = Path(tempfile.mkdtemp(prefix="parsurvey-bench-"))
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}", "SECRET_KEY": "bench"})
    database = app.extensions[DB_KEY]
    migrate.upgrade(database)
    with database.transaction() as s:
        campaign = create_campaign(s, year=2025, name="bench", criteria_texts=read_set_texts(DEFAULT_SET_DIR), actor="bench")
        groups = {g.code: g.id for g in campaign.groups}
        campaign_id = campaign.id
    con = sqlite3.connect(folder / "bench.sqlite")
    units = frame[["unit", "level"]].drop_duplicates().reset_index(drop=True)
    con.executemany("INSERT INTO units (id, campaign_id, code, name, level) VALUES (?, ?, ?, ?, ?)",
                    [(i + 1, campaign_id, str(r.unit), str(r.unit), str(r.level)) for i, r in enumerate(units.itertuples())])
    unit_id = {str(u): i + 1 for i, u in enumerate(units["unit"])}
    ballots = frame.drop_duplicates("ballot_id")
    con.executemany("INSERT INTO ballots (id, campaign_id, client_id, group_id, channel, state) VALUES (?, ?, ?, ?, 'web', 'verified')",
                    ((int(b) + 1, campaign_id, f"c{b}", groups[str(g)]) for b, g in zip(ballots["ballot_id"], ballots["group"])))
    con.executemany("INSERT INTO answers (ballot_id, unit_id, question, option) VALUES (?, ?, ?, ?)",
                    zip((frame["ballot_id"] + 1).tolist(), frame["unit"].map(unit_id).astype(int).tolist(),
                        frame["question"].astype(str).tolist(), frame["option"].astype(str).tolist()))
    con.commit()

    def bare():
        cur = con.execute("SELECT a.ballot_id, b.group_id, a.unit_id, a.question, a.option, b.state FROM answers a "
                          "JOIN ballots b ON a.ballot_id = b.id WHERE b.campaign_id = ? AND b.state IN ('received', 'verified', 'flagged')",
                          (campaign_id,))
        rows = cur.fetchall()
        columns = list(zip(*rows))
        return [np.array(c) for c in columns]

    bare_time, _ = timed(bare, repeat=1)
    with database.session() as s:
        campaign = s.scalars(select(Campaign)).one()
        adapter_time, loaded = timed(lambda: answers_frame(s, campaign), repeat=1)
    return adapter_time, bare_time, len(loaded)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballots", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()

    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, python {platform.python_version()}, pandas {pd.__version__}")
    start = time.perf_counter()
    frame = synthetic(args.ballots, args.seed)
    print(f"synthetic survey: {args.ballots:,} ballots, {len(frame):,} answers, {frame['unit'].nunique():,} units "
          f"(built in {time.perf_counter() - start:.1f}s)")

    with_fraction = frame.assign(fraction=frame["option"].astype(str).map(FRACTION).astype(float))
    bare, _ = timed(lambda: with_fraction.groupby(["unit", "question", "group"], observed=True)["fraction"].mean())
    ours, result = timed(lambda: survey_points(frame, CSET, check=False))
    checked, _ = timed(lambda: survey_points(frame, CSET, check=True), repeat=1)
    print(f"points: ours {ours:.2f}s vs bare groupby {bare:.2f}s = {ours / bare:.2f}x (target <= 1.5x); "
          f"with every row checked {checked:.2f}s; {len(result.totals):,} units scored")

    if not args.skip_sqlite:
        adapter, fetch, rows = load_comparison(frame)
        print(f"load from SQLite: adapter {adapter:.2f}s vs bare sqlite3 fetch {fetch:.2f}s = {adapter / fetch:.2f}x "
              f"(target <= 2x), {rows:,} rows")

    survey_2023 = synthetic(1_050, args.seed, provinces=1)
    boot_time, _ = timed(lambda: bootstrap_points(survey_2023, CSET, replicates=1000, seed=1), repeat=1)
    print(f"bootstrap: 1,000 replicates on 1,050 ballots ({len(survey_2023):,} answers, "
          f"{survey_2023['unit'].nunique()} units) in {boot_time:.2f}s (target < 5s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS): {peak:,.0f} MB (target < 2,048 MB)")


if __name__ == "__main__":
    main()
