"""What every slicer shares: the inputs it reads (`SliceInputs`: frames, never the store), the `SliceResult`
it returns, and the slicer registry. A slicer gives every example a score and a bucket per slice, in one shape
for all (like cleanlab's `<issue>_score` / `is_<issue>` columns); one slicer may give several slices from one
pass (one parse gives clause depth, embedded clauses, tree depth, complex nominals). Flags use the buckets
"yes" and "no"."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Protocol, Sequence

import numpy as np
import pandas as pd

from core.datasets.labelset import LabelSet
from core.fingerprints import digest as fingerprint
from core.progress import Progress
from core.registry import Registry

FLAG_BUCKETS = ("yes", "no")


@dataclass(frozen=True)
class SliceInputs:
    """What slicers read: the data set's examples (`example_id`, `text`, `gold`), its label set, how many labels
    each teacher (by id) has given, and `answers(teacher_id)`: that teacher's `label` and `probs` by example id."""

    dataset_id: str
    examples: pd.DataFrame
    label_set: LabelSet
    label_counts: Mapping[str, int]
    answers: Callable[[str], pd.DataFrame]


@dataclass(frozen=True)
class SliceResult:
    """One slice: a score per example (NaN where it does not apply) and the bucket it falls in."""

    name: str
    example_ids: Sequence[str]
    scores: Sequence[float] | np.ndarray
    buckets: Sequence[str]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"example_id": list(self.example_ids), "slice": self.name,
                             "score": np.asarray(self.scores, dtype=float), "bucket": list(self.buckets)})


class Slicer(Protocol):
    name: str

    def fingerprint(self, inputs: SliceInputs) -> str:
        """Changes whenever an input or a setting of the slicer changes."""
        ...

    def compute(self, inputs: SliceInputs, progress: Progress | None = None) -> list[SliceResult]: ...


class TeacherSlicer:
    """A slicer of one teacher's answers, named `<prefix>:<teacher>`; its inputs change when the teacher's labels
    do. `version` changes the fingerprint when the slicer's own logic changes."""

    prefix = ""
    version = 1

    def __init__(self, teacher_name: str, teacher_id: str):
        self.name = f"{self.prefix}:{teacher_name}"
        self.teacher_id = teacher_id

    def fingerprint(self, inputs: SliceInputs) -> str:
        return fingerprint(self.name, inputs.dataset_id, self.teacher_id, inputs.label_counts.get(self.teacher_id, 0),
                           self.version)


# `info["per"]`: "data set" (one slicer for the data), "teacher" (one per teacher), "teachers" (needs two or
# more), "judge" (needs an LLM judge) or "training" (needs labeled training texts); `info["reads_gold"]`: its
# buckets are computed from each example's own gold label (a diagnostic, never a finding or a queue filter)
SLICERS: Registry[type] = Registry("slicer")


def reads_gold(slicer_name: str) -> bool:
    """Does the stored slicer `slicer_name` (a registered name, or `<prefix>:<teacher>`) read gold labels?"""
    registered = slicer_name.split(":")[0]
    return registered in SLICERS.names() and bool(SLICERS.plugin(registered).info.get("reads_gold"))


def flag(values) -> list[str]:
    return [FLAG_BUCKETS[0] if v else FLAG_BUCKETS[1] for v in values]


def count_buckets(values, top: int = 3) -> list[str]:
    """0, 1, 2, ..., and `top`+ for counts and depths."""
    return [f"{top}+" if v >= top else str(int(v)) for v in values]


__all__ = ["FLAG_BUCKETS", "SLICERS", "SliceInputs", "SliceResult", "Slicer", "TeacherSlicer", "count_buckets",
           "fingerprint", "flag", "Progress", "reads_gold"]
