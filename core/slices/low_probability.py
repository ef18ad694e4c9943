"""Low-probability targets: examples whose gold answer is unlikely a priori, where an LLM teacher errs
systematically. `rare_class`: the gold label's share of the gold-labeled examples (flagged below
`rare_share`); `teacher_gold_probability:<teacher>`: the teacher's probability of the gold label (buckets
below 0.1, below 0.5, and the rest); `label_word_frequency`: how common the gold label's words are in English
(the lowest Zipf frequency of its words, from `wordfreq`; below 3 is rare, as in once per million words or
less). These slicers read each example's own gold label (`reads_gold`): they are diagnostics of a teacher's
errors, not findings about where it errs (a slice defined by the gold answer is wrong by construction where
the teacher gave it little probability) and not filters of the spot-check queue, whose reviewers must not be
steered by gold. Nothing here reaches a student, a prompt or a ranking."""
from __future__ import annotations

import json
import re

import numpy as np

from core.slices.base import SLICERS, Progress, SliceInputs, SliceResult, TeacherSlicer, fingerprint, flag


def zipf(label: str) -> float:
    from wordfreq import zipf_frequency

    words = [w for w in re.split(r"[^A-Za-z']+", label) if w]
    return min((zipf_frequency(w, "en") for w in words), default=0.0)


@SLICERS.register("gold_rarity", per="data set", reads_gold=True,
                  description="rare gold classes and label names made of rare words (low-probability targets)")
class GoldRaritySlicer:
    name = "gold_rarity"

    def __init__(self, rare_share: float = 0.05):
        self.rare_share = rare_share

    def fingerprint(self, inputs: SliceInputs) -> str:
        return fingerprint(self.name, inputs.dataset_id, self.rare_share, 1)

    def compute(self, inputs: SliceInputs, progress: Progress | None = None) -> list[SliceResult]:
        examples = inputs.examples
        gold = examples["gold"]
        share = gold.map(gold.value_counts(normalize=True)).astype(float)
        frequency = gold.map({label: zipf(label) for label in gold.dropna().unique()}).astype(float)
        ids = examples["example_id"].tolist()
        missing = gold.isna().to_numpy()
        rare = ["(no gold)" if m else b for m, b in zip(missing, flag(share < self.rare_share))]
        words = ["(no gold)" if m else ("rare word" if f < 3 else "common word" if f >= 4.5 else "uncommon word")
                 for m, f in zip(missing, frequency)]
        return [SliceResult("rare_class", ids, share, rare), SliceResult("label_word_frequency", ids, frequency, words)]


@SLICERS.register("teacher_gold_probability", per="teacher", reads_gold=True,
                  description="the teacher's probability of the gold label")
class TeacherGoldProbabilitySlicer(TeacherSlicer):
    prefix = "teacher_gold_probability"

    def compute(self, inputs: SliceInputs, progress: Progress | None = None) -> list[SliceResult]:
        examples = inputs.examples
        labels = inputs.answers(self.teacher_id).reindex(examples["example_id"])
        scores = []
        for gold, label, probs in zip(examples["gold"], labels["label"], labels["probs"]):
            if not isinstance(gold, str):
                scores.append(np.nan)
            elif isinstance(probs, str):
                scores.append(float(json.loads(probs).get(gold, 0.0)))
            else:  # a teacher without probabilities: its answer is all it gives the gold label
                scores.append(float(label == gold))
        buckets = ["(no gold)" if np.isnan(p) else "< 0.1" if p < 0.1 else "< 0.5" if p < 0.5 else ">= 0.5" for p in scores]
        return [SliceResult(self.name, examples["example_id"].tolist(), scores, buckets)]
