"""The controlled noise experiment: on a data set with gold labels, a SIMULATED teacher errs at the same
overall rate r in two ways, uniformly at random and concentrated in one slice, and students learn from each
over the learning-curve sizes. The claim under test (the research this tool follows): random noise averages
out as the student sees more data; noise concentrated where the teacher is systematically wrong does not.
The experiment is a normal run (`core.pipeline.run_noise_experiment`), so every dashboard view draws it."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.errors import InputError, NotFound
from core.evaluation.config import RunConfig, parse_config
from core.store import Store
from core.teachers.service import truth_frame

UNIFORM, CONCENTRATED = "uniform-noise", "concentrated-noise"


def slice_column(store: Store, dataset_id: str, slice_name: str) -> str:
    """The truth-frame column of a stored slice or a user column."""
    if slice_name in set(store.slice_names(dataset_id)["slice"]):
        return f"slice:{slice_name}"
    if slice_name in set(store.slice_columns(dataset_id)["column_name"]):
        return slice_name
    raise NotFound(f"no slice or column {slice_name!r} in this data set; compute slices with `python -m core slices`")


def noise_config(store: Store, dataset_name: str, slice_name: str, bucket: str, rate: float,
                 sizes=(100, 200, 500, 1000, 2000, "all"), seeds=(0, 1, 2), student: str = "tfidf_logreg") -> RunConfig:
    """A run config with the two SIMULATED teachers. The concentrated one errs on `rate / share` of the
    slice's examples (share: the slice's part of the gold-labeled examples) and nowhere else."""
    if not 0 < rate < 1:
        raise InputError("the noise rate must be between 0 and 1")
    dataset = store.dataset(dataset_name)
    examples = store.examples(dataset.dataset_id)
    column = slice_column(store, dataset.dataset_id, slice_name)
    truth = truth_frame(store, dataset, examples)
    labeled = truth[truth["gold"].notna()]
    share = float((labeled[column].astype(str) == str(bucket)).mean()) if column in labeled else 0.0
    if share == 0:
        raise InputError(f"no gold-labeled example is in {slice_name} = {bucket!r}")
    if rate > share:
        raise InputError(f"{slice_name} = {bucket!r} holds {share:.1%} of the gold-labeled examples: a rate of {rate:.0%} "
                         "cannot be concentrated there; choose a larger slice or a lower rate")
    noise = {"base_accuracy": 1.0, "depth_error": 0.0, "ambiguous_error": 0.0, "false_premise_error": 0.0,
             "negation_error": 0.0, "slice_column": column, "slice_value": str(bucket), "slice_error": rate / share}
    return parse_config({
        "name": f"noise-{slice_name}-{bucket}-{rate:g}".replace(":", "-").replace("+", "plus"), "dataset": dataset_name,
        "sizes": list(sizes), "seeds": list(seeds), "student": {"kind": student, "label_modes": ["hard"]},
        "teachers": [{"name": UNIFORM, "kind": "simulated", "params": {**noise, "mode": "uniform"}},
                     {"name": CONCENTRATED, "kind": "simulated", "params": {**noise, "mode": "structured"}}]})



@dataclass(frozen=True)
class NoiseVerdict:
    table: pd.DataFrame  # per teacher and size: the student's accuracy gap to the gold-trained student, with CI
    supported: bool
    sentence: str


def noise_verdict(store: Store, run_id: str) -> NoiseVerdict:
    gaps = store.comparisons(run_id)
    gaps = gaps[(gaps["metric"] == "accuracy") & (gaps["versus"] == "gold_student") & (gaps["label_mode"] == "hard")]
    teachers = store.teacher_scores(run_id).set_index("teacher_name")
    table = gaps[["teacher_name", "size", "diff", "lo", "hi"]].sort_values(["teacher_name", "size"]).reset_index(drop=True)
    first, last = table.groupby("teacher_name").first(), table.groupby("teacher_name").last()
    uniform, concentrated = last.loc[UNIFORM], last.loc[CONCENTRATED]
    # supported: at the largest size the uniform gap's interval reaches zero or lies above the concentrated
    # one's, and the concentrated gap stays below zero
    supported = bool(concentrated["hi"] < 0 and (uniform["hi"] >= 0 or uniform["lo"] > concentrated["hi"]))

    def describe(name: str) -> str:
        a, b = first.loc[name], last.loc[name]
        return (f"{name} (teacher accuracy {teachers.loc[name, 'accuracy']:.3f}): {a['diff']:+.3f} [{a['lo']:+.3f}, "
                f"{a['hi']:+.3f}] at {int(a['size'])} training labels, {b['diff']:+.3f} [{b['lo']:+.3f}, {b['hi']:+.3f}] "
                f"at {int(b['size'])}")

    claim = ("supported: random noise averages out, concentrated noise does not" if supported else
             "not supported on this data at these sizes")
    sentence = (f"Student accuracy minus the gold-trained student's, 95% CI: {describe(UNIFORM)}; "
                f"{describe(CONCENTRATED)}. The claim is {claim}.")
    return NoiseVerdict(table, supported, sentence)
