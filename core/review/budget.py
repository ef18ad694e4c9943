"""What a human check buys: with gold labels as the oracle, correct the top-B teacher labels of the training
pool in each strategy's order, retrain the student on the whole pool, and score it on the gold test split.

For each strategy and budget: student accuracy (mean over seeds, two-level bootstrap CI; deterministic
strategies vary only through the test resampling, `random` also through its seed), the share of pool
teacher labels still wrong, precision@B (share of the checked examples whose teacher label was wrong), and
the number of checks that closes half the gap between the teacher-trained and the gold-trained student."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.datasets.stored_embeddings import stored_encoder
from core.evaluation.config import RunConfig
from core.evaluation.fitting import fit_labels, label_indices
from core.evaluation.metrics import Bootstrap, interval, seed_average, wilson_bounds
from core.evaluation.runs import featurize, run_plan
from core.progress import Progress
from core.review.ranking import ranking_input
from core.review.strategies import DEFAULT_STRATEGY, runnable
from core.store import Store

DEFAULT_BUDGETS = (0, 25, 50, 100, 200, 400, 800)


def budget_curves(store: Store, run_id: str, teacher: str, strategies=None, budgets=DEFAULT_BUDGETS,
                  seeds=(0, 1, 2), progress: Progress | None = None) -> pd.DataFrame:
    run = store.run(run_id)
    config = RunConfig.model_validate(run["config"])
    dataset = store.dataset(run["dataset_id"])
    names = dataset.label_set.names
    examples = store.examples(dataset.dataset_id)
    # measured on one held-out fold: a fixed test split, or the first fold of cross-fitting
    scored_examples, plan = run_plan(store, run_id)  # the folds the run stored
    fold = plan.folds[0]
    pool = scored_examples.iloc[fold.train].reset_index(drop=True)
    test = scored_examples.iloc[fold.held_out].reset_index(drop=True)
    teacher_id = store.run_teacher_id(run_id, teacher)
    teacher_labels = store.teacher_labels(teacher_id, dataset.dataset_id).set_index("example_id")["label"]
    given = teacher_labels.reindex(pool["example_id"]).to_numpy(dtype=object)
    oracle = pool["gold"].to_numpy(dtype=object)
    has_gold = np.array([isinstance(g, str) for g in oracle])

    student, X = featurize(config, names, examples["text"], stored_encoder(store, dataset.dataset_id, examples),
                           fold.train)
    X_pool, X_test = X[fold.train], X[fold.held_out]
    truth = np.array([names.index(g) for g in test["gold"]])
    bootstrap = Bootstrap(len(test), config.bootstrap, seed=0)
    position = {example_id: i for i, example_id in enumerate(pool["example_id"])}

    scored: dict[object, tuple[float, np.ndarray]] = {}

    def score(labels, checked) -> tuple[float, np.ndarray]:
        # the same corrected set trains the same model: budget 0 of every strategy, and every seed of a
        # deterministic strategy, is fitted once
        if checked not in scored:
            predicted = label_indices(fit_labels(student, X_pool, labels).predict(X_test), names)
            samples, _ = bootstrap.samples(truth, predicted, len(names))
            scored[checked] = float((predicted == truth).mean()), samples
        return scored[checked]

    gold_accuracy, _ = score(np.where(has_gold, oracle, None), "gold labels only")
    data = ranking_input(store, run_id, teacher)
    strategies = strategies or runnable(data)[0]
    budgets = sorted({b for b in budgets if b <= has_gold.sum()})
    rows, total = [], len(strategies) * len(seeds)
    for step, (strategy, seed) in enumerate(((s, seed) for s in strategies for seed in seeds), start=1):
        order = [position[e] for e in data.ranked(strategy, seed)["example_id"] if e in position]
        checkable = [i for i in order if has_gold[i]]  # the oracle can only answer where gold exists
        for budget in budgets:
            checked = checkable[:budget]
            labels = given.copy()
            labels[checked] = oracle[checked]
            accuracy, samples = score(labels, frozenset(checked))
            wrong_before = sum(given[i] != oracle[i] for i in checked)
            rows.append({"strategy": strategy, "seed": seed, "budget": budget, "accuracy": accuracy, "samples": samples,
                         "label_error": float(np.mean(labels[has_gold] != oracle[has_gold])),
                         "precision": wrong_before / budget if budget else np.nan})
        if progress:
            progress(f"budget curves for {teacher}", step, total)
    summary = _summarize(pd.DataFrame(rows), bootstrap, gold_accuracy)
    store.write_budget_curve(run_id, teacher, summary)
    return summary


def _summarize(rows: pd.DataFrame, bootstrap: Bootstrap, gold_accuracy: float) -> pd.DataFrame:
    out = []
    for (strategy, budget), group in rows.groupby(["strategy", "budget"], sort=True):
        averaged = seed_average(np.stack(group["samples"].to_list()), bootstrap.seed_resamples(len(group)))
        estimate = interval(averaged, group["accuracy"].mean())
        out.append({"strategy": strategy, "budget": int(budget), "accuracy": estimate.value, "lo": estimate.lo,
                    "hi": estimate.hi, "label_error": group["label_error"].mean(), "precision": group["precision"].mean(),
                    "n_seeds": len(group), "n_test": bootstrap.n, "gold_accuracy": gold_accuracy})
    summary = pd.DataFrame(out)
    start = summary[summary["budget"] == 0]["accuracy"].mean()
    target = start + (gold_accuracy - start) / 2
    half = {s: (g[g["accuracy"] >= target]["budget"].min() if (g["accuracy"] >= target).any() else None)
            for s, g in summary.groupby("strategy")}
    summary["checks_to_half_gap"] = summary["strategy"].map(half)
    return summary


def with_check_intervals(summary: pd.DataFrame) -> pd.DataFrame:
    """`budget_curves`' summary with 95% Wilson intervals for the share of checks that found a wrong label
    (`precision_lo`, `precision_hi`: the first B checks of a strategy) and for the gold-trained student's
    accuracy (`gold_accuracy_lo`, `gold_accuracy_hi`: one fit, over the n_test test examples)."""
    precision_lo, precision_hi = wilson_bounds(summary["precision"], summary["budget"])
    gold_lo, gold_hi = wilson_bounds(summary["gold_accuracy"], summary["n_test"])
    return summary.assign(precision_lo=precision_lo, precision_hi=precision_hi,
                          gold_accuracy_lo=gold_lo, gold_accuracy_hi=gold_hi)


def checks_sentence(summary: pd.DataFrame, strategy: str = DEFAULT_STRATEGY, budget: int = 100) -> str:
    """What the first `budget` checks in `strategy`'s order buy, in one sentence, from `budget_curves`' summary:
    the wrong labels they find and the student's accuracy before and after correcting them (intervals over
    seeds and test examples). Uses the largest budget computed up to `budget`."""
    curve = summary[(summary["strategy"] == strategy) & (summary["budget"] <= budget)].sort_values("budget")
    if curve.empty or curve["budget"].max() == 0:
        return f"No budget curve of {strategy!r} with checks yet."
    before, after = curve.iloc[0], curve.iloc[-1]
    found = int(round(after["precision"] * after["budget"]))
    return (f"The first {int(after['budget'])} checks in {strategy!r} order find {found} wrong labels; correcting them "
            f"moves the student from {before['accuracy']:.1%} [{before['lo']:.1%}, {before['hi']:.1%}] to "
            f"{after['accuracy']:.1%} [{after['lo']:.1%}, {after['hi']:.1%}] accuracy "
            f"(trained on gold labels: {after['gold_accuracy']:.1%}, one fit scored on {int(after['n_test'])} test texts).")
