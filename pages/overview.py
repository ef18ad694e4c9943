import pandas as pd
import plotly.express as px
import streamlit as st

import ui
from core.evaluation.service import headlines

st.title("Overview")
run = ui.pick_run()
store = ui.reader()
config = run["config"]
metric = st.sidebar.radio("Metric", ["accuracy", "macro_f1"], format_func={"accuracy": "accuracy", "macro_f1": "macro-F1"}.get)


@st.cache_data(show_spinner=False)
def load(run_id, metric, _version):
    s = ui.reader()
    return (headlines(s, run_id, metric), s.teacher_scores(run_id), s.teacher_costs(run_id),
            s.teacher_label_distribution(run_id), s.gold_distribution(s.run(run_id)["dataset_id"]))


lines, scores, costs, distribution, gold = load(run["run_id"], metric, ui.version_key())
st.caption(f"Data set **{run['dataset']}** · student **{config['student']['kind']}** · sizes {config['sizes']} · "
           f"seeds {config['seeds']} · code {run['code_version']} · finished {run['finished_at']:%Y-%m-%d %H:%M}")

st.subheader("The answer")
st.caption("Intervals are 95% bootstrap CIs over test examples and seeds; the gap is paired (same test resamples, same seeds).")
for line in lines:
    (st.warning if line.gap is not None and line.gap.hi < 0 else st.success)(line.sentence())

st.subheader("Teachers")
table = scores.merge(costs, on="teacher_name")
table["teacher"] = [n + ui.simulated_marker(s) for n, s in zip(table["teacher_name"], table["simulated"])]
table[metric + " [95% CI]"] = [f"{v:.3f} [{lo:.3f}, {hi:.3f}]" for v, lo, hi in
                               zip(table[metric], table[f"{metric}_lo"], table[f"{metric}_hi"])]
ui.show_table(table[["teacher", "kind", metric + " [95% CI]", "n_test", "n_answered", "n_labels", "n_labels_answered", "input_tokens",
                     "output_tokens", "cost_usd", "mean_latency_ms"]], f"{run['run_id']}-teachers")
if table["simulated"].any():
    st.caption("SIMULATED teachers are noise models over the gold labels, for controlled experiments; they are not LLMs.")

st.subheader("Label distribution")
bars = distribution.rename(columns={"teacher_name": "source"})
bars = pd.concat([bars, gold.assign(source="gold (human)")], ignore_index=True)
fig = px.bar(bars, x="label", y="n", color="source", barmode="group", labels={"n": "examples"})
ui.show_figure(fig, f"{run['run_id']}-label-distribution")

st.subheader("Can you trust the teacher's confidence?")
st.caption("On the gold test split: expected calibration error (0 = confidence matches accuracy) and the AUROC of "
           "confidence for telling right labels from wrong ones (0.5 = no better than chance; below 0.5 = confidently wrong).")


@st.cache_data(show_spinner=False)
def load_calibration(run_id, _version):
    from core.evaluation.service import calibration

    s = ui.reader()
    parts = [calibration(s, run_id, t) for t in s.run_teachers(run_id)["teacher_name"]]
    names = list(s.run_teachers(run_id)["teacher_name"])
    summary = pd.concat([p[0].assign(teacher=n) for p, n in zip(parts, names)], ignore_index=True)
    curve = pd.concat([p[1].assign(teacher=n) for p, n in zip(parts, names)], ignore_index=True)
    return summary, curve


calibration_summary, reliability = load_calibration(run["run_id"], ui.version_key())
if calibration_summary.empty:
    st.info("No teacher of this run states a confidence.")
else:
    ui.show_table(calibration_summary[["teacher", "signal", "n", "ece", "auroc", "accuracy", "mean_confidence"]],
                  f"{run['run_id']}-calibration")
    fig = px.line(reliability.assign(series=reliability["teacher"] + " · " + reliability["signal"]), x="confidence",
                  y="accuracy", color="series", markers=True, hover_data=["n"])
    fig.add_shape(type="line", x0=0, y0=0, x1=1, y1=1, line=dict(dash="dot", color="grey"))
    fig.update_layout(xaxis_title="confidence (bin mean)", yaxis_title="accuracy in the bin", height=420)
    ui.show_figure(fig, f"{run['run_id']}-reliability")
