"""Ambiguity signals that need no extra LLM call:
- `self_disagreement:<teacher>`: entropy of a teacher's label distribution (its k sampled labels, or its
  probabilities), normalised to [0, 1] by the log of the number of labels; buckets "none" (all samples
  agree), "some" (below 0.5) and "high";
- `teacher_disagreement`: the share of teachers that disagree with the teachers' majority label.
Offline cues from the parse are in `syntax` (`ambiguity_cues`); the LLM judge is in `judges`. A data column
that says which texts are ambiguous is a user column: import it with `--slice`."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from core.errors import ConfigError
from core.slices.base import SLICERS, Progress, SliceInputs, SliceResult, TeacherSlicer, fingerprint


def entropy(probs: dict | None, n_labels: int) -> float:
    if not probs or n_labels < 2:
        return float("nan")
    p = np.array([v for v in probs.values() if v > 0], dtype=float)
    return float(-(p * np.log(p)).sum() / np.log(n_labels))


@SLICERS.register("self_disagreement", per="teacher",
                  description="entropy of a teacher's k samples or probabilities")
class SelfDisagreementSlicer(TeacherSlicer):
    prefix = "self_disagreement"
    version = 2

    def compute(self, inputs: SliceInputs, progress: Progress | None = None) -> list[SliceResult]:
        examples = inputs.examples
        n_labels = len(inputs.label_set)
        probs = inputs.answers(self.teacher_id)["probs"].reindex(examples["example_id"])
        scores = [entropy(json.loads(p) if isinstance(p, str) else None, n_labels) for p in probs]
        buckets = ["(no label)" if np.isnan(s) else "none" if s <= 1e-9 else "some" if s < 0.5 else "high" for s in scores]
        return [SliceResult(self.name, examples["example_id"].tolist(), scores, buckets)]


@SLICERS.register("teacher_disagreement", per="teachers",
                  description="the share of teachers that disagree with the teachers' majority")
class TeacherDisagreementSlicer:
    name = "teacher_disagreement"

    def __init__(self, teacher_ids: dict[str, str]):
        if len(teacher_ids) < 2:
            raise ConfigError("disagreement between teachers needs two or more teachers")
        self.teacher_ids = dict(sorted(teacher_ids.items()))

    def fingerprint(self, inputs: SliceInputs) -> str:
        return fingerprint(self.name, inputs.dataset_id, self.teacher_ids,
                           [inputs.label_counts.get(t, 0) for t in self.teacher_ids.values()])

    def compute(self, inputs: SliceInputs, progress: Progress | None = None) -> list[SliceResult]:
        examples = inputs.examples
        answers = pd.DataFrame({name: inputs.answers(key)["label"]
                                for name, key in self.teacher_ids.items()}).reindex(examples["example_id"])
        shares = []
        for row in answers.itertuples(index=False):
            given = [label for label in row if isinstance(label, str)]
            shares.append(1 - max(given.count(l) for l in set(given)) / len(given) if given else float("nan"))
        buckets = ["(no label)" if np.isnan(s) else ("disagree" if s > 0 else "agree") for s in shares]
        return [SliceResult(self.name, examples["example_id"].tolist(), shares, buckets)]
