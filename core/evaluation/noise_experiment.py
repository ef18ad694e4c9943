"""The controlled noise experiment: on a data set with gold labels, a SIMULATED teacher errs at the same
overall rate r in two ways, uniformly at random and concentrated in one slice, and students learn from each
over the learning-curve sizes. The claim under test (the research this tool follows): random noise averages
out as the student sees more data; noise concentrated where the teacher is systematically wrong does not.
The experiment is a normal run (`core.pipeline.run_noise_experiment`), so every dashboard view draws it; its
verdict compares the two students paired on the same held-out rows (`noise_verdict_from`)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.errors import InputError, NotFound
from core.evaluation.config import RunConfig, parse_config
from core.evaluation.fitting import GOLD
from core.evaluation.metrics import Bootstrap, Estimate, crossfit_interval, crossfit_interval_words, interval
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
    concentrated_minus_uniform: Estimate  # at the largest size, paired on the same held-out rows
    changes: dict[str, Estimate]  # per teacher: its gap at the largest size minus its gap at the smallest
    change_difference: Estimate  # the concentrated gap's change minus the uniform gap's
    interval: str  # how the three intervals were computed
    supported: bool
    sentence: str


def correctness(predictions: pd.DataFrame, gold: pd.Series) -> pd.DataFrame:
    """Per held-out row of each fold, whether each (trained_on, size) student got it right, averaged over seeds:
    index (repeat, fold, example_id), columns (trained_on, size). `gold` by example id."""
    right = predictions.assign(right=(predictions["predicted"].to_numpy()
                                      == gold.reindex(predictions["example_id"]).to_numpy()).astype(float))
    return right.pivot_table(index=["repeat", "fold", "example_id"], columns=["trained_on", "size"], values="right",
                             aggfunc="mean")


def contrast_interval(correct: pd.DataFrame, weights: dict) -> Estimate:
    """A weighted sum of students' accuracies (weights by (trained_on, size) column), paired on the same held-out
    rows: cross-fitted, its value per fold with the cross-validation t interval over the folds; a fixed split
    (one fold), a bootstrap over its test rows."""
    contrast = sum(weight * correct[column] for column, weight in weights.items())
    folds = contrast.groupby(level=["repeat", "fold"]).mean()
    if len(folds) > 1:
        return crossfit_interval(folds.to_numpy(), folds.index.get_level_values("repeat"))
    values = contrast.to_numpy()
    bootstrap = Bootstrap(len(values), seed=0)
    return interval(bootstrap.counts @ values / len(values), float(values.mean()))


def noise_verdict_from(correct: pd.DataFrame, gaps: pd.DataFrame, teacher_accuracy: dict[str, float]) -> NoiseVerdict:
    """The claim under test, decided on paired intervals, never on one that merely reaches 0: supported when, at
    the largest size, the concentrated-noise student is below the uniform-noise one (interval below 0), the
    uniform gap to the gold-trained student shrinks from the smallest to the largest size (interval above 0),
    and the concentrated gap shrinks less than the uniform one (interval of the difference below 0).
    `correct`: `correctness`; `gaps`: the stored comparisons with the gold-trained student at equal sizes."""
    sizes = sorted({size for name, size in correct.columns if name == GOLD}
                   & {size for name, size in correct.columns if name == UNIFORM}
                   & {size for name, size in correct.columns if name == CONCENTRATED})
    small, large = sizes[0], sizes[-1]

    def change(name: str) -> dict:
        return {(name, large): 1, (GOLD, large): -1, (name, small): -1, (GOLD, small): 1}

    difference = contrast_interval(correct, {(CONCENTRATED, large): 1, (UNIFORM, large): -1})
    changes = {name: contrast_interval(correct, change(name)) for name in (UNIFORM, CONCENTRATED)}
    # the gold-trained student's terms cancel: the concentrated student's change minus the uniform one's
    change_difference = contrast_interval(correct, {(CONCENTRATED, large): 1, (CONCENTRATED, small): -1,
                                                    (UNIFORM, large): -1, (UNIFORM, small): 1})
    supported = bool(difference.hi < 0 and changes[UNIFORM].lo > 0 and change_difference.hi < 0)
    folds = correct.index.droplevel("example_id").unique()
    if len(folds) > 1:
        k = correct.index.get_level_values("fold").nunique()
        how = f"paired per fold over {k} folds x {len(folds) // k} repeats, {crossfit_interval_words(len(folds), k)}"
    else:
        how = f"paired on the {len(correct)} test rows of one fixed split, a bootstrap over those rows"
    table = gaps[["teacher_name", "size", "diff", "lo", "hi"]].sort_values(["teacher_name", "size"]).reset_index(drop=True)
    by = table.set_index(["teacher_name", "size"])

    def describe(name: str) -> str:
        a, b, c = by.loc[(name, small)], by.loc[(name, large)], changes[name]
        return (f"{name} (teacher accuracy {teacher_accuracy[name]:.3f}): {a['diff']:+.3f} [{a['lo']:+.3f}, "
                f"{a['hi']:+.3f}] at {small} training labels, {b['diff']:+.3f} [{b['lo']:+.3f}, {b['hi']:+.3f}] "
                f"at {large}, a change of {_signed(c)}")

    if supported:
        claim = "supported: the uniform noise's cost shrinks as the student sees more data, the concentrated noise's does not keep pace"
    else:
        failed = [said for held, said in (
            (difference.hi < 0, "the concentrated-noise student is not shown to be below the uniform-noise one "
                                f"at {large}"),
            (changes[UNIFORM].lo > 0, "the uniform gap is not shown to shrink"),
            (change_difference.hi < 0, "the concentrated gap is not shown to shrink less than the uniform one"))
            if not held]
        claim = f"not supported on this data at these sizes ({'; '.join(failed)})"
    sentence = (f"Student accuracy minus the gold-trained student's, 95% CI: {describe(UNIFORM)}; "
                f"{describe(CONCENTRATED)}. At {large}, concentrated minus uniform: {_signed(difference)}; the "
                f"concentrated gap's change minus the uniform one's: {_signed(change_difference)} ({how}). "
                f"The claim is {claim}.")
    return NoiseVerdict(table, difference, changes, change_difference, how, supported, sentence)


def _signed(e: Estimate) -> str:
    return f"{e.value:+.3f} [{e.lo:+.3f}, {e.hi:+.3f}]"


def noise_verdict(store: Store, run_id: str) -> NoiseVerdict:
    gaps = store.comparisons(run_id)
    gaps = gaps[(gaps["metric"] == "accuracy") & (gaps["versus"] == "gold_student") & (gaps["label_mode"] == "hard")]
    teachers = store.teacher_scores(run_id).set_index("teacher_name")["accuracy"].to_dict()
    examples = store.examples(store.run(run_id)["dataset_id"])
    predictions = store.predictions(run_id)
    correct = correctness(predictions[predictions["label_mode"] == "hard"],
                          examples.set_index("example_id")["gold"])
    return noise_verdict_from(correct, gaps, teachers)
