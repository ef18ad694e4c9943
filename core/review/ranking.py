"""Ranking a run's training pool for review: the strategies' inputs loaded from the store (teacher answers,
held-out student probabilities, map clusters, where the teacher errs on the test split), and every strategy's
ranking stored for the spot-check queue."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from core.evaluation.fitting import GOLD
from core.evaluation.service import slice_options
from core.evaluation.slice_errors import MIN_CELL, bucket_errors
from core.review.strategies import STRATEGIES, RankingInput
from core.store import ExampleFilter, Store


def ranking_input(store: Store, run_id: str, teacher: str) -> RankingInput:
    run = store.run(run_id)
    label_names = store.dataset(run["dataset_id"]).label_set.names
    view = store.example_view(run_id, teacher, where=ExampleFilter(role="train")).sort_values("example_id")
    view = view.reset_index(drop=True)
    teacher_probs = np.array([[json.loads(p).get(n, 0.0) for n in label_names] if isinstance(p, str)
                              else [np.nan] * len(label_names) for p in view["teacher_probs"]])
    student_probs = np.array([np.asarray(p, dtype=float) for p in view["student_probs"]]).reshape(len(view), len(label_names))
    return RankingInput(view[["example_id", "teacher_label", "teacher_confidence", "cluster"]], teacher_probs,
                        student_probs, label_names, _slice_risk(store, run_id, teacher, run, view))


def _slice_risk(store: Store, run_id: str, teacher: str, run: dict, view: pd.DataFrame) -> pd.DataFrame:
    """Each pool example's highest teacher error rate (measured on the gold test split) over the buckets it
    belongs to: its own teacher label, and every categorical user column."""
    mode = run["config"]["student"]["label_modes"][0]
    best = pd.DataFrame({"example_id": view["example_id"], "risk": 0.0, "where": ""})
    columns = store.example_columns(run["dataset_id"]).set_index("example_id")
    for option in slice_options(store, run["dataset_id"]):
        if option.slice_by not in {"column", "teacher_label"}:
            continue
        table = bucket_errors(store.slice_rows(run_id, teacher, mode, GOLD, option.slice_by, option.column))
        table = table[table["n"] >= MIN_CELL]  # too few test examples to estimate a rate
        rate = dict(zip(table["bucket"], table["teacher_error"]))
        sizes = dict(zip(table["bucket"], table["n"]))
        name = option.column or "teacher label"
        buckets = (view["teacher_label"].fillna("(no label)") if option.slice_by == "teacher_label"
                   else columns[option.column].reindex(view["example_id"]).replace("", "(empty)").to_numpy())
        risk = np.array([rate.get(b, 0.0) for b in buckets])
        better = risk > best["risk"].to_numpy()
        best.loc[better, "risk"] = risk[better]
        best.loc[better, "where"] = [f"{name} = {b}: teacher wrong {rate[b]:.0%} of n={sizes[b]} test examples"
                                     for b in np.asarray(buckets)[better]]
    return best


def rank_pool(store: Store, run_id: str, teacher: str) -> None:
    """Stores every strategy's ranking of the training pool, for the spot-check queue."""
    data = ranking_input(store, run_id, teacher)
    store.write_rankings(run_id, teacher, {name: data.ranked(name) for name in STRATEGIES.names()})
