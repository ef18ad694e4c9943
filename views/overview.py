import pandas as pd
import plotly.express as px
import streamlit as st

import ui
from core.report import charts, tables
from core.report.words import chart_text, gap_tone

st.title("Does training on teacher labels hurt the student?")
run = ui.pick_run()
metric = ui.metric()
config = run["config"]


@st.cache_data(show_spinner=False)
def load(run_id, metric, db_version):
    from core.evaluation.report import run_report
    from core.evaluation.service import teacher_overview

    s = ui.reader()
    with s.reading():
        return run_report(s, run_id, metric), s.teacher_scores(run_id), teacher_overview(s, run_id)


report, scores, overview = load(run["run_id"], metric, ui.version_key())
costs, distribution, gold = overview["costs"], overview["labels"], overview["gold"]
teachers = ui.run_teachers(run["run_id"])
st.text(f"Data set {run['dataset']} · run {run['name']} · student {config['student']['kind']} · sizes {config['sizes']} · "
        f"seeds {config['seeds']} · finished {run['finished_at']:%Y-%m-%d %H:%M}")

lines = tables.headlines_for(report, metric)
for line in lines:
    ui.answer(tables.say_aloud(line["sentence"])[0], gap_tone(line.get("gap")), tables.who(line))
for warning in report["warnings"]:
    ui.plain_box(warning, "warning")

rows = tables.forest_rows(lines)
if not rows.empty:
    ui.show_figure(charts.gap_forest(rows, metric, f"What training on teacher labels costs the student "
                                     f"({ui.METRICS[metric]}, largest training size)"),
                   f"{run['run_id']}-gap-{metric}")
    st.caption("Left of the dotted line: the student on teacher labels is worse than the one on human labels. "
               "Red: worse beyond chance (the whole 95% interval is below zero); blue: better; grey: no difference shown.")
ui.report_button(run["run_id"], metric)

with st.expander("Statistics behind the sentences"):
    evaluation = report["evaluation"]
    st.text(f"Evaluation: {evaluation['scheme']}, seeds {evaluation['seeds']}"
            + (f", {evaluation['folds']} folds x {evaluation['repeats']} repeats" if evaluation["scheme"] == "crossfit" else "")
            + ". The gap is paired: both students are scored on the same rows.")
    for line in lines:
        st.text(line["sentence"])
    ui.show_table(tables.statistics(lines), f"{run['run_id']}-headlines-{metric}")
    classes = tables.per_class(lines)
    if not classes.empty:
        st.subheader("Per class")
        ui.show_table(classes, f"{run['run_id']}-per-class")

st.subheader("Teachers")
ui.show_table(tables.teachers_at_a_glance(scores, costs, metric), f"{run['run_id']}-teachers")
st.caption("SIMULATED teachers are noise models over the gold labels, for controlled experiments; an offline model "
           "(the zero-shot MiniLM) is a small embedding model, not an LLM; LLM teachers are billed per token.")

with st.expander("Label distribution"):
    bars = pd.concat([distribution.assign(source=distribution["teacher_name"].map(ui.teacher_titles(teachers)).map(chart_text)),
                      gold.assign(source="gold (human)")], ignore_index=True)
    fig = px.bar(bars, x="label", y="n", color="source", barmode="group", labels={"n": "examples"},
                 title="Labels given by each teacher and by humans")
    ui.show_figure(fig, f"{run['run_id']}-label-distribution")


with st.expander("Can you trust the teacher's confidence?"):
    st.caption("On the gold test split: expected calibration error (0 = confidence matches accuracy) and the AUROC of "
               "confidence for telling right labels from wrong ones (0.5 = no better than chance; below 0.5 = "
               "confidently wrong).")
    calibration_summary, reliability = overview["calibration"], overview["reliability"]
    if calibration_summary.empty:
        st.info("No teacher of this run states a confidence.")
    else:
        titles = ui.teacher_titles(teachers)
        calibration_summary["teacher"] = calibration_summary["teacher"].map(titles)
        ui.show_table(calibration_summary[["teacher", "signal", "n", "ece", "auroc", "accuracy", "mean_confidence"]],
                      f"{run['run_id']}-calibration")
        fig = px.line(reliability.assign(series=reliability["teacher"].map(titles) + " · " + reliability["signal"]),
                      x="confidence", y="accuracy", color="series", markers=True, hover_data=["n"],
                      title="Reliability: accuracy against stated confidence")
        fig.add_shape(type="line", x0=0, y0=0, x1=1, y1=1, line=dict(dash="dot", color="grey"))
        fig.update_layout(xaxis_title="confidence (bin mean)", yaxis_title="accuracy in the bin", height=420)
        ui.show_figure(fig, f"{run['run_id']}-reliability")
