"""Several teachers as one: an aggregate teacher whose label is the teachers' consensus, with an estimate of
each member's reliability from their labels alone.

Reliability: no member's gold is read (the aggregate labels the training pool, where gold is a human's work
still to come). Dawid and Skene's model (1979): the true label is drawn from class shares, and each teacher
answers from its own confusion matrix (the chance of each answer given each true label); EM finds the shares
and matrices that make the teachers' answers most likely, and each row's posterior over the true label. A
teacher's estimated accuracy is its confusion matrix's diagonal weighted by the class shares. Like every
estimate from agreement alone it assumes teachers err independently given the true label: LLMs that share a
bias agree on it, and their estimates come out too high (docs/spot_check_precision.md compares them with
measured accuracy). Written here (about 30 lines of numpy) because crowd-kit, which ships it, needs transformers.

Consensus (`method`): "majority" is cleanlab's `get_majority_vote_label`; "dawid_skene" is the label with the
highest Dawid-Skene posterior. Members' abstentions and invalid answers are missing votes, not votes."""
from __future__ import annotations

from dataclasses import dataclass
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
    method: Literal["majority", "dawid_skene"] = Field(
        "dawid_skene", description="how the consensus label is chosen: the most votes, or the highest Dawid-Skene "
                                   "posterior (each member weighed by its estimated confusion matrix)")


def vote_matrix(labels: pd.DataFrame, label_names: list[str]) -> np.ndarray:
    """Teachers' labels (one column per teacher) as label indices, -1 where a teacher gave none."""
    index = {n: i for i, n in enumerate(label_names)}
    return np.array([[index.get(v, -1) if isinstance(v, str) else -1 for v in labels[c]] for c in labels.columns],
                    dtype=int).T.reshape(len(labels), len(labels.columns))


@dataclass(frozen=True)
class Crowd:
    """Dawid-Skene's estimates: `posterior` (n, K) of each row's true label, `shares` (K) of the classes,
    `confusion` (m, K, K) of each teacher (row: true label, column: its answer), and each teacher's accuracy."""

    posterior: np.ndarray
    shares: np.ndarray
    confusion: np.ndarray

    @property
    def accuracy(self) -> np.ndarray:
        return np.einsum("k,jkk->j", self.shares, self.confusion)


SMOOTHING = 0.1  # pseudo-counts per confusion cell, so an answer never seen for a class is unlikely, not impossible


def dawid_skene(votes: np.ndarray, n_labels: int, iterations: int = 200, tolerance: float = 1e-7) -> Crowd:
    """EM for Dawid-Skene over `votes` (n rows x m teachers, label indices, -1 for no answer), started from
    the vote shares of each row."""
    n, m = votes.shape
    k = max(n_labels, 2)
    onehot = np.stack([votes == c for c in range(k)], axis=2).astype(float)  # (n, m, K); all zero: no answer
    posterior = onehot.sum(axis=1) + 1e-3
    posterior /= posterior.sum(axis=1, keepdims=True)
    for _ in range(iterations):
        shares = (posterior.sum(axis=0) + SMOOTHING) / (n + k * SMOOTHING)
        counts = np.einsum("ik,ijl->jkl", posterior, onehot) + SMOOTHING
        confusion = counts / counts.sum(axis=2, keepdims=True)
        log_posterior = np.log(shares) + np.einsum("ijl,jkl->ik", onehot, np.log(confusion))
        updated = np.exp(log_posterior - log_posterior.max(axis=1, keepdims=True))
        updated /= updated.sum(axis=1, keepdims=True)
        change = np.abs(updated - posterior).max()
        posterior = updated
        if change < tolerance:
            break
    return Crowd(posterior[:, :n_labels], shares[:n_labels], confusion)


def estimate_reliability(votes: np.ndarray, n_labels: int) -> np.ndarray:
    """Each teacher's (column of `votes`) accuracy estimated by Dawid-Skene; NaN with fewer than 3 teachers."""
    if votes.shape[1] < MIN_TEACHERS:
        return np.full(votes.shape[1], np.nan)
    return dawid_skene(votes, n_labels).accuracy


def consensus(votes: np.ndarray, n_labels: int, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(consensus label index or -1 where no teacher answered, (n, K) probabilities, reliability per teacher)."""
    from cleanlab.multiannotator import get_majority_vote_label

    crowd = dawid_skene(votes, n_labels)
    answered = (votes >= 0).any(axis=1)
    label = np.full(len(votes), -1)
    if method == "majority":
        voting = (votes >= 0).any(axis=0)  # cleanlab refuses a member that never gave a valid label
        wide = pd.DataFrame(np.where(votes >= 0, votes, np.nan)[np.ix_(answered, voting)])
        shares = np.stack([(votes == c).sum(axis=1) for c in range(n_labels)], axis=1).astype(float)
        probs = shares / np.maximum(shares.sum(axis=1, keepdims=True), 1)
        if answered.any():
            label[answered] = get_majority_vote_label(wide, verbose=False)
        return label, probs, crowd.accuracy
    label[answered] = crowd.posterior[answered].argmax(axis=1)
    return label, crowd.posterior, crowd.accuracy


@register_kind("aggregate", params=AggregateParams, simulated=None, llm=False, source="teachers", aggregate=True,
               description="AGGREGATE of three or more of the run's teachers: their consensus label, with each "
                           "member's reliability estimated by Dawid-Skene from their answers alone (simulated if "
                           "any member is)")
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
    """Each aggregated teacher's estimated reliability beside its accuracy measured on the gold rows the run scores:
    `run_teachers` as the store gives them (teacher_name, kind, config), `accuracy` by teacher name."""
    import json

    rows = []
    for aggregate in run_teachers[run_teachers["kind"] == "aggregate"].itertuples():
        config = json.loads(aggregate.config) if isinstance(aggregate.config, str) else aggregate.config
        for member, estimate in config["reliability"].items():
            rows.append({"aggregate": aggregate.teacher_name, "teacher": member, "estimated_accuracy": estimate,
                         "measured_accuracy": accuracy.get(member, np.nan)})
    return pd.DataFrame(rows, columns=["aggregate", "teacher", "estimated_accuracy", "measured_accuracy"])
