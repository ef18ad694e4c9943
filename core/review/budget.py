"""What a human check buys, measured like the headline: in every fold and repeat of the run's stored plan, with the
gold labels as the oracle, correct the first B checkable teacher labels of the fold's training rows in each
strategy's order, retrain the student on those rows, and score it on the fold's held-out gold rows.

`budget_curves` fits and stores the per-fold scores and their summary. `summarize_budget` is the summary, pure:
per strategy and budget the student's accuracy, its change against no checks (paired per fold), the strategy
against `random` on the same folds, and the checks that close half the gap to the student trained on the pool's
gold labels (interpolated per fold). Cross-fitted: means over the fold estimates with the cross-validation t
interval, as the headline; a fixed split: a two-level bootstrap over seeds and test rows, computed with the fits.

No ranking reads the gold label of a row it is scored on: `slice_risk` (and `combined`'s part built on it) is
estimated again for each fold without that fold's held-out gold (`hiding_gold`)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.datasets.stored_embeddings import stored_encoder
from core.evaluation.config import RunConfig
from core.evaluation.fitting import fit_labels, label_indices
from core.evaluation.headlines import scheme_words
from core.evaluation.metrics import (CI_LEVEL, Bootstrap, Estimate, crossfit_interval, seed_average, wilson_bounds,
                                     within)
from core.evaluation.runs import featurize, fold_features, run_plan
from core.evaluation.splits import EvaluationPlan
from core.progress import Progress
from core.review.ranking import hiding_gold, ranking_input
from core.review.strategies import DEFAULT_STRATEGY, RankingInput, runnable
from core.store import Store

DEFAULT_BUDGETS = (0, 25, 50, 100, 200, 400, 800)
BASELINE = "random"  # every strategy is compared with it on the same folds
SPLIT_COLUMNS = ["accuracy", "change", "vs_random", "half_gap"]  # the estimates a fixed split bootstraps


def budget_curves(store: Store, run_id: str, teacher: str, strategies=None, budgets=DEFAULT_BUDGETS,
                  seeds=(0, 1, 2), progress: Progress | None = None) -> pd.DataFrame:
    """Fits and stores the per-fold budget scores (`Store.budget_fold_scores`) and their summary
    (`summarize_budget`, with the share of pool labels still wrong and precision@B); returns the summary.
    Budgets beyond some fold's checkable rows are dropped; a strategy that cannot rank some fold's pool without
    that fold's gold is left out, and why is stored (`Store.budget_left_out`)."""
    run = store.run(run_id)
    config = RunConfig.model_validate(run["config"])
    dataset = store.dataset(run["dataset_id"])
    names = dataset.label_set.names
    examples, plan = run_plan(store, run_id)  # the folds the run stored
    teacher_id = store.run_teacher_id(run_id, teacher)
    given = (store.teacher_labels(teacher_id, dataset.dataset_id).set_index("example_id")["label"]
             .reindex(examples["example_id"]).to_numpy(dtype=object))
    oracle = examples["gold"].to_numpy(dtype=object)
    has_gold = np.array([isinstance(g, str) for g in oracle])  # the oracle can only answer where gold exists

    base = ranking_input(store, run_id, teacher)
    inputs = [hiding_gold(store, run_id, teacher, base, examples["example_id"].iloc[f.held_out]) for f in plan.folds]
    measured, left_out = _measurable(base, inputs, plan, strategies)
    checkable = min(int(has_gold[f.train].sum()) for f in plan.folds)
    budgets = sorted({int(b) for b in budgets if b <= checkable} | {0})
    encode = stored_encoder(store, dataset.dataset_id, examples)

    scores, extras = [], []
    predictions: dict[tuple[str, int], list[np.ndarray]] = {}  # a fixed split's, for its bootstrap
    student = None
    for index, (fold, data) in enumerate(zip(plan.folds, inputs)):
        if student is None:
            student, X = featurize(config, names, examples["text"], encode, fold.train)
        else:
            X = fold_features(student, examples["text"], fold.train)
        pool_given, pool_oracle, pool_gold = given[fold.train], oracle[fold.train], has_gold[fold.train]
        X_pool, X_test = X[fold.train], X[fold.held_out]
        truth = label_indices(oracle[fold.held_out], names)
        fitted: dict[frozenset, np.ndarray] = {}

        def predict(labels: np.ndarray, checked: frozenset) -> np.ndarray:
            # the same corrected set trains the same model: budget 0 of every strategy, and every seed of a
            # deterministic strategy, is fitted once per fold
            if checked not in fitted:
                fitted[checked] = label_indices(fit_labels(student, X_pool, labels).predict(X_test), names)
            return fitted[checked]

        gold_labels = pool_oracle.copy()
        gold_labels[~pool_gold] = None
        gold_predicted = label_indices(fit_labels(student, X_pool, gold_labels).predict(X_test), names)
        gold_accuracy = float((gold_predicted == truth).mean())
        position = {e: i for i, e in enumerate(examples["example_id"].iloc[fold.train])}
        for strategy in measured:
            per_seed: dict[int, list[tuple]] = {budget: [] for budget in budgets}
            for seed in seeds:
                order = [position[e] for e in data.ranked(strategy, seed)["example_id"] if e in position]
                ranked = [i for i in order if pool_gold[i]]
                for budget in budgets:
                    checked = ranked[:budget]
                    labels = pool_given.copy()
                    labels[checked] = pool_oracle[checked]
                    per_seed[budget].append((predict(labels, frozenset(checked)), len(checked),
                                             sum(pool_given[i] != pool_oracle[i] for i in checked),
                                             float(np.mean(labels[pool_gold] != pool_oracle[pool_gold]))))
            for budget, fits in per_seed.items():
                key = {"strategy": strategy, "budget": budget, "repeat": fold.repeat, "fold": fold.fold}
                scores.append({**key, "n_checks": fits[0][1], "n_pool": len(fold.train), "n_test": len(truth),
                               "accuracy": float(np.mean([(p == truth).mean() for p, *_ in fits])),
                               "gold_accuracy": gold_accuracy})
                extras.append({**key, "found": np.mean([f[2] for f in fits]), "label_error": np.mean([f[3] for f in fits])})
                if plan.scheme == "split":
                    predictions[(strategy, budget)] = [p for p, *_ in fits]
            if progress:
                progress(f"budget curves for {teacher}", index * len(measured) + measured.index(strategy) + 1,
                         len(plan.folds) * len(measured))
        split_gold, split_truth = gold_predicted, truth  # a fixed split has one fold

    fold_scores = pd.DataFrame(scores)
    split = (_split_intervals(predictions, split_gold, split_truth, len(names), config.bootstrap, budgets)
             if plan.scheme == "split" else None)
    summary = summarize_budget(fold_scores, plan.scheme, split)
    checks = pd.DataFrame(extras).groupby(["strategy", "budget"], as_index=False)[["found", "label_error"]].mean()
    summary = summary.merge(checks, on=["strategy", "budget"], how="left")
    summary["precision"] = (summary["found"] / summary["n_checks"]).where(summary["n_checks"] > 0)
    summary = summary.drop(columns="found").assign(repeats=plan.repeats, n_seeds=len(seeds))
    with store.transaction():
        store.write_budget_folds(run_id, teacher, fold_scores, left_out)
        store.write_budget_curve(run_id, teacher, summary)
    return summary


def _measurable(base: RankingInput, inputs: list[RankingInput], plan: EvaluationPlan,
                strategies) -> tuple[list[str], dict[str, str]]:
    """The strategies to measure (those asked for, or every one the run's data can feed) that can rank every
    fold's pool without that fold's gold, and why each other one asked for is left out."""
    wanted, left_out = (list(strategies), {}) if strategies else runnable(base)
    measured = []
    for strategy in wanted:
        reasons = {f"{reason} ({_hidden_words(plan, f)})"
                   for f, data in zip(plan.folds, inputs) for reason in runnable(data, [strategy])[1].values()}
        if reasons:
            left_out[strategy] = "; ".join(sorted(reasons)[:1] + ([f"and {len(reasons) - 1} more folds"]
                                                                 if len(reasons) > 1 else []))
        else:
            measured.append(strategy)
    return measured, left_out


def _hidden_words(plan: EvaluationPlan, fold) -> str:
    if plan.scheme == "crossfit":
        return f"in fold {fold.fold + 1} of repeat {fold.repeat + 1}, once that fold's held-out gold is hidden"
    return "once the test split's gold, which these curves score on, is hidden"


def half_gap(budgets: np.ndarray, accuracy: np.ndarray, gold_accuracy: float) -> float:
    """The checks (interpolated between measured budgets) at which a curve starting at `accuracy[0]` first closes
    half its gap to `gold_accuracy`: 0 when there is no gap, NaN when not within the budgets."""
    target = accuracy[0] + (gold_accuracy - accuracy[0]) / 2
    reached = np.flatnonzero(accuracy >= target)
    if not len(reached):
        return float("nan")
    i = int(reached[0])
    if i == 0:
        return 0.0
    step = (target - accuracy[i - 1]) / (accuracy[i] - accuracy[i - 1])
    return float(budgets[i - 1] + step * (budgets[i] - budgets[i - 1]))


def summarize_budget(fold_scores: pd.DataFrame, scheme: str,
                     split_intervals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per strategy and budget, from `Store.budget_fold_scores`' frame: `accuracy` (mean over folds), `change`
    against budget 0 and `vs_random` (the strategy minus `random` at the same budget), both from paired per-fold
    differences, `gold_accuracy`, and per strategy `half_gap`, the checks that close half the gap (mean over
    folds; NaN unless every fold reaches it, `half_gap_folds` counts those that do), each with `_lo`/`_hi`.
    Cross-fitted: the cross-validation t interval over folds (`crossfit_interval`). A fixed split (one fold):
    the intervals of `split_intervals` (`budget_curves` bootstraps seeds and test rows), else none (NaN).
    `same_curve` names the strategies whose per-fold accuracies are identical ("disagreement = low_confidence")."""
    folds = fold_scores.pivot_table(index=["strategy", "budget"], columns=["repeat", "fold"], values="accuracy")
    gold = fold_scores.drop_duplicates(["repeat", "fold"]).set_index(["repeat", "fold"])["gold_accuracy"]
    gold = gold.reindex(folds.columns).to_numpy()
    budgets = np.array(sorted(fold_scores["budget"].unique()))

    def estimate(per_fold: np.ndarray, lowest: float = 0.0, highest: float = 1.0) -> Estimate:
        """An accuracy by default; its interval within what the statistic can be (`within`)."""
        if scheme == "crossfit":
            return within(crossfit_interval(per_fold, folds.columns.get_level_values("repeat")), lowest, highest)
        return Estimate(float(np.nanmean(per_fold)), float("nan"), float("nan"))

    gold_estimate = estimate(gold)
    rows = []
    for strategy, curve in folds.groupby(level="strategy"):
        curve = curve.droplevel("strategy").reindex(budgets)
        halves = np.array([half_gap(budgets, curve[c].to_numpy(), g) for c, g in zip(curve.columns, gold)])
        half = (estimate(halves, 0.0, np.inf) if not np.isnan(halves).any()
                else Estimate(float("nan"), float("nan"), float("nan")))
        for budget in budgets:
            accuracy = curve.loc[budget].to_numpy()
            row = {"strategy": strategy, "budget": int(budget),
                   "n_checks": int(fold_scores.loc[(fold_scores["strategy"] == strategy)
                                                   & (fold_scores["budget"] == budget), "n_checks"].min()),
                   "n_folds": len(curve.columns), "n_rows": int(fold_scores.drop_duplicates(["repeat", "fold"])["n_test"]
                                                               .sum() / fold_scores["repeat"].nunique()),
                   "scheme": scheme, "half_gap_folds": int((~np.isnan(halves)).sum())}
            parts = {"accuracy": estimate(accuracy),
                     "change": estimate(accuracy - curve.loc[budgets[0]].to_numpy(), -1.0, 1.0),
                     "gold_accuracy": gold_estimate, "half_gap": half}
            if BASELINE in folds.index.get_level_values("strategy") and (BASELINE, budget) in folds.index:
                parts["vs_random"] = estimate(accuracy - folds.loc[(BASELINE, budget)].reindex(curve.columns).to_numpy(),
                                              -1.0, 1.0)
            for name, e in parts.items():
                row.update({name: e.value, f"{name}_lo": e.lo, f"{name}_hi": e.hi})
            rows.append(row)
    summary = pd.DataFrame(rows)
    if "vs_random" not in summary:
        summary = summary.assign(vs_random=np.nan, vs_random_lo=np.nan, vs_random_hi=np.nan)
    if split_intervals is not None and scheme != "crossfit":
        bounds = split_intervals.set_index(["strategy", "budget"])
        for column in (f"{c}_{end}" for c in SPLIT_COLUMNS + ["gold_accuracy"] for end in ("lo", "hi")):
            summary[column] = bounds[column].reindex(pd.MultiIndex.from_frame(summary[["strategy", "budget"]])).to_numpy()
    return summary.assign(same_curve=summary["strategy"].map(same_curves(folds)))


def same_curves(folds: pd.DataFrame) -> dict[str, str]:
    """Each strategy -> every strategy with the same per-fold accuracies at every budget, "a = b" (itself alone
    when none)."""
    groups: dict[tuple, list[str]] = {}
    for strategy, curve in folds.groupby(level="strategy"):
        groups.setdefault(tuple(np.round(curve.to_numpy().ravel(), 12)), []).append(strategy)
    return {s: " = ".join(group) for group in groups.values() for s in group}


def _split_intervals(predictions: dict[tuple[str, int], list[np.ndarray]], gold_predicted: np.ndarray,
                     truth: np.ndarray, n_classes: int, resamples: int, budgets: list[int]) -> pd.DataFrame:
    """A fixed split's 95% intervals: a two-level bootstrap over seeds and test rows, the same resamples for
    every model, so changes and comparisons are paired. `predictions`: (strategy, budget) -> per-seed
    predictions; `gold_predicted`: the gold-trained student's."""
    bootstrap = Bootstrap(len(truth), resamples, seed=0)
    gold = bootstrap.samples(truth, gold_predicted, n_classes)[0]
    averaged = {}
    for key, per_seed in predictions.items():
        samples = np.stack([bootstrap.samples(truth, p, n_classes)[0] for p in per_seed])
        averaged[key] = seed_average(samples, bootstrap.seed_resamples(len(per_seed)))
    tail = (1 - CI_LEVEL) / 2 * 100
    rows = []
    for strategy in sorted({s for s, _ in averaged}):
        curve = np.stack([averaged[(strategy, b)] for b in budgets], axis=1)  # (resamples, budgets)
        halves = np.array([half_gap(np.array(budgets), c, g) for c, g in zip(curve, gold)])
        # a resample whose curve does not close half the gap within the budgets counts as beyond the largest
        beyond = budgets[-1] + 1
        half_lo, half_hi = np.percentile(np.where(np.isnan(halves), beyond, halves), [tail, 100 - tail])
        for i, budget in enumerate(budgets):
            estimates = {"accuracy": curve[:, i], "change": curve[:, i] - curve[:, 0], "gold_accuracy": gold,
                       "vs_random": (curve[:, i] - averaged[(BASELINE, budget)] if (BASELINE, budget) in averaged
                                     else np.full(len(gold), np.nan))}
            row = {"strategy": strategy, "budget": budget, "half_gap_lo": half_lo if half_lo < beyond else np.nan,
                   "half_gap_hi": half_hi if half_hi < beyond else np.nan}
            for name, values in estimates.items():
                lo, hi = np.percentile(values, [tail, 100 - tail]) if not np.isnan(values).any() else (np.nan, np.nan)
                row.update({f"{name}_lo": lo, f"{name}_hi": hi})
            rows.append(row)
    return pd.DataFrame(rows)


def with_check_intervals(summary: pd.DataFrame) -> pd.DataFrame:
    """`budget_curves`' summary with 95% Wilson intervals for the share of checks that found a wrong label
    (`precision_lo`, `precision_hi`: the first B checks of a strategy, counted over every fold)."""
    precision_lo, precision_hi = wilson_bounds(summary["precision"], summary["n_checks"] * summary["n_folds"])
    return summary.assign(precision_lo=precision_lo, precision_hi=precision_hi)


def budget_scheme_words(summary: pd.DataFrame) -> str:
    """How a budget summary was measured and its intervals computed (`scheme_words`)."""
    first = summary.iloc[0]
    return scheme_words(first["scheme"], int(first["n_folds"]), int(first["repeats"]), int(first["n_rows"]),
                        int(first["n_seeds"]))


def points(value: float) -> str:
    """A change in accuracy in percentage points, signed."""
    return f"{value * 100:+.1f}"


def change_words(value: float, lo: float, hi: float) -> str:
    """"+0.4 points, -1.2 to +2.0" (or "no interval" when it could not be computed)."""
    bounds = f"{points(lo)} to {points(hi)}" if np.isfinite([lo, hi]).all() else "no interval"
    return f"{points(value)} points, {bounds}"


def _folds(n: int) -> str:
    return f"{n} fold{'s' if n != 1 else ''}"


def _at(summary: pd.DataFrame, budget: int) -> pd.DataFrame:
    """Each strategy's row at the largest budget computed up to `budget`."""
    checked = summary[(summary["budget"] > 0) & (summary["budget"] <= budget)]
    return checked[checked["budget"] == checked["budget"].max()]


def best_supported(summary: pd.DataFrame, budget: int = 100) -> str | None:
    """The strategy whose change at `budget` checks has the highest lower bound (then the highest value):
    the gain the data supports best. None when no budget above 0 is computed."""
    rows = _at(summary, budget)
    if rows.empty:
        return None
    ranked = rows.assign(bound=rows["change_lo"].fillna(-np.inf)).sort_values(
        ["bound", "change", "strategy"], ascending=[False, False, True])
    return str(ranked["strategy"].iloc[0])


def checks_sentence(summary: pd.DataFrame, strategy: str | None = None, budget: int = 100) -> str:
    """What the first `budget` checks buy, from `budget_curves`' summary, in the best-supported strategy's order
    (`best_supported`; or `strategy`'s) and why that one: a change whose interval includes 0 is "no measurable
    gain", a loss is a loss. Changes in percentage points, with the scheme that measured them."""
    name = strategy or best_supported(summary, budget)
    rows = _at(summary, budget)
    rows = rows[rows["strategy"] == name]
    if name is None or rows.empty:
        return f"No budget curve of {name or DEFAULT_STRATEGY!r} with checks yet."
    row = rows.iloc[0]
    start = summary[(summary["strategy"] == name) & (summary["budget"] == 0)].iloc[0]
    checks, order = int(row["budget"]), f"in {str(row['same_curve'])!r} order"
    change = change_words(row["change"], row["change_lo"], row["change_hi"])
    found = (f"; they find {row['precision'] * checks:.0f} wrong teacher labels on average"
             if pd.notna(row.get("precision")) else "")
    if row["change_lo"] > 0:
        said = (f"The first {checks} checks {order} gain {change}: the student goes from {start['accuracy']:.1%} "
                f"to {row['accuracy']:.1%} accuracy{found}.")
    elif row["change_hi"] < 0:
        said = (f"The first {checks} checks {order} cost accuracy: a loss of {change} (from {start['accuracy']:.1%} "
                f"to {row['accuracy']:.1%}){found}.")
    else:
        said = f"No measurable gain from the first {checks} checks {order}: {change}{found}."
    if strategy is None and name != BASELINE and pd.notna(row.get("vs_random")):
        said += (f" It is the order whose change has the best-supported lower bound among the "
                 f"{summary['strategy'].nunique()} measured; against {BASELINE!r} on the same "
                 f"{'folds' if row['scheme'] == 'crossfit' else 'test rows'}: "
                 f"{change_words(row['vs_random'], row['vs_random_lo'], row['vs_random_hi'])}.")
    return said + (f" Trained on the pool's gold labels the student reaches {row['gold_accuracy']:.1%}; checks to close "
                   f"half of that gap: {half_gap_words(row, int(summary['budget'].max()))}.")


def half_gap_words(row, largest: int) -> str:
    """"about 120 (40 to 300)", or "not within 800 (3 of 10 folds reach it)"."""
    if pd.isna(row["half_gap"]):
        return f"not within {largest} ({int(row['half_gap_folds'])} of {_folds(int(row['n_folds']))} reach it)"
    if pd.isna(row["half_gap_lo"]):
        return f"about {row['half_gap']:.0f} (no interval)"
    upper = f"{row['half_gap_hi']:.0f}" if pd.notna(row["half_gap_hi"]) else f"over {largest}"
    return f"about {row['half_gap']:.0f} ({max(row['half_gap_lo'], 0):.0f} to {upper})"
