"""Ranking strategies for human spot-checks, registered in `STRATEGIES`. Every strategy has one interface:
given the training pool's `RankingInput`, return every example with a `score` (higher = check sooner) and a
`reason`, best first. Pure: arrays and frames in, a frame out.

Each strategy declares the signals it reads (`needs`, keys of `SIGNALS`); `runnable` says which strategies a
data set can feed and, for the others, why not, and `same_orders` which of them order it identically.

Strategies never read the gold labels of the examples they rank; `slice_risk` reads the teacher's error rates
measured on other gold rows (other folds', or the test split's), to estimate where the teacher errs."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from core.registry import Registry
from core.teachers.aggregate import MIN_TEACHERS, Crowd, dawid_skene, vote_matrix


@dataclass
class RankingInput:
    examples: pd.DataFrame  # example_id, teacher_label, teacher_confidence, cluster
    teacher_probs: np.ndarray  # (n, K), rows of NaN where the teacher gave none
    student_probs: np.ndarray  # (n, K), held-out (out-of-fold)
    label_names: list[str]
    # example_id, risk, where (the riskiest structured slice bucket it falls in) and, optionally, group (which gold
    # rows its risk was measured on: its scoring fold's complement, or -1 for all)
    slice_risk: pd.DataFrame
    # the run's other teachers' labels, one column each, rows aligned with `examples` (aggregates left out:
    # their votes would count their members twice)
    other_labels: pd.DataFrame = field(default_factory=pd.DataFrame)
    rankings: dict = field(default_factory=dict, repr=False)  # computed once: rankings, and the teachers' votes

    def ranked(self, strategy: str, seed: int = 0) -> pd.DataFrame:
        """A strategy's ranking, computed once: `combined` and `cluster_coverage` build on others."""
        if (strategy, seed) not in self.rankings:
            self.rankings[(strategy, seed)] = STRATEGIES.plugin(strategy).factory(self, seed)
        return self.rankings[(strategy, seed)]

    @property
    def teacher_index(self) -> np.ndarray:
        index = {n: i for i, n in enumerate(self.label_names)}
        return np.array([index.get(l, -1) if isinstance(l, str) else -1 for l in self.examples["teacher_label"]])

    def votes(self) -> tuple[np.ndarray, Crowd]:
        """Every teacher's label index (this teacher first, -1 for none) and Dawid-Skene's estimates from them."""
        if "votes" not in self.rankings:
            votes = np.column_stack([self.teacher_index, vote_matrix(self.other_labels, self.label_names)])
            self.rankings["votes"] = votes, dawid_skene(votes, len(self.label_names))
        return self.rankings["votes"]


def _has_distribution(data: RankingInput) -> bool:
    given = data.teacher_probs[~np.isnan(data.teacher_probs).any(axis=1)]
    return bool(len(given)) and bool((given.max(axis=1) < 1 - 1e-9).any())  # one-hot rows say nothing more


# signal -> (is it there?, why not when it is not)
SIGNALS: dict[str, tuple[Callable[[RankingInput], bool], str]] = {
    "confidence": (lambda d: bool(d.examples["teacher_confidence"].notna().any()), "this teacher states no confidence"),
    "distribution": (_has_distribution, "this teacher gives one label per text, with no samples or probabilities"),
    "student": (lambda d: bool(len(d.student_probs)) and not np.isnan(d.student_probs).all(),
                "no held-out student probabilities"),
    "map": (lambda d: bool(d.examples["cluster"].notna().any()), "no disagreement map for this run yet (python -m core map)"),
    "slices": (lambda d: bool((d.slice_risk["risk"] > 0).any()),
               "no slice passes the structured-error test for this teacher"),
    "teachers": (lambda d: d.other_labels.shape[1] + 1 >= MIN_TEACHERS,
                 f"needs {MIN_TEACHERS} or more teachers in the run"),
}


def runnable(data: RankingInput, names=None) -> tuple[list[str], dict[str, str]]:
    """The strategies whose signals this data has, and for each other one why it cannot run
    (e.g. "low_confidence: this teacher states no confidence")."""
    present = {signal: check(data) for signal, (check, _) in SIGNALS.items()}
    can, cannot = [], {}
    for name in names or STRATEGIES.names():
        missing = [SIGNALS[s][1] for s in STRATEGIES.plugin(name).info["needs"] if not present[s]]
        if missing:
            cannot[name] = "; ".join(missing)
        else:
            can.append(name)
    return can, cannot


def same_orders(rankings: dict[str, pd.DataFrame]) -> list[list[str]]:
    """Groups of strategies that order the examples identically (e.g. cleanlab and disagreement on two classes)."""
    groups: dict[tuple, list[str]] = {}
    for name, ranked in rankings.items():
        groups.setdefault(tuple(ranked["example_id"]), []).append(name)
    return list(groups.values())


Strategy = Callable[[RankingInput, int], pd.DataFrame]
# `info["needs"]`: the signals (keys of `SIGNALS`) a strategy reads besides the teacher's labels
STRATEGIES: Registry[Strategy] = Registry("ranking strategy")


def _ranked(data: RankingInput, score, reason) -> pd.DataFrame:
    frame = pd.DataFrame({"example_id": data.examples["example_id"], "score": score, "reason": reason})
    return frame.sort_values(["score", "example_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


@STRATEGIES.register("random", needs=(),
                     description="a random order: the baseline every strategy must beat")
def random_order(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    score = np.random.default_rng(seed).random(len(data.examples))
    return _ranked(data, score, ["random draw"] * len(score))


@STRATEGIES.register("low_confidence", needs=("confidence",),
                     description="the teacher's lowest stated confidence first")
def low_confidence(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    confidence = data.examples["teacher_confidence"].to_numpy(dtype=float)
    score = np.where(np.isnan(confidence), 1.0, 1.0 - confidence)
    return _ranked(data, score, ["teacher gave no confidence" if np.isnan(c) else f"teacher confidence {c:.2f}"
                                 for c in confidence])


@STRATEGIES.register("self_disagreement", needs=("distribution",),
                     description="the teacher's most spread-out label distribution first")
def self_disagreement(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    p = np.clip(data.teacher_probs, 1e-12, 1)
    entropy = -(p * np.log(p)).sum(axis=1) / np.log(len(data.label_names))
    score = np.where(np.isnan(entropy), 1.0, entropy)
    return _ranked(data, score, ["teacher gave no distribution" if np.isnan(e) else
                                 f"teacher's label distribution has entropy {e:.2f} (1 = uniform)" for e in entropy])


@STRATEGIES.register("disagreement", needs=("student",),
                     description="the held-out student's lowest probability for the teacher's label first")
def disagreement(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    index = data.teacher_index
    support = np.where(index >= 0, data.student_probs[np.arange(len(index)), np.maximum(index, 0)], 0.0)
    student = [data.label_names[i] for i in data.student_probs.argmax(axis=1)]
    return _ranked(data, 1.0 - support, [f"held-out student gives the teacher's label p={s:.2f} (it says {st!r})"
                                         for s, st in zip(support, student)])


@STRATEGIES.register("cleanlab", needs=("student",),
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
    if len(np.unique(index[answered])) > 1:  # cleanlab cannot flag issues when the teacher gave one label only
        # one process: a forked pool inside Streamlit's threaded server once hung for minutes
        flagged[answered] = find_label_issues(index[answered], probs, n_jobs=1)
    score[answered] = 1.0 - quality
    reasons = [f"cleanlab label quality {1 - s:.2f}{' (flagged as a label issue)' if f else ''}"
               for s, f in zip(score, flagged)]
    return _ranked(data, score + flagged, reasons)  # flagged issues first, each group by quality


@STRATEGIES.register("slice_risk", needs=("slices",),
                     description="examples in the slices where the teacher errs most first (rates measured on gold rows "
                                 "outside the example's fold, or on the test split)")
def slice_risk(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    risk = data.slice_risk.set_index("example_id").reindex(data.examples["example_id"])
    return _ranked(data, risk["risk"].to_numpy(), [w or "no risky slice" for w in risk["where"]])


@STRATEGIES.register("cluster_coverage", needs=("student", "map"),
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


@STRATEGIES.register("teacher_disagreement", needs=("teachers",),
                     description="the most other teachers disagreeing with this teacher's label (weighted by their "
                                 "estimated reliability) first")
def teacher_disagreement(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    votes, crowd = data.votes()
    others, weight = votes[:, 1:], crowd.accuracy[1:] + 1e-6
    answered = others >= 0
    against = (others != votes[:, :1]) & answered
    score = np.where(votes[:, 0] < 0, 1.0, (against @ weight) / np.maximum(answered @ weight, 1e-12))
    return _ranked(data, score, [f"{n} of {k} other teachers disagree (reliability-weighted share {s:.2f})"
                                 for n, k, s in zip(against.sum(axis=1), answered.sum(axis=1), score)])


@STRATEGIES.register("aggregate_uncertainty", needs=("teachers",),
                     description="the teachers' least certain consensus (Dawid-Skene posterior) first")
def aggregate_uncertainty(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    posterior = data.votes()[1].posterior
    top = posterior.argmax(axis=1)
    return _ranked(data, 1.0 - posterior.max(axis=1), [f"teachers' Dawid-Skene consensus {data.label_names[t]!r} "
                                                        f"p={p:.2f}" for t, p in zip(top, posterior.max(axis=1))])


# weight of each part in `combined`, chosen by leave-one-data-set-out in bench/spot_check_precision.py
# (docs/spot_check_precision.md): a part whose signal a data set lacks drops out and the rest are renormalized
COMBINED_WEIGHTS = {"disagreement": 1.0, "low_confidence": 2.0, "self_disagreement": 2.0, "slice_risk": 2.0,
                    "teacher_disagreement": 2.0}
DEFAULT_STRATEGY = "combined"


def weighted_percentiles(percentiles: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """The weighted mean of the available parts' percentiles; equal weights if every available part weighs 0."""
    used = {part: weights.get(part, 0.0) for part in percentiles}
    if not sum(used.values()):
        used = dict.fromkeys(percentiles, 1.0)
    total = np.sum([w * percentiles[part] for part, w in used.items()], axis=0)
    return np.asarray(total / sum(used.values()))


def part_percentiles(data: RankingInput, seed: int = 0) -> dict[str, np.ndarray]:
    """Each `combined` part whose signal exists, as every example's percentile (1 = check first). Slice risks
    are ranked only against risks measured on the same gold rows (`slice_risk["group"]`): ranked against all,
    an example's percentile would move with the risks of other folds' examples, which its own gold measured."""
    parts, _ = runnable(data, list(COMBINED_WEIGHTS))
    percentiles = {}
    for part in parts:
        score = data.ranked(part, seed).set_index("example_id")["score"].reindex(data.examples["example_id"])
        if part == "slice_risk" and "group" in data.slice_risk:
            group = data.slice_risk.set_index("example_id")["group"].reindex(data.examples["example_id"])
            percentiles[part] = score.groupby(group.to_numpy()).rank(pct=True).to_numpy()
        else:
            percentiles[part] = score.rank(pct=True).to_numpy()
    return percentiles


@STRATEGIES.register("combined", needs=("student",),
                     description="the weighted mean percentile of the signals this data has: student disagreement, "
                                 "stated confidence, the teacher's own spread, structured slice risk, other teachers")
def combined(data: RankingInput, seed: int = 0) -> pd.DataFrame:
    """Parts without their signal are left out: they would only add ties or noise."""
    percentiles = part_percentiles(data, seed)
    return _ranked(data, weighted_percentiles(percentiles, COMBINED_WEIGHTS), combined_reasons(data, percentiles, seed))


STANDS_OUT = 0.75  # a part explains an example's place when the example is in its top quarter


def combined_reasons(data: RankingInput, percentiles: dict[str, np.ndarray], seed: int = 0) -> list[str]:
    """Why each example is where `combined` puts it, as a sentence about the example: who disagrees with the
    teacher (the student, other teachers), whether the teacher was unsure or split, and the risky slice it sits
    in; a signal is named where it stands out (top quarter) or where someone contradicts the teacher outright."""
    n = len(data.examples)
    teacher = data.teacher_index
    said: list[list[str]] = [[] for _ in range(n)]
    critics: list[list[tuple[str, bool]]] = [[] for _ in range(n)]  # (who, plural)
    if "disagreement" in percentiles:
        student = data.student_probs.argmax(axis=1)
        support = np.where(teacher >= 0, data.student_probs[np.arange(n), np.maximum(teacher, 0)], 0.0)
        for i in range(n):
            if teacher[i] >= 0 and student[i] != teacher[i]:
                critics[i].append((f"the student (it says {data.label_names[student[i]]!r})", False))
            elif teacher[i] >= 0 and percentiles["disagreement"][i] >= STANDS_OUT:
                said[i].append(f"the student doubts the teacher's label (p = {support[i]:.2f})")
    if "teacher_disagreement" in percentiles:
        votes = data.votes()[0]
        against = ((votes[:, 1:] != votes[:, :1]) & (votes[:, 1:] >= 0)).sum(axis=1)
        answered = (votes[:, 1:] >= 0).sum(axis=1)
        for row in np.flatnonzero(against):
            critics[row].append((f"{against[row]} of {answered[row]} other teachers", bool(against[row] > 1)))
    confidence = data.examples["teacher_confidence"].to_numpy(dtype=float)
    spread = (data.ranked("self_disagreement", seed).set_index("example_id")["score"]
              .reindex(data.examples["example_id"]).to_numpy() if "self_disagreement" in percentiles else None)
    risk = data.slice_risk.set_index("example_id").reindex(data.examples["example_id"])
    risk_value, risk_where = risk["risk"].to_numpy(), risk["where"].to_numpy(dtype=object)
    for i in range(n):
        if teacher[i] < 0:
            said[i].insert(0, "the teacher gave no valid label")
        if "low_confidence" in percentiles and percentiles["low_confidence"][i] >= STANDS_OUT:
            said[i].append("the teacher stated no confidence" if np.isnan(confidence[i])
                           else f"the teacher was unsure (confidence {confidence[i]:.2f})")
        if spread is not None and percentiles["self_disagreement"][i] >= STANDS_OUT:
            said[i].append(f"the teacher's own answers were split (entropy {spread[i]:.2f}, 1 = uniform)")
        if "slice_risk" in percentiles and percentiles["slice_risk"][i] >= STANDS_OUT and risk_value[i] > 0:
            said[i].append(f"it sits where the teacher errs often ({risk_where[i]})")
    return ["; ".join(([f"{' and '.join(who for who, _ in c)} "
                        f"{'disagree' if len(c) > 1 or c[0][1] else 'disagrees'} with the teacher"] if c else []) + w)
            or "no single signal stands out: it is here on several weaker ones" for c, w in zip(critics, said)]
