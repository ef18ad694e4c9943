"""A SIMULATED teacher: a documented noise model over known gold labels, for controlled experiments.

It is not a model of language. It copies the gold label and corrupts it with a known probability:

structured mode (errors a real LLM makes systematically, per the research this tool follows)
  - a base slip rate `1 - base_accuracy` on every example, to a uniformly random wrong label, with low
    confidence;
  - embedding depth: with probability `min(1, depth_error * depth)` it answers the label of the outer
    clauses (`distractor_label`), confidently;
  - ambiguity: on ambiguous examples it commits to the other reading (`alt_label`) with probability
    `ambiguous_error`, confidently, instead of spreading its probability;
  - false premise: it accommodates the premise (answers `distractor_label`) with probability
    `false_premise_error`; negation: it answers the negated label with probability `negation_error`.
  Where a data set has no distractor column, the systematic wrong answer is the next label in the label
  set (a fixed confusion, which is what makes it systematic). `slice_column`/`slice_value`/`slice_error`
  concentrate extra error in any one slice of any data set.
uniform mode
  the same expected overall error rate as the structured mode on the same examples, spread uniformly at
  random over examples and over wrong labels: the noise that averages out.

Every draw is seeded by (seed, example id), so labels do not depend on batch order. Because it reads
gold labels, its labels on the test split are gold-derived by construction; that is the experiment's
premise, not a leak into students, which only ever train on the training split.
"""
from __future__ import annotations

import random
from typing import Annotated, Literal, Sequence

import pandas as pd
from pydantic import Field, model_validator

from core.datasets.labelset import LabelSet
from core.registry import Params
from core.teachers.base import TeacherLabel, TextItem
from core.teachers.registry import TEACHERS, TeacherContext

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class NoiseModel(Params):
    """The simulated teacher's parameters (see the module docstring for what each does)."""

    mode: Literal["structured", "uniform"] = "structured"
    base_accuracy: Probability = 0.95
    depth_error: Probability = 0.12
    ambiguous_error: Probability = 0.5
    false_premise_error: Probability = 0.6
    negation_error: Probability = 0.3
    slice_column: str | None = None
    slice_value: str | None = None
    slice_error: Probability = 0.0
    seed: int = 0

    @model_validator(mode="after")
    def _slice_pair(self) -> "NoiseModel":
        if (self.slice_column is None) != (self.slice_value is None):
            raise ValueError("slice_column and slice_value go together")
        return self


def _flag(value) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "y"}


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _records(frame: pd.DataFrame) -> dict[str, dict]:
    """Each row as a dict by index, missing values as None (a missing depth is no depth, not NaN): column by
    column, since pandas' row-wise `to_dict("index")` over Arrow-backed columns took most of a 50,000-row
    teacher's start (60,000 rows: 1.6 s, here 0.6 s)."""
    columns = {name: frame[name].astype(object).where(frame[name].notna(), None).tolist() for name in frame.columns}
    return dict(zip(frame.index, (dict(zip(columns, values)) for values in zip(*columns.values()))))


class SimulatedTeacher:
    kind = "simulated"
    simulated = True
    # its labels cost nothing and take microseconds: batches grow to this many, not to the 1,000 that keep a
    # killed run's paid LLM labels (at a million texts those were a thousand transactions)
    largest_batch = 50_000

    def __init__(self, name: str, noise: NoiseModel, truth: pd.DataFrame, label_set: LabelSet):
        """`truth`: one row per example, indexed by example_id, with `gold` and whichever of `depth`,
        `ambiguous`, `alt_label`, `false_premise`, `negation`, `distractor_label` (and the slice column) exist."""
        self.name = name
        self.noise = noise
        self.truth = _records(truth)
        self.label_set = label_set
        structured = [self._systematic(row)[0] for row in self.truth.values() if isinstance(row.get("gold"), str)]
        self.structured_error_rate = sum(p + (1 - p) * (1 - noise.base_accuracy) for p in structured) / max(len(structured), 1)

    def config(self) -> dict:
        return {**self.noise.model_dump(), "label_set": self.label_set.names}

    def _systematic(self, row) -> tuple[float, str | None]:
        """Probability of a systematic error on this example, and the wrong label it would give."""
        noise = self.noise
        gold = row.get("gold")
        target = row.get("distractor_label") if isinstance(row.get("distractor_label"), str) and row.get("distractor_label") else None
        if target is None and isinstance(gold, str) and gold in self.label_set:
            names = self.label_set.names
            target = names[(names.index(gold) + 1) % len(names)]
        p = min(1.0, noise.depth_error * _number(row.get("depth")))
        if _flag(row.get("ambiguous")):
            alt = row.get("alt_label")
            target = alt if isinstance(alt, str) and alt else target
            p = max(p, noise.ambiguous_error)
        if _flag(row.get("false_premise")):
            p = max(p, noise.false_premise_error)
        if _flag(row.get("negation")):
            p = max(p, noise.negation_error)
        if noise.slice_column is not None and str(row.get(noise.slice_column)) == str(noise.slice_value):
            p = max(p, noise.slice_error)
        if target == gold or target not in self.label_set:
            return 0.0, None
        return p, target

    def _label_one(self, example_id: str) -> TeacherLabel:
        row = self.truth.get(example_id, {})
        if not isinstance(row.get("gold"), str):
            return TeacherLabel(example_id, None, abstain_reason="simulated teacher needs a gold label to corrupt")
        gold = row["gold"]
        rng = random.Random(f"{self.noise.seed}:{example_id}")
        wrong_labels = [l for l in self.label_set.names if l != gold]
        if self.noise.mode == "uniform":
            errs = bool(wrong_labels) and rng.random() < self.structured_error_rate
            label = rng.choice(wrong_labels) if errs else gold
            confidence = rng.uniform(0.4, 0.8) if errs else rng.uniform(0.7, 0.99)
            reason = "uniform random error" if errs else "copied gold"
        else:
            p_systematic, target = self._systematic(row)
            if rng.random() < p_systematic:
                label, confidence, reason = target, rng.uniform(0.85, 0.99), "systematic error"
            elif rng.random() > self.noise.base_accuracy and wrong_labels:
                label, confidence, reason = rng.choice(wrong_labels), rng.uniform(0.4, 0.8), "random slip"
            else:
                label, confidence, reason = gold, rng.uniform(0.7, 0.99), "copied gold"
        return TeacherLabel(example_id, label, probs=self.label_set.spread(label, confidence),
                            confidence=confidence, raw_response=f"[simulated {self.noise.mode}] {reason}")

    async def label_batch(self, items: Sequence[TextItem], label_set: LabelSet) -> list[TeacherLabel]:
        return [self._label_one(item.example_id) for item in items]


@TEACHERS.register("simulated", params=NoiseModel, simulated=True, llm=False, source="config",
                   description="SIMULATED: a documented noise model over the gold labels (structured or uniform "
                               "error at a known rate), for controlled experiments; not a language model")
def _simulated(name: str, noise: NoiseModel, context: TeacherContext) -> SimulatedTeacher:
    if context.truth is None or context.label_set is None:
        # the run hands both to every simulated kind; without them there is no gold to corrupt
        raise TypeError(f"simulated teacher {name!r} needs the context's truth and label_set")
    return SimulatedTeacher(name, noise, context.truth, context.label_set)
