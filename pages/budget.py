import shlex

import streamlit as st

import ui
from core.evaluation.service import run_scheme
from core.report import charts, tables
from core.report.words import budget_scoring_words
from core.review.budget import budget_scheme_words, checks_sentence, with_check_intervals

ui.page("budget")
st.title("What a human check buys")
run = ui.pick_run()
teacher = ui.pick_teacher(run["run_id"])
title = ui.run_teacher_titles(run["run_id"])[teacher]


@st.cache_data(show_spinner=False)
def load(run_id, teacher, db_version):
    curve = ui.reader().budget_curve(run_id, teacher)
    return (with_check_intervals(curve) if len(curve) else curve), ui.reader().budget_left_out(run_id, teacher)


curve, left_out = load(run["run_id"], teacher, ui.version_key())
st.caption("With the gold labels as the oracle: correct the first B teacher labels of each fold's training rows in "
           "each strategy's order, retrain the student on them, and "
           f"{budget_scoring_words(run_scheme(ui.reader(), run['run_id']))}.")
if curve.empty:
    from core.review.budget import budget_curves

    ui.offer_to_compute(
        "No budget curves for this run and teacher yet. Computing them retrains the student once per fold, strategy "
        "and budget (a few minutes on the demo). From a shell:",
        f"python -m core budget --run {run['run_id']} --teacher {shlex.quote(teacher)}", "Compute budget curves",
        lambda store, progress: budget_curves(store, run["run_id"], teacher, progress=progress),
        "No budget curves were stored.")
    st.stop()

ui.plain_box(checks_sentence(curve), size="1.05rem", over=f"Measured by {budget_scheme_words(curve)}")
fig = charts.budget_curves(curve, f"Student accuracy by number of human checks: {title}")
ui.show_figure(fig, f"{run['run_id']}-{teacher}-budget")
if left_out:
    ui.plain_box("Not measured: " + "; ".join(f"{name}: {why}" for name, why in left_out.items()), tone="same")

table = tables.budget_table(curve)
# the budget nearest 100 keeps this table within the page; every budget is in the full table below
budgets = sorted(b for b in curve["budget"].unique() if b > 0)
nearest = min(budgets, key=lambda b: abs(b - 100)) if budgets else 0
st.subheader(f"What {nearest} checks buy, per strategy")
ui.show_table(table[table["checks"] == nearest], f"{run['run_id']}-{teacher}-budget-summary",
              columns=["strategies", "change (points) [95% CI]", "vs random (points) [95% CI]",
                       "checks to half the gap", "n (folds, rows)"])
st.caption("Change: the student's accuracy after the checks minus before, in percentage points, from paired "
           "per-fold differences. vs random: the strategy minus random at the same checks, on the same folds. "
           "Checks to half the gap: interpolated per fold between the budgets measured, to half the distance to "
           "the student trained on the pool's gold labels. Strategies with the same per-fold curve share a row.")

errors = charts.budget_label_error(curve, f"Teacher labels still wrong in the training pool after B checks: {title}")
ui.show_figure(errors, f"{run['run_id']}-{teacher}-label-error")
st.caption("precision: the share of the first B checks that found a wrong teacher label, with a 95% Wilson interval "
           "over the checks of every fold.")
ui.show_table(table, f"{run['run_id']}-{teacher}-budget-curve",
              columns=["strategies", "checks", "student accuracy [95% CI]", "change (points) [95% CI]",
                       "precision [95% CI]", "labels still wrong", "n (folds, rows)"])
