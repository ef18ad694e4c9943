"""Several teachers as one: an aggregate teacher whose label is the teachers' consensus, with an estimate of
each member's reliability from their labels alone.

Reliability: no member's gold is read (the aggregate labels the training pool, where gold is a human's work
still to come). Each teacher knows the answer with probability s_j and otherwise guesses from its own label
shares; two teachers' agreement beyond chance (Cohen's kappa, chance = the overlap of their label shares) is
then s_j s_k, so with three or more teachers each s_j follows from the pairwise kappas (the median over pairs
of s_j s_k * s_j s_l / s_k s_l), and its accuracy is s_j plus the guesses that happen to be right. With
uniform shares this is the one-coin model of Dawid-Skene solved by moments. It needs labels only, where
cleanlab's CROWDLAB also wants a classifier's held-out probabilities, which do not exist yet when teachers
label (students learn from them). It assumes teachers err independently: LLMs sharing a bias agree on it,
and their estimates come out too high (docs/spot_check_precision.md compares them with measured accuracy).

Consensus (`method`): "majority" is cleanlab's `get_majority_vote_label`; "crowdlab" is cleanlab's
`get_label_quality_multiannotator` given, in place of a classifier, the reliability-weighted vote (each
teacher's vote weighs log((K-1) a_j / (1 - a_j)), the one-coin posterior) as its probabilities. Members'
abstentions and invalid answers are missing votes, not votes."""
from __future__ import annotations

from typing import Literal, Sequence

import numpy as np
import pandas as pd
from pydantic import Field

from core.datasets.labelset import LabelSet
from core.registry import Params
from core.teachers.base import TeacherLabel, TextItem
from core.teachers.registry import register_kind

MIN_TEACHERS = 3  # with two, agreement cannot tell which of them is wrong


class AggregateParams(Params):
    teachers: list[str] = Field(min_length=MIN_TEACHERS, description="the run's teachers to aggregate (three or more)")
    method: Literal["majority", "crowdlab"] = Field("crowdlab", description="how the consensus label is chosen")


def vote_matrix(labels: pd.DataFrame, label_names: list[str]) -> np.ndarray:
    """Teachers' labels (one column per teacher) as label indices, -1 where a teacher gave none."""
    index = {n: i for i, n in enumerate(label_names)}
    return np.array([[index.get(v, -1) if isinstance(v, str) else -1 for v in labels[c]] for c in labels.columns],
                    dtype=int).T.reshape(len(labels), len(labels.columns))


def estimate_reliability(votes: np.ndarray, n_labels: int) -> np.ndarray:
    """Each teacher's estimated accuracy (a column of `votes`) from pairwise agreement; NaN with < 3 teachers."""
    m = votes.shape[1]
    if m < MIN_TEACHERS:
        return np.full(m, np.nan)
    k = max(n_labels, 2)
    answered = votes >= 0
    both = (answered[:, :, None] & answered[:, None, :]).sum(axis=0)
    agree = ((votes[:, :, None] == votes[:, None, :]) & answered[:, :, None]).sum(axis=0) / np.maximum(both, 1)
    # each teacher's label shares: chance agreement of a pair is the overlap of their shares, not 1/K
    shares = np.stack([(votes == c).sum(axis=0) / np.maximum(answered.sum(axis=0), 1) for c in range(k)], axis=1)
    chance = np.clip(shares @ shares.T, 0.0, 1 - 1e-6)
    product = np.where(both > 0, (agree - chance) / (1 - chance), np.nan)  # s_j * s_k off the diagonal
    prior = shares[answered.any(axis=0)].mean(axis=0)  # how often a guess is right: its share of each label
    estimates = np.full(m, np.nan)
    for j in range(m):
        ratios = [product[j, a] * product[j, b] / product[a, b] for a in range(m) for b in range(a + 1, m)
                  if j not in (a, b) and product[a, b] > 0.02 and not np.isnan(product[j, a] * product[j, b])]
        if ratios:
            s = min(np.sqrt(max(float(np.median(ratios)), 0.0)), 1.0)
            estimates[j] = s + (1 - s) * float(shares[j] @ prior)
    return estimates


def weighted_vote(votes: np.ndarray, reliability: np.ndarray, n_labels: int) -> np.ndarray:
    """(n, K) one-coin posterior of the true label given the votes, a uniform prior and each teacher's accuracy."""
    k = max(n_labels, 2)
    accuracy = np.clip(np.nan_to_num(reliability, nan=1.0 / k), 1.0 / k + 1e-3, 1 - 1e-3)
    weight = np.log((k - 1) * accuracy / (1 - accuracy))
    logits = np.zeros((len(votes), n_labels))
    for j in range(votes.shape[1]):
        answered = votes[:, j] >= 0
        logits[np.flatnonzero(answered), votes[answered, j]] += weight[j]
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    return probs / probs.sum(axis=1, keepdims=True)


def consensus(votes: np.ndarray, n_labels: int, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(consensus label index or -1 where no teacher answered, (n, K) probabilities, reliability per teacher)."""
    from cleanlab.multiannotator import get_label_quality_multiannotator, get_majority_vote_label

    reliability = estimate_reliability(votes, n_labels)
    answered = (votes >= 0).any(axis=1)
    voting = (votes >= 0).any(axis=0)  # cleanlab refuses a member that never gave a valid label
    wide = pd.DataFrame(np.where(votes >= 0, votes, np.nan)[np.ix_(answered, voting)])
    label = np.full(len(votes), -1)
    if method == "majority":
        shares = np.stack([(votes == c).sum(axis=1) for c in range(n_labels)], axis=1).astype(float)
        probs = shares / np.maximum(shares.sum(axis=1, keepdims=True), 1)
        if answered.any():
            label[answered] = get_majority_vote_label(wide, verbose=False)
        return label, probs, reliability
    probs = weighted_vote(votes, reliability, n_labels)
    if answered.any():
        result = get_label_quality_multiannotator(wide, probs[answered], verbose=False)
        label[answered] = result["label_quality"]["consensus_label"].to_numpy()
    return label, probs, reliability


@register_kind("aggregate", params=AggregateParams, simulated=None, llm=False, source="teachers", aggregate=True,
               description="AGGREGATE of three or more of the run's teachers: their consensus label, with each "
                           "member's reliability estimated from their agreement (simulated if any member is)")
class AggregateTeacher:
    kind = "aggregate"

    def __init__(self, name: str, members: dict[str, tuple[str, bool]], member_labels: pd.DataFrame,
                 label_set: LabelSet, method: str):
        """`members`: name -> (teacher id, simulated); `member_labels`: one label column per member by example id."""
        self.name = name
        self.members = members
        self.method = method
        self.simulated = any(simulated for _, simulated in members.values())
        names = label_set.names
        self.example_ids = list(member_labels.index)
        votes = vote_matrix(member_labels[list(members)], names)
        self.label, self.probs, reliability = consensus(votes, len(names), method)
        self.names = names
        self.reliability = {m: (None if np.isnan(r) else round(float(r), 4)) for m, r in zip(members, reliability)}
        self.row = {e: i for i, e in enumerate(self.example_ids)}

    def config(self) -> dict:
        # the reliability estimates follow from the members' labels (their ids), so storing them here changes no id
        return {"members": {m: teacher for m, (teacher, _) in self.members.items()}, "method": self.method,
                "aggregate": True, "reliability": self.reliability}

    async def label_batch(self, items: Sequence[TextItem], label_set: LabelSet) -> list[TeacherLabel]:
        return [self._label(item.example_id) for item in items]

    def _label(self, example_id: str) -> TeacherLabel:
        i = self.row.get(example_id)
        if i is None or self.label[i] < 0:
            return TeacherLabel(example_id, None, abstain_reason="no member teacher answered")
        probs = {n: round(float(p), 6) for n, p in zip(self.names, self.probs[i])}
        return TeacherLabel(example_id, self.names[self.label[i]], probs=probs,
                            confidence=float(self.probs[i].max()), raw_response=f"[{self.method} of {len(self.members)} teachers]")


def reliability_table(run_teachers: pd.DataFrame, accuracy: pd.Series) -> pd.DataFrame:
    """Each aggregated teacher's estimated reliability beside its accuracy measured on the gold test split:
    `run_teachers` as the store gives them (teacher_name, kind, config), `accuracy` by teacher name."""
    import json

    rows = []
    for aggregate in run_teachers[run_teachers["kind"] == "aggregate"].itertuples():
        config = json.loads(aggregate.config) if isinstance(aggregate.config, str) else aggregate.config
        for member, estimate in config["reliability"].items():
            rows.append({"aggregate": aggregate.teacher_name, "teacher": member, "estimated_accuracy": estimate,
                         "measured_accuracy": accuracy.get(member, np.nan)})
    return pd.DataFrame(rows, columns=["aggregate", "teacher", "estimated_accuracy", "measured_accuracy"])
