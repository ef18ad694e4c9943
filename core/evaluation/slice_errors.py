"""Where the errors sit: per bucket of a slice, the teacher's error, the two students' errors and the
inheritance conditionals with Wilson intervals, and whether the teacher's error is structured by the slice:
the homogeneity test of each slice, Benjamini-Hochberg adjusted over every slice tested for one teacher."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.evaluation.metrics import benjamini_hochberg, error_structure, wilson_bounds

MIN_CELL = 30  # below this many examples a cell's rate is shown as "too few", not as a colour
ALPHA = 0.05


@dataclass(frozen=True)
class SliceOption:
    title: str
    slice_by: str
    column: str | None = None
    reads_gold: bool = False  # buckets from each example's own gold label: a diagnostic, never a queue filter


def slice_options_from(slice_names: pd.DataFrame, user_columns: pd.DataFrame) -> list[SliceOption]:
    """What a slice table can be cut by: gold, the teacher's label, each computed slice (`slice`, `slicer`) and
    each user column (`column_name`, `n_values`, `numeric`; numbers with many values in quartiles). Options
    computed from each example's gold label are marked `reads_gold` and say so in their title."""
    from core.slices import reads_gold  # the slicer registry imports every slicer (and the LLM teachers): only here

    options = [SliceOption("gold label (reads gold: a diagnostic)", "gold", reads_gold=True),
               SliceOption("teacher's label", "teacher_label")]
    options += [SliceOption(f"{row.slice} ({row.slicer}{'; reads gold: a diagnostic' if reads_gold(row.slicer) else ''})",
                            "stored", row.slice, reads_gold(row.slicer)) for row in slice_names.itertuples()]
    for row in user_columns.itertuples():
        quantiles = row.numeric and row.n_values > 12
        options.append(SliceOption(f"{row.column_name}{' (quartiles)' if quantiles else ''}",
                                   "quantile" if quantiles else "column", row.column_name))
    return options


def bucket_errors(rows: pd.DataFrame) -> pd.DataFrame:
    """Per-example rows (bucket, teacher_wrong, student_wrong, reference_wrong) to one row per bucket: n, the
    three error rates, and the student's error where the teacher is wrong and where it is right."""
    wrong = rows["teacher_wrong"] == 1
    grouped = rows.assign(if_wrong=rows["student_wrong"].where(wrong), if_right=rows["student_wrong"].where(~wrong))
    return (grouped.groupby("bucket", sort=True)
            .agg(n=("teacher_wrong", "size"), teacher_error=("teacher_wrong", "mean"),
                 student_error=("student_wrong", "mean"), gold_student_error=("reference_wrong", "mean"),
                 n_teacher_wrong=("teacher_wrong", "sum"), student_wrong_if_teacher_wrong=("if_wrong", "mean"),
                 student_wrong_if_teacher_right=("if_right", "mean"))
            .astype({"n_teacher_wrong": int}).reset_index())


def slice_table_from(rows: pd.DataFrame) -> pd.DataFrame:
    """`bucket_errors` with Wilson intervals for every rate and the structured-error test of the teacher's error."""
    table = bucket_errors(rows)
    table["n_teacher_right"] = table["n"] - table["n_teacher_wrong"]
    for rate, n in (("teacher_error", "n"), ("student_error", "n"), ("gold_student_error", "n"),
                    ("student_wrong_if_teacher_wrong", "n_teacher_wrong"),
                    ("student_wrong_if_teacher_right", "n_teacher_right")):
        table[f"{rate}_lo"], table[f"{rate}_hi"] = wilson_bounds(table[rate], table[n])
    structure = error_structure(table["n"], table["n_teacher_wrong"])
    table["teacher_error_lift"] = structure.lift
    table["teacher_excess_p"] = structure.p_excess
    table["homogeneity_p"] = structure.p_homogeneity
    table["homogeneity_test"] = structure.test
    table["enough"] = table["n"] >= MIN_CELL
    return table


def with_false_discovery(tables: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """The slice tables of one teacher and label mode, each with `homogeneity_q` (its homogeneity p,
    Benjamini-Hochberg adjusted over these tables: testing many slices finds some by chance) and
    `n_slices_tested`."""
    p = np.array([t["homogeneity_p"].iloc[0] if len(t) and t["n_teacher_wrong"].sum() else np.nan for t in tables],
                 dtype=float)
    q = benjamini_hochberg(p)
    tested = int((~np.isnan(p)).sum())
    return [t.assign(homogeneity_q=value, n_slices_tested=tested) for t, value in zip(tables, q)]


@dataclass(frozen=True)
class StructureFindings:
    """A slice table's structured-error test as both its sentences read it."""

    n: int
    wrong: int
    p: float  # the homogeneity test's p, NaN when there is nothing to test
    q: float  # adjusted over the teacher's slices (`with_false_discovery`); p itself when the table has no q
    n_slices: int  # how many slices q is adjusted over (1: not adjusted)
    excess: pd.DataFrame  # the buckets with enough examples whose excess error is beyond chance

    @property
    def structured(self) -> bool:
        return bool(self.q < ALPHA)

    def p_words(self, test: str = "p") -> str:
        """The p a decision was made on, as computed: "p = 0.21" or "p = 0.03, Benjamini-Hochberg q = 0.21 over
        the 9 slices tested for this teacher"."""
        if self.n_slices > 1:
            return (f"{test} = {self.p:.2g}, Benjamini-Hochberg q = {self.q:.2g} over the {self.n_slices} slices "
                    "tested for this teacher")
        return f"{test} = {self.p:.2g}"


def structure_findings(table: pd.DataFrame) -> StructureFindings:
    n, wrong = int(table["n"].sum()), int(table["n_teacher_wrong"].sum())
    p = float(table["homogeneity_p"].iloc[0]) if len(table) and wrong else float("nan")
    adjusted = "homogeneity_q" in table and len(table) and not math.isnan(p)
    q = float(table["homogeneity_q"].iloc[0]) if adjusted else p
    n_slices = int(table["n_slices_tested"].iloc[0]) if adjusted else 1
    return StructureFindings(n, wrong, p, q, n_slices, table[(table["teacher_excess_p"] < ALPHA) & table["enough"]])


def structure_sentence(table: pd.DataFrame, slice_title: str) -> str:
    """What the structured-error test says about a slice table from `slice_table`, in words, with its numbers."""
    found = structure_findings(table)
    n, wrong = found.n, found.wrong
    if math.isnan(found.p):
        return f"Too little teacher error to test (n = {n}, {wrong} wrong)."
    test = table["homogeneity_test"].iloc[0]
    numbers = f"{found.p_words(test + ' p')}; overall {wrong / n:.1%} of n = {n}"
    if not found.structured:
        return (f"No evidence that teacher error depends on {slice_title}: the buckets' rates do not differ beyond "
                f"chance ({numbers}).")
    excess = found.excess
    where = ", ".join(f"{b} ({r:.1%}, {l:.1f}x, n = {k}, p = {q:.2g})" for b, r, l, k, q in
                      zip(excess["bucket"], excess["teacher_error"], excess["teacher_error_lift"], excess["n"],
                          excess["teacher_excess_p"]))
    return (f"Teacher error by {slice_title} is structured: its rate differs between buckets beyond chance ({numbers}). "
            + (f"Concentrated in: {where} (one-sided Fisher, Holm-adjusted over the buckets)." if where else
               "No bucket with enough examples exceeds the rest's rate beyond chance."))
