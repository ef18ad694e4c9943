"""What the dashboard shows, computed from the store: slice error tables with intervals, agreement
patterns, and the spot-check queue with a reason for every rank. No Streamlit here."""
from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .metrics import error_structure
from .store import Store

MIN_CELL = 30  # below this many examples a cell's rate is shown as "too few", not as a colour
Z95 = 1.959963984540054
VERDICTS = ("label", "ambiguous", "skip")
PATTERNS = ("all right", "teacher wrong", "student wrong", "both wrong", "teacher and student agree",
            "teacher and student disagree")


def wilson(rate: float, n: int) -> tuple[float, float]:
    """95% Wilson score interval for a proportion (rates averaged over seeds are treated as proportions)."""
    if n == 0 or rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return float("nan"), float("nan")
    denominator = 1 + Z95 ** 2 / n
    centre = (rate + Z95 ** 2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(rate * (1 - rate) / n + Z95 ** 2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class SliceOption:
    title: str
    slice_by: str
    column: str | None = None


def slice_options(store: Store, dataset_id: str) -> list[SliceOption]:
    options = [SliceOption("gold label (rare classes = low-probability targets)", "gold"),
               SliceOption("teacher's label", "teacher_label")]
    options += [SliceOption(f"{row.slice} ({row.slicer})", "stored", row.slice)
                for row in store.slice_names(dataset_id).itertuples()]
    for row in store.slice_columns(dataset_id).itertuples():
        quantiles = row.numeric and row.n_values > 12
        options.append(SliceOption(f"{row.column_name}{' (quartiles)' if quantiles else ''}",
                                   "quantile" if quantiles else "column", row.column_name))
    return options


def slice_table(store: Store, run_id: str, teacher: str, label_mode: str, option: SliceOption) -> pd.DataFrame:
    edges = store.quantile_edges(store.run(run_id)["dataset_id"], option.column) if option.slice_by == "quantile" else None
    table = store.slice_errors(run_id, teacher, label_mode, option.slice_by, option.column, edges)
    table["n_teacher_right"] = table["n"] - table["n_teacher_wrong"]
    for rate, n in (("teacher_error", "n"), ("student_error", "n"), ("gold_student_error", "n"),
                    ("student_wrong_if_teacher_wrong", "n_teacher_wrong"),
                    ("student_wrong_if_teacher_right", "n_teacher_right")):
        bounds = [wilson(r, int(k)) if pd.notna(r) else (np.nan, np.nan) for r, k in zip(table[rate], table[n])]
        table[f"{rate}_lo"] = [b[0] for b in bounds]
        table[f"{rate}_hi"] = [b[1] for b in bounds]
    structure = error_structure(table["n"], table["n_teacher_wrong"])
    table["teacher_error_lift"] = structure.lift
    table["teacher_excess_p"] = structure.p_excess
    table["homogeneity_p"] = structure.p_homogeneity
    table["enough"] = table["n"] >= MIN_CELL
    return table


def structure_sentence(table: pd.DataFrame, slice_title: str) -> str:
    """What the structured-error test says about a slice table from `slice_table`, in words, with its numbers."""
    n, wrong = int(table["n"].sum()), int(table["n_teacher_wrong"].sum())
    p = table["homogeneity_p"].iloc[0] if len(table) else float("nan")
    if not wrong or math.isnan(p):
        return f"Too little teacher error to test (n = {n}, {wrong} wrong)."
    excess = table[(table["teacher_excess_p"] < 0.05) & table["enough"]]
    where = ", ".join(f"{b} ({r:.1%}, {l:.1f}x, n = {k}, p = {q:.2g})" for b, r, l, k, q in
                      zip(excess["bucket"], excess["teacher_error"], excess["teacher_error_lift"], excess["n"],
                          excess["teacher_excess_p"]))
    verdict = ("structured: its rate differs between buckets beyond chance" if p < 0.05
               else "not shown to be structured: the buckets' rates are compatible with one rate")
    return (f"Teacher error by {slice_title} is {verdict} (chi-square p = {p:.2g}; overall {wrong / n:.1%} of n = {n}). "
            + (f"Concentrated in: {where} (one-sided Fisher, Holm-adjusted)." if where else
               "No bucket with enough examples exceeds the rest's rate beyond chance."))


def with_patterns(view: pd.DataFrame) -> pd.DataFrame:
    gold = view["gold"].notna()
    teacher_right = view["teacher_label"] == view["gold"]
    student_right = view["student_label"] == view["gold"]
    agree = view["teacher_label"] == view["student_label"]
    pattern = np.select(
        [gold & teacher_right & student_right, gold & ~teacher_right & student_right,
         gold & teacher_right & ~student_right, gold & ~teacher_right & ~student_right, agree],
        PATTERNS[:5], default=PATTERNS[5])
    return view.assign(pattern=pattern)


def spot_check_queue(store: Store, run_id: str, teacher: str, strategy: str, *, clusters: list[int] | None = None,
                     slice_column: str | None = None, slice_values: list[str] | None = None,
                     include_reviewed: bool = False, limit: int = 500) -> pd.DataFrame:
    """The first `limit` training-pool examples for human review in a stored strategy's order (examples
    picked by hand first), each with the reason for its place; column `total` holds the whole queue's length."""
    queue = store.example_view(run_id, teacher, queue=strategy, clusters=clusters, slice_column=slice_column,
                               slice_values=slice_values, include_reviewed=include_reviewed, limit=limit)
    reason = [f"picked {p}" if isinstance(p, str) else r for p, r in zip(queue["pinned_from"], queue["queue_reason"])]
    return queue.assign(rank=np.arange(1, len(queue) + 1), reason=reason)


def record_verdict(store: Store, dataset_id: str, example_id: str, reviewer: str, verdict: str,
                   label: str | None = None, note: str = "") -> str:
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}")
    if verdict == "label":
        if label not in store.dataset(dataset_id).label_set:
            raise ValueError(f"{label!r} is not in the label set")
    elif label is not None:
        raise ValueError("only a 'label' verdict carries a label")
    if not reviewer.strip():
        raise ValueError("a verdict needs a reviewer name")
    verdict_id = uuid.uuid4().hex
    store.add_verdicts(dataset_id, pd.DataFrame([{"verdict_id": verdict_id, "example_id": example_id,
                                                  "reviewer": reviewer.strip(), "verdict": verdict, "label": label,
                                                  "note": note.strip() or None}]))
    return verdict_id


def reviewer_agreement(verdicts: pd.DataFrame) -> dict:
    """Among examples reviewed by two or more people: how many, and the share where all gave the same verdict."""
    decided = verdicts.assign(answer=verdicts["label"].fillna(verdicts["verdict"]))
    per_example = decided.groupby("example_id").agg(reviewers=("reviewer", "nunique"), answers=("answer", "nunique"))
    shared = per_example[per_example["reviewers"] >= 2]
    return {"n_examples": len(shared), "all_agree": float((shared["answers"] == 1).mean()) if len(shared) else float("nan")}
