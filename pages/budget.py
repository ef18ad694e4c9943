import shlex

import pandas as pd
import streamlit as st

import ui
from core.evaluation.service import run_scheme
from core.report import charts, tables
from core.report.words import budget_scoring_words
from core.review.budget import checks_sentence, with_check_intervals
from core.review.strategies import STRATEGIES

ui.page("budget")
st.title("What a human check buys")
run = ui.pick_run()
teacher = ui.pick_teacher(run["run_id"])
title = ui.run_teacher_titles(run["run_id"])[teacher]


@st.cache_data(show_spinner=False)
def load(run_id, teacher, db_version):
    return with_check_intervals(ui.reader().budget_curve(run_id, teacher))


curve = load(run["run_id"], teacher, ui.version_key())
st.caption("With the gold labels as the oracle: correct the first B teacher labels of the training pool in each "
           "strategy's order, retrain the student on the whole pool, and "
           f"{budget_scoring_words(run_scheme(ui.reader(), run['run_id']))}.")
if curve.empty:
    from core.review.budget import budget_curves

    ui.offer_to_compute(
        "No budget curves for this run and teacher yet. Computing them retrains the student once per strategy, "
        "budget and seed (about a minute on the demo). From a shell:",
        f"python -m core budget --run {run['run_id']} --teacher {shlex.quote(teacher)}", "Compute budget curves",
        lambda store, progress: budget_curves(store, run["run_id"], teacher, progress=progress),
        "No budget curves were stored.")
    st.stop()

fig = charts.budget_curves(curve, f"Student accuracy by number of human checks: {title}")
ui.show_figure(fig, f"{run['run_id']}-{teacher}-budget")
ui.plain_box(checks_sentence(curve), size="1.05rem")

errors = charts.budget_label_error(curve, f"Teacher labels still wrong in the training pool after B checks: {title}")
ui.show_figure(errors, f"{run['run_id']}-{teacher}-label-error")

summary = curve.drop_duplicates("strategy")[["strategy", "checks_to_half_gap"]].copy()
summary["checks_to_half_gap"] = summary["checks_to_half_gap"].map(
    lambda checks: f"over {int(curve['budget'].max())}" if pd.isna(checks) else str(int(checks)))
# three budgets (the smallest, the one nearest 100, the largest) keep the table within the page; every budget's
# precision is in the full table below
budgets = sorted(curve.loc[curve["budget"] > 0, "budget"].unique())
shown_budgets = sorted({budgets[0], min(budgets, key=lambda b: abs(b - 100)), budgets[-1]}) if budgets else []
checked = curve[curve["budget"].isin(shown_budgets)]
precision = checked.assign(shown=tables.with_interval(checked, "precision", digits=2)).pivot(
    index="strategy", columns="budget", values="shown")
precision.columns = [f"precision@{b} [95% CI]" for b in precision.columns]
summary = summary.merge(precision.reset_index(), on="strategy")
summary["what it ranks first"] = summary["strategy"].map(STRATEGIES.description)
st.subheader("Checks needed, and how often a check finds a wrong teacher label")
ui.show_table(summary, f"{run['run_id']}-{teacher}-budget-summary")
st.caption("Checks to close half the gap: the smallest budget whose student closes half the gap between the teacher-trained "
           "and the gold-trained student. precision@B: the share of the first B checks that found a wrong teacher "
           "label, with a 95% Wilson interval over those B checks.")
ui.show_table(curve.assign(**{"student accuracy [95% CI]": tables.with_interval(
                                 curve.assign(accuracy_lo=curve["lo"], accuracy_hi=curve["hi"]), "accuracy"),
                             "precision [95% CI]": tables.with_interval(curve, "precision", digits=2)}),
              f"{run['run_id']}-{teacher}-budget-curve",
              columns=["strategy", "budget", "student accuracy [95% CI]", "label_error", "precision [95% CI]", "n_seeds",
                       "n_test"])
