"""Surface slices that need no parser: length in words (quartile buckets of the data set) and negation."""
from __future__ import annotations

import re

import numpy as np

from core.slices.base import SLICERS, Progress, SliceInputs, SliceResult, fingerprint, flag
from core.slices.syntax import quartile_buckets

WORD = re.compile(r"\w+(?:'\w+)?")
NEGATION = re.compile(r"\b(?:not|no|never|none|nobody|nothing|nowhere|neither|nor|without|cannot)\b|n't\b", re.I)


@SLICERS.register("surface", per="data set",
                  description="length in words (quartiles) and negation")
class SurfaceSlicer:
    name = "surface"

    def fingerprint(self, inputs: SliceInputs) -> str:
        return fingerprint(self.name, inputs.dataset_id, WORD.pattern, NEGATION.pattern)

    def compute(self, inputs: SliceInputs, progress: Progress | None = None) -> list[SliceResult]:
        examples = inputs.examples
        ids, texts = examples["example_id"].tolist(), examples["text"].tolist()
        lengths = np.array([len(WORD.findall(t)) for t in texts], dtype=float)
        negations = np.array([len(NEGATION.findall(t)) for t in texts], dtype=float)
        return [SliceResult("length", ids, lengths, quartile_buckets(lengths)),
                SliceResult("negation", ids, negations, flag(negations > 0))]
