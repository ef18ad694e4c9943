"""Ranking strategies for human spot-checks. Every strategy has one interface: given the training pool's
`RankingInput`, return every example with a `score` (higher = check sooner) and a `reason`, best first.

Strategies never read the gold labels of the examples they rank; `slice_risk` reads gold only on the test
split, to estimate where the teacher errs."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from .explore import slice_options
from .store import Store


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
            self.rankings[(strategy, seed)] = STRATEGIES[strategy](self, seed)
        return self.rankings[(strategy, seed)]

    @property
    def teacher_index(self) -> np.ndarray:
        index = {n: i for i, n in enumerate(self.label_names)}
        return np.array([index.get(l, -1) if isinstance(l, str) else -1 for l in self.examples["teacher_label"]])


def ranking_input(store: Store, run_id: str, teacher: str) -> RankingInput:
    run = store.run(run_id)
    label_names = store.dataset(run["dataset_id"]).label_set.names
    view = store.example_view(run_id, teacher, role="train").sort_values("example_id").reset_index(drop=True)
    teacher_probs = np.array([[json.loads(p).get(n, 0.0) for n in label_names] if isinstance(p, str)
                              else [np.nan] * len(label_names) for p in view["teacher_probs"]])
    student_probs = np.array([np.asarray(p, dtype=float) for p in view["student_probs"]]).reshape(len(view), len(label_names))
    return RankingInput(view[["example_id", "teacher_label", "teacher_confidence", "cluster"]], teacher_probs,
                        student_probs, label_names, _slice_risk(store, run_id, teacher, run["dataset_id"], view))


def _slice_risk(store, run_id, teacher, dataset_id, view) -> pd.DataFrame:
    """Each pool example's highest teacher error rate (measured on the gold test split) over the buckets it
    belongs to: its own teacher label, and every categorical user column."""
    mode = store.run(run_id)["config"]["student"]["label_modes"][0]
    best = pd.DataFrame({"example_id": view["example_id"], "risk": 0.0, "where": ""})
    columns = store.example_columns(dataset_id).set_index("example_id")
    for option in slice_options(store, dataset_id):
        if option.slice_by not in {"column", "teacher_label"}:
            continue
        table = store.slice_errors(run_id, teacher, mode, option.slice_by, option.column)
        table = table[table["n"] >= 30]  # too few test examples to estimate a rate
        rate = dict(zip(table["bucket"], table["teacher_error"]))
        sizes = dict(zip(table["bucket"], table["n"]))
        name = option.column or "teacher label"
        buckets = (view["teacher_label"].fillna("(no label)") if option.slice_by == "teacher_label"
                   else columns[option.column].reindex(view["example_id"]).replace("", "(empty)").to_numpy())
        risk = np.array([rate.get(b, 0.0) for b in buckets])
        better = risk > best["risk"].to_numpy()
        best.loc[better, "risk"] = risk[better]
        best.loc[better, "where"] = [f"{name} = {b}: teacher wrong {rate[b]:.0%} of n={sizes[b]} test examples"
                                     for b in np.asarray(buckets)[better]]
    return best


Strategy = Callable[[RankingInput, int], pd.DataFrame]


def _ranked(data: RankingInput, score, reason) -> pd.DataFrame:
    frame = pd.DataFrame({"example_id": data.examples["example_id"], "score": score, "reason": reason})
    return frame.sort_values(["score", "example_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def random_order(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    score = np.random.default_rng(seed).random(len(data.examples))
    return _ranked(data, score, ["random draw"] * len(score))


def low_confidence(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    confidence = data.examples["teacher_confidence"].to_numpy(dtype=float)
    score = np.where(np.isnan(confidence), 1.0, 1.0 - confidence)
    return _ranked(data, score, ["teacher gave no confidence" if np.isnan(c) else f"teacher confidence {c:.2f}"
                                 for c in confidence])


def self_disagreement(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    p = np.clip(data.teacher_probs, 1e-12, 1)
    entropy = -(p * np.log(p)).sum(axis=1) / np.log(len(data.label_names))
    score = np.where(np.isnan(entropy), 1.0, entropy)
    return _ranked(data, score, ["teacher gave no distribution" if np.isnan(e) else
                                 f"teacher's label distribution has entropy {e:.2f} (1 = uniform)" for e in entropy])


def disagreement(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    index = data.teacher_index
    support = np.where(index >= 0, data.student_probs[np.arange(len(index)), np.maximum(index, 0)], 0.0)
    student = [data.label_names[i] for i in data.student_probs.argmax(axis=1)]
    return _ranked(data, 1.0 - support, [f"held-out student gives the teacher's label p={s:.2f} (it says {st!r})"
                                         for s, st in zip(support, student)])


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
    flagged[answered] = find_label_issues(index[answered], probs)
    score[answered] = 1.0 - quality
    reasons = [f"cleanlab label quality {1 - s:.2f}{' (flagged as a label issue)' if f else ''}"
               for s, f in zip(score, flagged)]
    return _ranked(data, score + flagged, reasons)  # flagged issues first, each group by quality


def slice_risk(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    risk = data.slice_risk.set_index("example_id").reindex(data.examples["example_id"])
    return _ranked(data, risk["risk"].to_numpy(), [w or "no risky slice" for w in risk["where"]])


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


def combined(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    """Mean percentile of the disagreement, cleanlab, low-confidence and slice-risk scores."""
    percentiles = []
    for part in ("disagreement", "cleanlab", "low_confidence", "slice_risk"):
        ranked = data.ranked(part, seed).set_index("example_id")["score"].reindex(data.examples["example_id"])
        percentiles.append(ranked.rank(pct=True).to_numpy())
    score = np.mean(percentiles, axis=0)
    return _ranked(data, score, [f"mean percentile {s:.2f} over disagreement, cleanlab, confidence, slice risk"
                                 for s in score])


DESCRIPTIONS = {
    "random": "a random order: the baseline every strategy must beat",
    "low_confidence": "the teacher's lowest stated confidence first",
    "self_disagreement": "the teacher's most spread-out label distribution first",
    "disagreement": "the held-out student's lowest probability for the teacher's label first",
    "cleanlab": "cleanlab's lowest label-quality score (on held-out student probabilities) first",
    "slice_risk": "examples in the slices where the teacher errs most on the test split first",
    "cluster_coverage": "the most doubtful example of each disagreement cluster in turn",
    "combined": "the mean percentile of disagreement, cleanlab, confidence and slice risk",
}
STRATEGIES: dict[str, Strategy] = {
    "random": random_order, "low_confidence": low_confidence, "self_disagreement": self_disagreement,
    "disagreement": disagreement, "cleanlab": cleanlab_quality, "slice_risk": slice_risk,
    "cluster_coverage": cluster_coverage, "combined": combined,
}


def rank_pool(store: Store, run_id: str, teacher: str) -> None:
    """Stores every strategy's ranking of the training pool, for the spot-check queue."""
    data = ranking_input(store, run_id, teacher)
    store.write_rankings(run_id, teacher, {name: data.ranked(name) for name in STRATEGIES})
