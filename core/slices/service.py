"""Computing a data set's slices: which slicers apply, their inputs loaded from the store, and their results
stored and recomputed only when their inputs change; and the stored slices as one wide frame."""
from __future__ import annotations

from typing import Sequence

import pandas as pd

from core.progress import Progress
from core.slices.base import FLAG_BUCKETS, SliceInputs, Slicer
from core.store import Store


def slice_inputs(store: Store, dataset_id: str) -> SliceInputs:
    teachers = store.dataset_teachers(dataset_id)
    return SliceInputs(dataset_id, store.examples(dataset_id), store.dataset(dataset_id).label_set,
                       dict(zip(teachers["teacher_id"], teachers["n_labels"])),
                       lambda teacher_id: store.teacher_answers_by_example(teacher_id, dataset_id))


def default_slicers(store: Store, dataset_id: str, judge=None) -> list[Slicer]:
    """Every slicer that applies to the data set: the parse, surface and gold-rarity slices; per teacher its
    self-disagreement (where it gave probabilities) and its probability of the gold label; disagreement
    between teachers when there are several; and, given an LLM teacher as `judge`, the ambiguity and
    false-premise judges (which cost API calls, once)."""
    from core.slices.ambiguity import SelfDisagreementSlicer, TeacherDisagreementSlicer
    from core.slices.low_probability import GoldRaritySlicer, TeacherGoldProbabilitySlicer
    from core.slices.surface import SurfaceSlicer
    from core.slices.syntax import SyntaxSlicer

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
        from core.slices.judges import JudgeSlicer

        slicers += [JudgeSlicer("ambiguity", judge), JudgeSlicer("false_premise", judge)]
    return slicers


def compute_slices(store: Store, dataset_id: str, slicers: Sequence[Slicer], progress: Progress | None = None,
                   force: bool = False) -> dict[str, bool]:
    """Computes and stores each slicer's slices unless they are stored from the same inputs; returns, per
    slicer, whether it was (re)computed."""
    stored = store.slice_fingerprints(dataset_id)
    inputs = slice_inputs(store, dataset_id)
    computed = {}
    for slicer in slicers:
        key = slicer.fingerprint(inputs)
        if not force and stored.get(slicer.name) == key:
            computed[slicer.name] = False
            continue
        results = slicer.compute(inputs, progress)
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
