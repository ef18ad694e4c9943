"""Ranking a run's training pool for review: the strategies' inputs loaded from the store (teacher answers,
held-out student probabilities, map clusters, where the teacher errs on gold rows other than the ranked one,
the run's other teachers), and the ranking of every strategy that can run on them stored for the spot-check queue."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd

from core.evaluation.fitting import GOLD
from core.evaluation.metrics import error_structure
from core.evaluation.service import slice_options
from core.evaluation.slice_errors import bucket_errors
from core.review.strategies import RankingInput, runnable, same_orders
from core.store import ExampleFilter, Store
from core.teachers.registry import TEACHERS

STRUCTURE_ALPHA = 0.05  # family-wise, over the slices searched (Bonferroni)
LABEL_VALUED = 0.5  # a column whose values are mostly label names is a label, not metadata: never a slice to rank by


def ranking_input(store: Store, run_id: str, teacher: str) -> RankingInput:
    run = store.run(run_id)
    label_names = store.dataset(run["dataset_id"]).label_set.names
    view = store.example_view(run_id, teacher, where=ExampleFilter(role="train")).sort_values("example_id")
    view = view.reset_index(drop=True)
    parsed = (json.loads(p) if isinstance(p, str) else None for p in view["teacher_probs"])  # each answer once
    teacher_probs = np.array([[probs.get(n, 0.0) for n in label_names] if isinstance(probs, dict)
                              else [np.nan] * len(label_names) for probs in parsed])
    student_probs = np.array([np.asarray(p, dtype=float) for p in view["student_probs"]]).reshape(len(view), len(label_names))
    return RankingInput(view[["example_id", "teacher_label", "teacher_confidence", "cluster"]], teacher_probs,
                        student_probs, label_names, _slice_risk(store, run_id, teacher, run, view, label_names),
                        other_teacher_labels(store, run_id, teacher, view["example_id"]))


def hiding_gold(store: Store, run_id: str, teacher: str, data: RankingInput, hidden: pd.Series) -> RankingInput:
    """`data` as a ranking may read it when the gold labels of the examples `hidden` are scored (a budget curve's
    held-out rows of one fold): slice risks re-estimated without those rows' gold. Every other signal reads no
    gold; the teachers' votes are kept, the rankings computed again."""
    risk = _slice_risk(store, run_id, teacher, store.run(run_id), data.examples, data.label_names, set(hidden))
    return replace(data, slice_risk=risk, rankings={k: v for k, v in data.rankings.items() if k == "votes"})


def other_teacher_labels(store: Store, run_id: str, teacher: str, example_ids: pd.Series) -> pd.DataFrame:
    """The run's other teachers' labels of the pool, one column each; aggregates are left out (their votes are
    their members' again), and so are teachers built on this one (its corrected version agrees with it)."""
    teachers = store.run_teachers(run_id)
    own = teachers.set_index("teacher_name").loc[teacher, "teacher_id"]
    columns = {}
    for row in teachers.itertuples():
        config = json.loads(row.config) if isinstance(row.config, str) else row.config
        if (row.teacher_name == teacher or TEACHERS.plugin(row.kind).info.get("aggregate")
                or config.get("base_teacher_id") == own):
            continue
        labels = store.teacher_labels(row.teacher_id, store.run(run_id)["dataset_id"]).set_index("example_id")["label"]
        columns[row.teacher_name] = labels.reindex(example_ids).to_numpy(dtype=object)
    return pd.DataFrame(columns, index=example_ids.index)


def shrunk_rates(n: np.ndarray, wrong: np.ndarray) -> np.ndarray:
    """Each bucket's error rate shrunk toward the overall rate by its size (empirical-Bayes beta-binomial): the
    prior's strength m is the method-of-moments estimate from the spread between buckets, so a slice whose
    buckets differ no more than sampling noise would make them gets every bucket at the overall rate, and a
    small bucket moves less than a large one: the largest of many small estimates is mostly noise."""
    n, wrong = np.asarray(n, dtype=float), np.asarray(wrong, dtype=float)
    overall = wrong.sum() / n.sum()
    if overall in (0.0, 1.0) or len(n) < 2:
        return np.full(len(n), overall)
    rates = wrong / n
    between = np.average((rates - overall) ** 2, weights=n)  # observed spread, sampling noise included
    noise = overall * (1 - overall) * len(n) / n.sum()  # the spread sampling alone gives, averaged over buckets
    if between <= noise:
        return np.full(len(n), overall)
    # Var(rate) = p(1-p)/(m+1) for a Beta prior of strength m; solve for m from the spread beyond noise
    m = max(overall * (1 - overall) / (between - noise) - 1, 0.0)
    return (wrong + m * overall) / (n + m)


def label_valued(values: pd.Series, label_names: list[str]) -> bool:
    """Is a column mostly label names (an answer key, another annotator's label, a leak), not metadata?"""
    given = values[values.notna() & (values != "")]
    return bool(len(given)) and given.isin(label_names).mean() >= LABEL_VALUED


def _slice_risk(store: Store, run_id: str, teacher: str, run: dict, view: pd.DataFrame,
                label_names: list[str], hidden: set | frozenset = frozenset()) -> pd.DataFrame:
    """Each pool example's highest shrunk teacher error rate over the buckets it belongs to, among the slices
    whose teacher error passes the structured-error test (chi-square of equal rates, Bonferroni over the slices
    searched). Slices: the teacher's own label and every categorical user column that is not label-valued.

    No example's own gold label reaches its risk: rates, and the test that picks the slices, are measured on the
    gold rows outside the example's scoring fold (under cross-fitting, where every gold row is in the pool) or on
    the test split (in a split run, whose pool is never scored). `group` names which gold rows an example's risk
    was measured on (its fold, -1 for all of them), so `combined` ranks risks only against risks measured alike.
    Risk 0 where no slice passes: then slices say nothing about this teacher. The gold of `hidden` examples is
    never read (`hiding_gold`)."""
    mode = run["config"]["student"]["label_modes"][0]
    folds = store.held_out_folds(run_id, teacher)
    group = view["example_id"].map(folds).fillna(-1).astype(int).to_numpy()
    best = pd.DataFrame({"example_id": view["example_id"], "risk": 0.0, "where": "", "group": group})
    columns = store.example_columns(run["dataset_id"]).set_index("example_id")
    options = [o for o in slice_options(store, run["dataset_id"]) if o.slice_by == "teacher_label"
               or (o.slice_by == "column" and not label_valued(columns[o.column], label_names))]
    crossfit = folds.nunique() > 1
    for option in options:
        rows = store.slice_rows(run_id, teacher, mode, GOLD, option.slice_by, option.column)
        rows = rows[~rows["example_id"].isin(hidden)]
        rows_fold = rows["example_id"].map(folds).fillna(-1).astype(int).to_numpy()
        name = option.column or "teacher label"
        buckets = np.asarray(view["teacher_label"].fillna("(no label)") if option.slice_by == "teacher_label"
                             else columns[option.column].reindex(view["example_id"]).replace("", "(empty)").to_numpy())
        for fold in np.unique(group):
            members = group == fold
            source = ("gold rows outside its fold" if fold >= 0 else "gold rows") if crossfit else "test-split rows"
            risk, where = _bucket_risk(rows[rows_fold != fold], buckets[members], len(options), name, source)
            better = np.zeros(len(view), dtype=bool)
            better[members] = risk > best["risk"].to_numpy()[members]
            best.loc[better, "risk"] = risk[better[members]]
            best.loc[better, "where"] = np.asarray(where, dtype=object)[better[members]]
    return best


def _bucket_risk(rows: pd.DataFrame, buckets: np.ndarray, n_slices: int, name: str,
                 source: str) -> tuple[np.ndarray, list[str]]:
    """The shrunk teacher error rate, measured on `rows`, of each of `buckets`, and why, when the slice passes
    the structured-error test on those rows; zeros otherwise."""
    table = bucket_errors(rows)
    if table.empty or error_structure(table["n"], table["n_teacher_wrong"]).p_homogeneity >= STRUCTURE_ALPHA / n_slices:
        return np.zeros(len(buckets)), [""] * len(buckets)
    shrunk = shrunk_rates(table["n"].to_numpy(), table["n_teacher_wrong"].to_numpy())
    rate = dict(zip(table["bucket"], shrunk))
    sizes = dict(zip(table["bucket"], zip(table["teacher_error"], table["n"])))
    overall = table["n_teacher_wrong"].sum() / table["n"].sum()
    distinct, position = np.unique(buckets.astype(str), return_inverse=True)  # a few buckets, many examples
    reasons = [f"{name} = {b}: teacher wrong {sizes[b][0]:.0%} of n={sizes[b][1]} {source} (shrunk to {rate[b]:.0%})"
               if b in sizes else f"{name} = {b}: none among the {source}" for b in distinct]
    risks = np.array([rate.get(b, overall) for b in distinct])
    return risks[position], list(np.asarray(reasons, dtype=object)[position])


def strategy_status(data: RankingInput) -> dict:
    """What the queue page shows about the strategies: which can run, why the others cannot, and which of
    those that can run give the same order ("cleanlab = disagreement" on two-class data)."""
    can, cannot = runnable(data)
    groups = same_orders({name: data.ranked(name) for name in can if name != "random"})
    return {"runnable": can, "cannot": cannot, "same_order": [g for g in groups if len(g) > 1]}


def rank_pool(store: Store, run_id: str, teacher: str) -> dict:
    """Stores the ranking of every strategy that can run on this teacher's pool, for the spot-check queue; returns
    `strategy_status` (why the others were left out, which coincide). Its reads and write share one connection."""
    with store.session():
        data = ranking_input(store, run_id, teacher)
        status = strategy_status(data)
        store.write_rankings(run_id, teacher, {name: data.ranked(name) for name in status["runnable"]})
    return status
