"""Ranking strategies for human spot-checks, registered in `STRATEGIES`. Every strategy has one interface:
given the training pool's `RankingInput`, return every example with a `score` (higher = check sooner) and a
`reason`, best first. Pure: arrays and frames in, a frame out.

Strategies never read the gold labels of the examples they rank; `slice_risk` reads the teacher's error rates
measured on the test split, to estimate where the teacher errs."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from core.registry import Registry


@dataclass
class RankingInput:
    examples: pd.DataFrame  # example_id, teacher_label, teacher_confidence, cluster
    teacher_probs: np.ndarray  # (n, K), rows of NaN where the teacher gave none
    student_probs: np.ndarray  # (n, K), held-out (out-of-fold)
    label_names: list[str]
    slice_risk: pd.DataFrame  # example_id, risk, where (the riskiest slice bucket it falls in)
    rankings: dict = field(default_factory=dict, repr=False)

    def ranked(self, strategy: str, seed: int = 0) -> pd.DataFrame:
        """A strategy's ranking, computed once: `combined` and `cluster_coverage` build on others."""
        if (strategy, seed) not in self.rankings:
            self.rankings[(strategy, seed)] = STRATEGIES.plugin(strategy).factory(self, seed)
        return self.rankings[(strategy, seed)]

    @property
    def teacher_index(self) -> np.ndarray:
        index = {n: i for i, n in enumerate(self.label_names)}
        return np.array([index.get(l, -1) if isinstance(l, str) else -1 for l in self.examples["teacher_label"]])


Strategy = Callable[[RankingInput, int], pd.DataFrame]
# `info["needs"]`: the signals a strategy reads besides the teacher's labels
STRATEGIES: Registry[Strategy] = Registry("ranking strategy")


def _ranked(data: RankingInput, score, reason) -> pd.DataFrame:
    frame = pd.DataFrame({"example_id": data.examples["example_id"], "score": score, "reason": reason})
    return frame.sort_values(["score", "example_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


@STRATEGIES.register("random", needs=(),
                     description="a random order: the baseline every strategy must beat")
def random_order(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    score = np.random.default_rng(seed).random(len(data.examples))
    return _ranked(data, score, ["random draw"] * len(score))


@STRATEGIES.register("low_confidence", needs=("stated confidence",),
                     description="the teacher's lowest stated confidence first")
def low_confidence(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    confidence = data.examples["teacher_confidence"].to_numpy(dtype=float)
    score = np.where(np.isnan(confidence), 1.0, 1.0 - confidence)
    return _ranked(data, score, ["teacher gave no confidence" if np.isnan(c) else f"teacher confidence {c:.2f}"
                                 for c in confidence])


@STRATEGIES.register("self_disagreement", needs=("teacher probabilities",),
                     description="the teacher's most spread-out label distribution first")
def self_disagreement(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    p = np.clip(data.teacher_probs, 1e-12, 1)
    entropy = -(p * np.log(p)).sum(axis=1) / np.log(len(data.label_names))
    score = np.where(np.isnan(entropy), 1.0, entropy)
    return _ranked(data, score, ["teacher gave no distribution" if np.isnan(e) else
                                 f"teacher's label distribution has entropy {e:.2f} (1 = uniform)" for e in entropy])


@STRATEGIES.register("disagreement", needs=("held-out student",),
                     description="the held-out student's lowest probability for the teacher's label first")
def disagreement(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    index = data.teacher_index
    support = np.where(index >= 0, data.student_probs[np.arange(len(index)), np.maximum(index, 0)], 0.0)
    student = [data.label_names[i] for i in data.student_probs.argmax(axis=1)]
    return _ranked(data, 1.0 - support, [f"held-out student gives the teacher's label p={s:.2f} (it says {st!r})"
                                         for s, st in zip(support, student)])


@STRATEGIES.register("cleanlab", needs=("held-out student",),
                     description="cleanlab's lowest label-quality score (on held-out student probabilities) first")
def cleanlab_quality(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    index = data.teacher_index
    answered = index >= 0
    score = np.ones(len(index))  # no teacher label: nothing to trust, check it
    flagged = np.zeros(len(index), dtype=bool)
    probs = data.student_probs[answered] / data.student_probs[answered].sum(axis=1, keepdims=True)
    # normalized margin, not cleanlab's default self-confidence, which is exactly 1 - `disagreement`'s score
    quality = get_label_quality_scores(index[answered], probs, method="normalized_margin")
    # n_jobs=1: cleanlab otherwise forks a multiprocessing pool, which hangs inside Streamlit's threaded server
    flagged[answered] = find_label_issues(index[answered], probs, n_jobs=1)
    score[answered] = 1.0 - quality
    reasons = [f"cleanlab label quality {1 - s:.2f}{' (flagged as a label issue)' if f else ''}"
               for s, f in zip(score, flagged)]
    return _ranked(data, score + flagged, reasons)  # flagged issues first, each group by quality


@STRATEGIES.register("slice_risk", needs=("slices",),
                     description="examples in the slices where the teacher errs most on the test split first")
def slice_risk(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    risk = data.slice_risk.set_index("example_id").reindex(data.examples["example_id"])
    return _ranked(data, risk["risk"].to_numpy(), [w or "no risky slice" for w in risk["where"]])


@STRATEGIES.register("cluster_coverage", needs=("held-out student", "map"),
                     description="the most doubtful example of each disagreement cluster in turn")
def cluster_coverage(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    """Takes the most doubtful example of each disagreement cluster in turn, so the budget spreads."""
    by_doubt = data.ranked("disagreement", seed).merge(data.examples[["example_id", "cluster"]], on="example_id")
    by_doubt["cluster"] = by_doubt["cluster"].fillna(-1).astype(int)
    by_doubt["turn"] = by_doubt.groupby("cluster").cumcount()
    clustered = by_doubt["cluster"] >= 0
    by_doubt["order"] = np.where(clustered, by_doubt["turn"], by_doubt["turn"].max() + 1 + np.arange(len(by_doubt)))
    ordered = by_doubt.sort_values(["order", "score"], ascending=[True, False], kind="stable")
    return pd.DataFrame({"example_id": ordered["example_id"], "score": -np.arange(len(ordered), dtype=float),
                         "reason": [f"cluster {c}, its #{t + 1} most doubtful" if c >= 0 else "in no cluster"
                                    for c, t in zip(ordered["cluster"], ordered["turn"])]}).reset_index(drop=True)


@STRATEGIES.register("combined", needs=("held-out student",),
                     description="the mean percentile of disagreement, cleanlab, confidence and slice risk")
def combined(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    """Mean percentile of the disagreement, cleanlab, low-confidence and slice-risk scores."""
    percentiles = []
    for part in ("disagreement", "cleanlab", "low_confidence", "slice_risk"):
        ranked = data.ranked(part, seed).set_index("example_id")["score"].reindex(data.examples["example_id"])
        percentiles.append(ranked.rank(pct=True).to_numpy())
    score = np.mean(percentiles, axis=0)
    return _ranked(data, score, [f"mean percentile {s:.2f} over disagreement, cleanlab, confidence, slice risk"
                                 for s in score])
