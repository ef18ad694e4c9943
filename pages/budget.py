import numpy as np
import plotly.graph_objects as go
import streamlit as st

import ui
from core.review.budget import checks_sentence
from core.review.strategies import STRATEGIES

st.title("What a human check buys")
run = ui.pick_run()
store = ui.reader()
teacher = st.selectbox("Teacher", list(store.run_teachers(run["run_id"])["teacher_name"]))


@st.cache_data(show_spinner=False)
def load(run_id, teacher, _version):
    return ui.reader().budget_curve(run_id, teacher)


curve = load(run["run_id"], teacher, ui.version_key())
st.caption("With the gold labels as the oracle: correct the first B teacher labels of the training pool in each "
           "strategy's order, retrain the student on the whole pool, and score it on the gold test split.")
if curve.empty:
    st.info("No budget curves for this run and teacher yet. Computing them retrains the student once per strategy, "
            "budget and seed (about a minute on the demo). From a shell: "
            f"`python -m core budget --run {run['run_id']} --teacher {teacher}`.")
    if st.button("Compute budget curves"):
        from core.review.budget import budget_curves

        budget_curves(ui.writer(), run["run_id"], teacher, progress=ui.progress_bar())
        st.cache_data.clear()
        st.rerun()
    st.stop()

palette = ["#7f7f7f", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"]
fig = go.Figure()
for i, (strategy, points) in enumerate(curve.groupby("strategy", sort=True)):
    colour = palette[i % len(palette)]
    fig.add_trace(go.Scatter(x=np.concatenate([points["budget"], points["budget"][::-1]]),
                             y=np.concatenate([points["hi"], points["lo"][::-1]]), fill="toself", line=dict(width=0),
                             fillcolor=colour, opacity=0.12, hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=points["budget"], y=points["accuracy"], name=strategy, mode="lines+markers",
                             line=dict(color=colour, dash="dash" if strategy == "random" else "solid")))
gold = curve["gold_accuracy"].iloc[0]
fig.add_hline(y=gold, line=dict(color="black", dash="dot"), annotation_text=f"student on all human labels: {gold:.3f}")
fig.update_layout(xaxis_title="human checks (budget)", yaxis_title=f"student accuracy (n_test={curve['n_test'].iloc[0]})",
                  height=520, legend=dict(orientation="h", y=-0.2))
ui.show_figure(fig, f"{run['run_id']}-{teacher}-budget")
st.markdown(checks_sentence(curve))

errors = go.Figure([go.Scatter(x=p["budget"], y=p["label_error"], name=s, mode="lines+markers")
                    for s, p in curve.groupby("strategy", sort=True)])
errors.update_layout(xaxis_title="human checks (budget)", yaxis_title="teacher labels still wrong in the pool", height=380)
ui.show_figure(errors, f"{run['run_id']}-{teacher}-label-error")

summary = curve.drop_duplicates("strategy")[["strategy", "checks_to_half_gap"]].copy()
summary["what it ranks first"] = summary["strategy"].map(STRATEGIES.description)
precision = curve[curve["budget"] > 0].pivot(index="strategy", columns="budget", values="precision")
precision.columns = [f"precision@{b}" for b in precision.columns]
st.subheader("Checks needed, and how often a check finds a wrong teacher label")
ui.show_table(summary.merge(precision.reset_index(), on="strategy"), f"{run['run_id']}-{teacher}-budget-summary")
st.caption("checks_to_half_gap: the smallest budget whose student closes half the gap between the teacher-trained "
           "and the gold-trained student (empty: not within these budgets). Intervals: 95%, seeds and test examples.")
ui.show_table(curve, f"{run['run_id']}-{teacher}-budget-curve")
