"""Failure-zone slices: detectors that give every example of a data set a score and a bucket per slice, in one
shape for all (like cleanlab's `<issue>_score` / `is_<issue>` columns), stored in DuckDB and recomputed only
when what they read changes.

A `Slicer` reads the data set (and, for some, teacher labels) and returns `SliceResult`s; one slicer may give
several slices from one pass (one parse gives clause depth, embedded clauses, tree depth, complex nominals).
Flags use the buckets "yes" and "no". Slicers live one per module: syntax (spaCy parse), surface (length,
negation), ambiguity (teacher self-disagreement, disagreement between teachers, offline cues), judges (LLM
judges for ambiguity and false premises, through the Teacher machinery), premise (an offline false-premise
detector), low_probability (rare gold class, teacher probability of gold, unusual label words)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

import numpy as np
import pandas as pd

from ..store import Store

Progress = Callable[[str, int, int], None]
FLAG_BUCKETS = ("yes", "no")


@dataclass(frozen=True)
class SliceResult:
    """One slice: a score per example (NaN where it does not apply) and the bucket it falls in."""

    name: str
    example_ids: Sequence[str]
    scores: Sequence[float]
    buckets: Sequence[str]

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"example_id": list(self.example_ids), "slice": self.name,
                             "score": np.asarray(self.scores, dtype=float), "bucket": list(self.buckets)})


class Slicer(Protocol):
    name: str

    def fingerprint(self, store: Store, dataset_id: str) -> str:
        """Changes whenever an input or a setting of the slicer changes."""
        ...

    def compute(self, store: Store, dataset_id: str, examples: pd.DataFrame,
                progress: Progress | None = None) -> list[SliceResult]: ...


def fingerprint(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def flag(values) -> list[str]:
    return [FLAG_BUCKETS[0] if v else FLAG_BUCKETS[1] for v in values]


def count_buckets(values, top: int = 3) -> list[str]:
    """0, 1, 2, ..., and `top`+ for counts and depths."""
    return [f"{top}+" if v >= top else str(int(v)) for v in values]


def default_slicers(store: Store, dataset_id: str, judge=None) -> list[Slicer]:
    """Every slicer that applies to the data set: the parse, surface and gold-rarity slices; per teacher its
    self-disagreement (where it gave probabilities) and its probability of the gold label; disagreement
    between teachers when there are several; and, given an LLM teacher as `judge`, the ambiguity and
    false-premise judges (which cost API calls, once)."""
    from .ambiguity import SelfDisagreementSlicer, TeacherDisagreementSlicer
    from .low_probability import GoldRaritySlicer, TeacherGoldProbabilitySlicer
    from .surface import SurfaceSlicer
    from .syntax import SyntaxSlicer

    slicers: list[Slicer] = [SyntaxSlicer(), SurfaceSlicer(), GoldRaritySlicer()]
    teachers = store.dataset_teachers(dataset_id)
    repeated = teachers["name"].duplicated(keep=False)
    names = {row.teacher_id: row.teacher_id if again else row.name for row, again in zip(teachers.itertuples(), repeated)}
    for row in teachers.itertuples():
        if row.n_probs:
            slicers.append(SelfDisagreementSlicer(names[row.teacher_id], row.teacher_id))
        slicers.append(TeacherGoldProbabilitySlicer(names[row.teacher_id], row.teacher_id))
    if len(teachers) >= 2:
        slicers.append(TeacherDisagreementSlicer({names[t]: t for t in teachers["teacher_id"]}))
    if judge is not None:
        from .judges import JudgeSlicer

        slicers += [JudgeSlicer("ambiguity", judge), JudgeSlicer("false_premise", judge)]
    return slicers


def compute_slices(store: Store, dataset_id: str, slicers: Sequence[Slicer], progress: Progress | None = None,
                   force: bool = False) -> dict[str, bool]:
    """Computes and stores each slicer's slices unless they are stored from the same inputs; returns, per
    slicer, whether it was (re)computed."""
    stored = store.slice_fingerprints(dataset_id)
    examples = None
    computed = {}
    for slicer in slicers:
        key = slicer.fingerprint(store, dataset_id)
        if not force and stored.get(slicer.name) == key:
            computed[slicer.name] = False
            continue
        if examples is None:
            examples = store.examples(dataset_id)
        results = slicer.compute(store, dataset_id, examples, progress)
        store.write_slices(dataset_id, slicer.name, key, pd.concat([r.frame() for r in results], ignore_index=True))
        computed[slicer.name] = True
    return computed


def slice_frame(store: Store, dataset_id: str) -> pd.DataFrame:
    """The stored slices wide, one row per example: `<slice>_score`, `<slice>_bucket`, and `is_<slice>` for
    flags."""
    long = store.slices(dataset_id)
    if long.empty:
        return pd.DataFrame(columns=["example_id"])
    wide = long.pivot(index="example_id", columns="slice", values=["score", "bucket"])
    frame = pd.DataFrame(index=wide.index)
    for name in sorted(long["slice"].unique()):
        frame[f"{name}_score"] = wide[("score", name)].astype(float)
        frame[f"{name}_bucket"] = wide[("bucket", name)]
        if set(frame[f"{name}_bucket"].dropna()) <= set(FLAG_BUCKETS):
            frame[f"is_{name}"] = frame[f"{name}_bucket"] == FLAG_BUCKETS[0]
    return frame.reset_index()
