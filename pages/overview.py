import pandas as pd
import streamlit as st

import ui
from core.report import charts, tables
from core.errors import InputError
from core.report.words import decision_basis, gap_tone

ui.page("overview")
st.title("Does training on teacher labels hurt the student?")
run = ui.pick_run()
metric = ui.metric()
config = run["config"]


@st.cache_data(show_spinner=False)
def load_report(run_id, metric, db_version):
    from core.evaluation.report import run_report

    s = ui.reader()
    with s.session():
        return run_report(s, run_id, metric)


@st.cache_data(show_spinner=False)
def load_teachers(run_id, db_version):
    """What does not change with the metric, figures included, so switching the metric redraws only the answer."""
    from core.evaluation.service import teacher_overview

    s = ui.reader()
    with s.session():
        overview, scores = teacher_overview(s, run_id), s.teacher_scores(run_id)
    titles = ui.run_teacher_titles(run_id)
    figures = {"labels": charts.label_distribution(overview["labels"], overview["gold"], titles,
                                                   "Labels given by each teacher and by humans")}
    if not overview["reliability"].empty:
        figures["reliability"] = charts.reliability(overview["reliability"], titles,
                                                    "Reliability: accuracy against stated confidence")
    return scores, overview, figures


@st.cache_data(show_spinner=False)
def load_decision(run_id, target, prices, db_version):
    """The decision at these prices and this target (None: the default), with its frontier chart; or what stops it."""
    from core.decision.service import decide

    s = ui.reader()
    try:
        with s.session():
            decision = decide(s, run_id, target, prices)
    except InputError as exc:
        return None, None, str(exc)
    figure = charts.decision_frontier(decision, ui.run_teacher_titles(run_id),
                                      f"What each option costs and the accuracy it buys (run {run_id})")
    return decision, figure, None


report = load_report(run["run_id"], metric, ui.version_key())
scores, overview, figures = load_teachers(run["run_id"], ui.version_key())
costs = overview["costs"]
st.text(f"Data set {run['dataset']} · run {run['name']} · student {config['student']['kind']} · sizes {config['sizes']} · "
        f"seeds {config['seeds']} · finished {run['finished_at']:%Y-%m-%d %H:%M}")

decision_box = st.container()
target_column, prices_column = st.columns([1, 3])
target = target_column.number_input("Target accuracy, %", min_value=1.0, max_value=99.9, value=None, step=0.5,
                                    format="%.1f", key="target", placeholder="default",
                                    help="Empty: the student on human labels at the largest size, minus one point.")
decision, frontier, problem = load_decision(run["run_id"], None if target is None else target / 100, ui.costs(),
                                            ui.version_key())
with decision_box:
    if problem:
        ui.plain_box(problem, "warning")
    else:
        ui.answer(decision.sentence(), "same", "The decision, priced")
if decision is not None:
    prices_column.caption(decision_basis(decision))
    ui.show_figure(frontier, f"{run['run_id']}-decision")

lines = tables.headlines_for(report, metric)
st.subheader(f"What each teacher's labels cost the student ({ui.METRIC_NAMES[metric]})")
st.caption("Hard labels: the teacher's one label per text; soft labels: its probabilities over the labels. In "
           "percentage points, with 95% intervals of the paired gap; details and every number below.")
for sentence, tone in tables.teacher_lines(lines):
    ui.plain_box(sentence, tone)
for warning in report["warnings"]:
    ui.plain_box(warning, "warning")

rows = tables.forest_rows(lines)
if not rows.empty:
    ui.show_figure(charts.gap_forest(rows, metric, f"What training on teacher labels costs the student "
                                     f"({ui.METRIC_NAMES[metric]}, largest training size)"),
                   f"{run['run_id']}-gap-{metric}")
    st.caption("Left of the dotted line: the student on teacher labels is worse than the one on human labels. "
               "Red: worse beyond chance (the whole 95% interval is below zero); blue: better; grey: no difference shown.")
ui.report_button(run["run_id"], metric)

with st.expander("Each teacher and label mode in a sentence"):
    for line in lines:
        ui.answer(tables.say_aloud(line["sentence"])[0], gap_tone(line.get("gap")), tables.who(line))

with st.expander("Statistics behind the sentences"):
    evaluation = report["evaluation"]
    st.text(f"Evaluation: {evaluation['scheme']}, seeds {evaluation['seeds']}"
            + (f", {evaluation['folds']} folds x {evaluation['repeats']} repeats" if evaluation["scheme"] == "crossfit" else "")
            + ". The gap is paired: both students are scored on the same rows.")
    for line in lines:
        st.text(line["sentence"])
    ui.show_table(tables.statistics(lines), f"{run['run_id']}-headlines-{metric}",  # the rest: the sentences above
                  columns=["teacher", "training size", "student on teacher labels", "student on human labels", "gap"])
    classes = tables.per_class(lines)
    if not classes.empty:
        st.subheader("Per class")
        ui.show_table(classes, f"{run['run_id']}-per-class", columns=[  # the teacher's own recall: in the CSV
            "teacher", "label", "n", "student recall", "human-label student recall",
            "difference (student minus human-label student)", "differs beyond chance"])

st.subheader("Teachers")
ui.show_table(tables.teachers_at_a_glance(scores, costs, metric), f"{run['run_id']}-teachers")
st.caption("SIMULATED teachers are noise models over the gold labels, for controlled experiments; an offline model "
           "(the zero-shot MiniLM) is a small embedding model, not an LLM; LLM teachers are billed per token.")

# drawn when opened (a rerun), not on every visit: two charts fewer to draw made the Overview's first visit 0.66-0.95 s
# instead of 0.99-1.19 s in Chromium (bench/browser_pages.py; issue 21's goal: < 1 s)
with st.expander("Label distribution", on_change="rerun", key="overview-label-distribution") as labels_box:
    if labels_box.open:
        ui.show_figure(figures["labels"], f"{run['run_id']}-label-distribution")

with st.expander("Can you trust the teacher's confidence?", on_change="rerun", key="overview-calibration") as trust_box:
    if trust_box.open:
        st.caption("On the gold rows the run scored (its test split, or every gold row when cross-fitted): expected "
                   "calibration error (0 = confidence matches accuracy) and the AUROC of confidence for telling right "
                   "labels from wrong ones (0.5 = no better than chance; below 0.5 = confidently wrong), with 95% "
                   "intervals (accuracy: Wilson; AUROC: Hanley-McNeil, which assumes untied confidences; ECE: the "
                   "bootstrap spread over rows. The binned ECE is biased upward on few rows, so its interval rarely "
                   "reaches 0 even for a well-calibrated teacher: compare teachers by it rather than read it as proof "
                   "of miscalibration).")
        calibration_summary = overview["calibration"]
        if calibration_summary.empty:
            st.info("No teacher of this run states a confidence.")
        else:
            titles = ui.run_teacher_titles(run["run_id"])
            ui.show_table(pd.DataFrame({
                "teacher": calibration_summary["teacher"].map(titles), "signal": calibration_summary["signal"],
                "n": calibration_summary["n"],
                **{f"{name} [95% CI]": tables.with_interval(calibration_summary, column)
                   for name, column in [("ECE", "ece"), ("AUROC", "auroc"), ("accuracy", "accuracy")]},
                "mean confidence": calibration_summary["mean_confidence"].round(3)}), f"{run['run_id']}-calibration")
            ui.show_figure(figures["reliability"], f"{run['run_id']}-reliability")
