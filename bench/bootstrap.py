"""The cluster bootstrap's speed on campaigns in the demo plan's shares (run by hand; figures in BENCHMARKS.md).

    .venv/bin/python bench/bootstrap.py [--ballots 1050 30000] [--replicates 1000] [--seed 1]

A campaign of N ballots follows the demo plan (survey_app/demo/data.py): provincial delegates
rate every department and every district, civil servants their department, district heads of
office 6 departments each, district delegates, commune leaders, citizens and businesses their
district, each group's whole questionnaire, answers drawn at random. Targets: 1,000 replicates
under 5 s for 1,050 ballots and under 60 s for 30,000 ballots.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aggregation import bootstrap_points  # noqa: E402
from questionnaires import load_default_set  # noqa: E402
from survey_app.demo.data import DEPARTMENTS, DISTRICTS, LDP_PER_DISTRICT, TARGETS  # noqa: E402

CSET = load_default_set()
SO = [code for code, *_ in DEPARTMENTS]
HUYEN = [code for code, *_ in DISTRICTS]
PER_UNIT = {"cc_so": TARGETS[("cc_so", "so")], "hdnd_huyen": TARGETS[("hdnd_huyen", "huyen")],
            "ld_xa": TARGETS[("ld_xa", "huyen")], "nguoi_dan": TARGETS[("nguoi_dan", "huyen")],
            "doanh_nghiep": TARGETS[("doanh_nghiep", "huyen")]}
PLAN = 50 + LDP_PER_DISTRICT * len(HUYEN) + PER_UNIT["cc_so"] * len(SO) + sum(
    n for g, n in PER_UNIT.items() if g != "cc_so") * len(HUYEN)


def campaign(ballots: int, seed: int) -> pd.DataFrame:
    """About ``ballots`` ballots in the demo plan's shares (the plan holds ``PLAN``), long format."""
    rng = np.random.default_rng(seed)
    scale = ballots / PLAN
    options = {s.code: [o.code for o in s.options] for s in CSET.scales}
    frames, next_id = [], 0

    def add(group: str, level: str, units: list[list[str]]) -> None:
        nonlocal next_id
        questions = list(CSET.questionnaire(level, group).question_ids)
        scale_of = {q.id: q.scale for q in CSET.questions if q.level == level}
        b = np.repeat(np.arange(next_id, next_id + len(units)), [len(u) * len(questions) for u in units])
        u = np.concatenate([np.repeat(x, len(questions)) for x in units])
        q = np.tile(questions, len(u) // len(questions))
        pick = rng.choice(5, size=len(q), p=[0.5, 0.28, 0.1, 0.04, 0.08])
        opt = np.array([options[scale_of[x]][p] for x, p in zip(q, pick)])
        frames.append(pd.DataFrame({"ballot_id": b, "group": group, "level": level, "unit": u, "question": q,
                                    "option": opt}))

    delegates = round(50 * scale)
    for level, units in (("so", SO), ("huyen", HUYEN)):
        add("hdnd_tinh", level, [units] * delegates)
    next_id += delegates
    for group, level, units in (("cc_so", "so", SO), ("hdnd_huyen", "huyen", HUYEN), ("ld_xa", "huyen", HUYEN),
                                ("nguoi_dan", "huyen", HUYEN), ("doanh_nghiep", "huyen", HUYEN)):
        per = max(1, round(PER_UNIT[group] * scale))
        add(group, level, [[u] for u in units for _ in range(per)])
        next_id += per * len(units)
    heads = round(LDP_PER_DISTRICT * len(HUYEN) * scale)
    add("ldp_huyen", "so", [list(rng.choice(SO, 6, replace=False)) for _ in range(heads)])
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, nargs="+", default=[1050, 30000])
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"NumPy {np.__version__}, pandas {pd.__version__}")
    sampled = replace(CSET, groups=tuple(replace(g, census=False) for g in CSET.groups))
    for n in args.ballots:
        frame = campaign(n, args.seed)
        for label, cset in (("delegates a census", CSET), ("every group sampled", sampled)):
            start = time.perf_counter()
            boot = bootstrap_points(frame, cset, replicates=args.replicates, seed=args.seed)
            took = time.perf_counter() - start
            print(f"{frame['ballot_id'].nunique():,} ballots ({len(frame):,} answers, {boot.totals.shape[1]} units), "
                  f"{label}: {args.replicates:,} replicates in {took:.2f} s")


if __name__ == "__main__":
    main()
