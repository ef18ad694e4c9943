"""Failure-zone slices: detectors that give every example of a data set a score and a bucket per slice.
Slicers live one per module: syntax (spaCy parse), surface (length, negation), ambiguity (teacher
self-disagreement, disagreement between teachers), judges (LLM judges for ambiguity and false premises),
detector (an offline flag detector), low_probability (rare gold class, teacher probability of gold, unusual
label words). `service` computes and stores them."""
from core.slices.base import FLAG_BUCKETS, SLICERS, SliceInputs, Slicer, SliceResult, count_buckets, flag, reads_gold

__all__ = ["FLAG_BUCKETS", "SLICERS", "SliceInputs", "SliceResult", "Slicer", "count_buckets", "flag", "reads_gold"]

# importing each slicer module registers its slicers
from core.slices import ambiguity, detector, judges, low_probability, surface, syntax  # noqa: E402,F401
