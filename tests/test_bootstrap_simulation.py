"""The bootstrap's intervals cover the truth at their nominal rate when respondents differ in leniency.

Synthetic campaigns of known truth, at the seed's strata (survey_app/demo/data.py):
the 19 departments, each rated by 50 provincial delegates who rate every department
(how: each), by 10 of its own civil servants (how: own) and by district heads of
office who each choose 6 departments (96 of them, about 30 per department: how:
choose). Every ballot carries a leniency of its own (a random effect, sd 1.0 on the
latent scale, against 0.5 for the answer's own noise), shared by all its answers
about every unit it rates. The questions answered are the 11 that delegates and heads
of office both answer (S19 also by civil servants), where raters of many units weigh
most; the other questions are unanswered in every replicate, so they add nothing.

The truth of a unit is the expected points under the model (normal probabilities
of each option, not a sample): per question, its max points × the mean over the
asking groups of the expected option fraction.

N = 100 simulated campaigns, 249 replicates each; per campaign, 19 totals and 171
pairwise differences. Coverage is pooled over units (or pairs) and campaigns; its
Monte Carlo error is the standard deviation of the 100 per-campaign coverages over
√100 (units of one campaign share their delegates, so they are not independent).
Measured (seed 20260): cluster bootstrap, totals 93.6 % (± 1.0), differences 94.1 %
(± 0.5); the per-unit resampling, differences 99.1 % (too wide). A longer run of the
same model (300 campaigns, 399 replicates) gave 94.3 % (± 0.5), 94.5 % (± 0.25) and
99.2 % (± 0.08).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.stats import norm

from aggregation.bootstrap import bootstrap_points
from questionnaires import load_default_set

DEFAULT = load_default_set()
UNITS = [f"so_{i:02d}" for i in range(19)]
DELEGATES, SERVANTS_PER_UNIT, HEADS, CHOSEN = 50, 10, 96, 6
QUESTIONS = {g: list(DEFAULT.questionnaire("so", g).question_ids) for g in ("hdnd_tinh", "cc_so", "ldp_huyen")}
ASKED = sorted(set(QUESTIONS["hdnd_tinh"]) & set(QUESTIONS["ldp_huyen"]))  # the 11 both multi-unit groups answer
GROUP_SHIFT = {"hdnd_tinh": -0.2, "cc_so": 0.4, "ldp_huyen": 0.0}
LENIENCY, NOISE = 1.0, 0.5
THRESHOLDS = np.array([-1.0, 0.0, 0.8])       # kem | trung_binh | kha | tot
FRACTIONS = np.array([0.0, 0.2, 0.6, 1.0])
OPTIONS = {"quality": np.array(["kem", "trung_binh", "kha", "tot"]),
           "share": np.array(["duoi_50", "tu_50_den_65", "tu_65_den_80", "tren_80"])}
SIMULATIONS, REPLICATES = 100, 249
MAX_POINTS = {q.id: q.max_points for q in DEFAULT.questions if q.level == "so"}
SCALE = {q.id: q.scale for q in DEFAULT.questions if q.level == "so"}


def _sampled(cset):
    """The set with no group marked census (the simulation samples every group)."""
    groups = [replace(g, census=False) if getattr(g, "census", False) else g for g in cset.groups]
    return replace(cset, groups=tuple(groups))


def _per_unit(cset):
    """The set with every group rating its "own" unit: the old per-unit resampling's strata."""
    groups = [replace(g, rates=tuple(replace(r, how="own") for r in g.rates)) for g in _sampled(cset).groups]
    return replace(cset, groups=tuple(groups))


SAMPLED = _sampled(DEFAULT)
PER_UNIT = _per_unit(DEFAULT)


def expected_fraction(mu: np.ndarray) -> np.ndarray:
    """E[option fraction] when the latent answer is N(mu, LENIENCY² + NOISE²)."""
    sd = np.hypot(LENIENCY, NOISE)
    cdf = norm.cdf((THRESHOLDS[None, :] - np.asarray(mu)[:, None]) / sd)
    p = np.diff(np.c_[np.zeros(len(cdf)), cdf, np.ones(len(cdf))], axis=1)
    return p @ FRACTIONS


def truth(quality: np.ndarray) -> np.ndarray:
    """Each unit's expected survey total (equal group weights, as the default set)."""
    total = np.zeros(len(UNITS))
    for q in ASKED:
        groups = [g for g, qs in QUESTIONS.items() if q in qs]
        total += MAX_POINTS[q] * np.mean([expected_fraction(quality + GROUP_SHIFT[g]) for g in groups], axis=0)
    return total


def campaign(rng: np.random.Generator, quality: np.ndarray) -> pd.DataFrame:
    """One synthetic campaign's answers (long format), ballots numbered from 0."""
    ballots, units, groups = [], [], []
    ballots.append(np.repeat(np.arange(DELEGATES), 19))
    units.append(np.tile(np.arange(19), DELEGATES))
    groups.append(np.full(DELEGATES * 19, "hdnd_tinh"))
    start = DELEGATES
    ballots.append(start + np.arange(19 * SERVANTS_PER_UNIT))
    units.append(np.repeat(np.arange(19), SERVANTS_PER_UNIT))
    groups.append(np.full(19 * SERVANTS_PER_UNIT, "cc_so"))
    start += 19 * SERVANTS_PER_UNIT
    chosen = np.argsort(rng.random((HEADS, 19)), axis=1)[:, :CHOSEN]
    ballots.append(start + np.repeat(np.arange(HEADS), CHOSEN))
    units.append(chosen.ravel())
    groups.append(np.full(HEADS * CHOSEN, "ldp_huyen"))
    b, u, g = np.concatenate(ballots), np.concatenate(units), np.concatenate(groups)
    leniency = rng.normal(0.0, LENIENCY, start + HEADS)
    frames = []
    for q in ASKED:
        asked = np.isin(g, [grp for grp, qs in QUESTIONS.items() if q in qs])
        bq, uq, gq = b[asked], u[asked], g[asked]
        shift = np.array([GROUP_SHIFT[x] for x in gq])
        latent = quality[uq] + shift + leniency[bq] + rng.normal(0.0, NOISE, len(bq))
        frames.append(pd.DataFrame({"ballot_id": bq, "group": gq, "level": "so", "unit": np.array(UNITS)[uq],
                                    "question": q, "option": OPTIONS[SCALE[q]][np.searchsorted(THRESHOLDS, latent)]}))
    return pd.concat(frames, ignore_index=True)


def per_unit_bootstrap(answers: pd.DataFrame, seed: int):
    """The old per-unit resampling, kept here as a reference (not in the product): each ballot is
    split into one pseudo-ballot per unit it rates and resampled within unit × group, so a
    delegate's ratings of two departments are drawn independently of each other."""
    split = answers.assign(ballot_id=answers["ballot_id"].astype(str) + "|" + answers["unit"])
    return bootstrap_points(split, PER_UNIT, replicates=REPLICATES, seed=seed)


def coverage(boot, true_total: np.ndarray) -> tuple[float, float]:
    """Share of units whose 95 % interval holds the true total; share of pairs whose difference interval holds
    the true difference (percentiles of the replicates' differences)."""
    reps = boot.totals[[("so", u) for u in UNITS]].to_numpy()
    low, high = np.quantile(reps, [0.025, 0.975], axis=0)
    totals = np.mean((low <= true_total) & (true_total <= high))
    i, j = np.triu_indices(len(UNITS), 1)
    diffs = reps[:, i] - reps[:, j]
    d_low, d_high = np.quantile(diffs, [0.025, 0.975], axis=0)
    true_diff = true_total[i] - true_total[j]
    return float(totals), float(np.mean((d_low <= true_diff) & (true_diff <= d_high)))


def test_cluster_bootstrap_covers_totals_and_differences_and_per_unit_resampling_does_not():
    rng = np.random.default_rng(20260)
    quality = np.linspace(-0.3, 0.9, 19)
    true_total = truth(quality)
    cluster, old = [], []
    for sim in range(SIMULATIONS):
        answers = campaign(rng, quality)
        cluster.append(coverage(bootstrap_points(answers, SAMPLED, replicates=REPLICATES, seed=sim), true_total))
        old.append(coverage(per_unit_bootstrap(answers, sim), true_total))
    cluster, old = np.array(cluster), np.array(old)
    total_cover, diff_cover = cluster.mean(axis=0)
    error = cluster.std(axis=0, ddof=1) / np.sqrt(SIMULATIONS)
    summary = f"cluster totals {total_cover:.3f}, differences {diff_cover:.3f} (MC error {error.round(4)}); " \
              f"per-unit totals {old[:, 0].mean():.3f}, differences {old[:, 1].mean():.3f}"
    assert 0.93 <= total_cover <= 0.97, summary
    assert 0.93 <= diff_cover <= 0.97, summary
    assert old[:, 1].mean() > 0.97, summary
